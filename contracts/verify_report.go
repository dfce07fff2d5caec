package contracts

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// WriteJSON writes the report as JSON (results with their violations and
// shapes, and every violation).
func (r *VerifyReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadVerifyReport reads a report written by WriteJSON.
func ReadVerifyReport(path string) (*VerifyReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r VerifyReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: not a contracts verify -json report: %w", path, err)
	}
	return &r, nil
}

// JUnit XML, in the form GitHub Actions, GitLab and Jenkins read:
// testsuites > testsuite (one per area) > testcase (failure | skipped).
type verifyJUnit struct {
	XMLName  xml.Name           `xml:"testsuites"`
	Name     string             `xml:"name,attr"`
	Tests    int                `xml:"tests,attr"`
	Failures int                `xml:"failures,attr"`
	Skipped  int                `xml:"skipped,attr"`
	Time     string             `xml:"time,attr"`
	Suites   []verifyJUnitSuite `xml:"testsuite"`
}

type verifyJUnitSuite struct {
	Name     string            `xml:"name,attr"`
	Tests    int               `xml:"tests,attr"`
	Failures int               `xml:"failures,attr"`
	Errors   int               `xml:"errors,attr"`
	Skipped  int               `xml:"skipped,attr"`
	Time     string            `xml:"time,attr"`
	Cases    []verifyJUnitCase `xml:"testcase"`
}

type verifyJUnitCase struct {
	Name      string              `xml:"name,attr"`
	Classname string              `xml:"classname,attr"`
	Time      string              `xml:"time,attr"`
	Failure   *verifyJUnitFailure `xml:"failure,omitempty"`
	Skipped   *verifyJUnitSkipped `xml:"skipped,omitempty"`
}

type verifyJUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type verifyJUnitSkipped struct {
	Message string `xml:"message,attr"`
}

func secs(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

// WriteJUnit writes the report as JUnit XML, one test suite per area.
func (r *VerifyReport) WriteJUnit(w io.Writer) error {
	out := verifyJUnit{Name: "contracts verify " + r.Target, Time: secs(r.DurationMs)}
	byArea := map[string]*verifyJUnitSuite{}
	var order []string
	for _, res := range r.Results {
		s := byArea[res.Area]
		if s == nil {
			s = &verifyJUnitSuite{Name: "contracts/" + res.Area}
			byArea[res.Area] = s
			order = append(order, res.Area)
		}
		c := verifyJUnitCase{Name: res.ID(), Classname: "contracts." + res.Area, Time: secs(res.DurationMs)}
		switch res.Verdict {
		case VerdictFail:
			lines := make([]string, len(res.Violations))
			for i, v := range res.Violations {
				lines[i] = v.String()
			}
			msg := "failed"
			if len(lines) > 0 {
				msg = lines[0]
			}
			c.Failure = &verifyJUnitFailure{Message: msg, Type: "contract", Text: strings.Join(lines, "\n")}
			s.Failures++
			out.Failures++
		case VerdictSkip:
			c.Skipped = &verifyJUnitSkipped{Message: res.Skipped}
			s.Skipped++
			out.Skipped++
		}
		s.Tests++
		out.Tests++
		s.Cases = append(s.Cases, c)
	}
	for _, a := range order {
		s := byArea[a]
		var total float64
		for _, res := range r.Results {
			if res.Area == a {
				total += res.DurationMs
			}
		}
		s.Time = secs(total)
		out.Suites = append(out.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Diff compares two runs scenario by scenario: verdicts, and the response
// shapes (per operation and status, fields added, missing or of another
// type). Each difference is one line; none means the runs agree.
func Diff(a, b *VerifyReport) []string {
	var out []string
	ra, rb := index(a), index(b)
	ids := map[string]bool{}
	for id := range ra {
		ids[id] = true
	}
	for id := range rb {
		ids[id] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		x, inA := ra[id]
		y, inB := rb[id]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("%s: only in B (%s)", id, y.Verdict))
			continue
		case !inB:
			out = append(out, fmt.Sprintf("%s: only in A (%s)", id, x.Verdict))
			continue
		}
		if x.Verdict != y.Verdict {
			line := fmt.Sprintf("%s: verdict %s in A, %s in B", id, x.Verdict, y.Verdict)
			for _, v := range append(x.Violations, y.Violations...) {
				line += "; " + v.String()
				break
			}
			out = append(out, line)
		}
		if x.Verdict == VerdictSkip || y.Verdict == VerdictSkip {
			continue // a skipped scenario saw nothing to compare
		}
		out = append(out, diffShapes(id, x.Shapes, y.Shapes)...)
	}
	return out
}

func index(r *VerifyReport) map[string]Result {
	m := map[string]Result{}
	for _, res := range r.Results {
		m[res.ID()] = res
	}
	return m
}

func diffShapes(id string, a, b map[string]map[string]string) []string {
	var out []string
	ops := map[string]bool{}
	for k := range a {
		ops[k] = true
	}
	for k := range b {
		ops[k] = true
	}
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, op := range keys {
		fa, inA := a[op]
		fb, inB := b[op]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("%s: %s answered only in B", id, op))
			continue
		case !inB:
			out = append(out, fmt.Sprintf("%s: %s answered only in A", id, op))
			continue
		}
		fields := map[string]bool{}
		for f := range fa {
			fields[f] = true
		}
		for f := range fb {
			fields[f] = true
		}
		names := make([]string, 0, len(fields))
		for f := range fields {
			names = append(names, f)
		}
		sort.Strings(names)
		for _, f := range names {
			ta, okA := fa[f]
			tb, okB := fb[f]
			switch {
			case !okA:
				out = append(out, fmt.Sprintf("%s: %s field %s added in B (%s)", id, op, f, tb))
			case !okB:
				out = append(out, fmt.Sprintf("%s: %s field %s missing in B (%s in A)", id, op, f, ta))
			case ta != tb:
				out = append(out, fmt.Sprintf("%s: %s field %s type changed: %s in A, %s in B", id, op, f, ta, tb))
			}
		}
	}
	return out
}

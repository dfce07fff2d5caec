package contracts

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Report is what a Recorder (or the proxy) saw: the violations of both
// sides, the warnings and the coverage. Its JSON form is
// {"exchanges": N, "violations": [Violation...], "warnings": [...],
// "dropped": N, "coverage": {...}}.
type Report struct {
	Exchanges  int         `json:"exchanges"`
	Violations []Violation `json:"violations"`
	Warnings   []Violation `json:"warnings"`
	// Dropped counts the violations and warnings beyond the recorder's
	// bound (RecorderOptions.MaxViolations), counted but not kept.
	Dropped  int      `json:"dropped"`
	Coverage Coverage `json:"coverage"`
}

// Of are the violations of one side.
func (r Report) Of(side Side) []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Side == side {
			out = append(out, v)
		}
	}
	return out
}

// Fail-on settings: which violations make a run fail.
const (
	FailOnNone     = "none"
	FailOnClient   = "client"
	FailOnPlatform = "platform"
	FailOnAny      = "any"
)

// Fails tells whether the report fails a run under failOn (FailOnNone,
// FailOnClient, FailOnPlatform or FailOnAny). Warnings never fail a run.
func (r Report) Fails(failOn string) bool {
	switch failOn {
	case FailOnClient:
		return len(r.Of(SideClient)) > 0
	case FailOnPlatform:
		return len(r.Of(SidePlatform)) > 0
	case FailOnAny:
		return len(r.Violations) > 0 || r.Dropped > 0
	}
	return false
}

// Formats of a report.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatJUnit = "junit"
)

// Write writes the report in a format (FormatText, FormatJSON or
// FormatJUnit).
func (r Report) Write(w io.Writer, format string) error {
	switch format {
	case FormatText, "":
		return r.WriteText(w)
	case FormatJSON:
		return r.WriteJSON(w)
	case FormatJUnit:
		return r.WriteJUnit(w)
	}
	return fmt.Errorf("unknown report format %q (text, json or junit)", format)
}

// WriteText writes the report for people: client violations, platform
// violations, warnings, one line each, then the coverage and what was
// never exercised.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	client, platform := r.Of(SideClient), r.Of(SidePlatform)
	fmt.Fprintf(&b, "contracts report: %d exchanges, %d client violations, %d platform violations, %d warnings\n",
		r.Exchanges, len(client), len(platform), len(r.Warnings))
	section := func(title string, vs []Violation) {
		fmt.Fprintf(&b, "\n%s (%d):\n", title, len(vs))
		for _, v := range vs {
			fmt.Fprintf(&b, "  %s\n", v)
		}
	}
	section("client violations (the integration's fault)", client)
	section("platform violations (the platform's fault)", platform)
	section("warnings", r.Warnings)
	if r.Dropped > 0 {
		fmt.Fprintf(&b, "  ... and %d more, not kept\n", r.Dropped)
	}
	c := r.Coverage
	fmt.Fprintf(&b, "\ncoverage:\n")
	for _, o := range c.Operations {
		var st []string
		for _, s := range o.Statuses {
			if s.Count > 0 {
				mark := ""
				if !s.Documented {
					mark = " (undocumented)"
				}
				st = append(st, fmt.Sprintf("%d×%d%s", s.Status, s.Count, mark))
			}
		}
		fmt.Fprintf(&b, "  %-45s %4d calls  %s\n", o.Operation, o.Calls, strings.Join(st, " "))
	}
	var codes, paths []string
	for _, e := range c.ErrorCodes {
		if e.Count > 0 {
			codes = append(codes, fmt.Sprintf("%d×%d", e.Code, e.Count))
		}
	}
	for _, p := range c.Paths {
		if p.Count > 0 {
			paths = append(paths, fmt.Sprintf("%s ×%d", p.Path, p.Count))
		}
	}
	fmt.Fprintf(&b, "  error codes seen: %s\n", orNone(strings.Join(codes, ", ")))
	fmt.Fprintf(&b, "  paths seen: %s\n", orNone(strings.Join(paths, "; ")))
	missed := c.Missed()
	fmt.Fprintf(&b, "\nnever exercised (%d):\n", len(missed))
	for _, m := range missed {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// WriteJSON writes the report as one JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	if r.Violations == nil {
		r.Violations = []Violation{}
	}
	if r.Warnings == nil {
		r.Warnings = []Violation{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// The JUnit XML that GitHub Actions, GitLab and Jenkins read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *struct{}     `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: a suite per side, a test
// case per operation exercised (failed with its violations, one per
// line); operations never exercised are skipped cases; warnings go to the
// client suite's system-out.
func (r Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: "contracts"}
	for _, side := range []Side{SideClient, SidePlatform} {
		byOp := map[string][]Violation{}
		for _, v := range r.Of(side) {
			byOp[v.Operation] = append(byOp[v.Operation], v)
		}
		s := junitSuite{Name: "contracts " + string(side)}
		seen := map[string]bool{}
		add := func(op string, calls int) {
			seen[op] = true
			c := junitCase{Name: op, Classname: "contracts." + string(side)}
			vs := byOp[op]
			switch {
			case len(vs) > 0:
				lines := make([]string, len(vs))
				for i, v := range vs {
					lines[i] = v.String()
				}
				c.Failure = &junitFailure{Message: vs[0].String(), Type: vs[0].Rule, Text: strings.Join(lines, "\n")}
				s.Failures++
			case calls == 0:
				c.Skipped = &struct{}{}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		for _, o := range r.Coverage.Operations {
			add(o.Operation, o.Calls)
		}
		var rest []string
		for op := range byOp {
			if !seen[op] {
				rest = append(rest, op)
			}
		}
		sort.Strings(rest)
		for _, op := range rest {
			add(op, 1)
		}
		if side == SideClient && len(r.Warnings) > 0 {
			lines := make([]string, len(r.Warnings))
			for i, v := range r.Warnings {
				lines[i] = "warning: " + v.String()
			}
			s.SystemOut = strings.Join(lines, "\n")
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Suites = append(out.Suites, s)
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

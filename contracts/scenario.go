package contracts

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Need is something a scenario needs from the target beyond Prove's API.
// A target that lacks it skips the scenario ("SKIP area/name: needs clock").
type Need string

// What scenarios can need. Prove's real sandbox offers none of the first
// five nor webhooks, and one client (PROVE_PRODUCT).
const (
	NeedPhone    Need = "phone"    // the virtual phone: GET /_mock/sms, /_mock/link/click
	NeedClock    Need = "clock"    // the virtual clock: POST /_mock/clock/advance
	NeedFaults   Need = "faults"   // fault injection: POST /_mock/faults
	NeedControl  Need = "control"  // any other part of the /_mock/ control API
	NeedPersonas Need = "personas" // mockprove's edge personas (2009990001-2009990099)
	NeedIdentity Need = "identity-client"
	NeedPrefill  Need = "prefill-client"
	NeedUnify    Need = "unify-client" // a client of Prove's current suite (Unify, Verify, Identity Manager, ProveX)
	// NeedWebhooks: the control API's webhooks (/_mock/webhooks) on a
	// platform that can reach a receiver the kit runs on loopback.
	NeedWebhooks Need = "webhooks"
	// NeedPossessionEra: the possession-era /v3/verify (possessionType)
	// and /v3/verify-status, which Prove removed from its platform on
	// 2025-10-22 and mockprove still answers for Prove's previous Node SDK.
	NeedPossessionEra Need = "possession-era"
)

// Scenario is one conversation with a platform, with what it asserts.
type Scenario struct {
	Area  string // "oauth", "identity", "otp", ...
	Name  string // unique within the area
	Doc   string // one line: what it checks
	Needs []Need
	// Body drives the platform through x; a broken rule stops it (see X).
	Body func(x *X)
}

// ID is "area/name", the name used on output lines and by -run.
func (s Scenario) ID() string { return s.Area + "/" + s.Name }

var registry []Scenario

// register adds scenarios to the suite (called from the scenarios_*.go files).
func register(ss ...Scenario) {
	registry = append(registry, ss...)
}

// areaOrder is the order areas are run and listed in.
var areaOrder = []string{"oauth", "identity", "prefill", "otp", "instantlink", "mobileauth", "order", "errors", "input",
	"unify", "verify", "verifypossession", "idmanager", "provex", "products", "webhooks"}

// Scenarios is the whole suite, in run order: by area, then in the order
// each file registers them.
func Scenarios() []Scenario {
	out := append([]Scenario(nil), registry...)
	rank := func(a string) int {
		for i, x := range areaOrder {
			if x == a {
				return i
			}
		}
		return len(areaOrder)
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Area) < rank(out[j].Area) })
	return out
}

// Select returns the scenarios whose ID matches re (all when re is nil).
func Select(all []Scenario, re *regexp.Regexp) []Scenario {
	if re == nil {
		return all
	}
	var out []Scenario
	for _, s := range all {
		if re.MatchString(s.ID()) {
			out = append(out, s)
		}
	}
	return out
}

// Verdicts of a scenario.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
	VerdictSkip = "skip"
)

// Result is the outcome of one scenario.
type Result struct {
	Name       string      `json:"name"`
	Area       string      `json:"area"`
	Verdict    string      `json:"verdict"`
	DurationMs float64     `json:"durationMs"`
	Skipped    string      `json:"skipped,omitempty"` // why, for a skip
	Violations []Violation `json:"violations"`
	// Shapes are the responses seen, per "METHOD /path status": each JSON
	// field path with its type ("next.v3-validate": "string").
	Shapes map[string]map[string]string `json:"shapes"`
}

// ID is "area/name".
func (r Result) ID() string { return r.Area + "/" + r.Name }

// Line is the one output line of the result.
func (r Result) Line() string {
	switch r.Verdict {
	case VerdictPass:
		return "PASS " + r.ID()
	case VerdictSkip:
		return "SKIP " + r.ID() + ": " + r.Skipped
	}
	msg := "failed"
	if len(r.Violations) > 0 {
		msg = r.Violations[0].String()
		if n := len(r.Violations) - 1; n > 0 {
			msg += fmt.Sprintf(" (+%d more)", n)
		}
	}
	return "FAIL " + r.ID() + ": " + msg
}

// VerifyReport is a whole verify run.
type VerifyReport struct {
	Target     string      `json:"target"`
	StartedAt  time.Time   `json:"startedAt"`
	DurationMs float64     `json:"durationMs"`
	Passed     int         `json:"passed"`
	Failed     int         `json:"failed"`
	Skipped    int         `json:"skipped"`
	Results    []Result    `json:"results"`
	Violations []Violation `json:"violations"` // every violation of every scenario
}

// Summary is exactly "N passed, M failed, K skipped".
func (r *VerifyReport) Summary() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", r.Passed, r.Failed, r.Skipped)
}

func (r *VerifyReport) add(res Result) {
	switch res.Verdict {
	case VerdictPass:
		r.Passed++
	case VerdictFail:
		r.Failed++
	default:
		r.Skipped++
	}
	r.Results = append(r.Results, res)
	r.Violations = append(r.Violations, res.Violations...)
}

// missing lists the needs the target does not offer.
func missing(needs []Need, has map[Need]bool) []string {
	var out []string
	for _, n := range needs {
		if !has[n] {
			out = append(out, string(n))
		}
	}
	return out
}

func skipReason(miss []string) string {
	return "needs " + strings.Join(miss, ", ")
}

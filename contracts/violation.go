package contracts

import (
	"fmt"
	"strings"
)

// Side says who broke a rule: the integration that calls Prove (the
// client) or the service that answers it (the platform).
type Side string

// The two sides of a conversation.
const (
	SideClient   Side = "client"
	SidePlatform Side = "platform"
)

// Violation is one broken rule. Every report of the kit (verify, proxy,
// recorder) uses this one form: one line of text, one JSON object.
type Violation struct {
	Side          Side   `json:"side"`
	Operation     string `json:"operation"` // "POST /v3/complete"
	Where         string `json:"where"`     // "request body individual.dob", "response header Retry-After", "status"
	Rule          string `json:"rule"`      // "schema.pattern", "flow.next", "token.reuse", ...
	Expected      string `json:"expected"`
	Got           string `json:"got"`
	CorrelationID string `json:"correlationId,omitempty"`
}

// String is the one-line form:
// "client POST /v3/complete request body individual.dob [schema.pattern]: expected YYYY-MM-DD, got \"1995/07/26\" (correlationId 3f…)".
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s [%s]: expected %s, got %s", v.Side, v.Operation, v.Where, v.Rule, oneLine(v.Expected), oneLine(v.Got))
	if v.CorrelationID != "" {
		fmt.Fprintf(&b, " (correlationId %s)", v.CorrelationID)
	}
	return b.String()
}

// oneLine folds white space so that a violation never spans lines, and
// keeps it short.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	if s == "" {
		return "nothing"
	}
	return s
}

package mockprove

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// Step names as they appear as keys of Prove's "next" map.
const (
	stepValidate  = "v3-validate"
	stepChallenge = "v3-challenge"
	stepComplete  = "v3-complete"
	stepDone      = "done"
)

var stepPaths = map[string]string{
	stepValidate:  "/v3/validate",
	stepChallenge: "/v3/challenge",
	stepComplete:  "/v3/complete",
	stepDone:      "done",
}

// Flow states.
const (
	StateStarted    = "started"
	StateValidated  = "validated"
	StateChallenged = "challenged"
	StateCompleted  = "completed"
	StateFailed     = "failed"
)

// flow is one Prove flow, from /v3/start to done, keyed by correlationId.
// All fields are guarded by Server.mu.
type flow struct {
	ID        string // correlationId
	AuthID    string // auth.id in the authToken
	ClientID  string
	Product   string
	Phone     string // normalized phone of the persona
	Persona   *Persona
	FlowType  string
	Start     startRequest
	CreatedAt time.Time
	ExpiresAt time.Time
	State     string
	Next      map[string]string
	Steps     []StepRecord

	// PossessionPassed: the client SDK possession check passed.
	PossessionPassed bool
	Possession       PossessionState

	// Challenge values (from /v3/start, overwritten by /v3/challenge).
	DOB string
	SSN string
}

// StepRecord is one API call made in a flow.
type StepRecord struct {
	Step    string    `json:"step"`
	At      time.Time `json:"at"`
	Status  int       `json:"status"`
	Success *bool     `json:"success,omitempty"`
	Rule    string    `json:"rule,omitempty"`
}

func nextMap(steps ...string) map[string]string {
	m := make(map[string]string, len(steps))
	for _, st := range steps {
		m[st] = stepPaths[st]
	}
	return m
}

func (f *flow) allowedSteps() string {
	keys := make([]string, 0, len(f.Next))
	for k := range f.Next {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// lookupFlowLocked finds the flow a client may continue and checks that step
// is allowed by its current next map. The caller holds s.mu.
func (s *Server) lookupFlowLocked(c *call, correlationID, step string) (*flow, error) {
	f := s.flows[correlationID]
	if f == nil || f.ClientID != c.client.ID {
		c.rule = "flow.unknown"
		return nil, errInvalidCorrelation("invalid correlation ID: %s is not a flow of this client", correlationID)
	}
	c.correlationID = f.ID
	c.persona = f.Phone
	if !s.clock.Now().Before(f.ExpiresAt) {
		c.rule = "flow.expired"
		return nil, errInvalidCorrelation("invalid correlation ID: the flow expired at %s (15 minutes after start)", f.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if _, ok := f.Next[step]; !ok {
		c.rule = "flow.order"
		if _, done := f.Next[stepDone]; done {
			return nil, errOutOfOrder("step not allowed: the flow is finished (state %s); start a new flow", f.State)
		}
		return nil, errOutOfOrder("step not allowed: %s is not in next; allowed: %s", step, f.allowedSteps())
	}
	return f, nil
}

// record notes a step in the flow's history. The caller holds s.mu.
func (s *Server) recordLocked(f *flow, c *call, success *bool) {
	f.Steps = append(f.Steps, StepRecord{Step: c.step, At: s.clock.Now(), Status: http.StatusOK, Success: success, Rule: c.rule})
}

// finish moves the flow to a terminal state.
func (f *flow) finish(state string) {
	f.State = state
	f.Next = nextMap(stepDone)
}

// personaErrorLocked returns the persona's configured error for this step, if any.
func personaError(p *Persona, c *call) error {
	if p == nil {
		return nil
	}
	for _, e := range p.Errors {
		if e.Step == c.step {
			c.rule = "persona.errors"
			msg := e.Message
			if msg == "" {
				msg = defaultMessage(e.Code)
			}
			return &Error{Status: e.Status, Code: e.Code, Message: msg, RetryAfter: retryAfter(e)}
		}
	}
	return nil
}

func retryAfter(e StepError) int {
	if e.RetryAfter > 0 {
		return e.RetryAfter
	}
	if e.Status == http.StatusTooManyRequests {
		return 1
	}
	return 0
}

func defaultMessage(code int) string {
	for _, ec := range ErrorCodes {
		if ec.Code == code {
			return strings.ToLower(ec.Name)
		}
	}
	return "error"
}

// sweepLocked forgets flows long past their expiry so that a load test does
// not grow memory without bound. The caller holds s.mu.
func (s *Server) sweepLocked() {
	s.startedAt++
	if s.startedAt < 1024 {
		return
	}
	s.startedAt = 0
	cutoff := s.clock.Now().Add(-time.Hour)
	for id, f := range s.flows {
		if f.ExpiresAt.Before(cutoff) {
			delete(s.flows, id)
			delete(s.authIDs, f.AuthID)
		}
	}
	for token, f := range s.links {
		if s.flows[f.ID] != f {
			delete(s.links, token)
		}
	}
}

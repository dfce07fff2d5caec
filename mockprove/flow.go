package mockprove

import (
	"net/http"
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

// next steps of a flow, as a bit set.
const (
	nextValidate uint8 = 1 << iota
	nextChallenge
	nextComplete
	nextDone
)

var stepBits = map[string]uint8{stepValidate: nextValidate, stepChallenge: nextChallenge, stepComplete: nextComplete, stepDone: nextDone}

// nextMaps are the "next" maps of every bit set, built once; responses
// share them (they are only marshalled), summaries copy them.
var nextMaps = func() (m [16]map[string]string) {
	paths := []struct {
		bit       uint8
		key, path string
	}{{nextValidate, stepValidate, "/v3/validate"}, {nextChallenge, stepChallenge, "/v3/challenge"},
		{nextComplete, stepComplete, "/v3/complete"}, {nextDone, stepDone, "done"}}
	for i := range m {
		m[i] = map[string]string{}
		for _, p := range paths {
			if uint8(i)&p.bit != 0 {
				m[i][p.key] = p.path
			}
		}
	}
	return m
}()

// Flow states.
const (
	StateStarted    = "started"
	StateValidated  = "validated"
	StateChallenged = "challenged"
	StateCompleted  = "completed"
	StateFailed     = "failed"
)

const (
	stateStarted uint8 = iota
	stateValidated
	stateChallenged
	stateCompleted // this and the next are terminal
	stateFailed
)

var stateNames = [...]string{StateStarted, StateValidated, StateChallenged, StateCompleted, StateFailed}

// flow is one Prove flow, from /v3/start to done, keyed by correlationId.
// This part is all a tombstone keeps; d holds the rest while the flow is
// open or recently finished. Guarded by the lock of the flow's shard.
type flow struct {
	key      flowKey // correlationId
	seq      uint64  // creation order
	created  time.Time
	persona  *Persona // an immutable snapshot (the flow's phone is its phone)
	client   *Client
	flowType string
	state    uint8
	next     uint8
	kind     uint8 // flowKindStart or flowKindVerify
	passed   bool  // the client SDK possession check passed
	d        *flowDetail
	u        *unifySession // a Unify session (unify.go); nil for /v3/start flows
}

// Kinds of flow: what opened it.
const (
	flowKindStart  uint8 = iota // /v3/start (Pre-Fill, Prove Identity)
	flowKindVerify              // a possession-era /v3/verify (verifypossession.go)
)

// product is the product the flow belongs to: the client's flow product,
// Verify for a possession-era /v3/verify, Unify for a Unify session.
func (f *flow) product() string {
	if f.kind == flowKindVerify {
		return ProductVerify
	}
	if f.u != nil {
		return ProductUnify
	}
	return f.client.Product
}

// flowDetail is the part of a flow that a finished flow lets go.
type flowDetail struct {
	authKey        flowKey
	finalTargetURL string
	smsMessage     string
	allowOTPRetry  bool
	dob, ssn       string // challenge values (from /v3/start, overwritten by /v3/challenge)
	steps          []StepRecord
	poss           PossessionState
	links          []linkKey      // Instant Link tokens sent, newest last
	sms            int            // SMS sent
	verify         *verifySession // a possession-era /v3/verify: what it verifies, its result
}

func (f *flow) expiresAt() time.Time { return f.created.Add(FlowTTL) }
func (f *flow) forgetAt() time.Time  { return f.created.Add(FlowTTL + flowForgetAfter) }
func (f *flow) phone() string        { return normalizePhone(f.persona.Phone) }
func (f *flow) stateName() string    { return stateNames[f.state] }

func (f *flow) nextMap() map[string]string {
	return nextMaps[f.next&15]
}

// StepRecord is one API call made in a flow.
type StepRecord struct {
	Step    string    `json:"step"`
	At      time.Time `json:"at"`
	Status  int       `json:"status"`
	Success *bool     `json:"success,omitempty"`
	Rule    string    `json:"rule,omitempty"`
}

func (f *flow) allowedSteps() string {
	var keys []string
	for _, k := range []string{stepChallenge, stepComplete, stepDone, stepValidate} { // sorted
		if f.next&stepBits[k] != 0 {
			keys = append(keys, k)
		}
	}
	return strings.Join(keys, ", ")
}

// flowStep runs fn on the flow a client continues with step, under its
// shard's lock, after the checks every step makes: the flow is the
// client's, it has not expired, and step is in its next map.
func (s *Server) flowStep(c *call, correlationID, step string, fn func(f *flow, done func(state uint8)) (any, error)) (any, error) {
	var (
		out any
		err error
	)
	s.st.update(correlationID, func(f *flow, sh *shard, pos uint64) {
		if f == nil || f.client.ID != c.client.ID {
			c.rule = "flow.unknown"
			err = errInvalidCorrelation("invalid correlation ID: %s is not a flow of this client", correlationID)
			return
		}
		c.correlationID = correlationID
		c.persona = f.phone()
		if f.kind == flowKindVerify {
			c.rule = "flow.kind"
			err = errOutOfOrder("step not allowed: %s is a possession-era /v3/verify session; read its result with /v3/verify-status", correlationID)
			return
		}
		if !s.clock.Now().Before(f.expiresAt()) {
			c.rule = "flow.expired"
			err = errInvalidCorrelation("invalid correlation ID: the flow expired at %s (15 minutes after start)", f.expiresAt().UTC().Format(time.RFC3339))
			return
		}
		if f.u != nil {
			c.rule = "flow.order"
			err = errOutOfOrder("step not allowed: %s is a Unify session; read its outcome with /v3/unify-status", correlationID)
			return
		}
		if f.next&stepBits[step] == 0 {
			c.rule = "flow.order"
			if f.next&nextDone != 0 {
				err = errOutOfOrder("step not allowed: the flow is finished (state %s); start a new flow", f.stateName())
				return
			}
			err = errOutOfOrder("step not allowed: %s is not in next; allowed: %s", step, f.allowedSteps())
			return
		}
		out, err = fn(f, func(state uint8) {
			f.state, f.next = state, nextDone
			sh.finishedLocked(pos)
		})
	})
	return out, err
}

// recordLocked notes a step in the flow's history (the newest maxStepsKept).
func (s *Server) recordLocked(f *flow, c *call, success *bool) {
	if f.d == nil {
		return
	}
	f.d.steps = keepNewest(f.d.steps, maxStepsKept)
	f.d.steps = append(f.d.steps, StepRecord{Step: c.step, At: s.clock.Now(), Status: http.StatusOK, Success: success, Rule: c.rule})
}

// keepNewest makes room for one more element in a list bounded to n.
func keepNewest[T any](list []T, n int) []T {
	if len(list) < n {
		return list
	}
	copy(list, list[len(list)-n+1:])
	clear(list[n-1:])
	return list[:n-1]
}

// personaError returns the persona's configured error for this step, if any.
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

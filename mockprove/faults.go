package mockprove

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Fault kinds.
const (
	FaultStatus    = "status"    // answer with an HTTP status and Prove's error body
	FaultDrop      = "drop"      // send the start of an answer's head, then close: every client sees a failure
	FaultReset     = "reset"     // close the connection (TCP reset) before any byte: clients may send the request again
	FaultMalformed = "malformed" // answer 200 with a body that is not valid JSON
	FaultWSClose   = "ws-close"  // close the status WebSocket right after it opens
	FaultDelay     = "delay"     // only add latency, then answer normally
	// FaultInstantLinkRetry: instantlink/start sends the SMS as usual but
	// answers {} (neither data nor next), so the web SDK calls the app's
	// Instant Link retry step.
	FaultInstantLinkRetry = "instantlink-retry"
)

// FaultSpec describes a fault to inject. Only Step is required.
type FaultSpec struct {
	// Step is the path the fault applies to: /token, /v3/start, ...,
	// /v1/client/mobile/otp/start, /v1/client/status, /v1/link; or
	// "webhook": each attempt of an outgoing webhook delivery, the fault
	// playing the receiver (kinds status, drop, reset, delay).
	Step string `json:"step"`
	// Kind: status (default), drop, reset, malformed, ws-close, delay or
	// instantlink-retry (instantlink/start answers {}: the SDK calls the
	// app's retry step).
	// drop sends "HTTP/1.1 500 Internal Server Error\r\n" and closes: the
	// client has part of an answer and reports the failure. reset closes
	// before any byte: a browser (and Go for a replayable request) sends
	// the request again on a fresh connection when the closed one was
	// reused, so the fault goes unseen; use it for clients that should retry.
	Kind string `json:"kind,omitempty"`
	// Status is the HTTP status for kind status (default 500).
	Status int `json:"status,omitempty"`
	// Code is Prove's error code (default from the status: 500→8000,
	// 400→8001, 401→8002, 403→8003, 429→8000).
	Code int `json:"code,omitempty"`
	// Message overrides the error message.
	Message string `json:"message,omitempty"`
	// Persona limits the fault to one persona (phone number).
	Persona string `json:"persona,omitempty"`
	// Client limits the fault to one OAuth client id.
	Client string `json:"client,omitempty"`
	// Delay is latency (a Go duration, "800ms") added before the fault, or
	// before the normal answer for kind delay. It is real time.
	Delay string `json:"delay,omitempty"`
	// Count is how many requests the fault hits; 0 (or none) = until
	// cleared, over HTTP as in Go, like a stub that stays until removed.
	Count int `json:"count"`
}

// Fault is an armed fault.
type Fault struct {
	FaultSpec
	ID string `json:"id"`
	// Remaining is how many requests it will still hit; absent when it
	// stays until cleared.
	Remaining int `json:"remaining,omitempty"`
	Hits      int `json:"hits"`

	delay time.Duration
}

var defaultCodes = map[int]int{
	http.StatusBadRequest:          CodeMalformed,
	http.StatusUnauthorized:        CodeUnauthorized,
	http.StatusForbidden:           CodeOutOfOrder,
	http.StatusNotFound:            CodeMalformed,
	http.StatusTooManyRequests:     CodeInternal,
	http.StatusInternalServerError: CodeInternal,
}

// faultSteps are the steps a fault may name.
var faultSteps = map[string]bool{
	"/token": true, "/v3/start": true, "/v3/validate": true, "/v3/challenge": true, "/v3/complete": true,
	"/v1/client/mobile/otp/start": true, "/v1/client/mobile/otp/finish": true, "/v1/client/mobile/otp/error": true,
	"/v1/client/mobile/instantlink/start": true, "/v1/client/mobile/instantlink/error": true,
	"/v1/client/mobile/instant/start": true, "/v1/client/mobile/instant/finish": true, "/v1/client/mobile/instant/error": true,
	"/v1/client/status": true, "/v1/link": true,
	"/v3/verify": true, "/v3/verify/batch": true, "/v3/verify-status": true, "/v3/discover": true, "/v3/fetch": true,
	"/v3/identity": true, "/v3/identity/batch": true, "GET /v3/identity": true, "GET /v3/identity/{proveId}": true,
	"DELETE /v3/identity/{proveId}": true, "/v3/identity/{proveId}/activate": true, "/v3/identity/{proveId}/deactivate": true,
	"/v3/identity/{mobileNumber}/lookup": true, StepWebhook: true,
	// Unify and the Prove Key.
	"/v3/unify": true, "/v3/unify-status": true, "/v3/unify-bind": true, "/v3/device/revoke": true,
	"/v1/client/device/passive/register": true, "/v1/client/device/passive/verify": true,
	"/v1/client/device/passive/error": true, "/v1/client/challenge": true, "/v1/client/device/unregister": true,
}

// StepWebhook is the step of outgoing webhook delivery attempts (in faults
// and the journal): a fault on it acts as the receiver (webhooks.go).
const StepWebhook = "webhook"

// AddFault arms a fault. Bad specs are refused with the field named.
func (s *Server) AddFault(spec FaultSpec) (Fault, error) {
	f := Fault{FaultSpec: spec}
	if !faultSteps[spec.Step] {
		if spec.Step == "" {
			return f, errFieldMissing("step")
		}
		return f, errMalformed("field 'step' must be an emulated endpoint such as /v3/start or /v1/client/mobile/otp/finish, not %q", spec.Step)
	}
	if f.Kind == "" {
		f.Kind = FaultStatus
	}
	switch f.Kind {
	case FaultStatus, FaultDrop, FaultReset, FaultDelay:
	case FaultMalformed:
		if spec.Step == StepWebhook {
			return f, errMalformed("field 'kind' malformed does not apply to step webhook (mockprove ignores the receiver's body): use status, drop, reset or delay")
		}
	case FaultWSClose:
		if spec.Step != "/v1/client/status" {
			return f, errMalformed("field 'kind' ws-close only applies to step /v1/client/status")
		}
	case FaultInstantLinkRetry:
		if spec.Step != "/v1/client/mobile/instantlink/start" {
			return f, errMalformed("field 'kind' instantlink-retry only applies to step /v1/client/mobile/instantlink/start")
		}
	default:
		return f, errMalformed("field 'kind' must be one of: status, drop, reset, malformed, ws-close, delay, instantlink-retry")
	}
	if spec.Step == StepWebhook && (f.Code != 0 || f.Message != "") {
		return f, errMalformed("fields 'code' and 'message' do not apply to step webhook: the receiver's answer has no Prove body (give 'status')")
	}
	if f.Kind == FaultStatus { // only a status fault answers with a status and a code
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
		if f.Code == 0 {
			f.Code = defaultCodes[f.Status]
			if f.Code == 0 {
				f.Code = CodeInternal
			}
		}
	} else if f.Status != 0 || f.Code != 0 || f.Message != "" {
		return f, errMalformed("fields 'status', 'code' and 'message' only apply to kind status, not %s", f.Kind)
	}
	if f.Kind == FaultStatus && (f.Status < 400 || f.Status > 599) {
		return f, errMalformed("field 'status' must be between 400 and 599")
	}
	if f.Kind == FaultStatus && (f.Code < 1000 || f.Code > 99999) {
		return f, errMalformed("field 'code' must be a Prove error code such as 8000 (1000 to 99999)")
	}
	if f.Count < 0 {
		return f, errMalformed("field 'count' must not be negative")
	}
	if spec.Delay != "" {
		d, err := time.ParseDuration(spec.Delay)
		if err != nil || d < 0 {
			return f, errMalformed("field 'delay' must be a Go duration such as 800ms")
		}
		if d > 5*time.Minute {
			return f, errMalformed("field 'delay' must be at most 5m")
		}
		f.delay = d
	}
	if f.Kind == FaultDelay && f.delay == 0 {
		return f, errMalformed("field 'delay' is missing: kind delay needs it")
	}
	f.Persona = normalizePhone(f.Persona)
	f.Remaining = f.Count
	if _, ok := s.clients[f.Client]; f.Client != "" && !ok {
		return f, errMalformed("field 'client' names no configured client: %q", f.Client)
	}
	if f.Persona != "" && s.st.personas.get(f.Persona) == nil {
		return f, errMalformed("field 'persona' names no persona: %q", spec.Persona)
	}
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.seq++
	f.ID = "f" + strconv.Itoa(fs.seq)
	fs.list = append(fs.list, &f)
	fs.armed.Store(int32(len(fs.list)))
	return f, nil
}

// Faults lists the armed faults.
func (s *Server) Faults() []Fault {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.list))
	for _, f := range fs.list {
		out = append(out, *f)
	}
	return out
}

// ClearFaults disarms every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// RemoveFault disarms one fault; it reports whether it existed.
func (s *Server) RemoveFault(id string) bool {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.list {
		if f.ID == id {
			fs.list = append(fs.list[:i], fs.list[i+1:]...)
			fs.armed.Store(int32(len(fs.list)))
			return true
		}
	}
	return false
}

// FailNext makes the next request to step answer status with Prove's error
// body (a one-shot FaultSpec of kind status).
func (s *Server) FailNext(step string, status int) error {
	_, err := s.AddFault(FaultSpec{Step: step, Status: status, Count: 1})
	return err
}

// takeFault returns the first armed fault for this call, counting the hit.
func (s *Server) takeFault(c *call) *Fault {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.list {
		if f.Step != c.step || (f.Persona != "" && f.Persona != c.persona) || (f.Client != "" && f.Client != c.client.ID) {
			continue
		}
		f.Hits++
		hit := *f
		if f.Count > 0 {
			f.Remaining--
			if f.Remaining <= 0 {
				fs.list = append(fs.list[:i], fs.list[i+1:]...)
				fs.armed.Store(int32(len(fs.list)))
			}
		}
		return &hit
	}
	return nil
}

// faultsArmed is the hot path's check: one atomic load, no lock.
func (s *Server) faultsArmed() bool { return s.faults.armed.Load() > 0 }

// faultTable holds the armed faults under its own lock; armed mirrors
// len(list) for the lock-free check on every request.
type faultTable struct {
	mu    sync.Mutex
	seq   int
	list  []*Fault
	armed atomic.Int32
}

// clear disarms every fault; reset also restarts the ids.
func (fs *faultTable) clear() {
	fs.mu.Lock()
	fs.list = nil
	fs.armed.Store(0)
	fs.mu.Unlock()
}

func (fs *faultTable) reset() {
	fs.mu.Lock()
	fs.list, fs.seq = nil, 0
	fs.armed.Store(0)
	fs.mu.Unlock()
}

func (f *Fault) err() *Error {
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("%s (injected fault %s)", defaultMessage(f.Code), f.ID)
	}
	e := &Error{Status: f.Status, Code: f.Code, Message: msg}
	if f.Status == http.StatusTooManyRequests {
		e.RetryAfter = 1
	}
	return e
}

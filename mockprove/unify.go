package mockprove

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

// Unified Authentication (prove-unify-verify.md §2, §3): /v3/unify opens a
// possession session (a flow with a unifySession), the web SDK runs the
// Prove Key steps (devicekeys.go) and, when the key does not pass, Mobile
// Auth, OTP or Instant Link as for /v3/start; /v3/unify-status reads the
// outcome, /v3/unify-bind binds the key after the customer's own check,
// /v3/device/revoke deactivates a key.

// Possession types of /v3/unify.
const (
	PossessionMobile  = "mobile"
	PossessionDesktop = "desktop"
	PossessionNone    = "none"
)

// Unify success values: strings, not booleans.
const (
	unifyPending            = "pending"
	unifyTrue               = "true"
	unifyFalse              = "false"
	unifyPossessionRequired = "possession_required"
)

func (s *Server) registerUnify(r *mux.Router) {
	for path, h := range map[string]handlerFunc{
		"/v3/unify":         s.unify,
		"/v3/unify-status":  s.unifyStatus,
		"/v3/unify-bind":    s.unifyBind,
		"/v3/device/revoke": s.deviceRevoke,
	} {
		r.Handle(path, s.serve(endpoint{step: path, auth: authAccess, validate: s.prove, h: h})).Methods(http.MethodPost)
	}
}

// unifySession is what a Unify flow holds beyond a /v3/start flow. It
// stays with the flow's tombstone, so that unify-status repeats its answer
// until the session is forgotten. Guarded by the lock of the flow's shard.
type unifySession struct {
	possessionType   string
	challenge        string // auth.chlg: what the SDK signs
	clientRequestID  string
	clientCustomerID string
	clientHumanID    string
	rebind           bool
	deviceID         string // the Prove Key this session registered or verified
	registered       string // the key this session registered (one at a time: a new one replaces it)
	keyPassed        bool   // recognised by its Prove Key alone
	sdkDone          bool   // possessionType none: the SDK finished its key steps
	result           string // the final answer: "", "true", "false" or "possession_required"
	bound            bool   // unify-bind was called
}

// unifyRequest is V3UnifyRequest.
type unifyRequest struct {
	PossessionType    string `json:"possessionType"`
	ClientRequestID   string `json:"clientRequestId"`
	PhoneNumber       string `json:"phoneNumber,omitempty"`
	FinalTargetURL    string `json:"finalTargetUrl,omitempty"`
	SMSMessage        string `json:"smsMessage,omitempty"`
	AllowOTPRetry     bool   `json:"allowOTPRetry,omitempty"`
	CheckReputation   bool   `json:"checkReputation,omitempty"`
	ProveID           string `json:"proveId,omitempty"`
	DeviceID          string `json:"deviceId,omitempty"`
	Rebind            bool   `json:"rebind,omitempty"`
	ClientCustomerID  string `json:"clientCustomerId,omitempty"`
	ClientHumanID     string `json:"clientHumanId,omitempty"`
	EmailAddress      string `json:"emailAddress,omitempty"`
	IPAddress         string `json:"ipAddress,omitempty"`
	MobileAuthEnabled bool   `json:"mobileAuthEnabled,omitempty"`
}

// unifyResponse is V3UnifyResponse.
type unifyResponse struct {
	CorrelationID string `json:"correlationId"`
	Success       string `json:"success"`
	AuthToken     string `json:"authToken,omitempty"`
}

// unify is POST /v3/unify: it picks the persona by phone number (or
// proveId), opens the session and mints the authToken. Its first SDK step
// is the Prove Key (device/passive) on mobile and none, Instant Link on
// desktop.
func (s *Server) unify(c *call) (any, error) {
	if err := requireProduct(c, ProductUnify, "POST /v3/unify"); err != nil {
		return nil, err
	}
	var req unifyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.PossessionType == PossessionDesktop && req.FinalTargetURL == "" {
		c.rule = "unify.finalTargetUrl"
		return nil, errMalformed("field 'finalTargetUrl' is required when possessionType is desktop")
	}
	p, err := s.unifyPersona(c, req)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var ids [3]flowKey // correlationId, auth id, challenge
	s.st.ids.keys(ids[:])
	f := flow{
		key:      ids[0],
		created:  now,
		persona:  p,
		client:   s.clients[c.client.ID],
		flowType: req.PossessionType,
		state:    stateStarted,
		d: &flowDetail{
			authKey:        ids[1],
			finalTargetURL: req.FinalTargetURL,
			smsMessage:     req.SMSMessage,
			allowOTPRetry:  req.AllowOTPRetry,
		},
		u: &unifySession{
			possessionType: req.PossessionType, challenge: ids[2].String(), clientRequestID: req.ClientRequestID,
			clientCustomerID: req.ClientCustomerID, clientHumanID: req.ClientHumanID, rebind: req.Rebind,
		},
	}
	f.d.poss = PossessionState{Method: possessionMethod(&f), wrongLeft: p.Possession.OTP.WrongAttempts,
		retryLeft: p.Possession.InstantLink.Retry}
	id := f.key.String()
	c.correlationID = id
	c.rule = "unify." + req.PossessionType
	if p.ShortTerm {
		// Prove's short-term users pass possession with no client SDK and get no key.
		c.rule = "persona.shortTerm"
		s.passLocked(&f, "short-term") // f is not shared yet
	}
	s.recordLocked(&f, c, nil)
	claims := s.authClaims(&f, id, f.u.challenge, req.PhoneNumber != "", s.publicOrigin(c.r))
	if req.PossessionType != PossessionDesktop {
		claims.Auth.Next = "device/passive"
		dev := &authDev{}
		dev.Auths.Pasv.UVLevel = "none"
		claims.Auth.Subs.Dev = dev
	}
	s.st.insert(f, now)
	token, err := s.auth.mintJSON(claims.appendJSON(make([]byte, 0, 640)))
	if err != nil {
		return nil, err
	}
	return unifyResponse{CorrelationID: id, Success: unifyPending, AuthToken: token}, nil
}

// unifyPersona finds the session's persona by phone number, else by proveId.
func (s *Server) unifyPersona(c *call, req unifyRequest) (*Persona, error) {
	if req.PhoneNumber != "" {
		return s.suiteUser(c, req.PhoneNumber, ProductUnify)
	}
	if req.ProveID == "" {
		c.rule = "unify.phoneNumber"
		return nil, errMalformed("field 'phoneNumber' is missing: send it or the proveId of an earlier success (mockprove does not emulate Mobile Auth number discovery)")
	}
	p := s.personaByProveID(req.ProveID)
	if p == nil {
		c.rule = "persona.unknown"
		return nil, newError(http.StatusBadRequest, CodeUserNotFound, "no test user found matching the proveId %s", req.ProveID)
	}
	return s.suiteUser(c, p.Phone, ProductUnify)
}

// unifyPassedLocked runs when a Unify session's possession check passes:
// the session's Prove Key is bound to its number (a Prove Key or Mobile
// Auth or OTP pass on mobile; never on desktop).
func (s *Server) unifyPassedLocked(f *flow) {
	u := f.u
	if u.deviceID == "" || u.possessionType == PossessionDesktop {
		return
	}
	if !s.st.keys.bind(u.deviceID, f.phone(), f.persona.proveID(), u.clientCustomerID, u.clientHumanID, s.clock.Now()) {
		u.deviceID = "" // revoked meanwhile
	}
}

// unifyStatusRequest is V3UnifyStatusRequest.
type unifyStatusRequest struct {
	CorrelationID   string `json:"correlationId"`
	ClientRequestID string `json:"clientRequestId,omitempty"`
	PhoneNumber     string `json:"phoneNumber,omitempty"` // older SDKs; ignored
}

// unifyStatusResponse is V3UnifyStatusResponse (and V3UnifyBindResponse).
type unifyStatusResponse struct {
	Success         string                        `json:"success"`
	ProveID         string                        `json:"proveId,omitempty"`
	DeviceID        string                        `json:"deviceId,omitempty"`
	ClientHumanID   string                        `json:"clientHumanId,omitempty"`
	ClientRequestID string                        `json:"clientRequestId,omitempty"`
	PhoneNumber     string                        `json:"phoneNumber,omitempty"`
	Evaluation      map[string]evaluationCategory `json:"evaluation,omitempty"`
}

// unifyStatus is POST /v3/unify-status.
func (s *Server) unifyStatus(c *call) (any, error) {
	if err := requireProduct(c, ProductUnify, "POST /v3/unify-status"); err != nil {
		return nil, err
	}
	var req unifyStatusRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	return s.unifyStep(c, req.CorrelationID, func(f *flow, finish func(state uint8)) (any, error) {
		u := f.u
		now := s.clock.Now()
		switch {
		case u.result != "":
			c.rule = "unify.status.repeat"
		case f.passed:
			c.rule = "unify.status.passed"
			if u.keyPassed {
				c.rule = "unify.status.prove-key"
			}
			u.result = unifyTrue
			finish(stateCompleted)
		case f.d != nil && f.d.poss.Failed:
			c.rule = "unify.status.failed"
			u.result = unifyFalse
			finish(stateFailed)
		case u.possessionType == PossessionNone && u.sdkDone:
			c.rule = "unify.status.possession-required"
			u.result = unifyPossessionRequired
		case !now.Before(f.expiresAt()):
			c.rule = "unify.status.expired"
			u.result = unifyFalse
			finish(stateFailed)
		default:
			c.rule = "unify.status.pending"
		}
		return s.unifyAnswer(f, req.ClientRequestID), nil
	})
}

// unifyBindRequest is V3UnifyBindRequest.
type unifyBindRequest struct {
	CorrelationID   string `json:"correlationId"`
	PhoneNumber     string `json:"phoneNumber"`
	ClientRequestID string `json:"clientRequestId,omitempty"`
}

// unifyBind is POST /v3/unify-bind: only after unify-status answered
// possession_required, and once.
func (s *Server) unifyBind(c *call) (any, error) {
	if err := requireProduct(c, ProductUnify, "POST /v3/unify-bind"); err != nil {
		return nil, err
	}
	var req unifyBindRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	return s.unifyStep(c, req.CorrelationID, func(f *flow, finish func(state uint8)) (any, error) {
		u := f.u
		if !s.clock.Now().Before(f.expiresAt()) {
			c.rule = "flow.expired"
			return nil, errInvalidCorrelation("invalid correlation ID: the session expired at %s (15 minutes after /v3/unify)", f.expiresAt().UTC().Format(time.RFC3339))
		}
		switch {
		case u.bound:
			c.rule = "unify.bind.order"
			return nil, errOutOfOrder("step not allowed: unify-bind was already called for this session (it answered %q)", u.result)
		case u.result != unifyPossessionRequired:
			c.rule = "unify.bind.order"
			now := u.result
			if now == "" {
				now = unifyPending
			}
			return nil, errOutOfOrder("step not allowed: unify-bind comes after unify-status answered possession_required (the session is %q)", now)
		}
		u.bound = true
		if normalizePhone(req.PhoneNumber) != f.phone() {
			c.rule = "unify.bind.phone-mismatch"
			u.result = unifyFalse
			finish(stateFailed)
			return s.unifyAnswer(f, req.ClientRequestID), nil
		}
		c.rule = "unify.bind"
		u.result = unifyTrue
		f.passed = true
		if f.d != nil {
			s.passLocked(f, "bound") // binds the session's key
		} else {
			s.unifyPassedLocked(f)
		}
		finish(stateCompleted)
		return s.unifyAnswer(f, req.ClientRequestID), nil
	})
}

// unifyStep runs fn on the client's Unify session under its shard's lock,
// and records the step in the session's history.
func (s *Server) unifyStep(c *call, correlationID string, fn func(f *flow, finish func(state uint8)) (any, error)) (any, error) {
	var (
		out any
		err error
	)
	s.st.update(correlationID, func(f *flow, sh *shard, pos uint64) {
		if f == nil || f.client.ID != c.client.ID || f.u == nil {
			c.rule = "flow.unknown"
			err = errInvalidCorrelation("invalid correlation ID: %s is not a Unify session of this client", correlationID)
			return
		}
		c.correlationID = correlationID
		c.persona = f.phone()
		finished := false
		out, err = fn(f, func(state uint8) {
			if finished || f.state >= stateCompleted {
				return
			}
			finished = true
			f.state, f.next = state, nextDone
			sh.finishedLocked(pos)
		})
		if err == nil {
			var ok *bool
			if r, isStatus := out.(unifyStatusResponse); isStatus && (r.Success == unifyTrue || r.Success == unifyFalse) {
				b := r.Success == unifyTrue
				ok = &b
			}
			s.recordLocked(f, c, ok)
		}
	})
	return out, err
}

// unifyAnswer is the session's status answer.
func (s *Server) unifyAnswer(f *flow, clientRequestID string) unifyStatusResponse {
	u := f.u
	if clientRequestID == "" {
		clientRequestID = u.clientRequestID
	}
	out := unifyStatusResponse{Success: u.result, ClientRequestID: clientRequestID, PhoneNumber: f.phone()}
	switch u.result {
	case "":
		out.Success = unifyPending
	case unifyTrue:
		out.ProveID = f.persona.proveID()
		out.ClientHumanID = u.clientHumanID
		if u.deviceID != "" && u.possessionType != PossessionDesktop {
			if k, ok := s.st.keys.get(u.deviceID, s.clock.Now()); ok && k.Bound {
				out.DeviceID = u.deviceID
			}
		}
		out.Evaluation = map[string]evaluationCategory{"authentication": {Result: "pass"}, "risk": {Result: "pass"}}
	case unifyFalse:
		out.Evaluation = map[string]evaluationCategory{"authentication": {Result: "fail"}, "risk": {Result: "pass"}}
	}
	return out
}

// deviceRevokeRequest is V3DeviceRevokeRequest.
type deviceRevokeRequest struct {
	ClientRequestID string `json:"clientRequestId"`
	DeviceID        string `json:"deviceId"`
}

// deviceRevoke is POST /v3/device/revoke: the key can no longer pass an
// auth flow. success is a boolean here.
func (s *Server) deviceRevoke(c *call) (any, error) {
	if err := requireProduct(c, ProductUnify, "POST /v3/device/revoke"); err != nil {
		return nil, err
	}
	var req deviceRevokeRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if !s.st.keys.revoke(c.client.ID, req.DeviceID, now) {
		c.rule = "device.unknown"
		return nil, errIdentityNotFound("Identity Not Found: device %s is not a Prove Key of client %s", req.DeviceID, c.client.ID)
	}
	if k, ok := s.st.keys.get(req.DeviceID, now); ok {
		c.persona = k.Phone
	}
	c.rule = "device.revoke"
	return map[string]bool{"success": true}, nil
}

// ProveKeys returns the Prove Keys registered with mockprove, oldest first
// (those of one client when client is not empty).
func (s *Server) ProveKeys(client string) []ProveKey {
	return s.st.keys.list(client, s.clock.Now())
}

// ProveKey returns one registered Prove Key by its deviceId.
func (s *Server) ProveKey(deviceID string) (ProveKey, bool) {
	return s.st.keys.get(deviceID, s.clock.Now())
}

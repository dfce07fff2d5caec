package mockprove

import (
	"encoding/json"
	"strings"
	"time"
)

// The possession-era Verify (prove-unify-verify.md §4.4): from 2024-12-05 to
// 2025-10-22 POST /v3/verify took a possessionType instead of a
// verificationType, answered "pending" with an authToken for the web SDK,
// and POST /v3/verify-status read the result. Prove's previous Node SDK
// (@prove-identity/prove-api 0.9.6) still speaks it. A session is a flow of
// kind flowKindVerify in the store: the device API, the persona's possession
// behaviour, faults, the journal and the virtual clock work on it as on a
// /v3/start flow; only /v3/verify-status reads it.

// Results of the possession-era Verify (strings on the wire).
const (
	resultPending       = "pending"
	resultSuccess       = "success"
	resultFailed        = "failed"
	resultNotApplicable = "not_applicable"
	possessionNone      = "none"
)

// reasonPossessionIncomplete is the evaluation's failure reason for a
// possession check that failed or ran out of time (prove-unify-verify.md §9).
const reasonPossessionIncomplete = "9100"

// verifyPossessionRequest is the possession-era V3VerifyRequest.
type verifyPossessionRequest struct {
	PossessionType   string `json:"possessionType"`
	PhoneNumber      string `json:"phoneNumber"`
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	FinalTargetURL   string `json:"finalTargetUrl,omitempty"`
	SMSMessage       string `json:"smsMessage,omitempty"`
	AllowOTPRetry    bool   `json:"allowOTPRetry,omitempty"`
	EmailAddress     string `json:"emailAddress,omitempty"`
	ClientCustomerID string `json:"clientCustomerId,omitempty"`
	ClientRequestID  string `json:"clientRequestId,omitempty"`
}

// verifyPossessionResponse is the possession-era V3VerifyResponse.
type verifyPossessionResponse struct {
	CorrelationID    string                        `json:"correlationId"`
	Success          string                        `json:"success"`
	PossessionResult string                        `json:"possessionResult"`
	VerifyResult     string                        `json:"verifyResult"`
	AuthToken        string                        `json:"authToken,omitempty"`
	Evaluation       map[string]evaluationCategory `json:"evaluation,omitempty"`
}

// verifyStatusResponse is V3VerifyStatusResponse.
type verifyStatusResponse struct {
	Success          string                        `json:"success"`
	PossessionResult string                        `json:"possessionResult"`
	VerifyResult     string                        `json:"verifyResult"`
	IdentityID       string                        `json:"identityId,omitempty"`
	Evaluation       map[string]evaluationCategory `json:"evaluation,omitempty"`
}

// verifySession is what a possession-era /v3/verify asked, and its result
// once final (the same answer for every later status read).
type verifySession struct {
	firstName, lastName string
	clientCustomerID    string
	clientRequestID     string
	result              *verifyStatusResponse
}

// Fields of one body of /v3/verify that the other does not have: a body
// that mixes them is refused (the spec's oneOf does it; the handler checks
// again, for the fields it reads).
var (
	possessionOnlyFields = []string{"finalTargetUrl", "smsMessage", "allowOTPRetry"}
	currentOnlyFields    = []string{"verificationType", "clientHumanId", "ipAddress", "userAgent", "proveId", "identityAttributes"}
)

// verifyBodyKind reads which body of /v3/verify c carries: the
// possession-era one when it has possessionType. A body that mixes the two
// is refused, naming the field.
func verifyBodyKind(c *call) (possession bool, err error) {
	var probe map[string]json.RawMessage
	if err := c.decode(&probe); err != nil {
		return false, err
	}
	_, possession = probe["possessionType"]
	mixed, other := currentOnlyFields, "the current body (verificationType)"
	if !possession {
		mixed, other = possessionOnlyFields, "the possession-era body (possessionType)"
	}
	for _, f := range mixed {
		if _, ok := probe[f]; ok {
			c.rule = "verify.body.mixed"
			if possession {
				return false, errMalformed("field '%s' is not allowed with possessionType: it belongs to %s; send one body or the other", f, other)
			}
			return false, errMalformed("field '%s' belongs to %s: send it with possessionType, or leave it out", f, other)
		}
	}
	return possession, nil
}

// verifyPossession is the possession-era POST /v3/verify.
func (s *Server) verifyPossession(c *call) (any, error) {
	var req verifyPossessionRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	switch req.PossessionType {
	case FlowTypeMobile, FlowTypeDesktop, possessionNone:
	default:
		c.rule = "verify.possessionType"
		return nil, errMalformed("field 'possessionType' must be one of: desktop, mobile, none")
	}
	for _, f := range []struct{ name, value string }{{"phoneNumber", req.PhoneNumber}, {"firstName", req.FirstName}, {"lastName", req.LastName}} {
		if strings.TrimSpace(f.value) == "" {
			c.rule = "verify.required"
			return nil, errFieldMissing(f.name)
		}
	}
	if req.PossessionType == FlowTypeDesktop && req.FinalTargetURL == "" {
		c.rule = "verify.finalTargetUrl"
		return nil, errMalformed("field 'finalTargetUrl' is required when possessionType is desktop")
	}
	p, err := s.suiteUser(c, req.PhoneNumber, ProductVerify)
	if err != nil {
		return nil, err
	}
	vs := &verifySession{firstName: req.FirstName, lastName: req.LastName,
		clientCustomerID: req.ClientCustomerID, clientRequestID: req.ClientRequestID}
	now := s.clock.Now()
	var ids [3]flowKey // correlationId, auth id, challenge
	s.st.ids.keys(ids[:])
	f := flow{
		key: ids[0], created: now, persona: p, client: s.clients[c.client.ID], kind: flowKindVerify,
		flowType: req.PossessionType, state: stateStarted,
		d: &flowDetail{authKey: ids[1], finalTargetURL: req.FinalTargetURL, smsMessage: req.SMSMessage,
			allowOTPRetry: req.AllowOTPRetry, verify: vs},
	}
	id := f.key.String()
	c.correlationID = id
	if req.PossessionType == possessionNone {
		res := s.verifyOutcome(c, p, vs, resultNotApplicable)
		vs.result = &res
		f.state = finalState(res)
		c.rule = "verify.possession.none"
		s.recordLocked(&f, c, nil)
		s.st.insert(f, now)
		return verifyPossessionResponse{CorrelationID: id, Success: res.Success, PossessionResult: resultNotApplicable,
			VerifyResult: res.VerifyResult, Evaluation: res.Evaluation}, nil
	}
	f.d.poss = PossessionState{Method: possessionMethod(&f), wrongLeft: p.Possession.OTP.WrongAttempts,
		retryLeft: p.Possession.InstantLink.Retry}
	c.rule = "verify.possession.pending"
	s.recordLocked(&f, c, nil)
	claims := s.authClaims(&f, id, ids[2].String(), true, s.publicOrigin(c.r))
	s.st.insert(f, now)
	token, err := s.auth.mintJSON(claims.appendJSON(make([]byte, 0, 512))) // outside every lock
	if err != nil {
		return nil, err
	}
	return verifyPossessionResponse{CorrelationID: id, Success: resultPending, PossessionResult: resultPending,
		VerifyResult: resultPending, AuthToken: token}, nil
}

// verifyOutcome verifies the person once possession is settled (passed, or
// not applicable): the persona decides, as for verificationType
// verifiedUser (name match, persona field verify, enrolment).
func (s *Server) verifyOutcome(c *call, p *Persona, vs *verifySession, possession string) verifyStatusResponse {
	one := s.verifyPersona(c, p, verifyRequest{PhoneNumber: normalizePhone(p.Phone), VerificationType: "verifiedUser",
		FirstName: vs.firstName, LastName: vs.lastName, ClientCustomerID: vs.clientCustomerID, ClientRequestID: vs.clientRequestID})
	res := verifyStatusResponse{Success: one.Success, PossessionResult: possession, VerifyResult: resultFailed, Evaluation: one.Evaluation}
	if one.Success == "true" {
		res.VerifyResult, res.IdentityID = resultSuccess, one.ProveID
	}
	return res
}

// possessionFailed is the result of a possession check that failed or ran
// out of time: the verification never ran.
func possessionFailed(why string) verifyStatusResponse {
	return verifyStatusResponse{Success: "false", PossessionResult: resultFailed, VerifyResult: resultNotApplicable,
		Evaluation: map[string]evaluationCategory{"authentication": {Result: "fail",
			FailureReasons: map[string]string{reasonPossessionIncomplete: "Phone possession incomplete: " + why}}}}
}

// finalState is the flow state a final result leaves the session in.
func finalState(res verifyStatusResponse) uint8 {
	if res.Success == "true" {
		return stateCompleted
	}
	return stateFailed
}

type verifyStatusRequest struct {
	CorrelationID   string `json:"correlationId"`
	ClientRequestID string `json:"clientRequestId,omitempty"`
}

// verifyStatus is POST /v3/verify-status: pending while the web SDK's
// possession check runs, then the final result, the same on every read.
func (s *Server) verifyStatus(c *call) (any, error) {
	if err := requireProduct(c, ProductVerify, "POST /v3/verify-status"); err != nil {
		return nil, err
	}
	var req verifyStatusRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.CorrelationID == "" {
		c.rule = "verify-status.correlationId"
		return nil, errFieldMissing("correlationId")
	}
	// Read the session under its lock; verify (which may enrol the
	// identity, under the Identity Manager's lock) outside it.
	var (
		err     error
		final   *verifyStatusResponse
		p       *Persona
		vs      verifySession
		passed  bool
		failed  string
		expired time.Time
	)
	now := s.clock.Now()
	s.st.view(req.CorrelationID, func(f *flow) {
		if f == nil || f.client.ID != c.client.ID {
			c.rule = "flow.unknown"
			err = errInvalidCorrelation("invalid correlation ID: %s is not a verification of this client", req.CorrelationID)
			return
		}
		c.correlationID, c.persona = req.CorrelationID, f.phone()
		if f.kind != flowKindVerify {
			c.rule = "flow.kind"
			if f.u != nil {
				err = errInvalidCorrelation("invalid correlation ID: %s is a Unify session: read its outcome with /v3/unify-status", req.CorrelationID)
				return
			}
			err = errInvalidCorrelation("invalid correlation ID: %s is a /v3/start flow, not a possession-era /v3/verify", req.CorrelationID)
			return
		}
		if f.d == nil || f.d.verify == nil { // cannot happen: sessions keep their record until forgotten
			c.rule = "flow.unknown"
			err = errInvalidCorrelation("invalid correlation ID: the verification %s is no longer known", req.CorrelationID)
			return
		}
		if r := f.d.verify.result; r != nil {
			cp := *r
			final = &cp
			return
		}
		p, vs = f.persona, *f.d.verify
		passed = f.passed || f.persona.ShortTerm
		if f.d.poss.Failed {
			failed = f.d.poss.Reason
		}
		if !now.Before(f.expiresAt()) {
			expired = f.expiresAt()
		}
	})
	switch {
	case err != nil:
		return nil, err
	case final != nil:
		c.rule = "verify-status.final"
		s.recordRead(c, req.CorrelationID)
		return *final, nil
	}
	var res verifyStatusResponse
	switch {
	case passed:
		res = s.verifyOutcome(c, p, &vs, resultSuccess)
	case failed != "":
		res = possessionFailed(failed)
		c.rule = "verify-status.possession-failed"
	case !expired.IsZero():
		res = possessionFailed("the session ended at " + expired.UTC().Format(time.RFC3339) + " (15 minutes) before the check passed")
		c.rule = "verify-status.expired"
	default:
		c.rule = "verify-status.pending"
		s.recordRead(c, req.CorrelationID)
		return verifyStatusResponse{Success: resultPending, PossessionResult: resultPending, VerifyResult: resultPending}, nil
	}
	// Keep the first final result: a status read that raced this one may
	// have stored it already.
	s.st.view(req.CorrelationID, func(f *flow) {
		if f == nil || f.d == nil || f.d.verify == nil {
			return
		}
		if f.d.verify.result != nil {
			res = *f.d.verify.result
			return
		}
		stored := res
		f.d.verify.result = &stored
		if f.state == stateStarted {
			f.state, f.next = finalState(res), nextDone
		}
		s.recordLocked(f, c, nil)
	})
	return res, nil
}

// recordRead notes a status read that changed nothing in the session's
// steps (the newest maxStepsKept).
func (s *Server) recordRead(c *call, correlationID string) {
	s.st.view(correlationID, func(f *flow) {
		if f != nil {
			s.recordLocked(f, c, nil)
		}
	})
}

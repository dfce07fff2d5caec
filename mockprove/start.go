package mockprove

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

func (s *Server) registerStart(r *mux.Router) {
	r.Handle("/v3/start", s.serve(endpoint{step: "/v3/start", auth: authAccess, validate: s.prove, h: s.start})).Methods(http.MethodPost)
}

// startRequest is V3StartRequest.
type startRequest struct {
	FlowType       string `json:"flowType"`
	PhoneNumber    string `json:"phoneNumber,omitempty"`
	FinalTargetURL string `json:"finalTargetUrl,omitempty"`
	SSN            string `json:"ssn,omitempty"`
	DOB            string `json:"dob,omitempty"`
	EmailAddress   string `json:"emailAddress,omitempty"`
	IPAddress      string `json:"ipAddress,omitempty"`
	SMSMessage     string `json:"smsMessage,omitempty"`
	AllowOTPRetry  bool   `json:"allowOTPRetry,omitempty"`
}

// startResponse is V3StartResponse.
type startResponse struct {
	AuthToken     string            `json:"authToken"`
	CorrelationID string            `json:"correlationId"`
	Next          map[string]string `json:"next"`
}

// appendJSON writes the response as marshal would (jsonAppender).
func (r startResponse) appendJSON(b []byte) []byte {
	if b == nil {
		b = make([]byte, 0, len(r.AuthToken)+len(r.CorrelationID)+96)
	}
	b = append(b, `{"authToken":`...)
	b = appendJSONStringNoHTML(b, r.AuthToken)
	b = append(b, `,"correlationId":`...)
	b = appendJSONStringNoHTML(b, r.CorrelationID)
	b = append(b, `,"next":`...)
	b = appendJSONNext(b, r.Next)
	return append(b, '}')
}

// start is POST /v3/start: it picks the persona by phone number, opens a
// flow and mints the authToken for the client SDK.
func (s *Server) start(c *call) (any, error) {
	var req startRequest
	if !decodeStart(c.body, &req) {
		if err := c.decode(&req); err != nil {
			return nil, err
		}
	}
	if c.client.Product == "" {
		c.rule = "client.products"
		return nil, errAccessDenied("access denied: client %s is not provisioned for Pre-Fill or Prove Identity (its products: %s)", c.client.ID, strings.Join(c.client.Products, ", "))
	}
	if req.FlowType == "desktop" && req.FinalTargetURL == "" {
		c.rule = "start.finalTargetUrl"
		return nil, errMalformed("field 'finalTargetUrl' is required when flowType is desktop")
	}
	if req.PhoneNumber == "" {
		c.rule = "start.phoneNumber"
		return nil, errMalformed("field 'phoneNumber' is missing: mockprove picks the persona by phone number (Mobile Auth number discovery is not emulated)")
	}
	phone := normalizePhone(req.PhoneNumber)
	c.persona = phone

	now := s.clock.Now()
	p := s.st.personas.get(phone)
	if p == nil {
		c.rule = "persona.unknown"
		return nil, errUserNotFound(req.PhoneNumber)
	}
	if !hasProduct(p, c.client.Product) {
		c.rule = "persona.products"
		return nil, errAccessDenied("sandbox test user access denied: %s is not %s test user (products: %s)",
			req.PhoneNumber, article(c.client.Product), strings.Join(p.Products, ", "))
	}
	if err := personaError(p, c); err != nil {
		return nil, err
	}
	flowType := FlowTypeMobile
	if req.FlowType == FlowTypeDesktop {
		flowType = FlowTypeDesktop
	}
	var ids [3]flowKey // correlationId, auth id, challenge: one lock, in this order
	s.st.ids.keys(ids[:])
	f := flow{
		key:      ids[0],
		created:  now,
		persona:  p,
		client:   s.clients[c.client.ID],
		flowType: flowType,
		state:    stateStarted,
		next:     nextValidate,
		d: &flowDetail{
			authKey:        ids[1],
			finalTargetURL: req.FinalTargetURL,
			smsMessage:     req.SMSMessage,
			allowOTPRetry:  req.AllowOTPRetry,
			dob:            req.DOB,
			ssn:            req.SSN,
		},
	}
	f.d.poss = PossessionState{Method: possessionMethod(&f), wrongLeft: p.Possession.OTP.WrongAttempts,
		retryLeft: p.Possession.InstantLink.Retry}
	id := f.key.String()
	c.correlationID = id
	c.rule = "start"
	s.recordLocked(&f, c, nil) // f is not shared yet
	claims := s.authClaims(&f, id, ids[2].String(), req.PhoneNumber != "", s.publicOrigin(c.r))
	s.st.insert(f, now)
	token, err := s.auth.mintAuth(&claims) // outside every lock
	if err != nil {
		return nil, err
	}
	return startResponse{AuthToken: token, CorrelationID: id, Next: nextMaps[nextValidate]}, nil
}

// Flow types.
const (
	FlowTypeMobile  = "mobile"
	FlowTypeDesktop = "desktop"
)

// authClaims are the claims of the authToken Prove's web SDK decodes:
// auth.endp points the SDK at mockprove's device API.
func (s *Server) authClaims(f *flow, id, challenge string, mnp bool, origin string) authClaims {
	next := "mobile/otp"
	switch f.d.poss.Method {
	case MethodInstantLink:
		next = "mobile/instantlink"
	case MethodMobileAuth:
		next = "mobile/instant"
	}
	authID := f.d.authKey.String()
	return authClaims{
		RequestID: id,
		Issuer:    origin,
		Subject:   authID,
		IssuedAt:  f.created.Unix(),
		ExpiresAt: ceilUnix(f.expiresAt()),
		Auth: authClaim{
			ID:        authID,
			Namespace: "mockprove",
			Endpoint:  origin,
			Challenge: challenge,
			Next:      next,
			Subs:      authSubs{Mob: authMob{Auths: authMobAuths{OTP: authMethod{MNP: mnp}, Inln: authMethod{MNP: mnp}}}},
		},
	}
}

// possessionMethod is how the flow proves possession of the phone: Instant
// Link on desktop; on mobile, Mobile Auth when the persona's carrier has it
// (with OTP as the fallback), else OTP.
func possessionMethod(f *flow) string {
	switch {
	case f.flowType == FlowTypeDesktop:
		return MethodInstantLink
	case f.persona.Possession.MobileAuth == "pass" || f.persona.Possession.MobileAuth == "fail":
		return MethodMobileAuth
	}
	return MethodOTP
}

func hasProduct(p *Persona, product string) bool {
	for _, pr := range p.Products {
		if pr == product {
			return true
		}
	}
	return false
}

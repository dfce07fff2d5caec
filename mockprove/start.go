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

// start is POST /v3/start: it picks the persona by phone number, opens a
// flow and mints the authToken for the client SDK.
func (s *Server) start(c *call) (any, error) {
	var req startRequest
	if err := c.decode(&req); err != nil {
		return nil, err
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
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.personas[phone]
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
	s.sweepLocked()
	persona := *p
	f := &flow{
		ID:        s.newUUIDLocked(),
		AuthID:    s.newUUIDLocked(),
		ClientID:  c.client.ID,
		Product:   c.client.Product,
		Phone:     phone,
		Persona:   &persona,
		FlowType:  req.FlowType,
		Start:     req,
		CreatedAt: now,
		ExpiresAt: now.Add(FlowTTL),
		State:     StateStarted,
		Next:      nextMap(stepValidate),
		DOB:       req.DOB,
		SSN:       req.SSN,
	}
	f.Possession = PossessionState{Method: possessionMethod(f), Phone: phone, wrongLeft: p.Possession.OTP.WrongAttempts}
	token, err := s.mintAuthToken(f, c.r)
	if err != nil {
		return nil, err
	}
	s.flows[f.ID] = f
	s.authIDs[f.AuthID] = f
	c.correlationID = f.ID
	c.rule = "start"
	s.recordLocked(f, c, nil)
	return startResponse{AuthToken: token, CorrelationID: f.ID, Next: f.Next}, nil
}

// mintAuthToken mints the authToken Prove's web SDK decodes: auth.endp
// points the SDK at mockprove's device API. The caller holds s.mu.
func (s *Server) mintAuthToken(f *flow, r *http.Request) (string, error) {
	origin := s.originLocked(r)
	next := "mobile/otp"
	switch f.Possession.Method {
	case MethodInstantLink:
		next = "mobile/instantlink"
	case MethodMobileAuth:
		next = "mobile/instant"
	}
	mnp := f.Start.PhoneNumber != ""
	claims := authClaims{
		RequestID: f.ID,
		Issuer:    origin,
		Subject:   f.AuthID,
		IssuedAt:  f.CreatedAt.Unix(),
		ExpiresAt: ceilUnix(f.ExpiresAt),
		Auth: authClaim{
			ID:        f.AuthID,
			Namespace: "mockprove",
			Endpoint:  origin,
			Challenge: s.newUUIDLocked(),
			Next:      next,
			Subs:      authSubs{Mob: authMob{Auths: authMobAuths{OTP: authMethod{MNP: mnp}, Inln: authMethod{MNP: mnp}}}},
		},
	}
	return s.auth.mint(claims)
}

// possessionMethod is how the flow proves possession of the phone: Instant
// Link on desktop; on mobile, Mobile Auth when the persona's carrier has it
// (with OTP as the fallback), else OTP.
func possessionMethod(f *flow) string {
	switch {
	case f.FlowType == "desktop":
		return MethodInstantLink
	case f.Persona.Possession.MobileAuth == "pass" || f.Persona.Possession.MobileAuth == "fail":
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

package mockprove

import (
	"net/http"

	"github.com/gorilla/mux"
)

func (s *Server) registerValidate(r *mux.Router) {
	r.Handle("/v3/validate", s.serve(endpoint{step: "/v3/validate", auth: authAccess, validate: s.prove, h: s.validateStep})).Methods(http.MethodPost)
}

type correlationRequest struct {
	CorrelationID string `json:"correlationId"`
}

// validateResponse is V3ValidateResponse.
type validateResponse struct {
	Success          bool              `json:"success"`
	ChallengeMissing bool              `json:"challengeMissing"`
	PhoneNumber      string            `json:"phoneNumber,omitempty"`
	Next             map[string]string `json:"next"`
}

// validateStep is POST /v3/validate: did the possession check pass?
// Short-term personas pass without one. A failure is HTTP 200 with
// success:false and ends the flow.
func (s *Server) validateStep(c *call) (any, error) {
	var req correlationRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.lookupFlowLocked(c, req.CorrelationID, stepValidate)
	if err != nil {
		return nil, err
	}
	if err := personaError(f.Persona, c); err != nil {
		return nil, err
	}
	p := f.Persona
	resp := validateResponse{PhoneNumber: f.Phone}
	switch {
	case p.Outcomes.Validate == "fail":
		c.rule = "persona.outcomes.validate"
	case !p.ShortTerm && !f.PossessionPassed:
		c.rule = "possession.missing"
	default:
		resp.Success = true
		c.rule = "validate"
		if p.ShortTerm && !f.PossessionPassed {
			c.rule = "persona.shortTerm"
		}
	}
	if !resp.Success {
		f.finish(StateFailed)
		resp.Next = f.Next
		s.recordLocked(f, c, &resp.Success)
		return resp, nil
	}
	f.State = StateValidated
	switch {
	case f.Product == ProductIdentity:
		f.Next = nextMap(stepComplete)
	case f.DOB == "" && f.SSN == "":
		// Pre-Fill without a challenge value: /v3/challenge must collect one.
		resp.ChallengeMissing = true
		f.Next = nextMap(stepChallenge)
	default:
		// Pre-Fill with dob/ssn given at start: challenge (to fetch the
		// pre-fill data) or straight to complete.
		f.Next = nextMap(stepChallenge, stepComplete)
	}
	resp.Next = f.Next
	s.recordLocked(f, c, &resp.Success)
	return resp, nil
}

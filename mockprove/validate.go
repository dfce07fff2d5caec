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
	return s.flowStep(c, req.CorrelationID, stepValidate, func(f *flow, finish func(uint8)) (any, error) {
		if err := personaError(f.persona, c); err != nil {
			return nil, err
		}
		p := f.persona
		resp := validateResponse{PhoneNumber: f.phone()}
		switch {
		case p.Outcomes.Validate == "fail":
			c.rule = "persona.outcomes.validate"
		case !p.ShortTerm && !f.passed:
			c.rule = "possession.missing"
		default:
			resp.Success = true
			c.rule = "validate"
			if p.ShortTerm && !f.passed {
				c.rule = "persona.shortTerm"
			}
		}
		if !resp.Success {
			s.recordLocked(f, c, &resp.Success)
			finish(stateFailed)
			resp.Next = f.nextMap()
			return resp, nil
		}
		f.state = stateValidated
		switch {
		case f.client.Product == ProductIdentity:
			f.next = nextComplete
		case f.d.dob == "" && f.d.ssn == "":
			// Pre-Fill without a challenge value: /v3/challenge must collect one.
			resp.ChallengeMissing = true
			f.next = nextChallenge
		default:
			// Pre-Fill with dob/ssn given at start: challenge (to fetch the
			// pre-fill data) or straight to complete.
			f.next = nextChallenge | nextComplete
		}
		resp.Next = f.nextMap()
		s.recordLocked(f, c, &resp.Success)
		return resp, nil
	})
}

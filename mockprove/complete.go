package mockprove

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

func (s *Server) registerComplete(r *mux.Router) {
	r.Handle("/v3/complete", s.serve(endpoint{step: "/v3/complete", auth: authAccess, validate: s.prove, h: s.complete})).Methods(http.MethodPost)
}

type completeRequest struct {
	CorrelationID string      `json:"correlationId"`
	Individual    *Individual `json:"individual"`
}

// completeResponse is V3CompleteResponse.
type completeResponse struct {
	Success bool              `json:"success"`
	Next    map[string]string `json:"next"`
	IDV     map[string]any    `json:"idv,omitempty"`
	KYC     map[string]any    `json:"kyc,omitempty"`
}

// complete is POST /v3/complete: compares the individual the customer
// submitted with the persona and ends the flow.
func (s *Server) complete(c *call) (any, error) {
	var req completeRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	in := req.Individual
	if in == nil {
		return nil, errFieldMissing("individual")
	}
	// Blank names count as missing: "  " is no first name.
	if (strings.TrimSpace(in.FirstName) == "" || strings.TrimSpace(in.LastName) == "") && in.SSN == "" {
		c.rule = "complete.identity"
		return nil, errMalformed("field 'individual' must include firstName and lastName, or ssn")
	}
	return s.flowStep(c, req.CorrelationID, stepComplete, func(f *flow, finish func(uint8)) (any, error) {
		if err := personaError(f.persona, c); err != nil {
			return nil, err
		}
		p := f.persona
		m := matchIndividual(*in, p.Individual)
		resp := completeResponse{KYC: p.KYC}
		switch {
		case p.Outcomes.Complete == "fail":
			c.rule = "persona.outcomes.complete"
			resp.IDV = p.IDV
		case !m.ok():
			c.rule = "complete.mismatch:" + m.firstMismatch()
			resp.IDV = m.idv()
		default:
			resp.Success = true
			c.rule = "complete"
			resp.IDV = p.IDV
			if resp.IDV == nil {
				resp.IDV = m.idv()
			}
		}
		s.recordLocked(f, c, &resp.Success)
		if resp.Success {
			finish(stateCompleted)
		} else {
			finish(stateFailed)
		}
		resp.Next = f.nextMap()
		return resp, nil
	})
}

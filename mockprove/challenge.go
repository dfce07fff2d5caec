package mockprove

import (
	"net/http"

	"github.com/gorilla/mux"
)

func (s *Server) registerChallenge(r *mux.Router) {
	r.Handle("/v3/challenge", s.serve(endpoint{step: "/v3/challenge", auth: authAccess, validate: s.prove, h: s.challenge})).Methods(http.MethodPost)
}

type challengeRequest struct {
	CorrelationID string `json:"correlationId"`
	DOB           string `json:"dob,omitempty"`
	SSN           string `json:"ssn,omitempty"`
}

// challengeResponse is V3ChallengeResponse.
type challengeResponse struct {
	Success    bool              `json:"success"`
	Individual *Individual       `json:"individual,omitempty"`
	Next       map[string]string `json:"next"`
}

// challenge is POST /v3/challenge (Pre-Fill): checks the DOB and/or SSN
// against the persona and returns the identity to pre-fill the form with.
func (s *Server) challenge(c *call) (any, error) {
	var req challengeRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	return s.flowStep(c, req.CorrelationID, stepChallenge, func(f *flow, finish func(uint8)) (any, error) {
		dob, ssn := f.d.dob, f.d.ssn
		if req.DOB != "" || req.SSN != "" {
			// Values sent here overwrite those sent to /v3/start.
			dob, ssn = req.DOB, req.SSN
		}
		if dob == "" && ssn == "" {
			c.rule = "challenge.missing"
			return nil, errMalformed("field 'dob' or 'ssn' is missing: neither was given here nor at /v3/start")
		}
		if err := personaError(f.persona, c); err != nil {
			return nil, err
		}
		f.d.dob, f.d.ssn = dob, ssn
		p := f.persona
		resp := challengeResponse{}
		switch {
		case p.Outcomes.Challenge == "fail":
			c.rule = "persona.outcomes.challenge"
		case dob != "" && !dobMatches(dob, p.Individual.DOB):
			c.rule = "challenge.dob"
		case ssn != "" && !ssnMatches(ssn, p.Individual.SSN):
			c.rule = "challenge.ssn"
		default:
			resp.Success = true
			c.rule = "challenge"
		}
		if !resp.Success {
			s.recordLocked(f, c, &resp.Success)
			finish(stateFailed)
			resp.Next = f.nextMap()
			return resp, nil
		}
		in := p.Individual
		resp.Individual = &Individual{
			FirstName: in.FirstName, LastName: in.LastName, Addresses: in.Addresses,
			EmailAddresses: in.EmailAddresses, DOB: rfc3339Date(in.DOB), SSN: in.SSN,
		}
		f.state = stateChallenged
		f.next = nextComplete
		resp.Next = f.nextMap()
		s.recordLocked(f, c, &resp.Success)
		return resp, nil
	})
}

package mockprove

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// ProveX (prove-unify-verify.md §6): which partner attributes exist for a
// person (discover), then one attribute's value (fetch). The attributes are
// the persona's.

func (s *Server) registerProveX(r *mux.Router) {
	r.Handle("/v3/discover", s.serve(endpoint{step: "/v3/discover", auth: authAccess, validate: s.prove, h: s.discover})).Methods(http.MethodGet)
	r.Handle("/v3/fetch", s.serve(endpoint{step: "/v3/fetch", auth: authAccess, validate: s.prove, h: s.fetch})).Methods(http.MethodGet)
}

// provexPerson finds the persona of the proveId query parameter, or 8011.
func (s *Server) provexPerson(c *call, op string) (*Persona, error) {
	if err := requireProduct(c, ProductProveX, op); err != nil {
		return nil, err
	}
	id := c.r.URL.Query().Get("proveId")
	p := s.personaByProveID(id)
	if p == nil {
		c.rule = "provex.unknown"
		return nil, errIdentityNotFound("Identity Not Found: no person has proveId %s", id)
	}
	c.persona = p.Phone
	return p, personaError(p, c)
}

func (s *Server) discover(c *call) (any, error) {
	p, err := s.provexPerson(c, "GET /v3/discover")
	if err != nil {
		return nil, err
	}
	results := make([]map[string]string, len(p.Attributes))
	for i, a := range p.Attributes {
		results[i] = map[string]string{"attributeId": a.ID, "issuerId": a.Issuer}
	}
	c.rule = "provex.discover"
	return map[string]any{"results": results}, nil
}

func (s *Server) fetch(c *call) (any, error) {
	p, err := s.provexPerson(c, "GET /v3/fetch")
	if err != nil {
		return nil, err
	}
	want := c.r.URL.Query().Get("attributeId")
	for _, a := range p.Attributes {
		if strings.EqualFold(a.ID, want) {
			c.rule = "provex.fetch"
			return map[string]any{"results": []map[string]string{{"attributeId": a.ID, "attributeValue": a.Value, "issuerId": a.Issuer}}}, nil
		}
	}
	c.rule = "provex.attribute"
	return nil, errIdentityNotFound("Identity Not Found: person %s has no attribute %s", p.proveID(), want)
}

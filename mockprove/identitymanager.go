package mockprove

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"
)

// Identity Manager (prove-unify-verify.md §5): a client enrols identities
// for monitoring, lists, reads, deactivates, activates and disenrols them,
// and looks them up by number. The state is the identity store.

func (s *Server) registerIdentityManager(r *mux.Router) {
	api := func(step string, h handlerFunc) http.Handler {
		return s.serve(endpoint{step: step, auth: authAccess, validate: s.prove, h: h})
	}
	r.Handle("/v3/identity/batch", s.serve(endpoint{step: "/v3/identity/batch", auth: authAccess, validate: s.prove,
		maxBody: maxBatchBodyBytes, h: s.imBatchEnrol})).Methods(http.MethodPost)
	r.Handle("/v3/identity", api("/v3/identity", s.imEnrol)).Methods(http.MethodPost)
	r.Handle("/v3/identity", api("GET /v3/identity", s.imList)).Methods(http.MethodGet)
	r.Handle("/v3/identity/{mobileNumber}/lookup", api("/v3/identity/{mobileNumber}/lookup", s.imLookup)).Methods(http.MethodGet)
	r.Handle("/v3/identity/{proveId}/activate", api("/v3/identity/{proveId}/activate", s.imSetActive(true))).Methods(http.MethodPost)
	r.Handle("/v3/identity/{proveId}/deactivate", api("/v3/identity/{proveId}/deactivate", s.imSetActive(false))).Methods(http.MethodPost)
	r.Handle("/v3/identity/{proveId}", api("GET /v3/identity/{proveId}", s.imGet)).Methods(http.MethodGet)
	r.Handle("/v3/identity/{proveId}", api("DELETE /v3/identity/{proveId}", s.imDisenrol)).Methods(http.MethodDelete)
}

// maxBatchBodyBytes bounds the bodies of the batch operations, which
// Prove's 4 KB limit cannot hold (mockprove's choice).
const maxBatchBodyBytes = 1 << 20

// enrolRequest is V3EnrollIdentityRequest (and a batch item).
type enrolRequest struct {
	PhoneNumber      string `json:"phoneNumber"`
	ClientCustomerID string `json:"clientCustomerId,omitempty"`
	ClientHumanID    string `json:"clientHumanId,omitempty"`
	ClientRequestID  string `json:"clientRequestId,omitempty"`
	DeviceID         string `json:"deviceId,omitempty"`
}

type enrolResponse struct {
	ProveID string `json:"proveId"`
	Success bool   `json:"success"`
}

func (s *Server) imEnrol(c *call) (any, error) {
	if err := requireProduct(c, ProductIdentityManager, "POST /v3/identity"); err != nil {
		return nil, err
	}
	var req enrolRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	p, err := s.suiteUser(c, req.PhoneNumber, ProductIdentityManager)
	if err != nil {
		return nil, err
	}
	id, err := s.enrolPersona(c, p, req)
	if err != nil {
		return nil, err
	}
	c.rule = "identity.enrol"
	return enrolResponse{ProveID: id.ProveID, Success: true}, nil
}

// enrolPersona enrols the persona's identity for the calling client.
func (s *Server) enrolPersona(c *call, p *Persona, req enrolRequest) (Identity, error) {
	l := p.line()
	id, full := s.st.identities.enrol(c.client.ID, Identity{
		ProveID: p.proveID(), PhoneNumber: p.Phone, Carrier: l.Carrier, LineType: l.LineType, CountryCode: l.CountryCode,
		ClientCustomerID: req.ClientCustomerID, ClientHumanID: req.ClientHumanID, DeviceID: req.DeviceID,
		CreatedAt: s.clock.Now(),
	})
	if full {
		c.rule = "limit.identities"
		return Identity{}, errMalformed("client %s has enrolled the maximum of %d identities: disenrol some first", c.client.ID, maxIdentitiesPerClient)
	}
	return id, nil
}

// batchEnrolRequest is V3BatchEnrollIdentitiesRequest: items under "items"
// (Prove's docs) or "identities" (its sandbox page).
type batchEnrolRequest struct {
	ClientRequestID string         `json:"clientRequestId,omitempty"`
	Items           []enrolRequest `json:"items"`
	Identities      []enrolRequest `json:"identities"`
}

type batchEnrolResult struct {
	ProveID string `json:"proveId,omitempty"`
	Error   string `json:"error,omitempty"`
}

func (s *Server) imBatchEnrol(c *call) (any, error) {
	if err := requireProduct(c, ProductIdentityManager, "POST /v3/identity/batch"); err != nil {
		return nil, err
	}
	var req batchEnrolRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	items := req.Items
	switch {
	case len(req.Items) > 0 && len(req.Identities) > 0:
		c.rule = "identity.batch"
		return nil, errMalformed("send the identities under 'items' or under 'identities', not both")
	case len(req.Items) == 0 && len(req.Identities) == 0:
		c.rule = "identity.batch"
		return nil, errFieldMissing("items")
	case len(req.Items) == 0:
		items = req.Identities
	}
	results := make([]batchEnrolResult, 0, len(items))
	for _, it := range items {
		p := s.personaByPhone(it.PhoneNumber)
		if p == nil || !p.suitePersona() {
			results = append(results, batchEnrolResult{Error: "Invalid Phone Number"})
			continue
		}
		id, err := s.enrolPersona(c, p, it)
		if err != nil {
			results = append(results, batchEnrolResult{Error: err.(*Error).Message})
			continue
		}
		results = append(results, batchEnrolResult{ProveID: id.ProveID})
	}
	c.rule = "identity.batch"
	return map[string]any{"results": results}, nil
}

func (s *Server) imList(c *call) (any, error) {
	if err := requireProduct(c, ProductIdentityManager, "GET /v3/identity"); err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v) // the spec checked it: 1..1000
	}
	ids, next, ok := s.st.identities.page(c.client.ID, q.Get("startKey"), limit, q.Get("showInactive") == "true")
	if !ok {
		c.rule = "identity.startKey"
		return nil, errMalformed("parameter 'startKey' must be a lastKey from an earlier page")
	}
	results := make([]map[string]string, len(ids))
	for i, id := range ids {
		results[i] = map[string]string{"proveId": id.ProveID}
	}
	c.rule = "identity.list"
	out := map[string]any{"results": results}
	if next != "" {
		out["lastKey"] = next
	}
	return out, nil
}

// identityRecord is IdentityRecord.
type identityRecord struct {
	Identity
	CreatedAt      int64  `json:"createdAt"`
	CreationString string `json:"creationString"`
}

func record(id Identity) identityRecord {
	return identityRecord{Identity: id, CreatedAt: id.CreatedAt.Unix(),
		CreationString: id.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
}

// identityOf finds the path's identity of the calling client, or 8011.
func (s *Server) identityOf(c *call, op string) (Identity, error) {
	if err := requireProduct(c, ProductIdentityManager, op); err != nil {
		return Identity{}, err
	}
	proveID := mux.Vars(c.r)["proveId"]
	id, ok := s.st.identities.get(c.client.ID, proveID)
	if !ok {
		c.rule = "identity.unknown"
		return Identity{}, errIdentityNotFound("Identity Not Found: no identity %s is enrolled by this client", proveID)
	}
	c.persona = id.PhoneNumber
	return id, nil
}

func (s *Server) imGet(c *call) (any, error) {
	id, err := s.identityOf(c, "GET /v3/identity/{proveId}")
	if err != nil {
		return nil, err
	}
	c.rule = "identity.get"
	return record(id), nil
}

func (s *Server) imDisenrol(c *call) (any, error) {
	id, err := s.identityOf(c, "DELETE /v3/identity/{proveId}")
	if err != nil {
		return nil, err
	}
	s.st.identities.remove(c.client.ID, id.ProveID)
	c.rule = "identity.disenrol"
	return map[string]bool{"success": true}, nil
}

func (s *Server) imSetActive(active bool) handlerFunc {
	return func(c *call) (any, error) {
		id, err := s.identityOf(c, "POST /v3/identity/{proveId}/(de)activate")
		if err != nil {
			return nil, err
		}
		s.st.identities.setActive(c.client.ID, id.ProveID, active)
		c.rule = "identity.deactivate"
		if active {
			c.rule = "identity.activate"
		}
		return map[string]bool{"success": true}, nil
	}
}

func (s *Server) imLookup(c *call) (any, error) {
	if err := requireProduct(c, ProductIdentityManager, "GET /v3/identity/{mobileNumber}/lookup"); err != nil {
		return nil, err
	}
	phone := normalizePhone(mux.Vars(c.r)["mobileNumber"])
	c.persona = phone
	ids := s.st.identities.byPhone(c.client.ID, phone)
	items := make([]identityRecord, len(ids))
	for i, id := range ids {
		items[i] = record(id)
	}
	c.rule = "identity.lookup"
	return map[string]any{"items": items}, nil
}

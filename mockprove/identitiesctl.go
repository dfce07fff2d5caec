package mockprove

import (
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/mux"
)

// GET /_mock/identities: the identities every client enrolled with the
// Identity Manager (/v3/identity, /v3/identity/batch), for tests and for
// the dashboard's webhook form, which triggers events about them. Prove's
// own listing (GET /v3/identity) shows one client's identities to that
// client; this one shows them all, with their client, in enrolment order,
// in pages like the other control listings.

// EnrolledIdentity is one enrolled identity as the control API shows it.
type EnrolledIdentity struct {
	Client           string    `json:"client"`
	ProveID          string    `json:"proveId"`
	PhoneNumber      string    `json:"phoneNumber"`
	Active           bool      `json:"active"`
	Carrier          string    `json:"carrier"`
	LineType         string    `json:"lineType"`
	CountryCode      string    `json:"countryCode"`
	ClientCustomerID string    `json:"clientCustomerId,omitempty"`
	DeviceID         string    `json:"deviceId,omitempty"`
	EnrolledAt       time.Time `json:"enrolledAt"`

	seq uint64
}

// IdentityFilter picks identities: every field that is set must match.
type IdentityFilter struct {
	Client string
	Phone  string
	Active *bool
}

func (f IdentityFilter) match(client string, id *Identity) bool {
	return (f.Client == "" || f.Client == client) &&
		(f.Phone == "" || f.Phone == id.PhoneNumber) &&
		(f.Active == nil || *f.Active == id.Active)
}

// maxIdentityScan bounds the identities one page looks at, so that a
// filter that matches little stays cheap (the page then holds fewer than
// limit items and a cursor).
const maxIdentityScan = 10_000

// list returns the identities enrolled after seq after that match f, in
// enrolment order, at most limit; next is the cursor position of the next
// page (0 on the last one).
func (st *identityStore) list(f IdentityFilter, after uint64, limit int) (out []EnrolledIdentity, next uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	type cand struct {
		client string
		rec    *Identity
	}
	// Each client's identities are in enrolment (seq) order and seq is
	// shared by all clients: take each client's next ones, merge, cut.
	var cands []cand
	for client, ci := range st.clients {
		if f.Client != "" && f.Client != client {
			continue
		}
		i, _ := slices.BinarySearchFunc(ci.order, after+1, func(r *Identity, seq uint64) int { return cmpUint(r.seq, seq) })
		for n := 0; i < len(ci.order) && n <= maxIdentityScan; i, n = i+1, n+1 {
			cands = append(cands, cand{client, ci.order[i]})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmpUint(a.rec.seq, b.rec.seq) })
	out = []EnrolledIdentity{}
	for n, c := range cands {
		if len(out) == limit || n == maxIdentityScan {
			return out, cands[n-1].rec.seq
		}
		if !f.match(c.client, c.rec) {
			continue
		}
		r := c.rec
		out = append(out, EnrolledIdentity{Client: c.client, ProveID: r.ProveID, PhoneNumber: r.PhoneNumber, Active: r.Active,
			Carrier: r.Carrier, LineType: r.LineType, CountryCode: r.CountryCode, ClientCustomerID: r.ClientCustomerID,
			DeviceID: r.DeviceID, EnrolledAt: r.CreatedAt, seq: r.seq})
	}
	return out, 0
}

// EnrolledIdentities lists the identities the clients enrolled, in
// enrolment order (every one when f is empty).
func (s *Server) EnrolledIdentities(f IdentityFilter) []EnrolledIdentity {
	if f.Phone != "" {
		f.Phone = normalizePhone(f.Phone)
	}
	var all []EnrolledIdentity
	for after := uint64(0); ; {
		page, next := s.st.identities.list(f, after, maxPageLimit)
		all = append(all, page...)
		if next == 0 {
			return all
		}
		after = next
	}
}

func (s *Server) registerIdentityControls(r *mux.Router) {
	r.Handle("/_mock/identities", s.serve(endpoint{step: "/_mock/identities", auth: authControl, internal: true, h: s.ctlIdentities})).Methods(http.MethodGet)
}

// ctlIdentities is GET /_mock/identities[?client=&phone=&active=&limit=&cursor=].
func (s *Server) ctlIdentities(c *call) (any, error) {
	q := c.r.URL.Query()
	var f IdentityFilter
	f.Client = q.Get("client")
	if p := q.Get("phone"); p != "" {
		if f.Phone = normalizePhone(p); f.Phone == "" { // not a silent "every number"
			return nil, errMalformed("parameter 'phone' must be a phone number, not blank")
		}
	}
	switch v := q.Get("active"); v {
	case "":
	case "true", "false":
		active := v == "true"
		f.Active = &active
	default:
		return nil, errMalformed("parameter 'active' must be true or false")
	}
	limit, cursor, err := pageParams(c, maxPageLimit)
	if err != nil {
		return nil, err
	}
	after, err := seqCursor(cursor)
	if err != nil {
		return nil, err
	}
	out, next := s.st.identities.list(f, after, limit)
	return page(out, seqNext(next)), nil
}

package mockprove

import (
	"encoding/base64"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The Identity Manager store: each client's enrolled identities, apart from
// HTTP. An identity is one phone number of one client; its proveId is the
// persona's, so Verify, Identity Manager and ProveX agree.

// maxIdentitiesPerClient bounds what one client can enrol.
const maxIdentitiesPerClient = 100_000

// Identity is one enrolled identity.
type Identity struct {
	ProveID          string    `json:"proveId"`
	PhoneNumber      string    `json:"phoneNumber"`
	Active           bool      `json:"active"`
	Carrier          string    `json:"carrier"`
	LineType         string    `json:"lineType"`
	CountryCode      string    `json:"countryCode"`
	ClientCustomerID string    `json:"clientCustomerId,omitempty"`
	ClientHumanID    string    `json:"-"`
	DeviceID         string    `json:"deviceId,omitempty"`
	CreatedAt        time.Time `json:"-"`

	seq uint64 // enrolment order, for pages
}

// identityStore holds every client's identities.
type identityStore struct {
	mu      sync.Mutex
	clients map[string]*clientIdentities
	seq     uint64
}

type clientIdentities struct {
	byID  map[string]*Identity
	order []*Identity // by seq; disenrolled ones are removed
}

func newIdentityStore() *identityStore {
	return &identityStore{clients: map[string]*clientIdentities{}}
}

func (st *identityStore) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	clear(st.clients)
}

// enrol adds or refreshes the identity of a persona for a client. A known
// identity is reactivated and takes the ids sent; full is true when the
// client already holds the maximum.
func (st *identityStore) enrol(clientID string, id Identity) (got Identity, full bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ci := st.clients[clientID]
	if ci == nil {
		ci = &clientIdentities{byID: map[string]*Identity{}}
		st.clients[clientID] = ci
	}
	if old := ci.byID[id.ProveID]; old != nil {
		old.Active = true
		if id.ClientCustomerID != "" {
			old.ClientCustomerID = id.ClientCustomerID
		}
		if id.ClientHumanID != "" {
			old.ClientHumanID = id.ClientHumanID
		}
		if id.DeviceID != "" {
			old.DeviceID = id.DeviceID
		}
		return *old, false
	}
	if len(ci.order) >= maxIdentitiesPerClient {
		return Identity{}, true
	}
	st.seq++
	rec := id
	rec.Active, rec.seq = true, st.seq
	ci.byID[rec.ProveID] = &rec
	ci.order = append(ci.order, &rec)
	return rec, false
}

// get returns one identity of a client.
func (st *identityStore) get(clientID, proveID string) (Identity, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if ci := st.clients[clientID]; ci != nil {
		if rec := ci.byID[proveID]; rec != nil {
			return *rec, true
		}
	}
	return Identity{}, false
}

// setActive activates or deactivates an identity.
func (st *identityStore) setActive(clientID, proveID string, active bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if ci := st.clients[clientID]; ci != nil {
		if rec := ci.byID[proveID]; rec != nil {
			rec.Active = active
			return true
		}
	}
	return false
}

// remove disenrols an identity.
func (st *identityStore) remove(clientID, proveID string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	ci := st.clients[clientID]
	if ci == nil || ci.byID[proveID] == nil {
		return false
	}
	rec := ci.byID[proveID]
	delete(ci.byID, proveID)
	i, _ := slices.BinarySearchFunc(ci.order, rec.seq, func(r *Identity, seq uint64) int { return cmpUint(r.seq, seq) })
	ci.order = slices.Delete(ci.order, i, i+1)
	return true
}

// byPhone returns the client's identities of a phone number.
func (st *identityStore) byPhone(clientID, phone string) []Identity {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := []Identity{}
	if ci := st.clients[clientID]; ci != nil {
		for _, rec := range ci.order {
			if rec.PhoneNumber == phone {
				out = append(out, *rec)
			}
		}
	}
	return out
}

// page lists identities enrolled after the key, limit at a time; next is ""
// on the last page. A key that does not decode is refused.
func (st *identityStore) page(clientID, startKey string, limit int, inactive bool) (ids []Identity, next string, ok bool) {
	after := uint64(0)
	if startKey != "" {
		raw, err := base64.StdEncoding.DecodeString(startKey)
		if err != nil {
			return nil, "", false
		}
		if after, err = strconv.ParseUint(string(raw), 10, 64); err != nil {
			return nil, "", false
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	ids = []Identity{}
	ci := st.clients[clientID]
	if ci == nil {
		return ids, "", true
	}
	i, _ := slices.BinarySearchFunc(ci.order, after+1, func(r *Identity, seq uint64) int { return cmpUint(r.seq, seq) })
	for ; i < len(ci.order); i++ {
		rec := ci.order[i]
		if !rec.Active && !inactive {
			continue
		}
		if len(ids) == limit {
			return ids, base64.StdEncoding.EncodeToString([]byte(strconv.FormatUint(ids[len(ids)-1].seq, 10))), true
		}
		ids = append(ids, *rec)
	}
	return ids, "", true
}

// enrolled reports whether a client holds an active identity with proveID.
func (st *identityStore) enrolled(clientID, proveID string) bool {
	id, ok := st.get(clientID, proveID)
	return ok && id.Active
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

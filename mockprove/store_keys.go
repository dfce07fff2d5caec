package mockprove

import (
	"cmp"
	"crypto/ecdsa"
	"slices"
	"sync"
	"time"
)

// The Prove Key registry: the device keys the web SDK registered
// (device/passive/register), by deviceId, apart from HTTP. A key belongs to
// the client whose Unify session registered it. It is "pending" until a
// possession check of that session passes (or unify-bind binds it), then
// bound to the session's phone number and proveId; a bound key passes a
// later mobile Unify for the same number without any SMS. Revoked keys and
// keys unused for KeyInactiveAfter stay known as inactive (a verify answers
// 10006, a revoke answers success again) until the registry is full; then
// each new key forgets the oldest.

const (
	// KeyInactiveAfter is how long a key may go unused before Prove
	// deactivates it ("12 consecutive months without use").
	KeyInactiveAfter = 365 * 24 * time.Hour
	// maxProveKeys bounds the registry; when it is full, registering a new
	// key forgets the oldest one.
	maxProveKeys = 100_000
	// maxKeysPerClient bounds one client's keys, so that one client cannot
	// fill the registry and push out every other client's keys: past it, a
	// new key of the client forgets the client's own oldest key.
	maxKeysPerClient = 25_000
	// maxKeyChallenges bounds the request-signing challenges a key holds.
	maxKeyChallenges = 4
	// keyChallengeTTL is the lifetime of a request-signing challenge
	// (/v1/client/challenge answers it as ttl, in seconds).
	keyChallengeTTL = 5 * time.Minute
)

// ProveKey is one registered device key, as the control API and Go tests see it.
type ProveKey struct {
	DeviceID         string     `json:"deviceId"`
	KeyID            string     `json:"keyId"`
	Client           string     `json:"client"`
	Phone            string     `json:"phoneNumber,omitempty"`
	ProveID          string     `json:"proveId,omitempty"`
	ClientCustomerID string     `json:"clientCustomerId,omitempty"`
	ClientHumanID    string     `json:"clientHumanId,omitempty"`
	DeviceName       string     `json:"deviceName,omitempty"`
	Bound            bool       `json:"bound"`
	Active           bool       `json:"active"`
	CreatedAt        time.Time  `json:"createdAt"`
	LastUsedAt       time.Time  `json:"lastUsedAt"`
	RevokedAt        *time.Time `json:"revokedAt,omitempty"`

	pub        *ecdsa.PublicKey
	seq        uint64
	challenges []keyChallenge
}

type keyChallenge struct {
	value   string
	expires time.Time
}

// state is the key's state at now: "pending", "active" or "inactive".
func (k *ProveKey) state(now time.Time) string {
	switch {
	case k.RevokedAt != nil, !now.Before(k.LastUsedAt.Add(KeyInactiveAfter)): // bound or not
		return "inactive"
	case !k.Bound:
		return "pending"
	}
	return "active"
}

// snapshot is a copy for callers outside the lock, with Active computed.
func (k *ProveKey) snapshot(now time.Time) ProveKey {
	c := *k
	c.Active = k.state(now) == "active"
	c.challenges = nil
	return c
}

// keyStore holds the registry under its own lock. It never calls into the
// flow shards, so a handler may use it while holding a shard lock.
type keyStore struct {
	mu      sync.Mutex
	byID    map[string]*ProveKey
	order   []*ProveKey // registration order (a queue, the oldest first)
	clients map[string]*clientKeys
	seq     uint64
}

// clientKeys is one client's keys: how many are known, and their
// registration order (with forgotten keys among them until compacted).
type clientKeys struct {
	n     int
	order []*ProveKey
}

func newKeyStore() *keyStore {
	return &keyStore{byID: map[string]*ProveKey{}, clients: map[string]*clientKeys{}}
}

// liveOnly drops forgotten keys from a queue once they are most of it.
func (ks *keyStore) liveOnly(q []*ProveKey, live int) []*ProveKey {
	if len(q) < 2*live+1024 {
		return q
	}
	return slices.DeleteFunc(q, func(o *ProveKey) bool { return ks.byID[o.DeviceID] != o })
}

// removeLocked forgets a known key.
func (ks *keyStore) removeLocked(k *ProveKey) {
	delete(ks.byID, k.DeviceID)
	if ck := ks.clients[k.Client]; ck != nil {
		ck.n--
	}
}

func (ks *keyStore) reset() {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	clear(ks.byID)
	clear(ks.clients)
	ks.order = nil
}

// add registers a new pending key, making room when the registry is full.
func (ks *keyStore) add(k *ProveKey, now time.Time) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.seq++
	k.seq = ks.seq
	k.CreatedAt, k.LastUsedAt = now, now
	ck := ks.clients[k.Client]
	if ck == nil {
		ck = &clientKeys{}
		ks.clients[k.Client] = ck
	}
	for ck.n >= maxKeysPerClient && len(ck.order) > 0 { // the client's own oldest goes
		o := ck.order[0]
		ck.order[0] = nil
		ck.order = ck.order[1:]
		if ks.byID[o.DeviceID] == o {
			ks.removeLocked(o)
		}
	}
	for len(ks.byID) >= maxProveKeys && len(ks.order) > 0 {
		ks.evictLocked()
	}
	ks.byID[k.DeviceID] = k
	ck.n++
	ks.order = append(ks.liveOnly(ks.order, len(ks.byID)), k)
	ck.order = append(ks.liveOnly(ck.order, ck.n), k)
}

// forgetPending forgets a key that was never bound (a session that
// registers again replaces the key it registered before); the queue drops
// it lazily.
func (ks *keyStore) forgetPending(deviceID string) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if k := ks.byID[deviceID]; k != nil && !k.Bound {
		ks.removeLocked(k)
	}
}

// evictLocked forgets the oldest key (registration order).
func (ks *keyStore) evictLocked() {
	for len(ks.order) > 0 {
		k := ks.order[0]
		ks.order[0] = nil
		ks.order = ks.order[1:]
		if ks.byID[k.DeviceID] == k {
			ks.removeLocked(k)
			return
		}
	}
}

// with runs fn on the key with that deviceId (nil when unknown), under the
// registry's lock; fn must not keep the pointer.
func (ks *keyStore) with(deviceID string, fn func(k *ProveKey)) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	fn(ks.byID[deviceID])
}

// get returns a copy of a key.
func (ks *keyStore) get(deviceID string, now time.Time) (ProveKey, bool) {
	var (
		out ProveKey
		ok  bool
	)
	ks.with(deviceID, func(k *ProveKey) {
		if k != nil {
			out, ok = k.snapshot(now), true
		}
	})
	return out, ok
}

// list returns copies of the keys, oldest first, those of client only when
// client is not empty.
func (ks *keyStore) list(client string, now time.Time) []ProveKey {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	out := []ProveKey{}
	for _, k := range ks.order {
		if ks.byID[k.DeviceID] == k && (client == "" || k.Client == client) {
			out = append(out, k.snapshot(now))
		}
	}
	return out
}

// page lists the keys registered after position after (their seq), those
// of client only when client is not empty, oldest first, at most limit, and
// looks at maxKeyScan keys at most; next is the position of the next page
// (0 on the last one).
func (ks *keyStore) page(client string, after uint64, limit int, now time.Time) (out []ProveKey, next uint64) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	out = []ProveKey{}
	i, _ := slices.BinarySearchFunc(ks.order, after+1, func(k *ProveKey, seq uint64) int { return cmp.Compare(k.seq, seq) })
	for n := 0; i < len(ks.order); i, n = i+1, n+1 {
		k := ks.order[i]
		if len(out) == limit || n == maxKeyScan {
			return out, ks.order[i-1].seq
		}
		if ks.byID[k.DeviceID] == k && (client == "" || k.Client == client) {
			out = append(out, k.snapshot(now))
		}
	}
	return out, 0
}

// maxKeyScan bounds the keys one page of the control API looks at.
const maxKeyScan = 10_000

// bind binds a key to a phone number and proveId (a possession check of
// its session passed, or unify-bind), and marks it used.
func (ks *keyStore) bind(deviceID, phone, proveID, customerID, humanID string, now time.Time) bool {
	ok := false
	ks.with(deviceID, func(k *ProveKey) {
		if k == nil || k.state(now) == "inactive" {
			return
		}
		k.Bound, k.Phone, k.ProveID, k.LastUsedAt = true, phone, proveID, now
		if customerID != "" {
			k.ClientCustomerID = customerID
		}
		if humanID != "" {
			k.ClientHumanID = humanID
		}
		ok = true
	})
	return ok
}

// revoke deactivates a key of client; false when the client has no such key.
func (ks *keyStore) revoke(client, deviceID string, now time.Time) bool {
	ok := false
	ks.with(deviceID, func(k *ProveKey) {
		if k == nil || k.Client != client {
			return
		}
		if k.RevokedAt == nil {
			k.RevokedAt = &now
		}
		ok = true
	})
	return ok
}

// newChallenge gives a key a request-signing challenge (the newest
// maxKeyChallenges stay valid).
func (ks *keyStore) newChallenge(deviceID, value string, now time.Time) bool {
	ok := false
	ks.with(deviceID, func(k *ProveKey) {
		if k == nil || k.state(now) == "inactive" {
			return
		}
		k.challenges = keepNewest(k.challenges, maxKeyChallenges)
		k.challenges = append(k.challenges, keyChallenge{value: value, expires: now.Add(keyChallengeTTL)})
		ok = true
	})
	return ok
}

// takeChallenge consumes a challenge the key was given, if still valid.
func (k *ProveKey) takeChallenge(value string, now time.Time) bool {
	for i, c := range k.challenges {
		if c.value == value && now.Before(c.expires) {
			k.challenges = append(k.challenges[:i], k.challenges[i+1:]...)
			return true
		}
	}
	return false
}

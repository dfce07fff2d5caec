package flowapp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mockprove/mockprove/flowapp/prove"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "flowapp_session"

// session is one customer's flow. The browser holds only its id, in a
// signed cookie; the correlationId and the rest stay here.
type session struct {
	mu sync.Mutex // held for the whole of a step: one Prove call at a time per flow

	id      string
	expires time.Time

	// Guarded by mu.
	correlationID string
	phone         string
	flowType      string
	next          prove.Next // Prove's latest next map: what the flow may do now
	// prefillSSN is the SSN Prove pre-filled: the page only gets it masked
	// (maskSSN) and /finish takes the masked form back to mean this one.
	prefillSSN string
	// signin is set for a "Sign in with Prove" session (signin.go), nil for
	// an Identity flow.
	signin *signinState
}

// sessionStore keeps sessions in memory, keyed by id, until they expire or
// their flow ends. Sessions expire on a deadline-ordered queue (expiring):
// creating one costs O(1) whatever the number stored, and the expired ones
// are removed as the clock passes their deadline, never by a walk over all
// sessions. At most max are kept: when full, creating a session drops the
// oldest one (the one closest to its end).
type sessionStore struct {
	key    []byte
	ttl    time.Duration
	now    func() time.Time
	secure bool // the public URL is https: the cookie is Secure

	mu sync.Mutex
	m  *expiring[*session]
}

func newSessionStore(key []byte, ttl time.Duration, max int, now func() time.Time, secure bool) *sessionStore {
	return &sessionStore{key: key, ttl: ttl, now: now, secure: secure, m: newExpiring[*session](ttl, max)}
}

// create opens a session for a flow Prove started, and forgets expired
// sessions. It returns the session dropped to make room, if the store was
// full.
func (st *sessionStore) create(correlationID, phone, flowType string, next prove.Next) (s, dropped *session, err error) {
	return st.open(&session{correlationID: correlationID, phone: phone, flowType: flowType, next: next})
}

// open stores s, filled in by the caller, under a new random id: the
// general form of create.
func (st *sessionStore) open(s *session) (_, dropped *session, err error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, err
	}
	s.id = base64.RawURLEncoding.EncodeToString(b)
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now() // under the lock: deadlines are queued in order
	s.expires = now.Add(st.ttl)
	st.m.expire(now)
	if _, d := st.m.put(s.id, s, now); d != nil {
		dropped = d.val
	}
	return s, dropped, nil
}

// fromRequest returns the live session the request's cookie names, or nil.
func (st *sessionStore) fromRequest(r *http.Request) *session {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	id, ok := st.verify(c.Value)
	if !ok {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	e := st.m.get(id, st.now())
	if e == nil {
		return nil
	}
	return e.val
}

// alive reports whether s is still stored and unexpired.
func (st *sessionStore) alive(s *session) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	e := st.m.get(s.id, st.now())
	return e != nil && e.val == s
}

// end forgets a session: its flow is over or replaced.
func (st *sessionStore) end(s *session) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if e := st.m.m[s.id]; e != nil && e.val == s {
		st.m.remove(e)
	}
}

// count is the number of sessions stored (expired ones included until the
// clock has passed them and a session is created).
func (st *sessionStore) count() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.m.len()
}

// cookie is the Set-Cookie for s: "<id>.<HMAC-SHA256(id)>". It is Secure
// when the public URL is https (flowapp behind a TLS proxy) or the request
// came over TLS.
func (st *sessionStore) cookie(s *session, r *http.Request) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookie,
		Value:    s.id + "." + st.sign(s.id),
		Path:     "/",
		MaxAge:   int(st.ttl / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   st.secure || r.TLS != nil,
	}
}

func (st *sessionStore) sign(id string) string {
	m := hmac.New(sha256.New, st.key)
	m.Write([]byte(SessionCookie + "\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify checks a cookie value's signature and returns the session id.
func (st *sessionStore) verify(value string) (string, bool) {
	id, sig, ok := strings.Cut(value, ".")
	if !ok || id == "" {
		return "", false
	}
	return id, hmac.Equal([]byte(sig), []byte(st.sign(id)))
}

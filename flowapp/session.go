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
}

// sessionStore keeps sessions in memory, keyed by id, until they expire or
// their flow ends.
type sessionStore struct {
	key    []byte
	ttl    time.Duration
	now    func() time.Time
	secure bool // the public URL is https: the cookie is Secure

	mu sync.Mutex
	m  map[string]*session
}

func newSessionStore(key []byte, ttl time.Duration, now func() time.Time, secure bool) *sessionStore {
	return &sessionStore{key: key, ttl: ttl, now: now, secure: secure, m: map[string]*session{}}
}

// create opens a session for a flow Prove started, and forgets expired
// sessions.
func (st *sessionStore) create(correlationID, phone, flowType string, next prove.Next) (*session, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	now := st.now()
	s := &session{
		id: base64.RawURLEncoding.EncodeToString(b), expires: now.Add(st.ttl),
		correlationID: correlationID, phone: phone, flowType: flowType, next: next,
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, old := range st.m {
		if !now.Before(old.expires) {
			delete(st.m, id)
		}
	}
	st.m[s.id] = s
	return s, nil
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
	s := st.m[id]
	if s == nil {
		return nil
	}
	if !st.now().Before(s.expires) {
		delete(st.m, id)
		return nil
	}
	return s
}

// alive reports whether s is still stored and unexpired.
func (st *sessionStore) alive(s *session) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.m[s.id] == s && st.now().Before(s.expires)
}

// end forgets a session: its flow is over or replaced.
func (st *sessionStore) end(s *session) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m[s.id] == s {
		delete(st.m, s.id)
	}
}

// count is the number of sessions stored (expired ones included until the
// next create).
func (st *sessionStore) count() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.m)
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

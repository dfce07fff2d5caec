package mockprove

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The device API is what Prove's web SDK calls (prove-web-sdk.md §2-§3):
// its base URL is the authToken's auth.endp, every call carries
// "Authorization: Bearer <authToken>", and business outcomes are HTTP 200
// with the SDK's envelope.

// envelope is the SDK's AuthResponse: {"next", "data", "error"}.
type envelope struct {
	Next  string    `json:"next,omitempty"`
	Data  any       `json:"data,omitempty"` // a non-nil empty map is sent as {}
	Error *sdkError `json:"error,omitempty"`
}

type sdkError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// terminal ends the SDK's flow with an error; the SDK still calls the
// app's finish step, and /v3/validate tells the truth.
func terminal(code int, msg string) *envelope {
	return &envelope{Error: &sdkError{Code: code, Message: msg}, Next: "done"}
}

// rejected is the answer the SDK turns into a PhoneValidationError or OtpError.
func rejected(code int, msg string) *envelope {
	return &envelope{Data: map[string]any{"code": code, "message": msg}}
}

// tokenFlow is what an authToken names: its flow and who it belongs to.
type tokenFlow struct {
	key       flowKey
	id        string // correlationId
	phone     string
	client    Client
	expiresAt time.Time
}

// authenticateDevice checks "Authorization: Bearer <authToken>" and returns
// the flow the token belongs to.
func (s *Server) authenticateDevice(r *http.Request) (tokenFlow, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return tokenFlow{}, errUnauthorized("not authorized: Authorization header must be 'Bearer <authToken>'")
	}
	return s.flowForAuthToken(token)
}

// flowForAuthToken verifies an authToken and finds its flow.
func (s *Server) flowForAuthToken(token string) (tokenFlow, error) {
	claims, known := s.authTokens.get(token)
	if !known {
		var full authClaims
		if err := s.auth.verify(token, &full); err != nil {
			return tokenFlow{}, errUnauthorized("not authorized: authToken is invalid")
		}
		claims = authTokenClaims{RequestID: full.RequestID, AuthID: full.Auth.ID, ExpiresAt: full.ExpiresAt}
		s.authTokens.put(token, claims)
	}
	tf := tokenFlow{id: claims.RequestID}
	found := false
	if k, ok := parseKey(claims.RequestID); ok {
		s.st.updateKey(k, func(f *flow, _ *shard, _ uint64) {
			if f == nil || (f.d != nil && f.d.authKey.String() != claims.AuthID) {
				return
			}
			found = true
			tf.key, tf.phone, tf.client, tf.expiresAt = k, f.phone(), *f.client, f.expiresAt()
		})
	}
	now := s.clock.Now()
	if !found {
		if now.Unix() >= claims.ExpiresAt {
			return tokenFlow{}, errUnauthorized("not authorized: authToken has expired (15 minutes after start)")
		}
		return tokenFlow{}, errUnauthorized("not authorized: the authToken's flow is unknown (was mockprove reset?)")
	}
	if !now.Before(tf.expiresAt) { // the token's exp, to the nanosecond
		return tokenFlow{}, errUnauthorized("not authorized: authToken has expired (15 minutes after start)")
	}
	return tf, nil
}

// cors answers preflights and adds Access-Control-Allow-Origin for the
// browser-facing routes (device API and control API) when the request's
// Origin is allowed, and refuses requests from other origins: a page on
// another site must not be able to arm faults or move the clock with a
// "simple" cross-site request that needs no preflight.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		browserFacing := strings.HasPrefix(r.URL.Path, "/v1/client/") || strings.HasPrefix(r.URL.Path, "/_mock/")
		if origin == "" || !browserFacing {
			next.ServeHTTP(w, r)
			return
		}
		if !s.originAllowed(origin) {
			body, _ := marshal(newError(http.StatusForbidden, CodeUnauthorized,
				"origin %s is not allowed to call %s (see -allowed-origins)", origin, r.URL.Path))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write(body)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "X-Mockprove-Persona, X-Mockprove-Step, X-Mockprove-Rule, X-Mockprove-Fault, X-Mockprove-Correlation-Id, X-Mockprove-Warning, X-Next-Cursor")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, PA-Version, PA-Sig-Version, PA-KID, PA-Challenge, PA-Signature")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed: Options.AllowedOrigins ("*" for any), else any loopback
// origin and mockprove's own public origin.
func (s *Server) originAllowed(origin string) bool {
	if len(s.opts.AllowedOrigins) > 0 {
		for _, o := range s.opts.AllowedOrigins {
			if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
				return true
			}
		}
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.EqualFold(origin, s.public)
}

package mockprove

import (
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

func (s *Server) registerOAuth(r *mux.Router) {
	r.Handle("/token", s.serve(endpoint{step: "/token", validate: s.tokenV, h: s.token})).Methods(http.MethodPost)
}

// tokenResponse is V3TokenResponse; Prove answers in snake_case.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// token is POST /token: OAuth 2.0 client credentials, form-encoded.
func (s *Server) token(c *call) (any, error) {
	form := c.r.PostForm
	if form == nil {
		if err := c.r.ParseForm(); err != nil {
			return nil, errMalformed("request body is not a valid form")
		}
		form = c.r.PostForm
	}
	for key := range form {
		switch key {
		case "grant_type", "client_id", "client_secret", "scope":
		default:
			c.rule = "spec"
			return nil, errMalformed("field '%s' is not allowed", key)
		}
	}
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		return nil, errMalformed("field 'grant_type' must be client_credentials")
	}
	cl, ok := s.clients[form.Get("client_id")]
	if !ok || subtle.ConstantTimeCompare([]byte(cl.Secret), []byte(form.Get("client_secret"))) != 1 {
		c.rule = "auth.credentials"
		return nil, errUnauthorized("not authorized: invalid client_id or client_secret")
	}
	client := *cl
	c.client = client
	if err := s.rateLimit(serverRateKey(client.ID)); err != nil {
		c.rule = "ratelimit"
		return nil, err
	}
	now := s.clock.Now()
	jti := s.st.ids.uuid()
	tok, err := s.access.mint(accessClaims{
		Issuer:    s.publicOrigin(c.r) + "/",
		Subject:   client.ID,
		Party:     client.ID,
		Type:      "Bearer",
		Product:   client.Product,
		IssuedAt:  now.Unix(),
		ExpiresAt: ceilUnix(now.Add(AccessTokenTTL)), // never before expires_in has passed
		ID:        jti,
	})
	if err != nil {
		return nil, err
	}
	return tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(AccessTokenTTL.Seconds())}, nil
}

// ceilUnix is t in Unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	if t.Nanosecond() > 0 {
		return t.Unix() + 1
	}
	return t.Unix()
}

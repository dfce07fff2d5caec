// Package prove is a small client for Prove's server API as Prove Identity
// and Pre-Fill use it: OAuth client credentials (POST /token) and the v3
// flow (POST /v3/start, /v3/validate, /v3/challenge, /v3/complete); and
// Unified Authentication as "Sign in with Prove" uses it (POST /v3/unify,
// /v3/unify-status, /v3/unify-bind, /v3/device/revoke: unify.go).
//
// It knows Prove only by a base URL and credentials, so it works the same
// against Prove's sandbox (https://platform.uat.proveapis.com) and against
// mockprove. The access token is cached until shortly before it expires
// (60 s, or half its lifetime when that is shorter) and fetched again after any 401 from an API call (the call is retried once).
// Every call has a timeout. Errors are typed: *Error for Prove's error
// answers, *TimeoutError, *MalformedError and *TransportError.
package prove

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultTimeout = 10 * time.Second
	// TokenLeeway: a cached token is not used in the last minute of its
	// life, or in the second half of it when it lives less than 2 minutes.
	TokenLeeway = 60 * time.Second
	// maxAnswerBytes bounds what is read of one answer.
	maxAnswerBytes = 1 << 20
)

// UserAgent is sent with every request.
const UserAgent = "mockprove-flowapp/0.1 (prove-go-client)"

// Config configures a Client.
type Config struct {
	// BaseURL is Prove's server, e.g. https://platform.uat.proveapis.com or
	// http://127.0.0.1:8080 (mockprove). Required.
	BaseURL string
	// ClientID and ClientSecret are the OAuth client credentials. Required.
	ClientID     string
	ClientSecret string
	// HTTP is the HTTP client; default: a client on http.DefaultTransport.
	HTTP *http.Client
	// Timeout bounds every method call (token fetch and one retry
	// included); default DefaultTimeout.
	Timeout time.Duration
	// Now is the clock the token's expiry is measured on; default time.Now.
	Now func() time.Time
}

// Client calls Prove's server API. It is safe for concurrent use.
type Client struct {
	BaseURL      string
	ClientID     string
	ClientSecret string
	HTTP         *http.Client

	timeout time.Duration
	now     func() time.Time

	fetching chan struct{} // a one-slot semaphore: one token fetch at a time
	mu       sync.Mutex    // guards token and expiry
	token    string
	expiry   time.Time // when the cached token stops being used
}

// CheckBaseURL returns Prove's base URL without its trailing slash, or an
// error when it is not an absolute http(s) URL.
func CheckBaseURL(s string) (string, error) {
	base := strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(base)
	if base == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("prove: base URL %q must be an http(s) URL such as https://platform.uat.proveapis.com", s)
	}
	return base, nil
}

// tokenLeeway is how long before its expiry a token of this lifetime stops
// being used: min(TokenLeeway, lifetime/2).
func tokenLeeway(lifetime time.Duration) time.Duration {
	return min(TokenLeeway, lifetime/2)
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	base, err := CheckBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("prove: client ID and client secret are required")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("prove: timeout %s must not be negative", cfg.Timeout)
	}
	c := &Client{
		BaseURL: base, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, HTTP: cfg.HTTP,
		timeout: cfg.Timeout, now: cfg.Now, fetching: make(chan struct{}, 1),
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Transport: http.DefaultTransport}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Timeout is the per-call timeout.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Start is POST /v3/start: it opens a flow and returns the authToken for the
// client SDK, the correlationId and the next allowed call.
func (c *Client) Start(ctx context.Context, req StartRequest) (*StartResponse, error) {
	var resp StartResponse
	if err := c.call(ctx, "/v3/start", req, &resp, "authToken", "correlationId", "next"); err != nil {
		return nil, err
	}
	if resp.AuthToken == "" || resp.CorrelationID == "" {
		return nil, &MalformedError{Op: "/v3/start", Status: http.StatusOK, Reason: "authToken or correlationId is empty"}
	}
	return &resp, nil
}

// Validate is POST /v3/validate: did the possession check pass?
func (c *Client) Validate(ctx context.Context, correlationID string) (*ValidateResponse, error) {
	var resp ValidateResponse
	if err := c.call(ctx, "/v3/validate", ValidateRequest{CorrelationID: correlationID}, &resp, "success", "challengeMissing", "next"); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Challenge is POST /v3/challenge (Pre-Fill): it submits a DOB and/or SSN
// and returns the identity to pre-fill.
func (c *Client) Challenge(ctx context.Context, req ChallengeRequest) (*ChallengeResponse, error) {
	var resp ChallengeResponse
	if err := c.call(ctx, "/v3/challenge", req, &resp, "success", "next"); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Complete is POST /v3/complete: it verifies the individual and ends the
// flow.
func (c *Client) Complete(ctx context.Context, req CompleteRequest) (*CompleteResponse, error) {
	var resp CompleteResponse
	if err := c.call(ctx, "/v3/complete", req, &resp, "success", "next"); err != nil {
		return nil, err
	}
	return &resp, nil
}

// call posts body as JSON to op with a bearer token and decodes the answer
// into out, which must have every key of required. A 401 drops the cached
// token and the call is made once more with a new one.
func (c *Client) call(ctx context.Context, op string, body, out any, required ...string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("prove: %s: encode request: %w", op, err)
	}
	for attempt := 0; ; attempt++ {
		token, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		status, answer, err := c.post(ctx, op, "application/json", bytes.NewReader(payload), token)
		if err != nil {
			return err
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			c.dropToken(token)
			continue
		}
		if status < 200 || status > 299 {
			return errorAnswer(op, status, answer)
		}
		return decodeAnswer(op, status, answer, out, required)
	}
}

// accessToken returns the cached token or fetches a new one.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	if tok := c.cached(); tok != "" {
		return tok, nil
	}
	select {
	case c.fetching <- struct{}{}:
	case <-ctx.Done():
		return "", c.ctxError(ctx, "/token", ctx.Err())
	}
	defer func() { <-c.fetching }()
	if tok := c.cached(); tok != "" { // fetched while we waited
		return tok, nil
	}
	return c.fetchToken(ctx)
}

func (c *Client) cached() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expiry) {
		return c.token
	}
	return ""
}

// dropToken forgets token if it is still the cached one.
func (c *Client) dropToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token = ""
	}
}

// fetchToken is POST /token with the client credentials, form-encoded.
func (c *Client) fetchToken(ctx context.Context) (string, error) {
	const op = "/token"
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret},
	}
	issued := c.now()
	status, answer, err := c.post(ctx, op, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "")
	if err != nil {
		return "", err
	}
	if status < 200 || status > 299 {
		return "", errorAnswer(op, status, answer)
	}
	var tr tokenResponse
	if err := decodeAnswer(op, status, answer, &tr, []string{"access_token", "token_type", "expires_in"}); err != nil {
		return "", err
	}
	switch {
	case tr.AccessToken == "":
		return "", &MalformedError{Op: op, Status: status, Reason: "access_token is empty"}
	case !strings.EqualFold(tr.TokenType, "bearer"):
		return "", &MalformedError{Op: op, Status: status, Reason: fmt.Sprintf("token_type is %q, not bearer", tr.TokenType)}
	case tr.ExpiresIn <= 0:
		return "", &MalformedError{Op: op, Status: status, Reason: fmt.Sprintf("expires_in is %d, not a positive number of seconds", tr.ExpiresIn)}
	}
	c.mu.Lock()
	c.token = tr.AccessToken
	lifetime := time.Duration(tr.ExpiresIn) * time.Second
	c.expiry = issued.Add(lifetime - tokenLeeway(lifetime))
	c.mu.Unlock()
	return tr.AccessToken, nil
}

// post sends one request and reads the whole answer.
func (c *Client) post(ctx context.Context, op, contentType string, body io.Reader, token string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+op, body)
	if err != nil {
		return 0, nil, fmt.Errorf("prove: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, c.ctxError(ctx, op, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return 0, nil, c.ctxError(ctx, op, err)
	}
	return resp.StatusCode, answer, nil
}

// ctxError classifies a failed exchange: a timeout, or a transport failure.
func (c *Client) ctxError(ctx context.Context, op string, err error) error {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return &TimeoutError{Op: op, After: c.timeout, Err: err}
	}
	return &TransportError{Op: op, Err: err}
}

// errorAnswer turns an error status into *Error, with Prove's code and
// message when the body is Prove's error JSON.
func errorAnswer(op string, status int, answer []byte) error {
	var body struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	e := &Error{Op: op, Status: status}
	if json.Unmarshal(answer, &body) == nil && body.Message != nil {
		e.Message = *body.Message
		if body.Code != nil {
			e.Code = *body.Code
		}
		return e
	}
	e.Message = http.StatusText(status) + " (the answer is not Prove's error JSON)"
	return e
}

// decodeAnswer decodes a 2xx JSON answer into out after checking that every
// required key is present.
func decodeAnswer(op string, status int, answer []byte, out any, required []string) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(answer, &keys); err != nil {
		return &MalformedError{Op: op, Status: status, Reason: "the body is not a JSON object", Err: err}
	}
	for _, k := range required {
		if v, ok := keys[k]; !ok || string(v) == "null" {
			return &MalformedError{Op: op, Status: status, Reason: fmt.Sprintf("required field %q is missing", k)}
		}
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return &MalformedError{Op: op, Status: status, Reason: "a field has the wrong type", Err: err}
	}
	return nil
}

package mockprove_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// The built-in OAuth clients (mockprove.DefaultClients).
const (
	identityID     = "identity-client"
	identitySecret = "identity-secret"
	prefillID      = "prefill-client"
	prefillSecret  = "prefill-secret"
)

// memBase is the base URL used with the in-memory transport.
const memBase = "http://mockprove.test"

// result is one HTTP exchange, decoded.
type result struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any // nil when the body is not a JSON object
}

// Code is the Prove error code of an error body, or -1.
func (r result) Code() int {
	if f, ok := r.Body["code"].(float64); ok {
		return int(f)
	}
	return -1
}

// Message is the message of an error body.
func (r result) Message() string {
	m, _ := r.Body["message"].(string)
	return m
}

// Next is the "next" map of a flow response.
func (r result) Next() map[string]any {
	n, _ := r.Body["next"].(map[string]any)
	return n
}

// Str is a string field of the body.
func (r result) Str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

// Map is an object field of the body.
func (r result) Map(key string) map[string]any {
	m, _ := r.Body[key].(map[string]any)
	return m
}

// client is a tiny Prove API client. Every response it receives, on any
// route the spec describes, is validated against specs/prove-v3.yaml by a
// contracts.SpecTransport: a response that does not conform fails the test.
type client struct {
	srv    *mockprove.Server
	base   string
	loose  *contracts.SpecTransport // responses checked; requests may be invalid on purpose
	strict *contracts.SpecTransport // requests checked too: for valid requests only
	bearer string
}

// newServer builds a server on a frozen clock at testkit.T0 with a fixed
// seed (testkit.Seed), closed when the spec ends. It is not started (specs
// that need a listener call Start); inMemory reaches it without one.
func newServer(opts mockprove.Options) *mockprove.Server {
	GinkgoHelper()
	if opts.Clock == nil {
		opts.Clock = mockprove.NewFrozenClock(testkit.T0)
	}
	if opts.Seed == 0 {
		opts.Seed = testkit.Seed
	}
	s, err := mockprove.New(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	return s
}

// newClient talks to base through rt (nil: a real network transport).
func newClient(srv *mockprove.Server, rt http.RoundTripper, base string) *client {
	GinkgoHelper()
	loose, err := contracts.NewSpecTransport(rt)
	Expect(err).NotTo(HaveOccurred())
	strict, err := contracts.NewSpecTransport(rt)
	Expect(err).NotTo(HaveOccurred())
	strict.CheckRequests = true
	return &client{srv: srv, base: strings.TrimSuffix(base, "/"), loose: loose, strict: strict}
}

// inMemory is a server (default options unless given) and a client that
// reaches it through Server.HTTPClient's in-memory transport.
func inMemory(opts ...mockprove.Options) *client {
	GinkgoHelper()
	var o mockprove.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s := newServer(o)
	return newClient(s, s.HTTPClient().Transport, memBase)
}

// Checked is how many responses the spec transports validated.
func (c *client) Checked() int { return c.loose.Checked() + c.strict.Checked() }

// as returns a client sharing the transports with another bearer token.
func (c *client) as(id, secret string) *client {
	GinkgoHelper()
	cp := *c
	cp.bearer = cp.mustToken(id, secret)
	return &cp
}

// login sets the bearer token of c to a fresh token of client id.
func (c *client) login(id, secret string) *client {
	GinkgoHelper()
	c.bearer = c.mustToken(id, secret)
	return c
}

func (c *client) roundTrip(rt http.RoundTripper, req *http.Request) result {
	GinkgoHelper()
	resp, err := (&http.Client{Transport: rt}).Do(req)
	Expect(err).NotTo(HaveOccurred(), "round trip (the spec transport refuses non-conforming responses)")
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	r := result{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// request builds a request carrying c's bearer token, if any.
func (c *client) request(method, path, contentType string, body []byte) *http.Request {
	GinkgoHelper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	if body == nil {
		req.Body = http.NoBody
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	return req
}

// do sends a request that may be invalid on purpose: only the response is
// checked against the spec.
func (c *client) do(req *http.Request) result {
	GinkgoHelper()
	return c.roundTrip(c.loose, req)
}

// send is do for method, path, content type and raw body.
func (c *client) send(method, path, contentType, body string) result {
	GinkgoHelper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	return c.do(c.request(method, path, contentType, b))
}

// post sends a request the spec allows (the request is validated too) with
// a JSON body.
func (c *client) post(path string, body any) result {
	GinkgoHelper()
	b, err := json.Marshal(body)
	Expect(err).NotTo(HaveOccurred())
	return c.roundTrip(c.strict, c.request(http.MethodPost, path, "application/json", b))
}

// tokenForm posts a form to /token; it may be invalid on purpose.
func (c *client) tokenForm(form url.Values) result {
	GinkgoHelper()
	req := c.request(http.MethodPost, "/token", "application/x-www-form-urlencoded", []byte(form.Encode()))
	req.Header.Del("Authorization")
	return c.do(req)
}

// token asks for a token with the client credentials grant.
func (c *client) token(id, secret string) result {
	GinkgoHelper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	req := c.request(http.MethodPost, "/token", "application/x-www-form-urlencoded", []byte(form.Encode()))
	req.Header.Del("Authorization")
	return c.roundTrip(c.strict, req)
}

func (c *client) mustToken(id, secret string) string {
	GinkgoHelper()
	r := c.token(id, secret)
	Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
	tok := r.Str("access_token")
	Expect(tok).NotTo(BeEmpty())
	return tok
}

// startWith posts /v3/start with the given fields (flowType defaults to mobile).
func (c *client) startWith(fields map[string]any) result {
	GinkgoHelper()
	body := map[string]any{"flowType": "mobile"}
	for k, v := range fields {
		body[k] = v
	}
	return c.post("/v3/start", body)
}

// start starts a mobile flow for phone and returns its correlationId.
func (c *client) start(phone string, extra ...map[string]any) string {
	GinkgoHelper()
	fields := map[string]any{"phoneNumber": phone}
	for _, e := range extra {
		for k, v := range e {
			fields[k] = v
		}
	}
	r := c.startWith(fields)
	Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
	id := r.Str("correlationId")
	Expect(id).NotTo(BeEmpty())
	return id
}

func (c *client) validate(id string) result {
	GinkgoHelper()
	return c.post("/v3/validate", map[string]any{"correlationId": id})
}

func (c *client) challenge(id string, fields map[string]any) result {
	GinkgoHelper()
	body := map[string]any{"correlationId": id}
	for k, v := range fields {
		body[k] = v
	}
	return c.post("/v3/challenge", body)
}

func (c *client) complete(id string, individual map[string]any) result {
	GinkgoHelper()
	return c.post("/v3/complete", map[string]any{"correlationId": id, "individual": individual})
}

// validated starts a flow for phone and passes /v3/validate.
func (c *client) validated(phone string, extra ...map[string]any) string {
	GinkgoHelper()
	id := c.start(phone, extra...)
	r := c.validate(id)
	Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
	Expect(r.Body).To(HaveKeyWithValue("success", true))
	return id
}

// expectError asserts Prove's error shape: status, code and a message that
// contains msg.
func expectError(r result, status, code int, msg string) {
	GinkgoHelper()
	Expect(r.Status).To(Equal(status), "body: %s", r.Raw)
	Expect(r.Header.Get("Content-Type")).To(Equal("application/json"))
	Expect(r.Code()).To(Equal(code), "body: %s", r.Raw)
	Expect(r.Message()).To(ContainSubstring(msg))
}

// next builds the expected next map from step names.
func next(steps ...string) map[string]any {
	paths := map[string]string{
		"v3-validate": "/v3/validate", "v3-challenge": "/v3/challenge",
		"v3-complete": "/v3/complete", "done": "done",
	}
	m := map[string]any{}
	for _, s := range steps {
		Expect(paths).To(HaveKey(s))
		m[s] = paths[s]
	}
	return m
}

// decodeJWT returns the header and claims of a JWT without checking it.
func decodeJWT(tok string) (header, claims map[string]any) {
	GinkgoHelper()
	parts := strings.Split(tok, ".")
	Expect(parts).To(HaveLen(3), "a JWT has three parts: %q", tok)
	for i, out := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Unmarshal(raw, out)).To(Succeed())
	}
	return header, claims
}

// personaByPhone returns a default persona.
func personaByPhone(phone string) mockprove.Persona {
	GinkgoHelper()
	ps, err := mockprove.DefaultPersonas()
	Expect(err).NotTo(HaveOccurred())
	for _, p := range ps {
		if p.Phone == phone {
			return p
		}
	}
	Fail("no default persona " + phone)
	return mockprove.Persona{}
}

// individualOf is what a customer who types a persona's data submits to
// /v3/complete.
func individualOf(phone string) map[string]any {
	GinkgoHelper()
	in := personaByPhone(phone).Individual
	m := map[string]any{"firstName": in.FirstName, "lastName": in.LastName, "dob": in.DOB, "ssn": in.SSN}
	if len(in.Addresses) > 0 {
		a := in.Addresses[0]
		m["addresses"] = []any{map[string]any{"address": a.Address, "city": a.City, "region": a.Region, "postalCode": a.PostalCode}}
	}
	if len(in.EmailAddresses) > 0 {
		m["emailAddresses"] = []any{in.EmailAddresses[0]}
	}
	return m
}

// with returns a copy of m with the given keys replaced.
func with(m map[string]any, kv ...any) map[string]any {
	cp := make(map[string]any, len(m))
	for k, v := range m {
		cp[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cp[kv[i].(string)] = kv[i+1]
	}
	return cp
}

// logBuffer collects log output; safe for concurrent writes.
type logBuffer struct{ testkit.SyncBuffer }

// Lines decodes the JSON log lines written so far.
func (l *logBuffer) Lines() []map[string]any {
	GinkgoHelper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		Expect(json.Unmarshal([]byte(line), &m)).To(Succeed(), line)
		out = append(out, m)
	}
	return out
}

// jsonLogger logs JSON lines to buf without the wall-clock fields (time,
// duration), so that what the lines contain depends only on the requests.
func jsonLogger(buf *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == "duration") {
				return slog.Attr{}
			}
			return a
		},
	}))
}

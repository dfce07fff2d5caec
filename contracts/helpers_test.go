package contracts_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// world is a running mockprove (frozen clock) with the kit's proxy in
// front of it, both on real loopback sockets.
type world struct {
	prove *mockprove.Server
	proxy *contracts.Proxy
}

// newWorld starts mockprove and a proxy judging time on mockprove's clock.
func newWorld(opts ...mockprove.Options) *world {
	GinkgoHelper()
	var o mockprove.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s := testkit.Mock(GinkgoT(), o)
	p, err := contracts.NewProxy(contracts.ProxyOptions{
		Upstream: s.URL(),
		Recorder: contracts.RecorderOptions{Flows: contracts.FlowOptions{Now: s.Clock().Now}},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(p.Start()).To(Succeed())
	DeferCleanup(p.Close)
	return &world{prove: s, proxy: p}
}

// lines is the report's violations of one side as their one-line forms.
func (w *world) lines(side contracts.Side) []string {
	var out []string
	for _, v := range w.proxy.Report().Of(side) {
		out = append(out, v.String())
	}
	return out
}

// caller is an integration talking to base (the proxy) with a plain
// http.Client, as one in any language would.
type caller struct {
	base   string
	http   *http.Client
	bearer string
}

func newCaller(base string) *caller {
	return &caller{base: base, http: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is a response with its body read.
type answer struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (a answer) Str(key string) string { s, _ := a.Body[key].(string); return s }

func (c *caller) do(method, path, contentType string, body []byte, bearer string) answer {
	GinkgoHelper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	Expect(err).NotTo(HaveOccurred(), "%s %s", method, path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	a := answer{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	_ = json.Unmarshal(raw, &a.Body)
	return a
}

// post sends a JSON body with the caller's bearer token.
func (c *caller) post(path, body string) answer {
	GinkgoHelper()
	return c.do(http.MethodPost, path, "application/json", []byte(body), c.bearer)
}

// device sends a device API call with a flow's authToken.
func (c *caller) device(path, authToken, body string) answer {
	GinkgoHelper()
	return c.do(http.MethodPost, path, "application/json", []byte(body), authToken)
}

// token asks for an OAuth token and keeps it.
func (c *caller) token(id, secret string) answer {
	GinkgoHelper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode()
	a := c.do(http.MethodPost, "/token", "application/x-www-form-urlencoded", []byte(form), "")
	if a.Status == http.StatusOK {
		c.bearer = a.Str("access_token")
	}
	return a
}

func (c *caller) login() *caller {
	GinkgoHelper()
	Expect(c.token("identity-client", "identity-secret").Status).To(Equal(http.StatusOK))
	return c
}

// start starts a flow and returns its correlationId and authToken.
func (c *caller) start(body string) (string, string) {
	GinkgoHelper()
	a := c.post("/v3/start", body)
	Expect(a.Status).To(Equal(http.StatusOK), "start: %s", a.Raw)
	return a.Str("correlationId"), a.Str("authToken")
}

func cidBody(cid string, more ...string) string {
	return `{"correlationId":"` + cid + `"` + strings.Join(more, "") + `}`
}

const martinaIndividual = `,"individual":{"firstName":"Martina","lastName":"Goodram","ssn":"490959347"}`

// rules are the rules of violations.
func rules(vs []contracts.Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Rule
	}
	return out
}

// oneLine succeeds for a short single-line message that quotes no schema.
func oneLine() OmegaMatcher {
	return And(Not(ContainSubstring("\n")), Not(ContainSubstring("Schema:")), Not(ContainSubstring(`"properties"`)),
		WithTransform(func(s string) int { return len(s) }, BeNumerically("<", 400)))
}

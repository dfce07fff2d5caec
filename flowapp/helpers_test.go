package flowapp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

func TestFlowapp(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "flowapp")
}

// martinaFinish is Martina's identity as the page would submit it.
var martinaFinish = map[string]any{
	"firstName": "Martina", "lastName": "Goodram", "dob": "1995-07-26", "ssn": "490959347",
	"emailAddress": "mgoodram0@nasa.gov",
	"address":      map[string]any{"address": "28965 Homewood Plaza", "city": "Little Rock", "region": "AR", "postalCode": "72204"},
}

// world is one spec's setting: mockprove on a frozen clock, flowapp pointed
// at it, and a browser-like client (cookie jar) whose every answer on a
// documented route is checked against specs/flowapp.yaml.
type world struct {
	s    *mockprove.Server
	app  *flowapp.App
	c    *http.Client
	spec *contracts.SpecTransport
	logs *testkit.SyncBuffer
	gate *testkit.Gate // with worldOptions.gated
}

type worldOptions struct {
	clientID, secret string        // default identity-client
	proveTimeout     time.Duration // default 10 s
	uncheckedProve   bool          // flowapp→Prove not spec-checked (to let malformed answers through)
	webFS            fs.FS
	webDir           string
	finalTargetURL   string
	publicURL        string
	devHints         *bool
	proveBaseURL     string // default: mockprove's URL
	startsPerPhone   flowapp.Limit
	startsPerIP      flowapp.Limit
	throttleKeys     int
	trustedProxies   []netip.Prefix
	maxSessions      int
	gated            bool // a gate between flowapp and mockprove (w.gate)
	codeSender       flowapp.CodeSender
}

func newWorld(o worldOptions) *world {
	GinkgoHelper()
	s := testkit.Mock(GinkgoT(), mockprove.Options{StrictResponses: true})
	w := &world{s: s, logs: &testkit.SyncBuffer{}}

	// Every request flowapp sends to Prove must conform to prove-v3.yaml.
	var proveRT http.RoundTripper = http.DefaultTransport
	if !o.uncheckedProve {
		st, err := contracts.NewSpecTransport(http.DefaultTransport, specs.ProveV3)
		Expect(err).NotTo(HaveOccurred())
		st.CheckRequests = true
		proveRT = st
	}
	if o.clientID == "" {
		o.clientID, o.secret = "identity-client", "identity-secret"
	}
	if o.proveBaseURL == "" {
		o.proveBaseURL = s.URL()
	}
	if o.gated {
		w.gate = testkit.NewGate(GinkgoT(), o.proveBaseURL)
		o.proveBaseURL = w.gate.URL
	}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(w.logs, GinkgoWriter), &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := flowapp.New(flowapp.Options{
		ProveBaseURL: o.proveBaseURL, ClientID: o.clientID, ClientSecret: o.secret,
		ProveHTTP: &http.Client{Transport: proveRT}, ProveTimeout: o.proveTimeout,
		WebFS: o.webFS, WebDir: o.webDir, FinalTargetURL: o.finalTargetURL, PublicURL: o.publicURL, DevHints: o.devHints,
		Logger: logger, Now: s.Clock().Now,
		StartsPerPhone: o.startsPerPhone, StartsPerIP: o.startsPerIP, ThrottleKeys: o.throttleKeys,
		TrustedProxies: o.trustedProxies, MaxSessions: o.maxSessions, CodeSender: o.codeSender,
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(app.StartAddr("127.0.0.1:0")).To(Succeed())
	DeferCleanup(app.Close)
	w.app = app
	w.c, w.spec = newBrowser()
	return w
}

// newBrowser is a cookie-keeping client checked against flowapp.yaml.
func newBrowser() (*http.Client, *contracts.SpecTransport) {
	GinkgoHelper()
	st, err := contracts.NewSpecTransport(http.DefaultTransport, specs.Flowapp)
	Expect(err).NotTo(HaveOccurred())
	jar, err := cookiejar.New(nil)
	Expect(err).NotTo(HaveOccurred())
	return &http.Client{Jar: jar, Transport: st}, st
}

// result is one exchange with flowapp, decoded.
type result struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// Code is the machine code of an error answer.
func (r result) Code() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// Message is the message of an error answer.
func (r result) Message() string {
	e, _ := r.Body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// ProveCode is the proveCode of an error answer, or 0.
func (r result) ProveCode() int {
	e, _ := r.Body["error"].(map[string]any)
	f, _ := e["proveCode"].(float64)
	return int(f)
}

func (r result) Str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

func (r result) Bool(key string) bool {
	b, _ := r.Body[key].(bool)
	return b
}

func (r result) String() string { return fmt.Sprintf("HTTP %d %s", r.Status, r.Raw) }

func (w *world) do(c *http.Client, req *http.Request) result {
	GinkgoHelper()
	resp, err := c.Do(req)
	Expect(err).NotTo(HaveOccurred(), "flowapp's answer must conform to specs/flowapp.yaml")
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	r := result{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		Expect(json.Unmarshal(raw, &r.Body)).To(Succeed(), "%s", raw)
	}
	return r
}

// send posts a raw body with a content type.
func (w *world) send(path, contentType, body string) result {
	GinkgoHelper()
	return w.do(w.c, w.request(path, contentType, body))
}

// request is a POST of a raw body with a content type (and headers: name,
// value, ...).
func (w *world) request(path, contentType, body string, headers ...string) *http.Request {
	GinkgoHelper()
	req, err := http.NewRequest(http.MethodPost, w.app.URL()+path, strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// post posts v as JSON.
func (w *world) post(path string, v any) result {
	GinkgoHelper()
	b, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	return w.send(path, "application/json", string(b))
}

func (w *world) get(path string) result {
	GinkgoHelper()
	req, err := http.NewRequest(http.MethodGet, w.app.URL()+path, nil)
	Expect(err).NotTo(HaveOccurred())
	return w.do(w.c, req)
}

// initialize starts a flow and expects it to work; it returns the authToken.
func (w *world) initialize(phone, flowType string) string {
	GinkgoHelper()
	r := w.post("/initialize", map[string]any{"phoneNumber": phone, "flowType": flowType})
	Expect(r.Status).To(Equal(200), "%s", r)
	Expect(r.Str("flowType")).To(Equal(flowType))
	tok := r.Str("authToken")
	Expect(tok).To(HavePrefix("eyJ"))
	return tok
}

// postAsync posts v as JSON in the background; the answer arrives on the
// channel.
func (w *world) postAsync(path string, v any) <-chan result {
	out := make(chan result, 1)
	go func() {
		defer GinkgoRecover()
		out <- w.post(path, v)
	}()
	return out
}

// verify expects /verify to answer 200 and returns the answer.
func (w *world) verify() result {
	GinkgoHelper()
	r := w.post("/verify", map[string]any{"authId": "auth-from-the-sdk"})
	Expect(r.Status).To(Equal(200), "%s", r)
	return r
}

// expectError checks an error answer.
func expectError(r result, status int, code string) {
	GinkgoHelper()
	Expect(r.Status).To(Equal(status), "%s", r)
	Expect(r.Code()).To(Equal(code), "%s", r)
	Expect(r.Message()).NotTo(BeEmpty())
}

// proveCalls lists the calls flowapp made on mockprove's server API, as
// "step status", oldest first (device API calls left out).
func (w *world) proveCalls() []string {
	var out []string
	for _, line := range testkit.StepStatuses(w.s) {
		if strings.HasPrefix(line, "/token ") || strings.HasPrefix(line, "/v3/") {
			out = append(out, line)
		}
	}
	return out
}

// lastRequest is the (masked) body of the latest request to a step.
func (w *world) lastRequest(step string) map[string]any {
	GinkgoHelper()
	es := w.s.Journal(mockprove.JournalFilter{Step: step})
	Expect(es).NotTo(BeEmpty(), "no %s in the journal", step)
	m, ok := es[len(es)-1].Request.(map[string]any)
	Expect(ok).To(BeTrue(), "%v", es[len(es)-1].Request)
	return m
}

// device posts to mockprove's device API with the flow's authToken, as
// Prove's web SDK does in the browser; the exchange is checked against
// specs/prove-device.yaml.
func (w *world) device(authToken, path, body string) map[string]any {
	GinkgoHelper()
	st, err := contracts.NewSpecTransport(http.DefaultTransport, specs.Device)
	Expect(err).NotTo(HaveOccurred())
	st.CheckRequests = true
	req, err := http.NewRequest(http.MethodPost, w.s.URL()+path, strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+authToken)
	resp, err := (&http.Client{Transport: st}).Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	Expect(resp.StatusCode).To(Equal(200), "%s %s", path, raw)
	var m map[string]any
	Expect(json.Unmarshal(raw, &m)).To(Succeed())
	return m
}

// passOTP does the mobile possession check the SDK would do: send the OTP
// SMS, type 1234.
func (w *world) passOTP(authToken string) {
	GinkgoHelper()
	Expect(w.device(authToken, "/v1/client/mobile/otp/start", `{}`)).NotTo(HaveKey("error"))
	Expect(w.device(authToken, "/v1/client/mobile/otp/finish", `{"otp":"1234"}`)).To(HaveKeyWithValue("next", "done"))
}

// correlationID is the correlationId of the only flow mockprove knows.
func (w *world) correlationID() string {
	GinkgoHelper()
	sessions := w.s.Sessions()
	Expect(sessions).To(HaveLen(1))
	return sessions[0].CorrelationID
}

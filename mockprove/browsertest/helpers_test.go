package browsertest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// Per-spec timeouts (real time, not business time).
const (
	browserTimeout = 60 * time.Second
	outcomeTimeout = 20 * time.Second
)

// newMock starts a fresh mockprove on a frozen clock for one spec. Its
// request log goes to GinkgoWriter (shown when the spec fails).
func newMock() *mockprove.Server {
	logger := slog.New(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return testkit.Mock(GinkgoT(), mockprove.Options{StrictResponses: true, Logger: logger})
}

// backend is the customer's server: it talks to mockprove's server API with
// Go's HTTP client, as a real integration would.
type backend struct {
	base  string
	http  *http.Client
	token string
}

func newBackend(s *mockprove.Server) *backend {
	b := &backend{base: s.URL(), http: &http.Client{Timeout: 10 * time.Second}}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"identity-client"}, "client_secret": {"identity-secret"}}
	resp, err := b.http.PostForm(b.base+"/token", form)
	Expect(err).NotTo(HaveOccurred())
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	expectJSON(resp, http.StatusOK, &tok)
	Expect(tok.AccessToken).NotTo(BeEmpty())
	b.token = tok.AccessToken
	return b
}

// post sends a JSON request with the access token and decodes a 200 answer.
func (b *backend) post(path string, body, out any) {
	GinkgoHelper()
	raw, err := json.Marshal(body)
	Expect(err).NotTo(HaveOccurred())
	req, err := http.NewRequest(http.MethodPost, b.base+path, bytes.NewReader(raw))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := b.http.Do(req)
	Expect(err).NotTo(HaveOccurred())
	expectJSON(resp, http.StatusOK, out)
}

func expectJSON(resp *http.Response, status int, out any) {
	GinkgoHelper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode).To(Equal(status), "%s %s answered %s", resp.Request.Method, resp.Request.URL.Path, raw)
	Expect(json.Unmarshal(raw, out)).To(Succeed(), "body: %s", raw)
}

// started is the /v3/start answer plus the authToken's auth.id.
type started struct {
	AuthToken     string `json:"authToken"`
	CorrelationID string `json:"correlationId"`
	AuthID        string `json:"-"`
	Endpoint      string `json:"-"`
}

type startReq struct {
	FlowType       string `json:"flowType"`
	PhoneNumber    string `json:"phoneNumber"`
	FinalTargetURL string `json:"finalTargetUrl,omitempty"`
	AllowOTPRetry  bool   `json:"allowOTPRetry,omitempty"`
}

func (b *backend) start(req startReq) started {
	GinkgoHelper()
	var st started
	b.post("/v3/start", req, &st)
	Expect(st.AuthToken).NotTo(BeEmpty())
	Expect(st.CorrelationID).NotTo(BeEmpty())
	parts := strings.Split(st.AuthToken, ".")
	Expect(parts).To(HaveLen(3))
	Expect(parts[1]).NotTo(ContainSubstring("-"), "the payload must survive atob()")
	Expect(parts[1]).NotTo(ContainSubstring("_"), "the payload must survive atob()")
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	Expect(err).NotTo(HaveOccurred())
	var claims struct {
		Auth struct {
			ID   string `json:"id"`
			Endp string `json:"endp"`
		} `json:"auth"`
	}
	Expect(json.Unmarshal(payload, &claims)).To(Succeed())
	st.AuthID, st.Endpoint = claims.Auth.ID, claims.Auth.Endp
	Expect(st.AuthID).NotTo(BeEmpty())
	return st
}

type validated struct {
	Success     bool              `json:"success"`
	PhoneNumber string            `json:"phoneNumber"`
	Next        map[string]string `json:"next"`
}

func (b *backend) validate(correlationID string) validated {
	GinkgoHelper()
	var v validated
	b.post("/v3/validate", map[string]string{"correlationId": correlationID}, &v)
	return v
}

// script is what the user does in the page (see harness.js).
type script struct {
	Phones []string   `json:"phones,omitempty"`
	OTP    []otpEntry `json:"otp,omitempty"`
	// Retry registers the Instant Link retry step: "resend" or "change" each
	// time the SDK calls it, then the user waits (harness.js).
	Retry []string `json:"retry,omitempty"`
}

type otpEntry struct {
	Action  string `json:"action"`
	Code    string `json:"code,omitempty"`
	Index   *int   `json:"index,omitempty"`
	Advance string `json:"advance,omitempty"`
}

func fromSMS() otpEntry          { return otpEntry{Action: "sms"} }
func nthSMS(i int) otpEntry      { return otpEntry{Action: "sms", Index: &i} }
func typed(code string) otpEntry { return otpEntry{Action: "code", Code: code} }
func resend() otpEntry           { return otpEntry{Action: "resend"} }
func changeNumber() otpEntry     { return otpEntry{Action: "change"} }
func cancelOTP() otpEntry        { return otpEntry{Action: "cancel"} }

// outcome is what the page saw (harness.js).
type outcome struct {
	Mobile           bool             `json:"mobile"`
	Resolved         bool             `json:"resolved"`
	Error            string           `json:"error"`
	ErrorCode        int              `json:"errorCode"`
	FinishCalledWith string           `json:"finishCalledWith"`
	FinishCalls      int              `json:"finishCalls"`
	OTPErrors        []string         `json:"otpErrors"`
	OTPErrorCodes    []int            `json:"otpErrorCodes"`
	PhoneErrors      []string         `json:"phoneErrors"`
	PhoneErrorCodes  []int            `json:"phoneErrorCodes"`
	Events           []map[string]any `json:"events"`
	SDKLog           []string         `json:"sdkLog"`
}

// eventTypes lists the page's events in order.
func (o outcome) eventTypes() []string {
	out := make([]string, 0, len(o.Events))
	for _, e := range o.Events {
		t, _ := e["type"].(string)
		out = append(out, t)
	}
	return out
}

// events returns the page's events of one type.
func (o outcome) events(typ string) []map[string]any {
	var out []map[string]any
	for _, e := range o.Events {
		if e["type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

// page is the harness open in a fresh browser.
type page struct {
	ctx context.Context
}

// openPage starts a browser (mobile or desktop user agent) on the harness.
func openPage(mobile bool) *page {
	GinkgoHelper()
	ctx, cancel := browser.NewContext(GinkgoTB(), browser.Options{Mobile: mobile, Timeout: browserTimeout})
	DeferCleanup(func() {
		if os.Getenv("BROWSERTEST_LOG") != "" { // show the browser's side even when the spec passes
			GinkgoWriter.Printf("browser log:\n%s\n", strings.Join(browser.Logs(ctx), "\n"))
		}
		cancel()
	})
	var version string
	Expect(chromedp.Run(ctx,
		chromedp.Navigate(harnessURL+"/harness.html"),
		chromedp.Evaluate(`window.harness ? String(window.harness.sdkVersion) : "harness missing"`, &version),
	)).To(Succeed())
	Expect(version).To(Equal("3.6.2"), "the page must load the SDK bundle from npm")
	return &page{ctx: ctx}
}

// start runs authenticate() in the page; it does not wait for the outcome.
func (p *page) start(s *mockprove.Server, st started, sc script) {
	GinkgoHelper()
	params, err := json.Marshal(map[string]any{
		"authToken": st.AuthToken, "mockURL": s.URL(), "correlationId": st.CorrelationID, "script": sc,
	})
	Expect(err).NotTo(HaveOccurred())
	var ok bool
	Expect(chromedp.Run(p.ctx, chromedp.Evaluate(`window.harness.start(`+string(params)+`)`, &ok))).To(Succeed())
	Expect(ok).To(BeTrue())
}

// outcome waits for authenticate() to settle in the page.
func (p *page) outcome() outcome {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(p.ctx, outcomeTimeout)
	defer cancel()
	var o outcome
	err := chromedp.Run(ctx, chromedp.Evaluate(`window.harness.outcome()`, &o,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	Expect(err).NotTo(HaveOccurred(), "the SDK's authenticate() did not settle within %s", outcomeTimeout)
	GinkgoWriter.Printf("page outcome: %+v\n", o)
	return o
}

// run starts the SDK and waits for its outcome.
func (p *page) run(s *mockprove.Server, st started, sc script) outcome {
	GinkgoHelper()
	p.start(s, st, sc)
	return p.outcome()
}

// session is mockprove's view of the flow.
func session(s *mockprove.Server, correlationID string) mockprove.Session {
	GinkgoHelper()
	sess, ok := s.Session(correlationID)
	Expect(ok).To(BeTrue(), "mockprove has no flow %s", correlationID)
	return sess
}

// attemptKinds lists the possession events mockprove recorded.
func attemptKinds(sess mockprove.Session) []string {
	out := make([]string, 0, len(sess.Possession.Attempts))
	for _, a := range sess.Possession.Attempts {
		out = append(out, a.Kind)
	}
	return out
}

// journalRules lists "step rule" of the flow's journaled device calls.
func journalRules(s *mockprove.Server, correlationID string) []string {
	var out []string
	for _, e := range s.Journal(mockprove.JournalFilter{CorrelationID: correlationID}) {
		out = append(out, e.Method+" "+e.Path+" "+e.Rule)
	}
	return out
}

// noRedirects is the phone's browser, stopped at the first redirect so the
// test can read it.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

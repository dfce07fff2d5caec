package devicetest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// The built-in OAuth clients (mockprove.DefaultClients).
const (
	identityID     = "identity-client"
	identitySecret = "identity-secret"
	prefillID      = "prefill-client"
	prefillSecret  = "prefill-secret"
)

// Codes the device API puts in its envelopes. mockprove keeps them
// unexported; these are the values of prove-web-sdk.md §7 and §11.
const (
	dataPhoneRejected = 1001  // data.code: the phone number was refused
	dataOTPInvalid    = 1002  // data.code: wrong OTP, retry allowed
	sdkAuthFailure    = 10000 // error.code: expired link/OTP, closed flow
	sdkMaxAttempts    = 10005 // error.code: too many wrong OTPs
)

// Prove's default SMS texts (prove-v3.yaml, V3StartRequest.smsMessage).
const (
	defaultOTPText  = "#### is your temporary code to continue your application. Caution: for your security, don't share this code with anyone."
	defaultLinkText = "Complete your verification. If you did not make this request, do not click the link. ####"
)

const (
	appOrigin  = "http://127.0.0.1:5173"       // the page that runs the web SDK
	landing    = "https://app.example/landing" // finalTargetUrl of desktop flows
	paVersion  = "ProveAuth/3.6.2 Contract/2.15.1 WEB/1"
	otpStart   = "/v1/client/mobile/otp/start"
	otpFinish  = "/v1/client/mobile/otp/finish"
	otpError   = "/v1/client/mobile/otp/error"
	linkStart  = "/v1/client/mobile/instantlink/start"
	instStart  = "/v1/client/mobile/instant/start"
	instFinish = "/v1/client/mobile/instant/finish"
	instError  = "/v1/client/mobile/instant/error"
	statusPath = "/v1/client/status"
)

// checkedSpecs are the embedded OpenAPI documents every HTTP response of the
// suite is validated against (contracts.SpecTransport).
var checkedSpecs = []string{specs.ProveV3, specs.Device, specs.Control}

// env is one running mockprove (real listener on 127.0.0.1, frozen clock at
// testkit.T0) with clients for its APIs.
type env struct {
	s      *mockprove.Server
	base   string
	spec   *contracts.SpecTransport // behind http
	sdkT   *contracts.SpecTransport // behind sdk
	http   *http.Client             // every response validated against the specs; redirects not followed
	sdk    *http.Client             // the same, and the request too: for what the web SDK sends
	raw    *http.Client             // no validation: for answers that are broken on purpose
	bearer string                   // access token of identity-client
	ctlTok string                   // Options.ControlToken, sent on /_mock/ calls
}

// newEnv starts a server (testkit.Mock); opts may set any Options (Clock and
// Seed default to a frozen clock at testkit.T0 and the suite's seed 7). It is
// closed when the spec ends.
func newEnv(opts ...mockprove.Options) *env {
	GinkgoHelper()
	var o mockprove.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Seed == 0 {
		o.Seed = 7
	}
	if o.WSCloseGrace == 0 {
		// A status socket the client leaves open after its final message is
		// closed by mockprove after this grace (real time): far below the
		// suite's Eventually timeout (5 s), so no spec races it.
		o.WSCloseGrace = 20 * time.Millisecond
	}
	s := testkit.Mock(GinkgoT(), o)

	base := &http.Transport{}
	DeferCleanup(base.CloseIdleConnections)
	spec, err := contracts.NewSpecTransport(base, checkedSpecs...)
	Expect(err).NotTo(HaveOccurred())
	sdk, err := contracts.NewSpecTransport(base, checkedSpecs...)
	Expect(err).NotTo(HaveOccurred())
	sdk.CheckRequests = true
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e := &env{
		s:      s,
		base:   s.URL(),
		spec:   spec,
		sdkT:   sdk,
		http:   &http.Client{Transport: spec, CheckRedirect: noRedirect, Timeout: 30 * time.Second},
		sdk:    &http.Client{Transport: sdk, CheckRedirect: noRedirect, Timeout: 30 * time.Second},
		raw:    &http.Client{Transport: base, CheckRedirect: noRedirect, Timeout: 30 * time.Second},
		ctlTok: o.ControlToken,
	}
	e.bearer = e.accessToken(identityID, identitySecret)
	return e
}

// result is one HTTP exchange.
type result struct {
	Status int
	Header http.Header
	Raw    []byte
}

// JSON decodes an object body.
func (r result) JSON() map[string]any {
	GinkgoHelper()
	var m map[string]any
	Expect(json.Unmarshal(r.Raw, &m)).To(Succeed(), "body is not a JSON object: %s", r.Raw)
	return m
}

// List decodes an array-of-objects body.
func (r result) List() []map[string]any {
	GinkgoHelper()
	var l []map[string]any
	Expect(json.Unmarshal(r.Raw, &l)).To(Succeed(), "body is not a JSON array: %s", r.Raw)
	return l
}

// Code is the "code" of a Prove error body.
func (r result) Code() int {
	GinkgoHelper()
	c, ok := r.JSON()["code"].(float64)
	Expect(ok).To(BeTrue(), "no numeric code in %s", r.Raw)
	return int(c)
}

// req builds a request; body "" sends none.
func (e *env) req(method, path, body string, header map[string]string) *http.Request {
	GinkgoHelper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, e.base+path, rd)
	Expect(err).NotTo(HaveOccurred())
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return r
}

// do sends through the spec-checking client: a response that violates a
// document fails the spec here.
func (e *env) do(r *http.Request) result {
	GinkgoHelper()
	return e.doWith(e.http, r)
}

func (e *env) doWith(c *http.Client, r *http.Request) result {
	GinkgoHelper()
	resp, err := c.Do(r)
	Expect(err).NotTo(HaveOccurred(), "%s %s (the spec transport refuses responses that violate the specs)", r.Method, r.URL.Path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return result{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
}

// accessToken runs the client credentials grant.
func (e *env) accessToken(id, secret string) string {
	GinkgoHelper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	r, err := http.NewRequest(http.MethodPost, e.base+"/token", strings.NewReader(form.Encode()))
	Expect(err).NotTo(HaveOccurred())
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := e.do(r)
	Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
	tok, _ := res.JSON()["access_token"].(string)
	Expect(tok).NotTo(BeEmpty())
	return tok
}

// api calls the Prove server API (/v3/*) as identity-client.
func (e *env) api(path string, body any) result {
	GinkgoHelper()
	return e.apiAs(e.bearer, path, body)
}

func (e *env) apiAs(bearer, path string, body any) result {
	GinkgoHelper()
	b, err := json.Marshal(body)
	Expect(err).NotTo(HaveOccurred())
	return e.do(e.req(http.MethodPost, path, string(b), map[string]string{"Authorization": "Bearer " + bearer}))
}

// flow is a started flow as the app and the web SDK see it.
type flow struct {
	ID     string         // correlationId
	Token  string         // authToken
	Claims map[string]any // the authToken's payload, decoded as the SDK does
	Phone  string
}

// AuthID is the claim auth.id.
func (f flow) AuthID() string {
	GinkgoHelper()
	id, _ := f.auth()["id"].(string)
	Expect(id).NotTo(BeEmpty())
	return id
}

func (f flow) auth() map[string]any {
	GinkgoHelper()
	a, ok := f.Claims["auth"].(map[string]any)
	Expect(ok).To(BeTrue(), "no auth claim in %v", f.Claims)
	return a
}

// startFields posts /v3/start (flowType mobile unless fields say otherwise).
func (e *env) startFields(fields map[string]any) result {
	GinkgoHelper()
	body := map[string]any{"flowType": "mobile"}
	for k, v := range fields {
		body[k] = v
	}
	return e.api("/v3/start", body)
}

// start starts a mobile flow for phone.
func (e *env) start(phone string, extra ...map[string]any) flow {
	GinkgoHelper()
	fields := map[string]any{"phoneNumber": phone}
	for _, x := range extra {
		for k, v := range x {
			fields[k] = v
		}
	}
	res := e.startFields(fields)
	Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
	body := res.JSON()
	f := flow{Phone: phone}
	f.ID, _ = body["correlationId"].(string)
	f.Token, _ = body["authToken"].(string)
	Expect(f.ID).NotTo(BeEmpty())
	Expect(f.Token).NotTo(BeEmpty())
	f.Claims = sdkClaims(f.Token)
	return f
}

// startDesktop starts a desktop (Instant Link) flow that lands on landing.
func (e *env) startDesktop(phone string, extra ...map[string]any) flow {
	GinkgoHelper()
	fields := map[string]any{"flowType": "desktop", "finalTargetUrl": landing}
	for _, x := range extra {
		for k, v := range x {
			fields[k] = v
		}
	}
	return e.start(phone, fields)
}

// sdkClaims decodes an authToken exactly as the web SDK does
// (JSON.parse(atob(token.split('.')[1]))): std base64 alphabet, padding
// optional. It fails the spec if atob would throw.
func sdkClaims(token string) map[string]any {
	GinkgoHelper()
	claims, err := testkit.SDKClaims(token)
	Expect(err).NotTo(HaveOccurred())
	return claims
}

// device calls the device API as the web SDK does: POST, JSON body, its
// headers, the page's Origin and "Authorization: Bearer <authToken>". The
// request must conform to prove-device.yaml too (the SDK's requests must be
// accepted by the spec); send deliberately bad ones with e.do(e.deviceReq(…)).
func (e *env) device(token, path, body string) result {
	GinkgoHelper()
	return e.doWith(e.sdk, e.deviceReq(token, path, body))
}

func (e *env) deviceReq(token, path, body string) *http.Request {
	GinkgoHelper()
	h := map[string]string{"Accept": "application/json", "PA-Version": paVersion, "Origin": appOrigin}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return e.req(http.MethodPost, path, body, h)
}

// envelope is a 200 device API answer, decoded.
func (e *env) envelope(token, path, body string) map[string]any {
	GinkgoHelper()
	res := e.device(token, path, body)
	Expect(res.Status).To(Equal(http.StatusOK), "business outcomes are HTTP 200: %s", res.Raw)
	return res.JSON()
}

// control calls the /_mock/ control API.
func (e *env) control(method, path, body string) result {
	GinkgoHelper()
	h := map[string]string{}
	if e.ctlTok != "" {
		h["Authorization"] = "Bearer " + e.ctlTok
	}
	return e.do(e.req(method, path, body, h))
}

// ctl calls the control API and expects status.
func (e *env) ctl(method, path, body string, status int) result {
	GinkgoHelper()
	res := e.control(method, path, body)
	Expect(res.Status).To(Equal(status), "%s %s: %s", method, path, res.Raw)
	return res
}

// validate calls /v3/validate and returns success.
func (e *env) validate(id string) bool {
	GinkgoHelper()
	res := e.api("/v3/validate", map[string]any{"correlationId": id})
	Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
	ok, isBool := res.JSON()["success"].(bool)
	Expect(isBool).To(BeTrue(), string(res.Raw))
	return ok
}

// passOTP runs the happy OTP path for a mobile flow with code.
func (e *env) passOTP(f flow, code string) {
	GinkgoHelper()
	Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
	Expect(e.envelope(f.Token, otpFinish, otpBody(code))).To(Equal(map[string]any{"next": "done"}))
}

func otpBody(code string) string { return `{"otp":"` + code + `"}` }

// sms returns GET /_mock/sms for phone.
func (e *env) sms(phone string) []map[string]any {
	GinkgoHelper()
	return e.ctl(http.MethodGet, "/_mock/sms?phone="+url.QueryEscape(phone), "", http.StatusOK).List()
}

// session returns GET /_mock/sessions/{id}.
func (e *env) session(id string) map[string]any {
	GinkgoHelper()
	return e.ctl(http.MethodGet, "/_mock/sessions/"+id, "", http.StatusOK).JSON()
}

// lastLink is the link of the newest Instant Link SMS of a flow.
func (e *env) lastLink(f flow) string {
	GinkgoHelper()
	msgs := e.s.Outbox(mockprove.SMSFilter{CorrelationID: f.ID, Kind: mockprove.SMSKindInstantLink})
	Expect(msgs).NotTo(BeEmpty(), "no Instant Link SMS in flow %s", f.ID)
	return msgs[len(msgs)-1].Link
}

// open GETs an SMS link as the phone's browser would, without following
// the redirect.
func (e *env) open(link string) result {
	GinkgoHelper()
	r, err := http.NewRequest(http.MethodGet, link, http.NoBody)
	Expect(err).NotTo(HaveOccurred())
	return e.do(r)
}

// sendLink starts the desktop Instant Link step: {"data":{}}.
func (e *env) sendLink(f flow) {
	GinkgoHelper()
	Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"isMobile":false}`)).
		To(Equal(map[string]any{"data": map[string]any{}}))
}

// sendLinkFlow starts a desktop flow for jordan and sends its link.
func (e *env) sendLinkFlow() flow {
	GinkgoHelper()
	f := e.startDesktop(testkit.Jordan)
	e.sendLink(f)
	return f
}

// wsClient is a status WebSocket as the desktop SDK opens it. One goroutine
// reads; messages and the final read error are handed to the spec.
type wsClient struct {
	conn *websocket.Conn
	resp *http.Response
	msgs chan string
	done chan struct{} // closed when the connection is gone

	mu  sync.Mutex
	err error
}

func (e *env) statusURL(token string) string {
	return "ws" + strings.TrimPrefix(e.base, "http") + statusPath + "?token=" + url.QueryEscape(token)
}

// dialStatus opens the status WebSocket; the handshake error is returned.
func (e *env) dialStatus(token string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	return d.Dial(e.statusURL(token), http.Header{"Origin": {appOrigin}})
}

// ws opens the status WebSocket of a flow and starts reading it.
func (e *env) ws(token string) *wsClient {
	GinkgoHelper()
	conn, resp, err := e.dialStatus(token)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode).To(Equal(http.StatusSwitchingProtocols))
	w := &wsClient{conn: conn, resp: resp, msgs: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
				return
			}
			w.msgs <- string(data)
		}
	}()
	DeferCleanup(func() { _ = conn.Close() })
	return w
}

// send writes a text frame (the SDK's "ping").
func (w *wsClient) send(text string) {
	GinkgoHelper()
	Expect(w.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
	Expect(w.conn.WriteMessage(websocket.TextMessage, []byte(text))).To(Succeed())
}

// hangUp closes the socket from the client side, as the SDK does.
func (w *wsClient) hangUp() {
	_ = w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNoStatusReceived, ""), time.Now().Add(time.Second))
	_ = w.conn.Close()
}

// closeErr is why the connection ended (after done is closed).
func (w *wsClient) closeErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// expectDone: the socket receives {"next":"done"}.
func (w *wsClient) expectDone() {
	GinkgoHelper()
	Eventually(w.msgs).Should(Receive(MatchJSON(`{"next":"done"}`)))
}

// expectExpired: the socket receives an error with next "done".
func (w *wsClient) expectExpired() {
	GinkgoHelper()
	var msg string
	Eventually(w.msgs).Should(Receive(&msg))
	var m map[string]any
	Expect(json.Unmarshal([]byte(msg), &m)).To(Succeed(), msg)
	Expect(m).To(HaveKeyWithValue("next", "done"))
	Expect(m).To(HaveKeyWithValue("error", And(
		HaveKeyWithValue("code", BeNumerically("==", sdkAuthFailure)),
		HaveKeyWithValue("message", Not(BeEmpty())),
	)))
}

// expectSilent: nothing arrives for a while (real time) and the socket stays open.
func (w *wsClient) expectSilent() {
	GinkgoHelper()
	Consistently(w.msgs).ShouldNot(Receive())
	Expect(w.done).NotTo(BeClosed())
}

// goroutinesIn counts the goroutines whose stack holds fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Count(buf[:n], []byte(fn+"("))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// settledGoroutinesIn is goroutinesIn once the count has been stable for a
// moment (sockets of earlier specs finish closing asynchronously).
func settledGoroutinesIn(fn string) int {
	GinkgoHelper()
	var n int
	Eventually(func(g Gomega) {
		n = goroutinesIn(fn)
		g.Consistently(func() int { return goroutinesIn(fn) }, 100*time.Millisecond, 10*time.Millisecond).Should(Equal(n))
	}).Should(Succeed())
	return n
}

// fakeT records what a Check* helper reports instead of failing the spec.
type fakeT struct {
	mu    sync.Mutex
	fatal []string
}

func (t *fakeT) Fatalf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fatal = append(t.fatal, fmt.Sprintf(format, args...))
}
func (t *fakeT) Cleanup(func())      {}
func (t *fakeT) Logf(string, ...any) {}
func (t *fakeT) Helper()             {}

func (t *fakeT) failures() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.fatal...)
}

// mustTime parses an RFC 3339 time of a JSON body.
func mustTime(v any) time.Time {
	GinkgoHelper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	Expect(err).NotTo(HaveOccurred(), "time %v", v)
	return tm
}

// pluck returns the string field key of every object of a JSON array.
func pluck(list any, key string) []string {
	out := []string{}
	items, _ := list.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		s, _ := m[key].(string)
		out = append(out, s)
	}
	return out
}

// possession is the possession object of a session.
func possession(sess map[string]any) map[string]any {
	GinkgoHelper()
	p, ok := sess["possession"].(map[string]any)
	Expect(ok).To(BeTrue(), "no possession in %v", sess)
	return p
}

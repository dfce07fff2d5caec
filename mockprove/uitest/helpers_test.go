package uitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// ctlToken is the control token every spec's mockprove requires: the page
// must carry it from its URL to its fetches and its event stream.
const ctlToken = "dash-token"

// Real-time bounds of one browser action and of a whole spec's browser.
const (
	actionTimeout  = 10 * time.Second
	browserTimeout = 120 * time.Second
)

// env is one running mockprove (frozen clock at testkit.T0), a customer
// backend talking to it over HTTP, and the dashboard open in Chromium.
type env struct {
	s      *mockprove.Server
	base   string
	http   *http.Client
	bearer string // access token of identity-client
	ctx    context.Context
}

// newEnv starts it; opts, if given, adds to the options every spec uses.
func newEnv(opts ...mockprove.Options) *env {
	GinkgoHelper()
	logger := slog.New(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var o mockprove.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.ControlToken, o.Logger, o.StrictResponses = ctlToken, logger, true
	s := testkit.Mock(GinkgoT(), o)
	e := &env{s: s, base: s.URL(), http: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	e.bearer = e.accessToken("identity-client", "identity-secret")
	return e
}

// accessToken is a fresh OAuth access token of a client.
func (e *env) accessToken(id, secret string) string {
	GinkgoHelper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	resp, err := e.http.PostForm(e.base+"/token", form)
	Expect(err).NotTo(HaveOccurred())
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	res := read(resp)
	Expect(res.status).To(Equal(http.StatusOK), string(res.raw))
	Expect(json.Unmarshal(res.raw, &tok)).To(Succeed())
	return tok.AccessToken
}

// answer is one HTTP exchange.
type answer struct {
	status int
	header http.Header
	raw    []byte
}

func (a answer) json() map[string]any {
	GinkgoHelper()
	var m map[string]any
	Expect(json.Unmarshal(a.raw, &m)).To(Succeed(), "not a JSON object: %s", a.raw)
	return m
}

func read(resp *http.Response) answer {
	GinkgoHelper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return answer{status: resp.StatusCode, header: resp.Header, raw: raw}
}

func (e *env) post(path string, header map[string]string, body any) answer {
	GinkgoHelper()
	b, err := json.Marshal(body)
	Expect(err).NotTo(HaveOccurred())
	req, err := http.NewRequest(http.MethodPost, e.base+path, bytes.NewReader(b))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.http.Do(req)
	Expect(err).NotTo(HaveOccurred())
	return read(resp)
}

// api calls the server API as identity-client (the customer's backend).
func (e *env) api(path string, body any) answer {
	GinkgoHelper()
	return e.post(path, map[string]string{"Authorization": "Bearer " + e.bearer}, body)
}

// flow is a started flow.
type flow struct{ id, token string }

// start posts /v3/start for phone; fields add to or replace the defaults.
func (e *env) start(phone string, fields map[string]any) flow {
	GinkgoHelper()
	body := map[string]any{"flowType": "mobile", "phoneNumber": phone}
	for k, v := range fields {
		body[k] = v
	}
	res := e.api("/v3/start", body)
	Expect(res.status).To(Equal(http.StatusOK), string(res.raw))
	m := res.json()
	f := flow{}
	f.id, _ = m["correlationId"].(string)
	f.token, _ = m["authToken"].(string)
	Expect(f.id).NotTo(BeEmpty())
	Expect(f.token).NotTo(BeEmpty())
	return f
}

// device calls the device API as Prove's web SDK does.
func (e *env) device(f flow, path, body string) answer {
	GinkgoHelper()
	req, err := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("PA-Version", "ProveAuth/3.6.2 Contract/2.15.1 WEB/1")
	req.Header.Set("Origin", "http://127.0.0.1:5173")
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := e.http.Do(req)
	Expect(err).NotTo(HaveOccurred())
	res := read(resp)
	Expect(res.status).To(Equal(http.StatusOK), "%s: %s", path, res.raw)
	return res
}

// sendOTP starts a mobile flow for phone and sends its OTP SMS.
func (e *env) sendOTP(phone string) flow {
	GinkgoHelper()
	f := e.start(phone, nil)
	e.device(f, "/v1/client/mobile/otp/start", `{}`)
	return f
}

// ---------------------------------------------------------------------------
// The page.

// open starts Chromium on the dashboard at view ("phone", "flows", …) and
// waits for its event stream. It marks the window, so that notReloaded can
// tell the page was never loaded again.
func (e *env) open(view string) {
	GinkgoHelper()
	ctx, cancel := browser.NewContext(GinkgoTB(), browser.Options{Timeout: browserTimeout})
	DeferCleanup(cancel)
	e.ctx = ctx
	e.run(chromedp.EmulateViewport(1280, 1000), // a laptop screen; the screenshots' size
		chromedp.Navigate(e.base+"/_mock/ui/?token="+ctlToken+"#/"+view))
	e.waitFor(`document.querySelector('#live').dataset.state`, Equal("live"))
	e.run(chromedp.Evaluate(`window.__loadedOnce = true`, nil))
}

func (e *env) run(actions ...chromedp.Action) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(e.ctx, actionTimeout)
	defer cancel()
	Expect(chromedp.Run(ctx, actions...)).To(Succeed())
}

// eval evaluates a JS expression in the page.
func (e *env) eval(js string, out any) {
	GinkgoHelper()
	e.run(chromedp.Evaluate(js, out))
}

// waitFor polls a JS expression until it matches.
func (e *env) waitFor(js string, m OmegaMatcher) {
	GinkgoHelper()
	Eventually(func() (any, error) {
		var v any
		ctx, cancel := context.WithTimeout(e.ctx, actionTimeout)
		defer cancel()
		err := chromedp.Run(ctx, chromedp.Evaluate(js, &v))
		return v, err
	}).Should(m, "page expression: %s", js)
}

// texts lists the textContent of every element matching sel.
func texts(sel string) string {
	return `[...document.querySelectorAll(` + jsString(sel) + `)].map(el => el.textContent.trim())`
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// click clicks the element, as a user would (mouse events at its centre).
func (e *env) click(sel string) {
	GinkgoHelper()
	e.run(chromedp.Click(sel, chromedp.ByQuery))
}

// typeInto replaces an input's value by typing text.
func (e *env) typeInto(sel, text string) {
	GinkgoHelper()
	e.run(chromedp.Focus(sel, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector(`+jsString(sel)+`).select()`, nil),
		chromedp.SendKeys(sel, text, chromedp.ByQuery))
}

// choose picks a <select> option by value and tells the page, as a user's
// choice does.
func (e *env) choose(sel, value string) {
	GinkgoHelper()
	e.run(chromedp.SetValue(sel, value, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector(`+jsString(sel)+`).dispatchEvent(new Event('change', {bubbles: true}))`, nil))
}

// notReloaded checks that the page was loaded once: updates came without a reload.
func (e *env) notReloaded() {
	GinkgoHelper()
	var once bool
	e.eval(`window.__loadedOnce === true`, &once)
	Expect(once).To(BeTrue(), "the page was reloaded")
}

// ---------------------------------------------------------------------------
// Screenshots.

var shots struct {
	once sync.Once
	dir  string
}

func screenshotDir() string {
	shots.once.Do(func() {
		shots.dir = os.Getenv("UI_SCREENSHOTS")
		if shots.dir == "" {
			dir, err := os.MkdirTemp("", "mockprove-ui-screenshots-")
			if err != nil {
				dir = filepath.Join(os.TempDir(), "mockprove-ui-screenshots")
			}
			shots.dir = dir
		}
		GinkgoWriter.Printf("screenshots go to %s\n", shots.dir)
	})
	return shots.dir
}

// docsScreenshotDir holds the images of docs/dashboard.md.
const docsScreenshotDir = "../../docs/screenshots"

// shot saves what the window shows (1280×1000, scrolled to the top) as name
// (dashboard-phone.png, …) in the test output, and in docs/screenshots
// when UPDATE_SCREENSHOTS=1.
func (e *env) shot(name string) {
	GinkgoHelper()
	e.shotAt(name, `window.scrollTo(0, 0)`)
}

// shotOf is shot with the element sel scrolled to the top of the window
// (below the header), for a view whose subject is below the fold.
func (e *env) shotOf(name, sel string) {
	GinkgoHelper()
	e.shotAt(name, `document.querySelector(`+jsString(sel)+`).scrollIntoView({block: 'start'})`)
}

func (e *env) shotAt(name, scroll string) {
	GinkgoHelper()
	var png []byte
	e.run(chromedp.Evaluate(`document.querySelector('#toast').classList.remove('show'); `+scroll, nil),
		chromedp.Sleep(300*time.Millisecond), // the toast's fade-out, so that it is not in the picture
		chromedp.CaptureScreenshot(&png))
	dirs := []string{screenshotDir()}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		dirs = append(dirs, docsScreenshotDir)
	}
	for _, dir := range dirs {
		Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
		path := filepath.Join(dir, name)
		Expect(os.WriteFile(path, png, 0o644)).To(Succeed())
		GinkgoWriter.Printf("screenshot: %s\n", path)
	}
}

// chromedpSetRaw puts text in the persona form's raw editor, as typing would.
func chromedpSetRaw(text string) chromedp.Action {
	return chromedp.Evaluate(`(() => { const ta = document.querySelector('#p-raw'); ta.value = `+jsString(text)+`;
		ta.dispatchEvent(new Event('input', {bubbles: true})); return true })()`, nil)
}

// linkOf is the flow's latest Instant Link.
func linkOf(s *mockprove.Server, correlationID string) string {
	GinkgoHelper()
	msgs := s.Outbox(mockprove.SMSFilter{CorrelationID: correlationID, Kind: mockprove.SMSKindInstantLink})
	Expect(msgs).NotTo(BeEmpty())
	return msgs[len(msgs)-1].Link
}

// linkToken is the token of the flow's latest Instant Link.
func linkToken(s *mockprove.Server, correlationID string) string {
	GinkgoHelper()
	u, err := url.Parse(linkOf(s, correlationID))
	Expect(err).NotTo(HaveOccurred())
	return strings.TrimPrefix(u.Path, "/v1/link/")
}

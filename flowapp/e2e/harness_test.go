package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// Timeouts of the UI waits (real time: they bound how long the browser may
// take, never business time).
const (
	uiTimeout      = 20 * time.Second
	browserTimeout = 2 * time.Minute
)

// person is what a customer types into the details form.
type person struct {
	First, Last, DOB, SSN, Email     string
	Street, City, Region, PostalCode string
}

var people = map[string]person{
	testkit.Jordan: {"Jordan", "Ellis", "1988-03-21", "900030039", "jordan.ellis@example.com", "725 Elm Park Boulevard", "Columbus", "OH", "43215"},
	testkit.Dana:   {"Dana", "Whitfield", "1987-04-12", "900112233", "dana.whitfield@example.com", "1423 Maple Ridge Drive", "Des Moines", "IA", "50310"},
	testkit.Harold: {"Harold", "Whitcomb", "1958-08-21", "900445566", "harold.whitcomb@example.com", "310 Harbor View Terrace", "Annapolis", "MD", "21401"},
	testkit.Diego:  {"Diego", "Salazar", "1984-06-30", "900030031", "diego.salazar@example.com", "804 Mission Hills Drive", "San Diego", "CA", "92103"},
}

// envOptions choose the browser and flowapp's Prove credentials.
type envOptions struct {
	Mobile       bool
	ClientID     string // default: mockprove's identity-client
	ClientSecret string
}

// env is one spec's world: mockprove, the contract kit's proxy, flowapp and
// a fresh browser.
type env struct {
	prove  *mockprove.Server
	kit    *contracts.Proxy // between flowapp and mockprove (Prove's documents and flow rules)
	site   *contracts.Proxy // between the browser and flowapp (specs/flowapp.yaml)
	app    *flowapp.App
	appURL string          // flowapp, as the browser reaches it: through site
	ctx    context.Context // the customer's browser tab
	mobile bool
}

// newEnv starts mockprove (frozen clock), the contract kit's proxy in front
// of it, flowapp pointed at mockprove through the proxy, and a headless
// Chromium with a fresh profile. Everything stops when the spec ends; the
// final page is saved as a screenshot first, and the spec fails if the kit
// saw flowapp (the client) or mockprove (the platform) break a rule.
func newEnv(o envOptions) *env {
	GinkgoHelper()
	s := testkit.Mock(GinkgoT(), mockprove.Options{StrictResponses: true})
	if o.ClientID == "" {
		o.ClientID, o.ClientSecret = "identity-client", "identity-secret"
	}
	e := &env{prove: s, mobile: o.Mobile}
	e.kit = startKit(s)
	e.appURL, e.site, e.app = startFlowappThrough(e.kit, s, o.ClientID, o.ClientSecret)
	DeferCleanup(e.expectNoViolations)
	ctx, cancel := browser.NewContext(GinkgoTB(), browser.Options{Mobile: o.Mobile, Timeout: browserTimeout})
	e.ctx = ctx
	DeferCleanup(func() {
		e.screenshot(screenshotDir(), specFileName()+".png")
		var exceptions, csp []string
		for _, line := range browser.Logs(ctx) {
			if strings.Contains(line, "EXCEPTION") {
				exceptions = append(exceptions, line)
			}
			if strings.Contains(line, "Content Security Policy") {
				csp = append(csp, line)
			}
		}
		cancel()
		Expect(exceptions).To(BeEmpty(), "uncaught JavaScript exceptions in the page")
		Expect(csp).To(BeEmpty(), "the page's Content-Security-Policy blocked something")
	})
	return e
}

// startKit starts the contract kit's proxy (contracts.Proxy) on a loopback
// port in front of s. It judges lifetimes on s's clock.
func startKit(s *mockprove.Server) *contracts.Proxy {
	GinkgoHelper()
	p, err := contracts.NewProxy(contracts.ProxyOptions{
		Upstream: s.URL(),
		Recorder: contracts.RecorderOptions{Flows: contracts.FlowOptions{Now: s.Clock().Now}},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(p.Start()).To(Succeed())
	DeferCleanup(p.Close)
	return p
}

// startFlowappThrough runs flowapp in-process on a free loopback port and
// returns the URL the browser uses: a second kit proxy in front of
// flowapp, which checks the page's calls and flowapp's answers against
// specs/flowapp.yaml (flowapp's PublicURL, so that its Instant Link landing
// page is reached through it too). flowapp's Prove base URL is mockprove's
// (so its page's Content-Security-Policy and developer hints name
// mockprove, where the browser's SDK goes), but its Prove client sends
// every request through kit, over a real socket, as through an HTTP proxy.
// flowapp reads the time from s's clock (its access-token cache and
// sessions), so that advancing mockprove's clock is seen by both.
// Its sign-in journey uses mockprove's unify-client (flowapp's default
// against a local mockprove). Everything stops when the spec ends.
func startFlowappThrough(kit *contracts.Proxy, s *mockprove.Server, clientID, secret string) (string, *contracts.Proxy, *flowapp.App) {
	GinkgoHelper()
	via, err := url.Parse(kit.URL())
	Expect(err).NotTo(HaveOccurred())
	front, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	frontURL := "http://" + front.Addr().String()
	app, err := flowapp.New(flowapp.Options{
		ProveBaseURL: s.URL(),
		ProveHTTP:    &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(via)}},
		ClientID:     clientID,
		ClientSecret: secret,
		PublicURL:    frontURL,
		WebDir:       "../web", // node_modules with Prove's web SDK (BeforeSuite installs it)
		Now:          s.Clock().Now,
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(app.Start()).To(Succeed())
	DeferCleanup(app.Close)
	site, err := contracts.NewProxy(contracts.ProxyOptions{
		Upstream: app.URL(),
		Recorder: contracts.RecorderOptions{Checker: contracts.CheckerOptions{Specs: []string{specs.Flowapp}, NoAuth: true}, NoFlowRules: true},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(site.Serve(front)).To(Succeed())
	DeferCleanup(site.Close)
	return frontURL, site, app
}

// expectNoViolations fails the spec when a kit proxy saw a violation:
// flowapp breaking Prove's contract or its flow rules, or mockprove
// answering outside its spec; the page breaking flowapp's API, or flowapp
// answering outside specs/flowapp.yaml. One line each.
func (e *env) expectNoViolations() {
	rep, site := e.kit.Report(), e.site.Report()
	Expect(rep.Exchanges).To(Equal(len(e.proveCalls())), "every call flowapp made to Prove went through the kit's proxy")
	checked := 0
	for _, o := range site.Coverage.Operations {
		checked += o.Calls
	}
	Expect(checked).To(BeNumerically(">", 0), "the browser reached flowapp's API through the kit's proxy")
	lines := func(r contracts.Report, side contracts.Side) []string {
		var out []string
		for _, v := range r.Of(side) {
			out = append(out, v.String())
		}
		return out
	}
	Expect(lines(rep, contracts.SideClient)).To(BeEmpty(), "flowapp broke Prove's contract")
	Expect(lines(rep, contracts.SidePlatform)).To(BeEmpty(), "mockprove answered outside its spec")
	Expect(lines(site, contracts.SideClient)).To(BeEmpty(), "the page broke flowapp's API (specs/flowapp.yaml)")
	Expect(lines(site, contracts.SidePlatform)).To(BeEmpty(), "flowapp answered outside specs/flowapp.yaml")
}

// run runs browser actions with the UI timeout.
func (e *env) run(what string, actions ...chromedp.Action) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(e.ctx, uiTimeout)
	defer cancel()
	err := chromedp.Run(ctx, actions...)
	Expect(err).NotTo(HaveOccurred(), "browser: %s\npage: %s", what, e.pageSummary())
}

// pageSummary describes the page for failure messages.
func (e *env) pageSummary() string {
	ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
	defer cancel()
	var view, status, errMsg string
	_ = chromedp.Run(ctx,
		chromedp.Evaluate(`document.body ? (document.body.dataset.view || document.body.dataset.page || '') : ''`, &view),
		chromedp.Evaluate(`(document.getElementById('status') || {}).textContent || ''`, &status),
		chromedp.Evaluate(`(document.getElementById('error') || {}).innerText || ''`, &errMsg),
	)
	return fmt.Sprintf("view=%q status=%q error=%q", view, status, strings.TrimSpace(errMsg))
}

// open loads the application page.
func (e *env) open() {
	GinkgoHelper()
	e.run("open the page",
		chromedp.Navigate(e.appURL+"/"),
		chromedp.WaitReady(`body[data-ready="true"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#phone", chromedp.ByID),
	)
}

func (e *env) waitVisible(sel string) {
	GinkgoHelper()
	e.run("wait for "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery))
}

func (e *env) waitHidden(sel string) {
	GinkgoHelper()
	e.run("wait until "+sel+" is hidden", chromedp.WaitNotVisible(sel, chromedp.ByQuery))
}

// fill types text into an input, replacing what it held.
func (e *env) fill(sel, text string) {
	GinkgoHelper()
	e.run("type into "+sel,
		chromedp.WaitVisible(sel, chromedp.ByQuery),
		chromedp.SetValue(sel, "", chromedp.ByQuery),
		chromedp.SendKeys(sel, text, chromedp.ByQuery),
	)
}

// setDate sets a date input (typing into one depends on the locale).
func (e *env) setDate(sel, yyyymmdd string) {
	GinkgoHelper()
	e.run("set "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.SetValue(sel, yyyymmdd, chromedp.ByQuery))
}

func (e *env) click(sel string) {
	GinkgoHelper()
	e.run("click "+sel, chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeVisible))
}

// text is the visible text of an element.
func (e *env) text(sel string) string {
	GinkgoHelper()
	var s string
	e.run("read "+sel, chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
	return strings.TrimSpace(s)
}

// visible reports whether an element is shown (not hidden, has a box).
func (e *env) visible(sel string) bool {
	GinkgoHelper()
	var ok bool
	e.run("check "+sel, chromedp.Evaluate(fmt.Sprintf(
		`(() => { const el = document.querySelector(%q); return !!el && el.getClientRects().length > 0; })()`, sel), &ok))
	return ok
}

// evalString evaluates a JavaScript expression whose value is a string.
func evalString(js string, out *string) chromedp.Action { return chromedp.Evaluate(js, out) }

// value is the value of an input.
func (e *env) value(sel string) string {
	GinkgoHelper()
	var s string
	e.run("read the value of "+sel, chromedp.Value(sel, &s, chromedp.ByQuery))
	return s
}

// expectFocus waits until the element with this id has the keyboard focus.
func (e *env) expectFocus(id string, why ...any) {
	GinkgoHelper()
	Eventually(func() string {
		var got string
		e.run("read the focus", chromedp.Evaluate(`document.activeElement ? document.activeElement.id : ''`, &got))
		return got
	}).WithTimeout(5*time.Second).Should(Equal(id), why...)
}

// startWith types a number on step 1 and continues.
func (e *env) startWith(phone string) {
	GinkgoHelper()
	e.fill("#phone", phone)
	e.click("#start")
}

// otpFromPhone waits for the n-th OTP text to phone and returns its code,
// as the customer reads it on their phone.
func (e *env) otpFromPhone(phone string, n int) string {
	GinkgoHelper()
	var code string
	Eventually(func() int {
		msgs := e.prove.Outbox(mockprove.SMSFilter{Phone: phone, Kind: mockprove.SMSKindOTP})
		if len(msgs) >= n {
			code = msgs[n-1].Code
		}
		return len(msgs)
	}).WithTimeout(uiTimeout).Should(BeNumerically(">=", n), "OTP text number %d to %s", n, phone)
	Expect(code).NotTo(BeEmpty())
	return code
}

// linkFromPhone waits for the Instant Link text to phone and returns the link.
func (e *env) linkFromPhone(phone string) string {
	GinkgoHelper()
	var link string
	Eventually(func() string {
		msgs := e.prove.Outbox(mockprove.SMSFilter{Phone: phone, Kind: mockprove.SMSKindInstantLink})
		if len(msgs) > 0 {
			link = msgs[len(msgs)-1].Link
		}
		return link
	}).WithTimeout(uiTimeout).ShouldNot(BeEmpty(), "Instant Link text to %s", phone)
	return link
}

// enterOTP types a code and submits it.
func (e *env) enterOTP(code string) {
	GinkgoHelper()
	e.waitVisible("#otp")
	e.fill("#otp", code)
	e.click("#otp-submit")
}

// openLinkOnPhone opens an Instant Link in a second tab of the same browser
// (the "phone"), follows mockprove's redirect to flowapp's /landing and
// checks what the phone shows.
func (e *env) openLinkOnPhone(link string) {
	GinkgoHelper()
	tab, cancel := chromedp.NewContext(e.ctx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(tab, uiTimeout)
	defer cancelT()
	var heading, url string
	err := chromedp.Run(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible("#landing-done", chromedp.ByID),
		chromedp.Text("#landing-done h1", &heading, chromedp.ByQuery),
		chromedp.Location(&url),
	)
	Expect(err).NotTo(HaveOccurred(), "the phone's tab: open %s", link)
	Expect(url).To(HavePrefix(e.appURL+"/landing?"), "mockprove redirects the phone to flowapp's landing page")
	Expect(url).To(ContainSubstring("asc=true"))
	Expect(heading).To(ContainSubstring("return to your computer"))
	e.screenshotOf(ctx, screenshotDir(), specFileName()+"-phone.png")
}

// fillDetails types a person into the details form.
func (e *env) fillDetails(p person) {
	GinkgoHelper()
	e.waitVisible("#details-form")
	e.fill("#first-name", p.First)
	e.fill("#last-name", p.Last)
	e.setDate("#dob", p.DOB)
	e.fill("#ssn", p.SSN)
	e.fill("#email", p.Email)
	e.fill("#address", p.Street)
	e.fill("#city", p.City)
	e.fill("#region", p.Region)
	e.fill("#postal-code", p.PostalCode)
}

// submitDetails sends the details form and waits for the result page.
func (e *env) submitDetails() {
	GinkgoHelper()
	e.click("#details-submit")
	e.waitVisible("#result")
}

// resultSuccess reports which result the page shows.
func (e *env) resultSuccess() bool {
	GinkgoHelper()
	var ok string
	e.run("read the result", chromedp.AttributeValue("#result", "data-success", &ok, nil, chromedp.ByQuery))
	return ok == "true"
}

// advanceClock moves mockprove's business clock through its control API,
// as a developer would with curl.
func (e *env) advanceClock(d string) {
	GinkgoHelper()
	body, _ := json.Marshal(map[string]string{"duration": d})
	rsp, err := http.Post(e.prove.URL()+"/_mock/clock/advance", "application/json", bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	defer rsp.Body.Close()
	Expect(rsp.StatusCode).To(Equal(http.StatusOK), "POST /_mock/clock/advance")
}

// calls lists what flowapp and the SDK asked mockprove, in order, as
// "METHOD path" (CORS preflights and the status WebSocket left out).
func (e *env) calls() []string {
	var out []string
	for _, j := range e.prove.Journal(mockprove.JournalFilter{}) {
		if j.Method == http.MethodOptions || j.Path == "/v1/client/status" {
			continue
		}
		p := j.Path
		if strings.HasPrefix(p, "/v1/link/") {
			p = "/v1/link"
		}
		out = append(out, j.Method+" "+p)
	}
	return out
}

// proveCalls lists the server API calls flowapp made (/token, /v3/*).
func (e *env) proveCalls() []string {
	var out []string
	for _, c := range e.calls() {
		if strings.HasSuffix(c, " /token") || strings.Contains(c, " /v3/") {
			out = append(out, strings.TrimPrefix(c, "POST "))
		}
	}
	return out
}

// journalEntry returns the last journal entry of a path.
func (e *env) journalEntry(path string) mockprove.JournalEntry {
	GinkgoHelper()
	js := e.prove.Journal(mockprove.JournalFilter{Step: path})
	Expect(js).NotTo(BeEmpty(), "no %s in mockprove's journal", path)
	return js[len(js)-1]
}

// inOrder succeeds when want appears in got in this order (other entries may
// be in between).
func inOrder(want ...string) OmegaMatcher {
	return WithTransform(func(got []string) string {
		i := 0
		for _, g := range got {
			if i < len(want) && g == want[i] {
				i++
			}
		}
		if i == len(want) {
			return ""
		}
		return fmt.Sprintf("missing %q (after %q)", want[i], want[:i])
	}, BeEmpty())
}

// ---------------------------------------------------------------------------
// Screenshots.

// screenshotDir is where every spec's final page goes: $E2E_SCREENSHOTS, or
// a folder of this run under the OS temp dir (never the package directory).
func screenshotDir() string {
	if d := os.Getenv("E2E_SCREENSHOTS"); d != "" {
		return d
	}
	tempShots.once.Do(func() {
		dir, err := os.MkdirTemp("", "flowapp-e2e-screenshots-")
		if err != nil {
			dir = filepath.Join(os.TempDir(), "flowapp-e2e-screenshots")
		}
		tempShots.dir = dir
		GinkgoWriter.Printf("screenshots go to %s\n", dir)
	})
	return tempShots.dir
}

// tempShots is this run's screenshot folder when $E2E_SCREENSHOTS is unset.
var tempShots struct {
	once sync.Once
	dir  string
}

// docsScreenshotDir is the documentation's image folder (docs/flowapp.md shows them).
const docsScreenshotDir = "../../docs/screenshots"

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

func specFileName() string {
	name := strings.ToLower(CurrentSpecReport().FullText())
	name = strings.Trim(unsafeName.ReplaceAllString(name, "-"), "-")
	if len(name) > 100 {
		name = name[:100]
	}
	return name
}

func (e *env) screenshot(dir, file string) {
	e.screenshotOf(e.ctx, dir, file)
}

func (e *env) screenshotOf(ctx context.Context, dir, file string) {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	path := filepath.Join(dir, file)
	if err := browser.Screenshot(c, path); err != nil {
		GinkgoWriter.Printf("screenshot %s: %v\n", path, err)
		return
	}
	GinkgoWriter.Printf("screenshot: %s\n", path)
}

// shot saves the page now, next to the spec's final screenshot.
func (e *env) shot(suffix string) {
	e.screenshot(screenshotDir(), specFileName()+"-"+suffix+".png")
}

// docShot saves a named documentation screenshot when UPDATE_SCREENSHOTS=1.
func (e *env) docShot(name string) {
	if os.Getenv("UPDATE_SCREENSHOTS") != "1" {
		return
	}
	e.screenshot(docsScreenshotDir, name)
}

package e2e_test

import (
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
)

// Step 1 and the landing page, in a computer's browser.
var _ = Describe("the phone step and the landing page", func() {
	var e *env

	BeforeEach(func() {
		e = newEnv(envOptions{})
		e.open()
	})

	It("checks the number in the page before calling flowapp", func() {
		e.startWith("12345")
		e.waitVisible("#phone-error")
		Expect(e.text("#phone-error")).To(ContainSubstring("10 to 15 digits"))
		e.expectFocus("phone")
		var invalid string
		e.run("read aria-invalid", evalString(`document.getElementById('phone').getAttribute('aria-invalid')`, &invalid))
		Expect(invalid).To(Equal("true"))
		Expect(e.calls()).To(BeEmpty(), "nothing reached Prove")
	})

	It("shows Prove's message for a number that is not a test user", func() {
		e.startWith("2000000000")
		e.waitVisible("#error")
		e.shot("error")
		Expect(e.text("#error-title")).To(Equal("We couldn't start verification for this number"))
		Expect(e.text("#error-detail")).To(SatisfyAll(ContainSubstring("prove_rejected"), ContainSubstring("8007")))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start"))
	})

	It("works with the keyboard alone, and a restart while waiting cancels the old flow", func() {
		e.run("type the number and press Enter",
			chromedp.Focus("#phone", chromedp.ByID),
			chromedp.SendKeys("#phone", "+1 (200) 999-0039"+kb.Enter, chromedp.ByID))
		e.waitVisible("#countdown")
		Expect(e.journalEntry("/v3/start").Request.(map[string]any)).To(HaveKeyWithValue("phoneNumber", "+12009990039"))
		first := e.linkFromPhone(jordan)

		e.run("start again with the keyboard",
			chromedp.Focus("#wait-restart", chromedp.ByID),
			chromedp.KeyEvent(kb.Enter))
		e.waitVisible("#phone")
		e.expectFocus("phone")
		e.run("press Enter", chromedp.SendKeys("#phone", kb.Enter, chromedp.ByID))
		e.waitVisible("#countdown")
		var second string
		Eventually(func() string {
			second = e.linkFromPhone(jordan)
			return second
		}).ShouldNot(Equal(first))
		e.openLinkOnPhone(second)
		e.waitVisible("#details-form")
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/start", "/v3/validate"),
			"the cancelled flow is never validated")
		sess := e.prove.Sessions()
		Expect(sess).To(HaveLen(2))
		Expect(sess[1].State).To(Equal("validated"))
	})

	It("tells the phone to go back to the computer", func() {
		e.run("open the landing page", chromedp.Navigate(e.appURL+"/landing?authId=abc&asc=true"),
			chromedp.WaitVisible("#landing-done", chromedp.ByID))
		Expect(e.text("#landing-done h2")).To(Equal("You're verified — return to your computer"))
		Expect(e.calls()).To(BeEmpty())
	})

	It("says an incomplete link is incomplete", func() {
		e.run("open the landing page", chromedp.Navigate(e.appURL+"/landing"),
			chromedp.WaitVisible("#landing-invalid", chromedp.ByID))
		Expect(e.text("#landing-invalid h2")).To(ContainSubstring("incomplete"))
	})
})

// The landing page in a phone's browser that has no phone flow going: the
// link was for a flow started on a computer.
var _ = Describe("the landing page on a phone", func() {
	It("does not try to finish a flow this browser did not start", func() {
		e := newEnv(envOptions{Mobile: true})
		e.run("open the landing page", chromedp.Navigate(e.appURL+"/landing?authId=abc&asc=true"),
			chromedp.WaitVisible("#landing-done", chromedp.ByID))
		Expect(e.calls()).To(BeEmpty())
	})

	It("says so when the flow it should finish is gone", func() {
		e := newEnv(envOptions{Mobile: true})
		e.open()
		// This browser believes it runs a phone flow, but flowapp has no session for it.
		e.run("open the landing page",
			chromedp.Evaluate(`localStorage.setItem('flowapp.flowType', 'mobile')`, nil),
			chromedp.Navigate(e.appURL+"/landing?authId=abc&asc=true"),
			chromedp.WaitVisible("#landing-done", chromedp.ByID))
		Expect(browser.Logs(e.ctx)).To(ContainElement(ContainSubstring("← 409 "+e.appURL+"/verify")),
			"finishInstantLink ran the finish step, and flowapp answered no_session")
		Expect(e.calls()).To(BeEmpty(), "flowapp did not ask Prove")
	})
})

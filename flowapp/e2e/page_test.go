package e2e_test

import (
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
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

	It("says in its own words that a number is unknown (Prove's 8007), with a developer hint", func() {
		e.startWith("2000000000")
		e.waitVisible("#error")
		e.shot("error")
		Expect(e.text("#error-title")).To(Equal("We couldn't start verification for this number"))
		Expect(e.text("#error-message")).To(Equal("We couldn't find that phone number. Check it and try again."))
		Expect(e.text("#error-detail")).To(SatisfyAll(ContainSubstring("prove_rejected"), ContainSubstring("8007"),
			ContainSubstring("Developer hint"), Not(ContainSubstring("2000000000"))))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start"))
	})

	It("keeps its error live region in the page, empty until there is an error", func() {
		region := func() string {
			GinkgoHelper()
			var s string
			e.run("read #phone-error", evalString(`(() => { const el = document.getElementById('phone-error');
				return (el.hidden ? 'hidden' : 'shown') + ' ' + el.getAttribute('aria-live') + ' [' + el.textContent + ']'; })()`, &s))
			return s
		}
		Expect(region()).To(Equal("shown polite []"))
		e.startWith("12345")
		Expect(region()).To(Equal("shown polite [Enter a mobile number with 10 to 15 digits.]"))
		e.fill("#phone", testkit.Jordan)
		Expect(region()).To(Equal("shown polite []"))
	})

	It("works with the keyboard alone, and a restart while waiting cancels the old flow", func() {
		e.run("type the number and press Enter",
			chromedp.Focus("#phone", chromedp.ByID),
			chromedp.SendKeys("#phone", "+1 (200) 999-0039"+kb.Enter, chromedp.ByID))
		e.waitVisible("#countdown")
		Expect(e.journalEntry("/v3/start").Request.(map[string]any)).To(HaveKeyWithValue("phoneNumber", "+12009990039"))
		first := e.linkFromPhone(testkit.Jordan)

		e.run("start again with the keyboard",
			chromedp.Focus("#wait-restart", chromedp.ByID),
			chromedp.KeyEvent(kb.Enter))
		e.waitVisible("#phone")
		e.expectFocus("phone")
		e.run("press Enter", chromedp.SendKeys("#phone", kb.Enter, chromedp.ByID))
		e.waitVisible("#countdown")
		var second string
		Eventually(func() string {
			msgs := e.prove.Outbox(mockprove.SMSFilter{Phone: testkit.Jordan, Kind: mockprove.SMSKindInstantLink})
			if len(msgs) > 0 {
				second = msgs[len(msgs)-1].Link
			}
			return second
		}).WithTimeout(uiTimeout).ShouldNot(SatisfyAny(BeEmpty(), Equal(first)), "a new Instant Link text")
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
		Expect(e.text("#landing-done h1")).To(Equal("You're verified — return to your computer"))
		Expect(e.calls()).To(BeEmpty())
	})
})

// The landing page in a phone's browser: it only says where to go on. It
// finishes nothing (no Instant Link for mobile web) and calls nobody.
var _ = Describe("the landing page on a phone", func() {
	It("only tells the customer to go back to the computer", func() {
		e := newEnv(envOptions{Mobile: true})
		e.open()
		e.run("open the landing page", chromedp.Navigate(e.appURL+"/landing?authId=abc&asc=true"),
			chromedp.WaitVisible("#landing-done", chromedp.ByID))
		Expect(e.text("#landing-done h1")).To(Equal("You're verified — return to your computer"))
		Expect(browser.Logs(e.ctx)).NotTo(ContainElement(ContainSubstring(e.appURL+"/verify")), "no /verify from the landing page")
		Expect(e.calls()).To(BeEmpty())
	})
})

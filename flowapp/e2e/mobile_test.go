package e2e_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// A phone's browser: the SDK's isMobileWeb() is true, flowapp starts a
// mobile flow and the SDK checks possession with an SMS code (OTP).
var _ = Describe("on a phone (mobile web, OTP)", func() {
	var e *env

	BeforeEach(func() {
		e = newEnv(envOptions{Mobile: true})
		e.open()
	})

	It("verifies the phone with the texted code and opens the account", func() {
		e.startWith(testkit.Jordan)
		code := e.otpFromPhone(testkit.Jordan, 1)
		e.waitVisible("#otp")
		e.expectFocus("otp", "focus moves to the code input")
		Expect(e.text("#otp-phone")).To(Equal("(200) 999-0039"))
		e.docShot("otp.png")

		e.enterOTP(code)
		e.fillDetails(people[testkit.Jordan])
		e.submitDetails()

		Expect(e.resultSuccess()).To(BeTrue(), "result page: %s", e.text("#result"))
		Expect(e.text("#result-success")).To(ContainSubstring("You're verified"))
		Expect(e.text("#cip-confidence")).To(MatchRegexp(`(?i)^high$`))
		Expect(e.visible("#kyc-hits")).To(BeFalse(), "no KYC hits to list")
		Expect(e.text("#steps .is-current")).To(ContainSubstring("Done"))

		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate", "/v3/complete"))
		Expect(e.calls()).To(inOrder("POST /token", "POST /v3/start",
			"POST /v1/client/mobile/otp/start", "POST /v1/client/mobile/otp/finish",
			"POST /v3/validate", "POST /v3/complete"))
		start := e.journalEntry("/v3/start").Request.(map[string]any)
		Expect(start).To(HaveKeyWithValue("flowType", "mobile"))
		Expect(start).To(HaveKeyWithValue("allowOTPRetry", true))
		Expect(start).NotTo(HaveKey("finalTargetUrl"))
		sess := e.prove.Sessions()
		Expect(sess).To(HaveLen(1))
		Expect(sess[0].State).To(Equal("completed"))
		Expect(sess[0].PossessionPassed).To(BeTrue())
	})

	It("shows the SDK's error for a wrong code and accepts the right one", func() {
		e.startWith(testkit.Jordan)
		code := e.otpFromPhone(testkit.Jordan, 1)
		e.enterOTP("0000")

		e.waitVisible("#otp-error")
		e.shot("wrong-code")
		Expect(e.text("#otp-error")).To(SatisfyAll(
			ContainSubstring("That code didn't work"),
			ContainSubstring("invalid OTP, 2 attempts left"), // otpError.message, from mockprove
		))
		var invalid string
		Expect(e.value("#otp")).To(BeEmpty(), "the wrong code is cleared")
		e.run("read aria-invalid", evalString(`document.getElementById('otp').getAttribute('aria-invalid')`, &invalid))
		Expect(invalid).To(Equal("true"))

		e.enterOTP(code)
		e.waitVisible("#details-form")
		Expect(e.calls()).To(inOrder("POST /v1/client/mobile/otp/finish", "POST /v1/client/mobile/otp/finish", "POST /v3/validate"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate"))
	})

	It("resends the code, and the new code works", func() {
		e.startWith(testkit.Diego) // a random code in every text
		first := e.otpFromPhone(testkit.Diego, 1)
		e.waitVisible("#otp")
		e.click("#otp-resend")

		second := e.otpFromPhone(testkit.Diego, 2)
		e.waitVisible("#otp-note")
		Expect(e.text("#otp-note")).To(ContainSubstring("We sent a new code"))
		Expect(e.calls()).To(inOrder("POST /v1/client/mobile/otp/start", "POST /v1/client/mobile/otp/start"))
		Expect(second).NotTo(Equal(first), "each text carries a fresh code (mockprove seed 42)")

		e.enterOTP(first) // the old code no longer works
		e.waitVisible("#otp-error")
		Expect(e.text("#otp-error")).To(ContainSubstring("invalid OTP"))
		e.enterOTP(second)
		e.fillDetails(people[testkit.Diego])
		e.submitDetails()
		Expect(e.resultSuccess()).To(BeTrue())
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate", "/v3/complete"))
	})

	It("changes the number in the page, showing why a number is refused", func() {
		e.startWith(testkit.Abigail)
		e.otpFromPhone(testkit.Abigail, 1)
		e.waitVisible("#otp")
		e.click("#otp-change")

		e.waitVisible("#new-phone")
		e.expectFocus("new-phone")
		e.fill("#new-phone", testkit.Ingrid) // the carrier refuses this number
		e.click("#change-submit")
		e.waitVisible("#change-error")
		e.shot("refused-number")
		Expect(e.text("#change-error")).To(ContainSubstring("could not be verified")) // phoneValidationError.message

		e.fill("#new-phone", testkit.Jordan)
		e.click("#change-submit")
		code := e.otpFromPhone(testkit.Jordan, 1)
		e.waitVisible("#otp")
		Expect(e.text("#otp-phone")).To(Equal("(200) 999-0039"))
		e.enterOTP(code)
		e.fillDetails(people[testkit.Jordan])
		e.submitDetails()
		Expect(e.resultSuccess()).To(BeTrue())
	})

	It("says the code expired when it is entered too late, and starting again works", func() {
		e.startWith(testkit.Jordan)
		code := e.otpFromPhone(testkit.Jordan, 1)
		e.waitVisible("#otp")
		e.advanceClock("2m1s") // codes live 2 minutes

		e.enterOTP(code)
		e.waitVisible("#error")
		e.shot("error")
		Expect(e.text("#error-title")).To(Equal("We could not verify your phone number"))
		Expect(e.text("#error-message")).To(ContainSubstring("Your code expired"))
		e.expectFocus("restart")
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate"))
		validate := e.journalEntry("/v3/validate").Response.(map[string]any)
		Expect(validate).To(HaveKeyWithValue("success", false))

		e.click("#restart")
		e.waitVisible("#phone")
		e.expectFocus("phone")
		Expect(e.value("#phone")).To(Equal(testkit.Jordan), "the number is kept")
		e.click("#start")
		code = e.otpFromPhone(testkit.Jordan, 2)
		e.enterOTP(code)
		e.fillDetails(people[testkit.Jordan])
		e.submitDetails()
		Expect(e.resultSuccess()).To(BeTrue())
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate", "/v3/start", "/v3/validate", "/v3/complete"))
	})

	It("starts again from the code form, cancelling the SDK's step; the new flow works", func() {
		e.startWith(testkit.Jordan)
		e.otpFromPhone(testkit.Jordan, 1)
		e.waitVisible("#otp")
		e.click("#otp-restart")

		e.waitVisible("#phone")
		e.expectFocus("phone")
		Expect(e.value("#phone")).To(Equal(testkit.Jordan), "the number is kept")
		e.click("#start")
		e.enterOTP(e.otpFromPhone(testkit.Jordan, 2))
		e.fillDetails(people[testkit.Jordan])
		e.submitDetails()
		Expect(e.resultSuccess()).To(BeTrue())
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/start", "/v3/validate", "/v3/complete"),
			"the cancelled flow is never validated")
		// The SDK reports the cancelled step on its own schedule: it may reach
		// mockprove before or after the new flow's /v3/start.
		Eventually(e.calls).Should(inOrder("POST /v1/client/mobile/otp/start", "POST /v1/client/mobile/otp/error"),
			"the SDK reported the cancelled step to Prove")
		Expect(browser.Logs(e.ctx)).To(ContainElement(ContainSubstring("user cancelled")), "the OTP finish step was rejected with reject('user cancelled')")
	})

	It("starts again from the change-number form", func() {
		e.startWith(testkit.Abigail)
		e.otpFromPhone(testkit.Abigail, 1)
		e.waitVisible("#otp")
		e.click("#otp-change")
		e.waitVisible("#new-phone")
		e.click("#change-restart")

		e.waitVisible("#phone")
		e.startWith(testkit.Jordan)
		e.enterOTP(e.otpFromPhone(testkit.Jordan, 1))
		e.waitVisible("#details-form")
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/start", "/v3/validate"))
		Expect(e.prove.Outbox(mockprove.SMSFilter{Phone: testkit.Abigail})).To(HaveLen(1), "no code for the cancelled flow's number")
		Expect(browser.Logs(e.ctx)).To(ContainElement(ContainSubstring("user cancelled")), "the SDK's start step was rejected")
		Expect(e.calls()).To(inOrder("POST /v1/client/mobile/otp/start", "POST /v1/client/mobile/otp/error", "POST /v3/start"))
	})

	It("shows a clear error when the SDK's device call fails", func() {
		Expect(e.prove.FailNext("/v1/client/mobile/otp/start", 500)).To(Succeed())
		e.startWith(testkit.Jordan)
		e.waitVisible("#error")
		e.shot("error")
		Expect(e.text("#error-title")).To(Equal("Phone verification failed"))
		Expect(e.text("#error-message")).To(ContainSubstring("could not reach the verification service"))
		Expect(e.text("#error-detail")).To(ContainSubstring("500"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start"))
	})
})

// Mobile Auth: the carrier confirms the phone silently (the SDK's "fetch"
// implementation); OTP is the fallback when it fails.
var _ = Describe("on a phone with Mobile Auth", func() {
	var e *env

	BeforeEach(func() {
		e = newEnv(envOptions{Mobile: true})
		e.open()
	})

	It("goes straight to the details form when the carrier confirms the phone", func() {
		e.startWith("2009990037") // Rashid Karimi: Mobile Auth passes
		e.waitVisible("#details-form")
		Expect(e.prove.Outbox(mockprove.SMSFilter{})).To(BeEmpty(), "no text message")
		Expect(e.calls()).To(inOrder("POST /v3/start", "POST /v1/client/mobile/instant/start",
			"POST /v1/client/mobile/instant/finish", "POST /v3/validate"))
	})

	It("falls back to a texted code when Mobile Auth fails", func() {
		e.startWith("2009990038") // Colleen Brennan: Mobile Auth fails
		e.enterOTP(e.otpFromPhone("2009990038", 1))
		e.waitVisible("#details-form")
		Expect(e.calls()).To(inOrder("POST /v1/client/mobile/instant/start", "POST /v1/client/mobile/instant/error",
			"POST /v1/client/mobile/otp/start", "POST /v1/client/mobile/otp/finish", "POST /v3/validate"))
	})
})

package browsertest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// Every spec: a fresh mockprove on a frozen clock, a fresh browser profile,
// then what a real integration does: the backend calls /token and /v3/start,
// the page runs Prove's unmodified web SDK with the authToken, the backend
// calls /v3/validate. The spec checks the page's outcome, /v3/validate and
// mockprove's record of the possession check.
var _ = Describe("Prove web SDK 3.6.2", func() {
	var (
		s   *mockprove.Server
		api *backend
	)

	BeforeEach(func() {
		s = newMock()
		api = newBackend(s)
	})

	mobileStart := func(phone string, allowRetry bool) started {
		GinkgoHelper()
		st := api.start(startReq{FlowType: "mobile", PhoneNumber: phone, AllowOTPRetry: allowRetry})
		Expect(st.Endpoint).To(Equal(s.URL()), "auth.endp must point the SDK at mockprove")
		return st
	}

	// finishedWith checks that the SDK ran the app's finish step once, with
	// the flow's authId, and that authenticate() resolved.
	finishedWith := func(o outcome, st started) {
		GinkgoHelper()
		Expect(o.Error).To(BeEmpty())
		Expect(o.Resolved).To(BeTrue(), "authenticate() must resolve")
		Expect(o.FinishCalls).To(Equal(1))
		Expect(o.FinishCalledWith).To(Equal(st.AuthID))
		Expect(o.events("script-exhausted")).To(BeEmpty(), "the SDK asked the user more often than scripted: %v", o.eventTypes())
	}

	Describe("mobile web, OTP", func() {
		var p *page
		BeforeEach(func() { p = openPage(true) })

		It("passes with the right code at the first try", func() {
			st := mobileStart(testkit.Jordan, false)
			o := p.run(s, st, script{OTP: []otpEntry{fromSMS()}})

			Expect(o.Mobile).To(BeTrue(), "the Android user agent must make isMobileWeb() true")
			finishedWith(o, st)
			Expect(o.OTPErrors).To(BeEmpty())
			Expect(o.PhoneErrors).To(BeEmpty())
			starts := o.events("otpStart")
			Expect(starts).To(HaveLen(1))
			Expect(starts[0]["phoneNumberNeeded"]).To(BeFalse(), "the number came with /v3/start (mnp)")
			Expect(o.events("otp-entered")[0]["otp"]).To(Equal("1234"))

			sms := s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID})
			Expect(sms).To(HaveLen(1))
			Expect(sms[0].Kind).To(Equal(mockprove.SMSKindOTP))
			Expect(sms[0].Phone).To(Equal(testkit.Jordan))

			v := api.validate(st.CorrelationID)
			Expect(v.Success).To(BeTrue())
			Expect(v.PhoneNumber).To(Equal(testkit.Jordan))

			sess := session(s, st.CorrelationID)
			Expect(sess.Possession.Method).To(Equal(mockprove.MethodOTP))
			Expect(sess.Possession.Passed).To(BeTrue())
			Expect(attemptKinds(sess)).To(Equal([]string{"otp-sent", "otp-right"}))
			Expect(sess.Possession.OTP.Attempts).To(Equal(1))
			Expect(sess.State).To(Equal(mockprove.StateValidated))
		})

		It("reports a wrong code as an OtpError (1002) and passes with the right one (allowOTPRetry)", func() {
			st := mobileStart(testkit.Jordan, true)
			o := p.run(s, st, script{OTP: []otpEntry{typed("0000"), fromSMS()}})

			finishedWith(o, st)
			Expect(o.OTPErrorCodes).To(Equal([]int{1002}))
			Expect(o.OTPErrors).To(ConsistOf(HavePrefix("Error Code: 1002, ")))
			finishes := o.events("otpFinish")
			Expect(finishes).To(HaveLen(2))
			Expect(finishes[0]["otpError"]).To(BeFalse())
			Expect(finishes[1]["otpError"]).To(BeTrue(), "the SDK must hand the page a proveAuth.OtpError")

			Expect(api.validate(st.CorrelationID).Success).To(BeTrue())
			sess := session(s, st.CorrelationID)
			Expect(attemptKinds(sess)).To(Equal([]string{"otp-sent", "otp-wrong", "otp-right"}))
			Expect(sess.Possession.OTP.Attempts).To(Equal(2))
			Expect(sess.Possession.OTP.MaxAttempts).To(Equal(3))
		})

		It("lets a persona who mistypes twice pass at the third try", func() {
			st := mobileStart(testkit.Tessa, true)
			o := p.run(s, st, script{OTP: []otpEntry{fromSMS(), fromSMS(), fromSMS()}})

			finishedWith(o, st)
			Expect(o.OTPErrorCodes).To(Equal([]int{1002, 1002}))
			Expect(api.validate(st.CorrelationID).Success).To(BeTrue())
			Expect(attemptKinds(session(s, st.CorrelationID))).To(Equal([]string{"otp-sent", "otp-wrong", "otp-wrong", "otp-right"}))
		})

		It("resends: two SMS, the first code no longer works, the second does", func() {
			st := mobileStart(testkit.Diego, true) // a fresh random code per SMS
			o := p.run(s, st, script{OTP: []otpEntry{resend(), nthSMS(0), fromSMS()}})

			finishedWith(o, st)
			sms := s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID, Kind: mockprove.SMSKindOTP})
			Expect(sms).To(HaveLen(2))
			Expect(sms[0].Code).NotTo(Equal(sms[1].Code), "pick another Options.Seed: both random codes are equal")
			entered := o.events("otp-entered")
			Expect(entered).To(HaveLen(2))
			Expect(entered[0]["otp"]).To(Equal(sms[0].Code))
			Expect(entered[1]["otp"]).To(Equal(sms[1].Code))
			Expect(o.OTPErrorCodes).To(Equal([]int{1002}), "the first code must be invalidated by the resend")

			Expect(api.validate(st.CorrelationID).Success).To(BeTrue())
			sess := session(s, st.CorrelationID)
			Expect(attemptKinds(sess)).To(Equal([]string{"otp-sent", "otp-resent", "otp-wrong", "otp-right"}))
			Expect(sess.Possession.OTP.Sends).To(Equal(2))
		})

		It("rejects a number the carrier refuses (PhoneValidationError) and passes with a new one", func() {
			st := mobileStart(testkit.Ingrid, false)
			o := p.run(s, st, script{Phones: []string{testkit.Jordan}, OTP: []otpEntry{fromSMS()}})

			finishedWith(o, st)
			Expect(o.PhoneErrorCodes).To(Equal([]int{1001}))
			Expect(o.PhoneErrors).To(ConsistOf(HavePrefix("Error Code: 1001, ")))
			starts := o.events("otpStart")
			Expect(starts).To(HaveLen(2))
			Expect(starts[1]["phoneValidationError"]).To(BeTrue(), "the SDK must hand the page a proveAuth.PhoneValidationError")

			sms := s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID})
			Expect(sms).To(HaveLen(1))
			Expect(sms[0].Phone).To(Equal(testkit.Jordan), "no SMS may go to the refused number")

			v := api.validate(st.CorrelationID)
			Expect(v.Success).To(BeTrue())
			Expect(v.PhoneNumber).To(Equal(testkit.Jordan), "validate reports the number that passed")
			sess := session(s, st.CorrelationID)
			Expect(attemptKinds(sess)).To(Equal([]string{"phone-rejected", "phone-changed", "otp-sent", "otp-right"}))
			Expect(sess.Phone).To(Equal(testkit.Jordan))
		})

		It("changes the number after the SMS (OnMobileNumberChange): refused number, then another; the old code is void", func() {
			st := mobileStart(testkit.Jordan, true)
			o := p.run(s, st, script{
				Phones: []string{testkit.Ingrid, testkit.Abigail},
				OTP:    []otpEntry{changeNumber(), typed("1234"), fromSMS()},
			})

			finishedWith(o, st)
			starts := o.events("otpStart")
			Expect(starts).To(HaveLen(3))
			Expect(starts[1]["phoneNumberNeeded"]).To(BeTrue(), "a number change asks for a number")
			Expect(o.PhoneErrorCodes).To(Equal([]int{1001}))
			Expect(o.OTPErrorCodes).To(Equal([]int{1002}), "jordan's code 1234 must not work for abigail's SMS")
			Expect(o.events("otp-entered")[1]["otp"]).To(Equal("654321"))

			sms := s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID})
			Expect(sms).To(HaveLen(2))
			Expect([]string{sms[0].Phone, sms[1].Phone}).To(Equal([]string{testkit.Jordan, testkit.Abigail}))

			v := api.validate(st.CorrelationID)
			Expect(v.Success).To(BeTrue())
			Expect(v.PhoneNumber).To(Equal(testkit.Abigail))
			Expect(attemptKinds(session(s, st.CorrelationID))).To(Equal(
				[]string{"otp-sent", "phone-rejected", "phone-changed", "otp-resent", "otp-wrong", "otp-right"}))
		})

		It("still calls the finish step when the attempts are exhausted; validate fails", func() {
			st := mobileStart(testkit.Jordan, true)
			o := p.run(s, st, script{OTP: []otpEntry{typed("0000"), typed("0001"), typed("0002")}})

			finishedWith(o, st)
			Expect(o.OTPErrorCodes).To(Equal([]int{1002, 1002}), "the third wrong code ends the flow instead")
			Expect(o.events("otpFinish")).To(HaveLen(3))

			v := api.validate(st.CorrelationID)
			Expect(v.Success).To(BeFalse())
			sess := session(s, st.CorrelationID)
			Expect(sess.Possession.Passed).To(BeFalse())
			Expect(sess.Possession.Failed).To(BeTrue())
			Expect(attemptKinds(sess)).To(Equal([]string{"otp-sent", "otp-wrong", "otp-wrong", "otp-wrong", "otp-exhausted"}))
			Expect(sess.State).To(Equal(mockprove.StateFailed))
		})

		It("reports a cancelled OTP entry (otp/error) and still calls the finish step; validate fails", func() {
			st := mobileStart(testkit.Jordan, false)
			o := p.run(s, st, script{OTP: []otpEntry{cancelOTP()}})

			finishedWith(o, st)
			Expect(journalRules(s, st.CorrelationID)).To(ContainElement("POST /v1/client/mobile/otp/error reported-error"))
			Expect(api.validate(st.CorrelationID).Success).To(BeFalse())
			sess := session(s, st.CorrelationID)
			Expect(attemptKinds(sess)).To(Equal([]string{"otp-sent", "reported-error"}))
			Expect(sess.Possession.Reason).To(ContainSubstring("user cancelled"))
		})

		It("still calls the finish step when the code expired (2m1s later); validate fails", func() {
			st := mobileStart(testkit.Jordan, false)
			entry := fromSMS()
			entry.Advance = "2m1s"
			o := p.run(s, st, script{OTP: []otpEntry{entry}})

			finishedWith(o, st)
			Expect(o.OTPErrors).To(BeEmpty())
			Expect(s.Clock().Now()).To(Equal(testkit.T0.Add(2*time.Minute + time.Second)))

			Expect(api.validate(st.CorrelationID).Success).To(BeFalse())
			sess := session(s, st.CorrelationID)
			Expect(attemptKinds(sess)).To(Equal([]string{"otp-sent", "otp-expired"}))
			Expect(sess.Possession.Reason).To(ContainSubstring("expired"))
		})
	})

	Describe("mobile web, Mobile Auth", func() {
		var p *page
		BeforeEach(func() { p = openPage(true) })

		It("passes silently: no SMS, no user step", func() {
			st := mobileStart(testkit.Rashid, false)
			o := p.run(s, st, script{})

			Expect(o.Mobile).To(BeTrue())
			finishedWith(o, st)
			Expect(o.events("otpStart")).To(BeEmpty())
			Expect(o.events("otpFinish")).To(BeEmpty())
			Expect(s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID})).To(BeEmpty())

			Expect(api.validate(st.CorrelationID).Success).To(BeTrue())
			sess := session(s, st.CorrelationID)
			Expect(sess.Possession.Method).To(Equal(mockprove.MethodMobileAuth))
			Expect(attemptKinds(sess)).To(Equal([]string{"mobileauth-start", "mobileauth-pass"}))
		})

		It("falls back to OTP when Mobile Auth fails", func() {
			st := mobileStart(testkit.Colleen, false)
			o := p.run(s, st, script{OTP: []otpEntry{fromSMS()}})

			finishedWith(o, st)
			Expect(o.events("otpStart")).To(HaveLen(1))
			Expect(o.OTPErrors).To(BeEmpty())
			Expect(s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID, Kind: mockprove.SMSKindOTP})).To(HaveLen(1))
			Expect(journalRules(s, st.CorrelationID)).To(ContainElement("POST /v1/client/mobile/instant/error mobileauth.fallback"),
				"the SDK reports the Mobile Auth failure before the OTP")

			Expect(api.validate(st.CorrelationID).Success).To(BeTrue())
			sess := session(s, st.CorrelationID)
			Expect(sess.Possession.Method).To(Equal(mockprove.MethodOTP))
			Expect(attemptKinds(sess)).To(Equal([]string{"mobileauth-unavailable", "mobileauth-fail", "otp-sent", "otp-right"}))
		})
	})

	Describe("desktop, Instant Link", func() {
		var p *page
		BeforeEach(func() { p = openPage(false) })

		// desktopStart starts a desktop flow, runs the SDK in the page and
		// waits until the SDK has opened the status WebSocket and mockprove
		// has sent the Instant Link SMS.
		desktopStart := func(phone string, sc script) (started, mockprove.SMS) {
			GinkgoHelper()
			st := api.start(startReq{FlowType: "desktop", PhoneNumber: phone, FinalTargetURL: harnessURL + "/landing"})
			p.start(s, st, sc)
			Eventually(func() []mockprove.SMS {
				return s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID, Kind: mockprove.SMSKindInstantLink})
			}).WithTimeout(10 * time.Second).Should(HaveLen(1))
			Eventually(func() []string { return journalRules(s, st.CorrelationID) }).
				WithTimeout(10 * time.Second).Should(ContainElement("GET /v1/client/status ws.open"))
			return st, s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID})[0]
		}

		// openLink is the phone opening the SMS link; it returns the redirect.
		openLink := func(link string) (int, *url.URL) {
			GinkgoHelper()
			Expect(link).To(HavePrefix(s.URL() + "/"))
			resp, err := noRedirects.Get(link)
			Expect(err).NotTo(HaveOccurred())
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			loc, err := url.Parse(resp.Header.Get("Location"))
			Expect(err).NotTo(HaveOccurred())
			return resp.StatusCode, loc
		}

		It("completes when the phone opens the SMS link", func() {
			st, sms := desktopStart(testkit.Jordan, script{})
			Expect(sms.Phone).To(Equal(testkit.Jordan))
			status, loc := openLink(sms.Link)
			Expect(status).To(Equal(http.StatusFound))
			Expect(loc.Scheme + "://" + loc.Host + loc.Path).To(Equal(harnessURL + "/landing"))
			Expect(loc.Query().Get("authId")).To(Equal(st.AuthID))
			Expect(loc.Query().Get("asc")).To(Equal("true"))

			o := p.outcome()
			Expect(o.Mobile).To(BeFalse(), "headless Chromium's own user agent is desktop")
			finishedWith(o, st)
			Expect(o.SDKLog).To(ContainElement(HaveSuffix(`Secondary authentication status: {"next":"done"}`)),
				"the status WebSocket must deliver the click")
			Expect(o.PhoneErrors).To(BeEmpty())
			starts := o.events("instantLinkStart")
			Expect(starts).To(HaveLen(1))
			Expect(starts[0]["phoneNumberNeeded"]).To(BeFalse())

			v := api.validate(st.CorrelationID)
			Expect(v.Success).To(BeTrue())
			Expect(v.PhoneNumber).To(Equal(testkit.Jordan))
			sess := session(s, st.CorrelationID)
			Expect(sess.Possession.Method).To(Equal(mockprove.MethodInstantLink))
			Expect(sess.Possession.Link.ClickedAt).NotTo(BeNil())
			Expect(attemptKinds(sess)).To(Equal([]string{"link-sent", "link-clicked"}))
		})

		It("still calls the finish step when the link expires (3m1s); validate fails; a late click is refused", func() {
			st, sms := desktopStart(testkit.Jordan, script{})
			s.FastForward(3*time.Minute + time.Second)

			o := p.outcome()
			finishedWith(o, st)
			Expect(o.SDKLog).To(ContainElement(And(ContainSubstring("Secondary authentication status: "),
				ContainSubstring(`"error":{"code":10000,`), ContainSubstring(`"next":"done"`))),
				"the status WebSocket must deliver the expiry with next done")

			Expect(api.validate(st.CorrelationID).Success).To(BeFalse())
			sess := session(s, st.CorrelationID)
			Expect(sess.Possession.Failed).To(BeTrue())
			Expect(sess.Possession.Link.ClickedAt).To(BeNil())
			Expect(attemptKinds(sess)).To(Equal([]string{"link-sent", "link-expired"}))

			status, _ := openLink(sms.Link)
			Expect(status).To(Equal(http.StatusGone))
		})

		It("rejects a number the carrier refuses (PhoneValidationError) and sends the link to a new one", func() {
			st, sms := desktopStart(testkit.Ingrid, script{Phones: []string{testkit.Jordan}})
			Expect(sms.Phone).To(Equal(testkit.Jordan), "no SMS may go to the refused number")
			status, _ := openLink(sms.Link)
			Expect(status).To(Equal(http.StatusFound))

			o := p.outcome()
			finishedWith(o, st)
			Expect(o.PhoneErrorCodes).To(Equal([]int{1001}))
			starts := o.events("instantLinkStart")
			Expect(starts).To(HaveLen(2))
			Expect(starts[1]["phoneValidationError"]).To(BeTrue())

			v := api.validate(st.CorrelationID)
			Expect(v.Success).To(BeTrue())
			Expect(v.PhoneNumber).To(Equal(testkit.Jordan))
			Expect(attemptKinds(session(s, st.CorrelationID))).To(Equal(
				[]string{"phone-rejected", "phone-changed", "link-sent", "link-clicked"}))
		})

		It("completes by itself for a persona whose phone clicks 30s after the SMS", func() {
			st, _ := desktopStart(testkit.Maya, script{})
			s.FastForward(30 * time.Second)

			o := p.outcome()
			finishedWith(o, st)
			Expect(api.validate(st.CorrelationID).Success).To(BeTrue())
			Expect(attemptKinds(session(s, st.CorrelationID))).To(Equal([]string{"link-sent", "link-clicked"}))
		})

		// linkSMS waits until the flow has sent n Instant Link SMS and returns them.
		linkSMS := func(st started, n int) []mockprove.SMS {
			GinkgoHelper()
			filter := mockprove.SMSFilter{CorrelationID: st.CorrelationID, Kind: mockprove.SMSKindInstantLink}
			Eventually(func() []mockprove.SMS { return s.Outbox(filter) }).WithTimeout(10 * time.Second).Should(HaveLen(n))
			return s.Outbox(filter)
		}

		It("calls the app's retry step when instantlink/start answers {} (persona retry: 1), and completes after a resend", func() {
			st, _ := desktopStart(mockprove.PhoneLuciaMarchetti, script{Retry: []string{"resend"}})
			sms := linkSMS(st, 2) // the first SMS, then the resend's
			Eventually(func() []string { return journalRules(s, st.CorrelationID) }).WithTimeout(10 * time.Second).Should(
				ContainElements("POST /v1/client/mobile/instantlink/start instantlink.link-sent.retry",
					"POST /v1/client/mobile/instantlink/start instantlink.link-resent"))
			// The SDK calls the retry step again after the resend; the phone
			// clicks only once the page waits in it, or the click could
			// overtake that second call.
			Eventually(func() string { return strings.Join(browser.Logs(p.ctx), "\n") }).WithTimeout(10 * time.Second).Should(
				ContainSubstring(`harness event {"type":"retry-wait"}`))
			status, _ := openLink(sms[0].Link)
			Expect(status).To(Equal(http.StatusGone), "the resend replaced the first link")
			status, loc := openLink(sms[1].Link)
			Expect(status).To(Equal(http.StatusFound))
			Expect(loc.Query().Get("authId")).To(Equal(st.AuthID))

			o := p.outcome()
			finishedWith(o, st)
			// {} → retry step → Resend → {"data":{}}: to the SDK any resend
			// answer without next means "retry step again"; the user waits
			// and the status WebSocket delivers the click.
			Expect(o.eventTypes()).To(Equal([]string{"authenticate", "instantLinkStart", "instantLinkRetry", "retry-resend",
				"instantLinkRetry", "retry-wait", "finish", "resolved"}), "a resend does not ask for the number")
			Expect(o.SDKLog).To(ContainElement(HaveSuffix(`Secondary authentication status: {"next":"done"}`)))

			Expect(api.validate(st.CorrelationID).Success).To(BeTrue())
			Expect(attemptKinds(session(s, st.CorrelationID))).To(Equal([]string{"link-sent", "link-resent", "link-clicked"}))
		})

		It("calls the retry step once for an instantlink-retry fault (count 1); Change number sends the link to the new number", func() {
			_, err := s.AddFault(mockprove.FaultSpec{Step: "/v1/client/mobile/instantlink/start", Kind: mockprove.FaultInstantLinkRetry,
				Persona: testkit.Felix, Count: 1})
			Expect(err).NotTo(HaveOccurred())
			st, _ := desktopStart(testkit.Felix, script{Retry: []string{"change"}, Phones: []string{testkit.Jordan}})
			sms := linkSMS(st, 2)
			Expect(sms[0].Phone).To(Equal(testkit.Felix))
			Expect(sms[1].Phone).To(Equal(testkit.Jordan))
			status, _ := openLink(sms[1].Link)
			Expect(status).To(Equal(http.StatusFound))

			o := p.outcome()
			finishedWith(o, st)
			// {"data":{}} after the change: the SDK waits on the WebSocket, no second retry.
			Expect(o.eventTypes()).To(Equal([]string{"authenticate", "instantLinkStart", "instantLinkRetry", "retry-change-number",
				"instantLinkStart", "phone-entered", "finish", "resolved"}))
			Expect(o.events("instantLinkStart")[1]["phoneNumberNeeded"]).To(BeTrue())
			Expect(s.Faults()).To(BeEmpty(), "count 1 is used up")

			v := api.validate(st.CorrelationID)
			Expect(v.Success).To(BeTrue())
			Expect(v.PhoneNumber).To(Equal(testkit.Jordan))
			Expect(attemptKinds(session(s, st.CorrelationID))).To(Equal([]string{"link-sent", "phone-changed", "link-resent", "link-clicked"}))
		})
	})
})

package devicetest_test

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var retry = map[string]any{"allowOTPRetry": true}

// rejectedWith matches the SDK's "retry" answer: {"data":{"code":N,"message":…}}.
func rejectedWith(code int) OmegaMatcher {
	return And(
		HaveLen(1),
		HaveKeyWithValue("data", And(
			HaveKeyWithValue("code", BeNumerically("==", code)),
			HaveKeyWithValue("message", Not(BeEmpty())),
		)),
	)
}

// terminalWith matches {"error":{"code":N,"message":…},"next":"done"}.
func terminalWith(code int) OmegaMatcher {
	return And(
		HaveLen(2),
		HaveKeyWithValue("next", "done"),
		HaveKeyWithValue("error", And(
			HaveKeyWithValue("code", BeNumerically("==", code)),
			HaveKeyWithValue("message", Not(BeEmpty())),
		)),
	)
}

var done = map[string]any{"next": "done"}

var _ = Describe("OTP possession check (mobile)", func() {
	var e *env

	BeforeEach(func() { e = newEnv() })

	Describe("otp/start", func() {
		It("answers {} and sends the SMS with Prove's sandbox code 1234 and default text", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			msgs := e.sms(testkit.Jordan)
			Expect(msgs).To(HaveLen(1))
			Expect(msgs[0]).To(HaveKeyWithValue("kind", "otp"))
			Expect(msgs[0]).To(HaveKeyWithValue("phone", testkit.Jordan))
			Expect(msgs[0]).To(HaveKeyWithValue("code", "1234"))
			Expect(msgs[0]).To(HaveKeyWithValue("correlationId", f.ID))
			Expect(msgs[0]).To(HaveKeyWithValue("body", strings.Replace(defaultOTPText, "####", "1234", 1)))
			Expect(msgs[0]).NotTo(HaveKey("link"))
			Expect(mustTime(msgs[0]["sentAt"])).To(Equal(testkit.T0))
			Expect(mustTime(msgs[0]["expiresAt"])).To(Equal(testkit.T0.Add(2 * time.Minute)))
		})

		It("uses the start's smsMessage for the SMS body", func() {
			f := e.start(testkit.Jordan, map[string]any{"smsMessage": "Your ACME code: ####. Do not share it."})
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			code, ok := e.s.LastOTP(testkit.Jordan)
			Expect(ok).To(BeTrue())
			Expect(code).To(Equal("1234"))
			Expect(e.sms(testkit.Jordan)[0]["body"]).To(Equal("Your ACME code: 1234. Do not share it."))
		})

		It("sends the persona's custom code (2009990032: 654321)", func() {
			f := e.start(testkit.Abigail)
			e.passOTP(f, "654321")
			Expect(e.sms(testkit.Abigail)[0]["code"]).To(Equal("654321"))
			Expect(e.validate(f.ID)).To(BeTrue())
		})

		DescribeTable("sends a random code whose length follows smsMessage (2009990031)",
			func(smsMessage string, digits int) {
				fields := map[string]any{}
				if smsMessage != "" {
					fields["smsMessage"] = smsMessage
				}
				f := e.start(testkit.Diego, fields)
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
				code, ok := e.s.LastOTP(testkit.Diego)
				Expect(ok).To(BeTrue())
				Expect(code).To(MatchRegexp(`^[0-9]{%d}$`, digits))
				text := smsMessage
				if text == "" {
					text = defaultOTPText
				}
				ph := strings.Repeat("#", digits)
				Expect(e.sms(testkit.Diego)[0]["body"]).To(Equal(strings.Replace(text, ph, code, 1)))
				Expect(e.envelope(f.Token, otpFinish, otpBody(code))).To(Equal(done))
				Expect(e.validate(f.ID)).To(BeTrue())
			},
			Entry("default text: 4 digits", "", 4),
			Entry("####: 4 digits", "Code #### for ACME", 4),
			Entry("#####: 5 digits", "Code ##### for ACME", 5),
			Entry("######: 6 digits", "Code ###### for ACME", 6),
		)

		It("sends a fresh random code in every SMS", func() {
			codes := map[string]bool{}
			for i := 0; i < 5; i++ {
				f := e.start(testkit.Diego, map[string]any{"smsMessage": "###### is your code"})
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
				code, _ := e.s.LastOTP(testkit.Diego)
				codes[code] = true
			}
			Expect(codes).To(HaveLen(5))
		})
	})

	Describe("otp/finish", func() {
		It("passes with the right code: next done, /v3/validate success", func() {
			f := e.start(testkit.Jordan)
			e.passOTP(f, "1234")
			Expect(e.validate(f.ID)).To(BeTrue())
			e.s.CheckSessionState(GinkgoT(), f.ID, mockprove.StateValidated)
		})

		It("refuses a code before any SMS was sent", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(rejectedWith(dataOTPInvalid))
		})

		Context("without allowOTPRetry", func() {
			It("allows one entry: a wrong code ends the check, validate fails", func() {
				f := e.start(testkit.Jordan)
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
				Expect(e.envelope(f.Token, otpFinish, otpBody("9999"))).To(terminalWith(sdkMaxAttempts))
				Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(terminalWith(sdkAuthFailure), "the check is over")
				Expect(e.validate(f.ID)).To(BeFalse())
			})
		})

		Context("with allowOTPRetry", func() {
			It("answers a wrong code with data{code,message} and accepts the right one after", func() {
				f := e.start(testkit.Jordan, retry)
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
				Expect(e.envelope(f.Token, otpFinish, otpBody("0000"))).To(rejectedWith(dataOTPInvalid))
				Expect(e.envelope(f.Token, otpFinish, otpBody("1111"))).To(rejectedWith(dataOTPInvalid))
				Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done))
				Expect(e.validate(f.ID)).To(BeTrue())
			})

			It("allows three entries: the third wrong code exhausts them", func() {
				f := e.start(testkit.Jordan, retry)
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
				Expect(e.envelope(f.Token, otpFinish, otpBody("0000"))).To(rejectedWith(dataOTPInvalid))
				Expect(e.envelope(f.Token, otpFinish, otpBody("0001"))).To(rejectedWith(dataOTPInvalid))
				Expect(e.envelope(f.Token, otpFinish, otpBody("0002"))).To(terminalWith(sdkMaxAttempts))
				Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(terminalWith(sdkAuthFailure))
				Expect(e.validate(f.ID)).To(BeFalse())
				e.s.CheckPossession(GinkgoT(), f.ID, false)
				sess := e.session(f.ID)
				Expect(possession(sess)).To(HaveKeyWithValue("failed", true))
				Expect(possession(sess)).To(HaveKeyWithValue("otp", HaveKeyWithValue("attempts", BeNumerically("==", 3))))
				Expect(kinds(possession(sess)["attempts"])).To(Equal([]string{"otp-sent", "otp-wrong", "otp-wrong", "otp-wrong", "otp-exhausted"}))
			})
		})

		Describe("persona 2009990030 (types the wrong PIN twice)", func() {
			It("refuses the first two entries even when right, then passes", func() {
				f := e.start(testkit.Tessa, retry)
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
				res := e.device(f.Token, otpFinish, otpBody("1234"))
				Expect(res.JSON()).To(rejectedWith(dataOTPInvalid))
				Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("persona.possession.otp.wrongAttempts"))
				Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(rejectedWith(dataOTPInvalid))
				Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done))
				Expect(e.validate(f.ID)).To(BeTrue())
			})

			It("fails at once without allowOTPRetry", func() {
				f := e.start(testkit.Tessa)
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
				Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(terminalWith(sdkMaxAttempts))
				Expect(e.validate(f.ID)).To(BeFalse())
			})
		})
	})

	Describe("resend (otp/start {} again)", func() {
		It("sends a new SMS and invalidates the old code", func() {
			f := e.start(testkit.Diego, retry)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			first, _ := e.s.LastOTP(testkit.Diego)
			res := e.device(f.Token, otpStart, `{}`)
			Expect(res.JSON()).To(BeEmpty())
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("otp.otp-resent"))
			second, _ := e.s.LastOTP(testkit.Diego)
			Expect(second).NotTo(Equal(first))
			Expect(e.sms(testkit.Diego)).To(HaveLen(2))

			Expect(e.envelope(f.Token, otpFinish, otpBody(first))).To(rejectedWith(dataOTPInvalid), "the old code is dead")
			Expect(e.envelope(f.Token, otpFinish, otpBody(second))).To(Equal(done))
			Expect(possession(e.session(f.ID))).To(HaveKeyWithValue("otp", HaveKeyWithValue("sends", BeNumerically("==", 2))))
		})
	})

	Describe("phone change (otp/start with mobileNumber)", func() {
		It("refuses the number of a persona the carrier check rejects (2009990036)", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{"mobileNumber":"`+testkit.Ingrid+`"}`)).To(rejectedWith(dataPhoneRejected))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
			Expect(e.session(f.ID)).To(HaveKeyWithValue("phone", testkit.Jordan), "the flow keeps its number")
		})

		It("refuses an unknown number", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{"mobileNumber":"+1`+testkit.Nobody+`"}`)).To(rejectedWith(dataPhoneRejected))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
		})

		It("refuses the number of a persona of another product (2009990006 is Pre-Fill only)", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{"mobileNumber":"2009990006"}`)).To(rejectedWith(dataPhoneRejected))
		})

		It("refuses a flow started with 2009990036 on its first send; the user can then give another number", func() {
			f := e.start(testkit.Ingrid)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(rejectedWith(dataPhoneRejected))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
			Expect(e.envelope(f.Token, otpStart, `{"mobileNumber":"`+testkit.Jordan+`"}`)).To(BeEmpty())
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done))
			Expect(e.validate(f.ID)).To(BeTrue())
		})

		It("moves the flow to a valid new number: SMS to it, with its persona's code", func() {
			f := e.start(testkit.Jordan, retry)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			Expect(e.envelope(f.Token, otpStart, `{"mobileNumber":"`+testkit.Ingrid+`"}`)).To(rejectedWith(dataPhoneRejected))
			Expect(e.envelope(f.Token, otpStart, `{"mobileNumber":"+1`+testkit.Abigail+`"}`)).To(BeEmpty())

			Expect(e.sms(testkit.Abigail)).To(ConsistOf(HaveKeyWithValue("code", "654321")))
			Expect(e.sms(testkit.Jordan)).To(HaveLen(1))
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(rejectedWith(dataOTPInvalid), "the first number's code")
			Expect(e.envelope(f.Token, otpFinish, otpBody("654321"))).To(Equal(done))
			Expect(e.session(f.ID)).To(HaveKeyWithValue("phone", testkit.Abigail))
			Expect(kinds(possession(e.session(f.ID))["attempts"])).To(ContainElements("phone-rejected", "phone-changed"))
		})
	})

	Describe("expiry", func() {
		It("accepts the code until 2 minutes after the SMS", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			e.s.FastForward(2*time.Minute - time.Second)
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done))
		})

		It("refuses it 2 minutes after the SMS: error, next done, validate false", func() {
			f := e.start(testkit.Jordan, retry)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			e.ctl(http.MethodPost, "/_mock/clock/advance", `{"duration":"2m1s"}`, http.StatusOK)
			res := e.device(f.Token, otpFinish, otpBody("1234"))
			Expect(res.JSON()).To(terminalWith(sdkAuthFailure))
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("otp.expired"))
			Expect(e.validate(f.ID)).To(BeFalse())
		})

		It("counts from the latest SMS after a resend", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			e.s.FastForward(90 * time.Second)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			e.s.FastForward(90 * time.Second)
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done))
		})

		It("follows Options.OTPTTL", func() {
			e = newEnv(mockprove.Options{OTPTTL: 30 * time.Second})
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			Expect(mustTime(e.sms(testkit.Jordan)[0]["expiresAt"])).To(Equal(testkit.T0.Add(30 * time.Second)))
			e.s.FastForward(30 * time.Second)
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(terminalWith(sdkAuthFailure))
		})
	})

	Describe("malformed requests", func() {
		It("answers a body without otp with 400 code 8001 naming the field", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			res := e.do(e.deviceReq(f.Token, otpFinish, `{}`))
			Expect(res.Status).To(Equal(http.StatusBadRequest))
			Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
			Expect(res.JSON()["message"]).To(ContainSubstring("'otp'"))
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done), "no attempt was used")
		})

		It("answers a body that is not JSON with 400 code 8001", func() {
			f := e.start(testkit.Jordan)
			res := e.do(e.deviceReq(f.Token, otpStart, `{"mobileNumber":`))
			Expect(res.Status).To(Equal(http.StatusBadRequest))
			Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
		})

		It("accepts fields a newer SDK might add", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{"deviceContext":{"x":1}}`)).To(BeEmpty())
		})
	})

	It("refuses OTP in a desktop (Instant Link) flow", func() {
		f := e.startDesktop(testkit.Jordan)
		e.sendLink(f)
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(terminalWith(10001))
		Expect(e.s.Outbox(mockprove.SMSFilter{Kind: mockprove.SMSKindOTP})).To(BeEmpty())
	})

	It("answers next done to a flow whose check already passed", func() {
		f := e.start(testkit.Jordan)
		e.passOTP(f, "1234")
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(Equal(done))
		Expect(e.sms(testkit.Jordan)).To(HaveLen(1), "no new SMS")
	})
})

var _ = Describe("/v3/validate after the possession check", func() {
	var e *env

	BeforeEach(func() { e = newEnv() })

	It("fails when the check was not done (and ends the flow)", func() {
		f := e.start(testkit.Jordan)
		Expect(e.validate(f.ID)).To(BeFalse())
		e.s.CheckSessionState(GinkgoT(), f.ID, mockprove.StateFailed)
		e.s.CheckPossession(GinkgoT(), f.ID, false)
	})

	It("fails while the check is still running (SMS sent, no code yet)", func() {
		f := e.start(testkit.Jordan)
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
		Expect(e.validate(f.ID)).To(BeFalse())
	})

	It("passes after the check passed", func() {
		f := e.start(testkit.Jordan)
		e.passOTP(f, "1234")
		e.s.CheckPossession(GinkgoT(), f.ID, true)
		Expect(e.validate(f.ID)).To(BeTrue())
	})

	It("fails after the check failed", func() {
		f := e.start(testkit.Jordan)
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
		Expect(e.envelope(f.Token, otpFinish, otpBody("4321"))).To(terminalWith(sdkMaxAttempts))
		Expect(e.validate(f.ID)).To(BeFalse())
	})

	It("passes a short-term persona without any check", func() {
		Expect(e.validate(e.start(testkit.Milo).ID)).To(BeTrue())
	})

	It("closes the device API once validate has run", func() {
		f := e.start(testkit.Jordan)
		e.passOTP(f, "1234")
		Expect(e.validate(f.ID)).To(BeTrue())
		g := e.start(testkit.Jordan)
		Expect(e.validate(g.ID)).To(BeFalse())
		Expect(e.envelope(g.Token, otpStart, `{}`)).To(terminalWith(10001))
	})
})

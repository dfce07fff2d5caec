package devicetest_test

import (
	"net/http"
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// The Go side of the controls, for tests that run mockprove in-process.
var _ = Describe("the Go controls", func() {
	var e *env

	BeforeEach(func() { e = newEnv() })

	Describe("s.Outbox, s.LastOTP and s.LastSMS", func() {
		It("read the virtual phone", func() {
			_, ok := e.s.LastOTP(testkit.Diego)
			Expect(ok).To(BeFalse())
			_, ok = e.s.LastSMS(testkit.Diego)
			Expect(ok).To(BeFalse())

			f := e.start(testkit.Diego, map[string]any{"allowOTPRetry": true})
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			e.s.FastForward(time.Second)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			d := e.startDesktop(testkit.Diego)
			e.sendLink(d)

			otps := e.s.Outbox(mockprove.SMSFilter{Phone: "+1" + testkit.Diego, Kind: mockprove.SMSKindOTP})
			Expect(otps).To(HaveLen(2))
			Expect(otps[0].SentAt).To(Equal(testkit.T0))
			Expect(otps[1].SentAt).To(Equal(testkit.T0.Add(time.Second)))
			Expect(otps[1].ExpiresAt).To(Equal(testkit.T0.Add(time.Second + 2*time.Minute)))
			Expect(otps[0].ID).NotTo(Equal(otps[1].ID))

			code, ok := e.s.LastOTP(testkit.Diego)
			Expect(ok).To(BeTrue())
			Expect(code).To(Equal(otps[1].Code), "the newest OTP, not the newest SMS")
			last, ok := e.s.LastSMS(testkit.Diego)
			Expect(ok).To(BeTrue())
			Expect(last.Kind).To(Equal(mockprove.SMSKindInstantLink))
			Expect(last.CorrelationID).To(Equal(d.ID))

			Expect(e.s.Outbox(mockprove.SMSFilter{CorrelationID: d.ID})).To(ConsistOf(HaveField("Link", last.Link)))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(HaveLen(3))
			Expect(e.envelope(f.Token, otpFinish, otpBody(code))).To(Equal(done))
		})
	})

	Describe("s.ClickInstantLink", func() {
		It("clicks the latest link as the phone would: done on the socket, redirect target returned", func() {
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			e.sendLink(f)
			loc, err := e.s.ClickInstantLink(f.ID)
			Expect(err).NotTo(HaveOccurred())
			u, err := url.Parse(loc)
			Expect(err).NotTo(HaveOccurred())
			Expect(u.Query().Get("authId")).To(Equal(f.AuthID()))
			Expect(u.Query().Get("asc")).To(Equal("true"))
			ws.expectDone()
			e.s.CheckPossession(GinkgoT(), f.ID, true)
		})

		It("fails for an unknown flow, and for an expired link without changing anything", func() {
			_, err := e.s.ClickInstantLink("nope")
			Expect(err).To(MatchError(ContainSubstring("nope")))
			f := e.startDesktop(testkit.Jordan)
			e.sendLink(f)
			e.s.FastForward(3 * time.Minute)
			_, err = e.s.ClickInstantLink(f.ID)
			Expect(err).To(HaveOccurred())
			e.s.CheckPossession(GinkgoT(), f.ID, false)
		})
	})

	Describe("s.Session", func() {
		It("shows the possession check as it goes", func() {
			f := e.start(testkit.Jordan, map[string]any{"allowOTPRetry": true})
			sess, ok := e.s.Session(f.ID)
			Expect(ok).To(BeTrue())
			Expect(sess.Possession.OTP).To(BeNil())
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			e.s.FastForward(20 * time.Second)
			Expect(e.envelope(f.Token, otpFinish, otpBody("0000"))).To(rejectedWith(dataOTPInvalid))

			sess, _ = e.s.Session(f.ID)
			Expect(sess.Possession.Method).To(Equal(mockprove.MethodOTP))
			Expect(sess.Possession.Phone).To(Equal(testkit.Jordan))
			Expect(sess.Possession.OTP.Attempts).To(Equal(1))
			Expect(sess.Possession.OTP.MaxAttempts).To(Equal(3))
			Expect(sess.Possession.Attempts).To(HaveLen(2))
			Expect(sess.Possession.Attempts[1].Kind).To(Equal("otp-wrong"))
			Expect(sess.Possession.Attempts[1].At).To(Equal(testkit.T0.Add(20 * time.Second)))
			Expect(sess.Steps).To(ConsistOf(HaveField("Step", "/v3/start")))
		})

		It("returns a copy: changing it changes nothing in the server", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			sess, _ := e.s.Session(f.ID)
			sess.Possession.Attempts[0].Kind = "tampered"
			sess.Possession.OTP.Attempts = 99
			again, _ := e.s.Session(f.ID)
			Expect(again.Possession.Attempts[0].Kind).To(Equal("otp-sent"))
			Expect(again.Possession.OTP.Attempts).To(Equal(0))
		})
	})

	Describe("s.SetPersona", func() {
		rita := func(code string) mockprove.Persona {
			return mockprove.Persona{
				Phone: newPhone, Name: "Run-time Rita", Products: []string{mockprove.ProductIdentity},
				Individual: mockprove.Individual{FirstName: "Rita"},
				Possession: mockprove.Possession{OTP: mockprove.OTPBehaviour{Code: code, WrongAttempts: 1}},
			}
		}

		It("adds a persona that flows can use at once, and replaces it", func() {
			created, err := e.s.SetPersona(rita("246810"))
			Expect(err).NotTo(HaveOccurred())
			Expect(created).To(BeTrue())
			p, ok := e.s.Persona("+1" + newPhone)
			Expect(ok).To(BeTrue())
			Expect(p.Name).To(Equal("Run-time Rita"))

			f := e.start(newPhone, map[string]any{"allowOTPRetry": true})
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			Expect(e.envelope(f.Token, otpFinish, otpBody("246810"))).To(rejectedWith(dataOTPInvalid), "wrongAttempts 1")
			Expect(e.envelope(f.Token, otpFinish, otpBody("246810"))).To(Equal(done))

			created, err = e.s.SetPersona(rita("1357"))
			Expect(err).NotTo(HaveOccurred())
			Expect(created).To(BeFalse())
			Expect(e.ctl(http.MethodGet, "/_mock/personas/"+newPhone, "", http.StatusOK).JSON()).
				To(HaveKeyWithValue("possession", HaveKeyWithValue("otp", HaveKeyWithValue("code", "1357"))))
		})

		It("refuses a bad persona naming the field, and changes nothing", func() {
			bad := rita("12ab")
			_, err := e.s.SetPersona(bad)
			Expect(err).To(MatchError(ContainSubstring("'possession.otp.code'")))
			_, ok := e.s.Persona(newPhone)
			Expect(ok).To(BeFalse())

			bad = rita("1234")
			bad.Possession.InstantLink = mockprove.InstantLinkBehaviour{Click: "auto", ClickAfter: "soon"}
			_, err = e.s.SetPersona(bad)
			Expect(err).To(MatchError(ContainSubstring("'possession.instantLink.clickAfter'")))
			Expect(e.s.Personas()).To(HaveLen(len(mustDefaults())))
		})

		It("makes a persona's device-step error answer that step", func() {
			p := rita("1234")
			p.Errors = []mockprove.StepError{{Step: otpFinish, Status: 500, Code: 8000, Message: "carrier down"}}
			_, err := e.s.SetPersona(p)
			Expect(err).NotTo(HaveOccurred())
			f := e.start(newPhone)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			res := e.device(f.Token, otpFinish, otpBody("1234"))
			Expect(res.Status).To(Equal(http.StatusInternalServerError))
			Expect(res.JSON()).To(Equal(map[string]any{"code": float64(8000), "message": "carrier down"}))
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("persona.errors"))
		})

		It("makes an auto-clicking persona click on the clock", func() {
			p := rita("1234")
			p.Possession.InstantLink = mockprove.InstantLinkBehaviour{Click: "auto", ClickAfter: "1m30s"}
			_, err := e.s.SetPersona(p)
			Expect(err).NotTo(HaveOccurred())
			f := e.startDesktop(newPhone)
			ws := e.ws(f.Token)
			e.sendLink(f)
			e.s.FastForward(89 * time.Second)
			ws.expectSilent()
			e.s.FastForward(time.Second)
			ws.expectDone()
		})
	})

	Describe("s.CheckSessionState and s.CheckPossession", func() {
		It("pass silently when the flow is as expected", func() {
			f := e.start(testkit.Jordan)
			t := &fakeT{}
			e.s.CheckSessionState(t, f.ID, mockprove.StateStarted)
			e.s.CheckPossession(t, f.ID, false)
			e.passOTP(f, "1234")
			e.s.CheckPossession(t, f.ID, true)
			Expect(e.validate(f.ID)).To(BeTrue())
			e.s.CheckSessionState(t, f.ID, mockprove.StateValidated)
			Expect(t.failures()).To(BeEmpty())
		})

		It("fail the test, saying why, when it is not", func() {
			f := e.start(testkit.Jordan)
			t := &fakeT{}
			e.s.CheckSessionState(t, f.ID, mockprove.StateValidated)
			e.s.CheckPossession(t, f.ID, true)
			e.s.CheckSessionState(t, "nope", mockprove.StateStarted)
			e.s.CheckPossession(t, "nope", false)
			Expect(t.failures()).To(HaveLen(4))
			Expect(t.failures()[0]).To(And(ContainSubstring(f.ID), ContainSubstring("started"), ContainSubstring("validated")))
			Expect(t.failures()[1]).To(ContainSubstring("possession passed = false, want true"))
			Expect(t.failures()[2]).To(ContainSubstring("nope"))
			Expect(t.failures()[3]).To(ContainSubstring("nope"))
		})
	})
})

func mustDefaults() []mockprove.Persona {
	GinkgoHelper()
	ps, err := mockprove.DefaultPersonas()
	Expect(err).NotTo(HaveOccurred())
	return ps
}

package devicetest_test

import (
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

const instStartBody = `{"cellularIp":null,"implementation":"fetch"}`

// redirectURL is data.redirectUrl of an instant/start answer.
func redirectURL(env map[string]any) *url.URL {
	GinkgoHelper()
	data, ok := env["data"].(map[string]any)
	Expect(ok).To(BeTrue(), "no data in %v", env)
	raw, _ := data["redirectUrl"].(string)
	Expect(raw).NotTo(BeEmpty(), "the SDK needs data.redirectUrl")
	u, err := url.Parse(raw)
	Expect(err).NotTo(HaveOccurred())
	return u
}

var _ = Describe("Mobile Auth possession check (mobile)", func() {
	var e *env

	BeforeEach(func() { e = newEnv() })

	Describe("persona 2009990037 (Mobile Auth passes)", func() {
		It("hands out an https redirectUrl with testVfp; instant/finish with that vfp passes silently", func() {
			f := e.start(testkit.Rashid)
			Expect(f.auth()["next"]).To(Equal("mobile/instant"))
			u := redirectURL(e.envelope(f.Token, instStart, instStartBody))
			Expect(u.Scheme).To(Equal("https"), "the SDK refuses http:")
			vfp := u.Query().Get("testVfp")
			Expect(vfp).NotTo(BeEmpty())

			Expect(e.envelope(f.Token, instFinish, `{"vfp":"`+vfp+`"}`)).To(Equal(done))
			Expect(e.validate(f.ID)).To(BeTrue())
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty(), "no SMS")
			Expect(possession(e.session(f.ID))).To(And(
				HaveKeyWithValue("method", mockprove.MethodMobileAuth),
				HaveKeyWithValue("passed", true),
			))
		})

		It("gives every flow its own vfp", func() {
			a := redirectURL(e.envelope(e.start(testkit.Rashid).Token, instStart, instStartBody)).Query().Get("testVfp")
			b := redirectURL(e.envelope(e.start(testkit.Rashid).Token, instStart, instStartBody)).Query().Get("testVfp")
			Expect(a).NotTo(Equal(b))
		})

		It("sends an unknown vfp to the OTP fallback, without passing", func() {
			f := e.start(testkit.Rashid)
			e.envelope(f.Token, instStart, instStartBody)
			Expect(e.envelope(f.Token, instFinish, `{"vfp":"not-the-vfp"}`)).To(Equal(map[string]any{"next": "mobile/otp"}))
			e.s.CheckPossession(GinkgoT(), f.ID, false)
		})

		It("refuses the vfp of another flow", func() {
			f, g := e.start(testkit.Rashid), e.start(testkit.Rashid)
			e.envelope(f.Token, instStart, instStartBody)
			vfp := redirectURL(e.envelope(g.Token, instStart, instStartBody)).Query().Get("testVfp")
			Expect(e.envelope(f.Token, instFinish, `{"vfp":"`+vfp+`"}`)).To(Equal(map[string]any{"next": "mobile/otp"}))
		})
	})

	Describe("persona 2009990038 (Mobile Auth fails)", func() {
		It("hands out an http:// redirectUrl, answers instant/error with next mobile/otp, then OTP works", func() {
			f := e.start(testkit.Colleen)
			Expect(f.auth()["next"]).To(Equal("mobile/instant"))
			u := redirectURL(e.envelope(f.Token, instStart, instStartBody))
			Expect(u.Scheme).To(Equal("http"), "the SDK refuses it: 'Web SDK cannot make http request'")
			Expect(u.Query().Get("testVfp")).To(BeEmpty())

			Expect(e.envelope(f.Token, instError, `{"code":10002,"message":"Web SDK cannot make http request"}`)).
				To(Equal(map[string]any{"next": "mobile/otp"}))
			e.s.CheckPossession(GinkgoT(), f.ID, false)

			e.passOTP(f, "1234")
			Expect(e.sms(testkit.Colleen)).To(ConsistOf(HaveKeyWithValue("code", "1234")))
			Expect(e.validate(f.ID)).To(BeTrue())
			p := possession(e.session(f.ID))
			Expect(p).To(HaveKeyWithValue("method", mockprove.MethodOTP))
			Expect(kinds(p["attempts"])).To(Equal([]string{"mobileauth-unavailable", "mobileauth-fail", "otp-sent", "otp-right"}))
		})
	})

	It("gives a persona without Mobile Auth the failing URL", func() {
		f := e.start(testkit.Jordan)
		Expect(redirectURL(e.envelope(f.Token, instStart, instStartBody)).Scheme).To(Equal("http"))
	})
})

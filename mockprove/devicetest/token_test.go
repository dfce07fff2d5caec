package devicetest_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("the authToken minted by /v3/start", func() {
	var e *env

	BeforeEach(func() { e = newEnv() })

	It("points the SDK at mockprove's public origin, as a bare origin", func() {
		f := e.start(testkit.Jordan)
		endp := f.auth()["endp"]
		Expect(endp).To(Equal(e.s.URL()))
		u, err := url.Parse(endp.(string))
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Scheme).To(Equal("http"))
		Expect(u.Hostname()).To(Equal("127.0.0.1"))
		Expect(u.Port()).NotTo(BeEmpty())
		Expect(u.Path).To(BeEmpty(), "no path, not even a trailing slash")
		Expect(u.RawQuery).To(BeEmpty())
	})

	It("uses Options.PublicURL, trimmed to its origin, for endp and for SMS links", func() {
		e = newEnv(mockprove.Options{PublicURL: "http://mock.example:8080/"})
		f := e.startDesktop(testkit.Jordan)
		Expect(f.auth()["endp"]).To(Equal("http://mock.example:8080"))
		e.sendLink(f)
		Expect(e.lastLink(f)).To(HavePrefix("http://mock.example:8080/v1/link/"))
	})

	It("carries auth.id, which identifies the flow on the device API", func() {
		f := e.start(testkit.Jordan)
		g := e.start(testkit.Jordan)
		Expect(f.AuthID()).NotTo(Equal(g.AuthID()))
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
		Expect(e.s.Outbox(mockprove.SMSFilter{CorrelationID: f.ID})).To(HaveLen(1))
		Expect(e.s.Outbox(mockprove.SMSFilter{CorrelationID: g.ID})).To(BeEmpty())
	})

	DescribeTable("auth.next: the SDK's first step",
		func(flowType, phone, next string) {
			fields := map[string]any{"flowType": flowType}
			if flowType == "desktop" {
				fields["finalTargetUrl"] = landing
			}
			Expect(e.start(phone, fields).auth()["next"]).To(Equal(next))
		},
		Entry("mobile: OTP", "mobile", testkit.Jordan, "mobile/otp"),
		Entry("mobile, random-OTP persona: OTP", "mobile", testkit.Diego, "mobile/otp"),
		Entry("mobile, persona with Mobile Auth: Mobile Auth first", "mobile", testkit.Rashid, "mobile/instant"),
		Entry("mobile, persona whose Mobile Auth fails: still Mobile Auth first", "mobile", testkit.Colleen, "mobile/instant"),
		Entry("desktop: Instant Link", "desktop", testkit.Jordan, "mobile/instantlink"),
		Entry("desktop, persona with Mobile Auth: Instant Link", "desktop", testkit.Rashid, "mobile/instantlink"),
	)

	It("has auth.subs with mnp set, since the phone number was given at start", func() {
		subs, ok := e.start(testkit.Jordan).auth()["subs"].(map[string]any)
		Expect(ok).To(BeTrue(), "auth.subs must be an object: the SDK dereferences it")
		Expect(subs).To(HaveKeyWithValue("mob", HaveKeyWithValue("auths", And(
			HaveKeyWithValue("otp", HaveKeyWithValue("mnp", true)),
			HaveKeyWithValue("inln", HaveKeyWithValue("mnp", true)),
		))))
	})

	It("expires 15 minutes after start", func() {
		e.s.FastForward(42 * time.Second)
		f := e.start(testkit.Jordan)
		Expect(f.Claims).To(HaveKeyWithValue("exp", BeNumerically("==", testkit.T0.Add(42*time.Second+15*time.Minute).Unix())))
	})

	It("always has an atob-safe payload: std base64, no '-' or '_', ASCII JSON", func() {
		// Many tokens with different ids, phones and flow types: sdkClaims
		// fails on the first payload atob() would refuse.
		phones := []string{testkit.Jordan, testkit.Tessa, testkit.Diego, testkit.Abigail, testkit.Felix, testkit.Maya, testkit.Gideon, testkit.Rashid, testkit.Colleen, testkit.Milo}
		seen := map[string]bool{}
		for i := 0; i < 60; i++ {
			phone := phones[i%len(phones)]
			var f flow
			if i%2 == 0 {
				f = e.start(phone)
			} else {
				f = e.startDesktop(phone)
			}
			payload := strings.Split(f.Token, ".")[1]
			Expect(payload).NotTo(ContainSubstring("-"))
			Expect(payload).NotTo(ContainSubstring("_"))
			seen[f.AuthID()] = true
		}
		Expect(seen).To(HaveLen(60))
	})

	It("is refused by the server API (it is not an access token)", func() {
		f := e.start(testkit.Jordan)
		res := e.apiAs(f.Token, "/v3/validate", map[string]any{"correlationId": f.ID})
		Expect(res.Status).To(Equal(http.StatusUnauthorized))
		Expect(res.Code()).To(Equal(mockprove.CodeUnauthorized))
	})
})

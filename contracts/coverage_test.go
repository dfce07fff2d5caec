package contracts_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("coverage", func() {
	var (
		w *world
		c *caller
	)
	BeforeEach(func() {
		w = newWorld()
		c = newCaller(w.proxy.URL()).login()
	})
	mobile := func(phone string, more ...string) (string, string) {
		GinkgoHelper()
		return c.start(`{"flowType":"mobile","phoneNumber":"` + phone + `"` + strings.Join(more, "") + `}`)
	}

	It("lists every operation, error code and path as never exercised before any call", func() {
		fresh := newWorld()
		missed := fresh.proxy.Report().Coverage.Missed()
		Expect(missed).To(ContainElements("operation POST /v3/start", "operation POST /v1/client/mobile/otp/finish",
			"error code 8003 (Step Called Out of Order)", "path OTP expired", "path Instant Link clicked", "path Mobile Auth passed"))
	})

	It("sees the OTP paths: sent, wrong, resent, right, expired, exhausted, rejected number", func() {
		cid, auth := mobile(testkit.Jordan, `,"allowOTPRetry":true`)
		Expect(c.device("/v1/client/mobile/otp/start", auth, `{}`).Raw).To(MatchJSON(`{}`))
		Expect(c.device("/v1/client/mobile/otp/finish", auth, `{"otp":"0000"}`).Body).To(HaveKey("data"))
		c.device("/v1/client/mobile/otp/start", auth, `{}`)
		code := w.prove.Outbox(mockprove.SMSFilter{CorrelationID: cid})
		Expect(code).To(HaveLen(2))
		Expect(c.device("/v1/client/mobile/otp/finish", auth, `{"otp":"`+code[1].Code+`"}`).Body).To(HaveKeyWithValue("next", "done"))
		Expect(c.post("/v3/validate", cidBody(cid)).Body).To(HaveKeyWithValue("success", true))

		_, auth = mobile(testkit.Jordan)
		c.device("/v1/client/mobile/otp/start", auth, `{}`)
		w.prove.FastForward(2*time.Minute + time.Second)
		c.device("/v1/client/mobile/otp/finish", auth, `{"otp":"1234"}`)

		cid, auth = mobile(testkit.Jordan)
		c.device("/v1/client/mobile/otp/start", auth, `{}`)
		c.device("/v1/client/mobile/otp/finish", auth, `{"otp":"0000"}`)
		Expect(c.post("/v3/validate", cidBody(cid)).Body).To(HaveKeyWithValue("success", false))

		_, auth = mobile(testkit.Ingrid)
		c.device("/v1/client/mobile/otp/start", auth, `{}`)

		rep := w.proxy.Report()
		Expect(rep.Violations).To(BeEmpty())
		Expect(paths(rep)).To(Equal(map[string]int{
			contracts.PathToken: 1, contracts.PathStartMobile: 4,
			contracts.PathOTPSent: 3, contracts.PathOTPWrong: 1, contracts.PathOTPResent: 1, contracts.PathOTPRight: 1,
			contracts.PathOTPExpired: 1, contracts.PathOTPExhausted: 1, contracts.PathPhoneRejected: 1,
			contracts.PathValidatePassed: 1, contracts.PathValidateFailed: 1,
		}))
		missed := rep.Coverage.Missed()
		Expect(missed).NotTo(ContainElement("path OTP expired"))
		Expect(missed).To(ContainElements("path Instant Link expired or replaced (410)", "operation POST /v3/challenge", "status 429 of POST /v3/start"))
		codes := map[int]int{}
		for _, e := range rep.Coverage.ErrorCodes {
			codes[e.Code] = e.Count
		}
		Expect(codes).To(HaveKeyWithValue(1002, 1))
		Expect(codes).To(HaveKeyWithValue(10005, 1))
		Expect(codes).To(HaveKeyWithValue(10000, 1))
		Expect(codes).To(HaveKeyWithValue(1001, 1))
	})

	It("sees the Instant Link and Mobile Auth paths", func() {
		desktop := `{"flowType":"desktop","phoneNumber":"` + testkit.Jordan + `","finalTargetUrl":"https://example.com/done"}`
		cid, auth := c.start(desktop)
		c.device("/v1/client/mobile/instantlink/start", auth, `{"sourceIp":null,"isMobile":false}`)
		c.device("/v1/client/mobile/instantlink/start", auth, `{"sourceIp":null,"mobileNumber":"","isMobile":false}`)
		links := w.prove.Outbox(mockprove.SMSFilter{CorrelationID: cid})
		Expect(links).To(HaveLen(2))
		Expect(c.do(http.MethodGet, strings.TrimPrefix(links[0].Link, w.prove.URL()), "", nil, "").Status).To(Equal(http.StatusGone))
		Expect(c.do(http.MethodGet, strings.TrimPrefix(links[1].Link, w.prove.URL()), "", nil, "").Status).To(Equal(http.StatusFound))

		_, auth = mobile(testkit.Rashid)
		redirect, _ := c.device("/v1/client/mobile/instant/start", auth, `{"cellularIp":null,"implementation":"fetch"}`).Body["data"].(map[string]any)["redirectUrl"].(string)
		u, err := url.Parse(redirect)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.device("/v1/client/mobile/instant/finish", auth, `{"vfp":"`+u.Query().Get("testVfp")+`"}`).Body).To(HaveKeyWithValue("next", "done"))

		_, auth = mobile(testkit.Colleen)
		c.device("/v1/client/mobile/instant/start", auth, `{"cellularIp":null,"implementation":"fetch"}`)
		c.device("/v1/client/mobile/instant/error", auth, `{"code":10002,"message":"Web SDK cannot make http request"}`)

		rep := w.proxy.Report()
		Expect(rep.Violations).To(BeEmpty())
		Expect(paths(rep)).To(SatisfyAll(
			HaveKeyWithValue(contracts.PathInstantLinkSent, 1),
			HaveKeyWithValue(contracts.PathInstantLinkResent, 1),
			HaveKeyWithValue(contracts.PathInstantLinkExpired, 1),
			HaveKeyWithValue(contracts.PathInstantLinkClicked, 1),
			HaveKeyWithValue(contracts.PathMobileAuthPassed, 1),
			HaveKeyWithValue(contracts.PathMobileAuthFallback, 1),
		))
		Expect(calls(rep, "GET /v1/link/{token}")).To(Equal(2))
	})

	It("sees the paths of Verify and Identity Manager, and code 8011", func() {
		u := newCaller(w.proxy.URL())
		Expect(u.token("unify-client", "unify-secret").Status).To(Equal(http.StatusOK))
		Expect(u.post("/v3/verify", `{"phoneNumber":"2001004053","verificationType":"verifiedUser","firstName":"Elena","lastName":"Coldman"}`).Body).To(HaveKeyWithValue("success", "true"))
		Expect(u.post("/v3/verify", `{"phoneNumber":"2001004054","verificationType":"verifiedUser","firstName":"Alf","lastName":"Novotni"}`).Body).To(HaveKeyWithValue("success", "false"))
		Expect(u.post("/v3/identity", `{"phoneNumber":"2001004031"}`).Body).To(HaveKeyWithValue("success", true))
		Expect(u.do(http.MethodGet, "/v3/identity/00000000-0000-4000-8000-0000000000ff", "", nil, u.bearer).Status).To(Equal(http.StatusNotFound))
		rep := w.proxy.Report()
		Expect(rep.Violations).To(BeEmpty())
		Expect(paths(rep)).To(SatisfyAll(
			HaveKeyWithValue(contracts.PathVerifyPassed, 1), HaveKeyWithValue(contracts.PathVerifyFailed, 1),
			HaveKeyWithValue(contracts.PathEnrolled, 1), HaveKeyWithValue(contracts.PathIdentityNotFound, 1)))
		codes := map[int]int{}
		for _, e := range rep.Coverage.ErrorCodes {
			codes[e.Code] = e.Count
		}
		Expect(codes).To(HaveKeyWithValue(8011, 1))
		Expect(rep.Coverage.Missed()).To(ContainElements(`path Unify status "possession_required"`, "path Prove Key revoked"))
	})

	It("counts statuses, and marks the ones the document does not list", func() {
		c.post("/v3/validate", cidBody("nope"))
		var st []contracts.StatusCoverage
		for _, o := range w.proxy.Report().Coverage.Operations {
			if o.Operation == "POST /v3/validate" {
				st = o.Statuses
			}
		}
		Expect(st).To(ContainElement(contracts.StatusCoverage{Status: 400, Documented: true, Count: 1}))
		Expect(st).To(ContainElement(contracts.StatusCoverage{Status: 200, Documented: true, Count: 0}))
	})
})

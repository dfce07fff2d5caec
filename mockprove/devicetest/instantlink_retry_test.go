package devicetest_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// The web SDK calls the app's Instant Link retry step (Resend / Change
// number) only when instantlink/start answers neither data nor next: {}.
var _ = Describe("Instant Link retry step (instantlink/start answers {})", func() {
	var e *env

	// StrictResponses: every answer, {} included, must conform to prove-device.yaml.
	BeforeEach(func() { e = newEnv(mockprove.Options{StrictResponses: true}) })

	const (
		lucia    = mockprove.PhoneLuciaMarchetti // possession.instantLink.retry: 1
		firstTry = `{"sourceIp":null,"isMobile":false}`
		resendIt = `{"sourceIp":null,"mobileNumber":"","isMobile":false}`
	)
	retryStep := map[string]any{}
	waiting := map[string]any{"data": map[string]any{}}

	attempts := func(f flow) (kinds, details []string) {
		GinkgoHelper()
		list := possession(e.session(f.ID))["attempts"]
		return pluck(list, "kind"), pluck(list, "detail")
	}

	Describe("a persona with possession.instantLink.retry: 1 (2009990043)", func() {
		It("answers {} once with the SMS sent; the resend answers {\"data\":{}} and its link passes", func() {
			f := e.startDesktop(lucia)
			ws := e.ws(f.Token)

			res := e.device(f.Token, linkStart, firstTry)
			Expect(res.Status).To(Equal(http.StatusOK))
			Expect(res.JSON()).To(Equal(retryStep), "neither data nor next: the SDK calls the retry step")
			Expect(res.Raw).To(MatchJSON(`{}`))
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("instantlink.link-sent.retry"))
			Expect(res.Header.Get("X-Mockprove-Persona")).To(Equal(lucia))
			Expect(e.sms(lucia)).To(HaveLen(1), "the SMS is sent as usual")
			first := e.lastLink(f)
			ws.expectSilent()

			Expect(e.envelope(f.Token, linkStart, resendIt)).To(Equal(waiting), "retry: 1 is used up")
			Expect(e.sms(lucia)).To(HaveLen(2))
			second := e.lastLink(f)
			Expect(second).NotTo(Equal(first))
			Expect(e.open(first).Status).To(Equal(http.StatusGone), "the resend replaced the first link")

			Expect(e.open(second).Status).To(Equal(http.StatusFound))
			ws.expectDone()
			Expect(e.validate(f.ID)).To(BeTrue())
			kinds, details := attempts(f)
			Expect(kinds).To(Equal([]string{"link-sent", "link-resent", "link-clicked"}))
			Expect(details[0]).To(ContainSubstring("retry step"))
			Expect(details[1]).To(BeEmpty())
		})

		It("takes a number change from the retry step: the link goes to the new number, whose own behaviour applies", func() {
			f := e.startDesktop(lucia)
			Expect(e.envelope(f.Token, linkStart, firstTry)).To(Equal(retryStep))
			Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"mobileNumber":"`+testkit.Ingrid+`","isMobile":false}`)).
				To(rejectedWith(dataPhoneRejected))
			Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"mobileNumber":"`+testkit.Jordan+`","isMobile":false}`)).
				To(Equal(waiting))
			Expect(e.sms(testkit.Jordan)).To(HaveLen(1))
			Expect(e.open(e.lastLink(f)).Status).To(Equal(http.StatusFound))
			Expect(e.validate(f.ID)).To(BeTrue())
			kinds, _ := attempts(f)
			Expect(kinds).To(Equal([]string{"link-sent", "phone-rejected", "phone-changed", "link-resent", "link-clicked"}))
		})

		It("counts per flow: a new flow answers {} again", func() {
			for range 2 {
				f := e.startDesktop(lucia)
				Expect(e.envelope(f.Token, linkStart, firstTry)).To(Equal(retryStep))
				Expect(e.envelope(f.Token, linkStart, resendIt)).To(Equal(waiting))
			}
		})
	})

	Describe("fault kind instantlink-retry", func() {
		It("makes any persona's next instantlink/start answer {} (count 1), then {\"data\":{}} again", func() {
			fault := e.ctl(http.MethodPost, "/_mock/faults",
				`{"step":"/v1/client/mobile/instantlink/start","kind":"instantlink-retry","persona":"`+testkit.Jordan+`","count":1}`,
				http.StatusCreated).JSON()
			Expect(fault).To(HaveKeyWithValue("kind", "instantlink-retry"))
			Expect(fault).NotTo(HaveKey("status"), "the echo says what the fault does: no status")
			id, _ := fault["id"].(string)

			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			res := e.device(f.Token, linkStart, firstTry)
			Expect(res.Status).To(Equal(http.StatusOK))
			Expect(res.Raw).To(MatchJSON(`{}`))
			Expect(res.Header.Get("X-Mockprove-Fault")).To(Equal(id))
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("instantlink.link-sent.retry"))
			Expect(e.sms(testkit.Jordan)).To(HaveLen(1), "the SMS is sent as usual")
			Expect(e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).Raw).To(MatchJSON(`[]`), "count 1 is used up")

			Expect(e.envelope(f.Token, linkStart, resendIt)).To(Equal(waiting))
			Expect(e.open(e.lastLink(f)).Status).To(Equal(http.StatusFound))
			ws.expectDone()
			Expect(e.validate(f.ID)).To(BeTrue())
			kinds, _ := attempts(f)
			Expect(kinds).To(Equal([]string{"link-sent", "link-resent", "link-clicked"}))
		})

		It("leaves an answer that sends nothing as it is (a rejected number)", func() {
			e.ctl(http.MethodPost, "/_mock/faults", `{"step":"/v1/client/mobile/instantlink/start","kind":"instantlink-retry","count":1}`, http.StatusCreated)
			f := e.startDesktop(testkit.Jordan)
			Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"mobileNumber":"`+testkit.Ingrid+`","isMobile":false}`)).
				To(rejectedWith(dataPhoneRejected))
			Expect(e.envelope(f.Token, linkStart, firstTry)).To(Equal(waiting), "the count was spent on the rejected number")
		})

		DescribeTable("is refused with 400 naming the field",
			func(body, field string) {
				res := e.control(http.MethodPost, "/_mock/faults", body)
				Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
				Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
				Expect(res.JSON()["message"]).To(ContainSubstring("'" + field + "'"))
				Expect(e.s.Faults()).To(BeEmpty())
			},
			Entry("on another step", `{"step":"/v1/client/mobile/otp/start","kind":"instantlink-retry"}`, "kind"),
			Entry("with a status", `{"step":"/v1/client/mobile/instantlink/start","kind":"instantlink-retry","status":500}`, "status"),
		)
	})
})

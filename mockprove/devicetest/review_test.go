package devicetest_test

import (
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// Behaviours added after the code review.
var _ = Describe("after review", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	It("never hands out an ID from before a Reset again, even with a seed (defect 5)", func() {
		{
			first := e.startDesktop(testkit.Jordan) // newEnv took a token first
			e.sendLink(first)
			firstLink := e.lastLink(first)
			e.s.Reset()
			e.bearer = e.accessToken(identityID, identitySecret)
			second := e.startDesktop(testkit.Jordan)
			e.sendLink(second)
			Expect(second.ID).NotTo(Equal(first.ID))
			Expect(second.AuthID()).NotTo(Equal(first.AuthID()))
			Expect(e.lastLink(second)).NotTo(Equal(firstLink))
			// The stale authToken does not reach the new flow.
			Expect(e.device(first.Token, linkStart, `{"sourceIp":null,"isMobile":false}`).Status).To(Equal(http.StatusUnauthorized))
		}
	})

	It("repeats the same IDs, resets included, from a fresh server with the same seed", func() {
		run := func() []string {
			e := newEnv(mockprove.Options{Seed: 99})
			ids := []string{e.start(testkit.Jordan).ID}
			e.s.Reset()
			e.bearer = e.accessToken(identityID, identitySecret)
			return append(ids, e.start(testkit.Jordan).ID)
		}
		a, b := run(), run()
		Expect(a).To(Equal(b))
		Expect(a[0]).NotTo(Equal(a[1]))
	})

	It("never shares a persona's maps with the caller", func() {
		p, ok := e.s.Persona("2009990004")
		Expect(ok).To(BeTrue())
		p.KYC["totalHits"] = 999
		p.Products[0] = "nope"
		again, _ := e.s.Persona("2009990004")
		Expect(again.KYC["totalHits"]).NotTo(BeEquivalentTo(999))
		Expect(again.Products).NotTo(ContainElement("nope"))
	})

	It("refuses an Instant Link once the flow is past the possession check", func() {
		f := e.startDesktop(testkit.Jordan)
		e.sendLink(f)
		Expect(e.validate(f.ID)).To(BeFalse()) // validate before the click ends the flow
		Expect(e.open(e.lastLink(f)).Status).To(Equal(http.StatusGone))
		sess, _ := e.s.Session(f.ID)
		Expect(sess.Possession.Passed).To(BeFalse())
	})

	It("puts authId and asc in the query of a finalTargetUrl with a fragment", func() {
		f := e.startDesktop(testkit.Jordan, map[string]any{"finalTargetUrl": "https://app.example/done#top"})
		e.sendLink(f)
		res := e.open(e.lastLink(f))
		Expect(res.Status).To(Equal(http.StatusFound))
		Expect(res.Header.Get("Location")).To(MatchRegexp(`^https://app\.example/done\?authId=[^#&]+&asc=true#top$`))
	})

	It("sends a mobile-web Instant Link back to the app with authId and asc (for finishInstantLink)", func() {
		f := e.start(testkit.Jordan, map[string]any{"finalTargetUrl": "https://app.example/landing"})
		Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"isMobile":true}`)).To(Equal(map[string]any{"data": map[string]any{}}))
		res := e.open(e.lastLink(f))
		Expect(res.Status).To(Equal(http.StatusFound))
		Expect(res.Header.Get("Location")).To(Equal("https://app.example/landing?authId=" + f.AuthID() + "&asc=true"))
		Expect(e.validate(f.ID)).To(BeTrue())
	})

	It("refuses a finalTargetUrl that is not an http(s) URL", func() {
		res := e.startFields(map[string]any{"flowType": "desktop", "phoneNumber": testkit.Jordan, "finalTargetUrl": "notaurl"})
		Expect(res.Status).To(Equal(http.StatusBadRequest))
		Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
	})

	It("refuses control calls from a page of another origin", func() {
		r := e.req(http.MethodPost, "/_mock/faults", `{"step":"/v3/start","count":0}`,
			map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"})
		res := e.doWith(e.raw, r)
		Expect(res.Status).To(Equal(http.StatusForbidden))
		Expect(e.s.Faults()).To(BeEmpty())
	})

	It("ends a status socket when its flow expires, even with no link sent", func() {
		f := e.startDesktop(testkit.Jordan)
		w := e.ws(f.Token)
		w.expectSilent()
		e.s.FastForward(15 * time.Minute)
		w.expectExpired()
		// mockprove closes it after Options.WSCloseGrace (newEnv: 20 ms of real time).
		Eventually(w.done).Should(BeClosed())
		Expect(websocket.IsCloseError(w.closeErr(), websocket.CloseNormalClosure)).To(BeTrue(), "close error: %v", w.closeErr())
	})

	It("refuses to move the clock past the year 9999", func() {
		e.ctl(http.MethodPost, "/_mock/clock/set", `{"time":"9990-01-01T00:00:00Z"}`, http.StatusOK)
		res := e.control(http.MethodPost, "/_mock/clock/advance", `{"duration":"2000000h"}`)
		Expect(res.Status).To(Equal(http.StatusBadRequest))
		Expect(string(res.Raw)).To(ContainSubstring("field 'duration' is out of range"))
		Expect(e.s.Clock().Now().Year()).To(Equal(9990))
	})

	DescribeTable("refuses control input that would be silently wrong, naming the field",
		func(method, path, body, want string) {
			res := e.control(method, path, body)
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
			Expect(string(res.Raw)).To(ContainSubstring(want))
		},
		Entry("a session state that does not exist", http.MethodGet, "/_mock/sessions?state=bogus", "", "parameter 'state'"),
		Entry("a clock before 1970", http.MethodPost, "/_mock/clock/set", `{"time":"0001-01-01T00:00:00Z"}`, "field 'time'"),
		Entry("a clock set with an unknown field", http.MethodPost, "/_mock/clock/set", `{"time":"2026-01-02T15:00:00Z","x":1}`, "field 'x' is not allowed"),
		Entry("an array body", http.MethodPost, "/_mock/faults", `[]`, "request body must be a JSON object"),
		Entry("a fault code that is not Prove's", http.MethodPost, "/_mock/faults", `{"step":"/v3/start","code":-7}`, "field 'code'"),
		Entry("a fault for a client that does not exist", http.MethodPost, "/_mock/faults", `{"step":"/v3/start","client":"ghost"}`, "field 'client'"),
		Entry("a fault for a persona that does not exist", http.MethodPost, "/_mock/faults", `{"step":"/v3/start","persona":"2009990098"}`, "field 'persona'"),
		Entry("an automatic click with no delay", http.MethodPut, "/_mock/personas/2009990097",
			`{"name":"A","products":["identity"],"individual":{"firstName":"A","lastName":"B"},"possession":{"instantLink":{"click":"auto"}}}`,
			"clickAfter"),
	)
})

package devicetest_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// Behaviours added after the code review.
var _ = Describe("after review", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	It("hands out the same IDs after a Reset as a fresh server with the same seed", func() {
		first := e.start(jordan) // newEnv took a token first
		e.s.Reset()
		e.bearer = e.accessToken(identityID, identitySecret)
		Expect(e.start(jordan).ID).To(Equal(first.ID))
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
		f := e.startDesktop(jordan)
		e.sendLink(f)
		Expect(e.validate(f.ID)).To(BeFalse()) // validate before the click ends the flow
		Expect(e.open(e.lastLink(f)).Status).To(Equal(http.StatusGone))
		sess, _ := e.s.Session(f.ID)
		Expect(sess.Possession.Passed).To(BeFalse())
	})

	It("puts authId and asc in the query of a finalTargetUrl with a fragment", func() {
		f := e.startDesktop(jordan, map[string]any{"finalTargetUrl": "https://app.example/done#top"})
		e.sendLink(f)
		res := e.open(e.lastLink(f))
		Expect(res.Status).To(Equal(http.StatusFound))
		Expect(res.Header.Get("Location")).To(MatchRegexp(`^https://app\.example/done\?authId=[^#&]+&asc=true#top$`))
	})

	It("refuses a finalTargetUrl that is not an http(s) URL", func() {
		res := e.startFields(map[string]any{"flowType": "desktop", "phoneNumber": jordan, "finalTargetUrl": "notaurl"})
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
})

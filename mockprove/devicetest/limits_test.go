package devicetest_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// Regression tests of issue 8: what one flow, the finished flows and the
// control listings may grow to.
var _ = Describe("bounds", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	Describe("inside one flow (defect 1)", func() {
		It("keeps the newest possession attempts only, however often the SDK reports an error", func() {
			f := e.start(testkit.Colleen) // Mobile Auth fails: instant/error is the SDK's report
			msg := strings.Repeat("x", 4000)
			body := `{"code":10002,"message":"` + msg + `"}`
			for range 300 {
				res := e.doWith(e.raw, e.deviceReq(f.Token, "/v1/client/mobile/instant/error", body))
				Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
			}
			sess, ok := e.s.Session(f.ID)
			Expect(ok).To(BeTrue())
			Expect(len(sess.Possession.Attempts)).To(BeNumerically("<=", 32))
			for _, a := range sess.Possession.Attempts {
				Expect(len(a.Detail)).To(BeNumerically("<=", 256))
			}
			raw := e.ctl(http.MethodGet, "/_mock/sessions/"+f.ID, "", http.StatusOK).Raw
			Expect(len(raw)).To(BeNumerically("<", 64<<10), "the session answer stays small")
		})

		It("caps the SMS of a flow at 10, then answers the SDK error 10005 and fails the check", func() {
			f := e.start(testkit.Jordan)
			for i := range mockprove.MaxSMSPerFlow {
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty(), "send %d", i+1)
			}
			env := e.envelope(f.Token, otpStart, `{}`)
			Expect(env).To(terminalWith(sdkMaxAttempts))
			Expect(env["error"]).To(HaveKeyWithValue("message", ContainSubstring("too many SMS for this flow")))
			Expect(e.s.Outbox(mockprove.SMSFilter{CorrelationID: f.ID})).To(HaveLen(mockprove.MaxSMSPerFlow))
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(terminalWith(sdkAuthFailure), "the check has failed")
			Expect(e.validate(f.ID)).To(BeFalse())
		})

		It("caps Instant Link resends the same way", func() {
			f := e.startDesktop(testkit.Jordan)
			for range mockprove.MaxSMSPerFlow {
				e.sendLink(f)
			}
			Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"isMobile":false}`)).To(terminalWith(sdkMaxAttempts))
			Expect(e.s.Outbox(mockprove.SMSFilter{CorrelationID: f.ID})).To(HaveLen(mockprove.MaxSMSPerFlow))
		})
	})

	Describe("finished flows (defect 2)", func() {
		complete := func(id string) result {
			return e.api("/v3/complete", map[string]any{"correlationId": id,
				"individual": map[string]any{"firstName": "Martina", "lastName": "Goodram"}})
		}

		It("answers a replay with 8003 until the flow's 15 minutes end, then 8008, then forgets it", func() {
			f := e.start(testkit.Martina)
			Expect(e.validate(f.ID)).To(BeTrue())
			Expect(complete(f.ID).Status).To(Equal(http.StatusOK))

			e.s.FastForward(mockprove.FlowTTL - time.Second)
			res := complete(f.ID)
			Expect(res.Status).To(Equal(http.StatusForbidden))
			Expect(res.Code()).To(Equal(mockprove.CodeOutOfOrder))
			Expect(res.JSON()["message"]).To(Equal("step not allowed: the flow is finished (state completed); start a new flow"))

			e.s.FastForward(time.Second)
			res = complete(f.ID)
			Expect(res.Code()).To(Equal(mockprove.CodeInvalidCorrelation))
			Expect(res.JSON()["message"]).To(ContainSubstring("the flow expired at"))

			e.s.FastForward(time.Minute)
			res = complete(f.ID)
			Expect(res.Code()).To(Equal(mockprove.CodeInvalidCorrelation))
			Expect(res.JSON()["message"]).To(ContainSubstring("is not a flow of this client"))
			_, known := e.s.Session(f.ID)
			Expect(known).To(BeFalse())
			Expect(e.s.Sessions()).To(BeEmpty())
		})
	})

	Describe("control listings (defect 4)", func() {
		// pages follows X-Next-Cursor and returns every page's length and ids.
		pages := func(path string) (sizes []int, ids []string) {
			GinkgoHelper()
			cursor := ""
			for range 100 {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				p := path
				if cursor != "" {
					p += sep + "cursor=" + cursor
				}
				res := e.ctl(http.MethodGet, p, "", http.StatusOK)
				list := res.List()
				sizes = append(sizes, len(list))
				for _, item := range list {
					id, _ := item["correlationId"].(string)
					if v, ok := item["id"]; ok {
						id = fmt.Sprint(v)
					}
					ids = append(ids, id)
				}
				if cursor = res.Header.Get("X-Next-Cursor"); cursor == "" {
					return sizes, ids
				}
			}
			Fail("more than 100 pages")
			return nil, nil
		}

		It("pages GET /_mock/sessions in creation order, 100 at a time by default", func() {
			var want []string
			for range 250 {
				want = append(want, e.start(testkit.Martina).ID)
			}
			sizes, ids := pages("/_mock/sessions")
			Expect(sizes).To(Equal([]int{100, 100, 50}))
			Expect(ids).To(Equal(want))

			sizes, ids = pages("/_mock/sessions?limit=1000")
			Expect(sizes).To(Equal([]int{250}))
			Expect(ids).To(Equal(want))
		})

		It("answers a filter that matches nothing with empty pages that end", func() {
			for range 150 {
				e.start(testkit.Martina)
			}
			sizes, _ := pages("/_mock/sessions?phone=" + testkit.Jordan + "&limit=10")
			Expect(sizes).To(HaveEach(0))
			_, ids := pages("/_mock/sessions?state=started&phone=" + testkit.Martina + "&limit=7")
			Expect(ids).To(HaveLen(150))
		})

		It("refuses a bad limit or cursor with 400 code 8001 naming the parameter", func() {
			for _, q := range []string{"limit=0", "limit=1001", "limit=x", "cursor=%21%21"} {
				for _, path := range []string{"/_mock/sessions", "/_mock/sms", "/_mock/personas"} {
					res := e.ctl(http.MethodGet, path+"?"+q, "", http.StatusBadRequest)
					Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
					Expect(res.JSON()["message"]).To(MatchRegexp(`parameter '(limit|cursor)'`))
				}
			}
		})

		It("pages GET /_mock/sms oldest first and GET /_mock/personas by phone", func() {
			var want []string
			for range 25 {
				f := e.start(testkit.Jordan)
				Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			}
			for _, m := range e.s.Outbox(mockprove.SMSFilter{}) {
				want = append(want, m.ID)
			}
			sizes, ids := pages("/_mock/sms?limit=10")
			Expect(sizes).To(Equal([]int{10, 10, 5}))
			Expect(ids).To(Equal(want))

			all := e.s.Personas()
			sizes, _ = pages("/_mock/personas?limit=10")
			Expect(sizes).To(HaveLen((len(all) + 9) / 10))
		})

		It("pages GET /_mock/journal backwards, from the newest entries", func() {
			for range 5 {
				e.start(testkit.Martina)
			}
			res := e.ctl(http.MethodGet, "/_mock/journal?step=/v3/start&limit=2", "", http.StatusOK)
			newest := res.List()
			Expect(newest).To(HaveLen(2))
			cursor := res.Header.Get("X-Next-Cursor")
			Expect(cursor).NotTo(BeEmpty())
			older := e.ctl(http.MethodGet, "/_mock/journal?step=/v3/start&limit=2&cursor="+cursor, "", http.StatusOK).List()
			Expect(older).To(HaveLen(2))
			Expect(older[1]["id"].(float64)).To(BeNumerically("<", newest[0]["id"].(float64)))
		})
	})
})

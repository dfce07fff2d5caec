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

var _ = Describe("the journal", func() {
	var e *env

	journal := func(query string) []map[string]any {
		GinkgoHelper()
		return e.ctl(http.MethodGet, "/_mock/journal"+query, "", http.StatusOK).List()
	}

	BeforeEach(func() { e = newEnv() })

	It("records every emulated API call, oldest first, with step, status, client, flow, persona and rule", func() {
		f := e.start(testkit.Jordan)
		e.s.FastForward(time.Second)
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
		Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done))
		Expect(e.validate(f.ID)).To(BeTrue())

		j := journal("")
		Expect(pluckMaps(j, "step")).To(Equal([]string{"/token", "/v3/start", otpStart, otpFinish, "/v3/validate"}))
		Expect(j[0]).To(And(HaveKeyWithValue("client", identityID), HaveKeyWithValue("status", BeNumerically("==", 200))))
		Expect(j[2]).To(And(
			HaveKeyWithValue("method", "POST"), HaveKeyWithValue("path", otpStart),
			HaveKeyWithValue("correlationId", f.ID), HaveKeyWithValue("persona", testkit.Jordan),
			HaveKeyWithValue("client", identityID), HaveKeyWithValue("rule", "otp.otp-sent"),
		))
		Expect(mustTime(j[1]["time"])).To(Equal(testkit.T0))
		Expect(mustTime(j[2]["time"])).To(Equal(testkit.T0.Add(time.Second)))
		Expect(j[3]).To(HaveKeyWithValue("request", map[string]any{"otp": "1234"}))
		Expect(j[3]).To(HaveKeyWithValue("response", map[string]any{"next": "done"}))
		ids := []float64{}
		for _, x := range j {
			ids = append(ids, x["id"].(float64))
		}
		Expect(ids).To(Equal([]float64{1, 2, 3, 4, 5}))
	})

	It("does not record the control API", func() {
		e.ctl(http.MethodGet, "/_mock/sms", "", http.StatusOK)
		e.ctl(http.MethodGet, "/_mock/clock", "", http.StatusOK)
		Expect(pluckMaps(journal(""), "step")).To(Equal([]string{"/token"}))
	})

	It("records the status WebSocket and the link click", func() {
		f := e.startDesktop(testkit.Jordan)
		e.ws(f.Token)
		// The socket's entry is written right after the 101, asynchronously to the client.
		Eventually(func() []mockprove.JournalEntry { return e.s.Journal(mockprove.JournalFilter{Step: statusPath}) }).Should(HaveLen(1))
		e.sendLink(f)
		e.open(e.lastLink(f))
		j := journal("?correlationId=" + f.ID)
		Expect(pluckMaps(j, "step")).To(Equal([]string{"/v3/start", statusPath, linkStart, "/v1/link"}))
		Expect(j[1]).To(HaveKeyWithValue("status", BeNumerically("==", 101)))
		Expect(j[3]).To(And(HaveKeyWithValue("status", BeNumerically("==", 302)), HaveKeyWithValue("rule", "link.clicked")))
	})

	Describe("filters", func() {
		var a, b flow

		BeforeEach(func() {
			a = e.start(testkit.Jordan)
			b = e.start(testkit.Tessa)
			e.passOTP(a, "1234")
			Expect(e.envelope(b.Token, otpStart, `{}`)).To(BeEmpty())
		})

		It("by correlationId", func() {
			j := journal("?correlationId=" + a.ID)
			Expect(pluckMaps(j, "step")).To(Equal([]string{"/v3/start", otpStart, otpFinish}))
			Expect(pluckMaps(j, "correlationId")).To(HaveEach(a.ID))
		})

		It("by phone, with or without +1", func() {
			Expect(pluckMaps(journal("?phone="+testkit.Tessa), "step")).To(Equal([]string{"/v3/start", otpStart}))
			Expect(pluckMaps(journal("?phone="+url.QueryEscape("+1"+testkit.Tessa)), "correlationId")).To(HaveEach(b.ID))
		})

		It("by step", func() {
			Expect(pluckMaps(journal("?step="+url.QueryEscape(otpStart)), "correlationId")).To(Equal([]string{a.ID, b.ID}))
		})

		It("combined, and with limit (the newest entries)", func() {
			Expect(journal("?step=" + url.QueryEscape(otpStart) + "&phone=" + testkit.Jordan)).To(HaveLen(1))
			Expect(pluckMaps(journal("?limit=2"), "step")).To(Equal([]string{otpFinish, otpStart}))
			Expect(e.ctl(http.MethodGet, "/_mock/journal?limit=0", "", http.StatusBadRequest).Code()).To(Equal(mockprove.CodeMalformed))
		})

		It("agree with s.Journal", func() {
			j := e.s.Journal(mockprove.JournalFilter{CorrelationID: b.ID})
			Expect(j).To(HaveLen(2))
			Expect(j[1].Step).To(Equal(otpStart))
			Expect(j[1].Persona).To(Equal(testkit.Tessa))
			Expect(e.s.Journal(mockprove.JournalFilter{Phone: "+1" + testkit.Jordan, Step: otpFinish})).To(HaveLen(1))
			Expect(e.s.Journal(mockprove.JournalFilter{Limit: 1})).To(ConsistOf(HaveField("Step", otpStart)))
		})
	})

	It("keeps only the last Options.JournalSize entries", func() {
		e = newEnv(mockprove.Options{JournalSize: 5})
		var ids []string
		for i := 0; i < 4; i++ {
			ids = append(ids, e.start(testkit.Jordan).ID)
		}
		f := e.start(testkit.Tessa)
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
		// 7 calls: /token, 5 × /v3/start, otp/start.
		j := journal("")
		Expect(j).To(HaveLen(5))
		Expect(pluckMaps(j, "correlationId")).To(Equal([]string{ids[1], ids[2], ids[3], f.ID, f.ID}))
		Expect(j[0]["id"]).To(BeNumerically("==", 3))
		Expect(j[4]["id"]).To(BeNumerically("==", 7))
		Expect(journal("?correlationId=" + ids[0])).To(BeEmpty())
		Expect(e.s.Journal(mockprove.JournalFilter{})).To(HaveLen(5))
	})

	Describe("masking", func() {
		It("masks ssn and dob in request bodies", func() {
			f := e.start(testkit.Jordan, map[string]any{"ssn": "900030039", "dob": "1988-03-21"})
			j := journal("?correlationId=" + f.ID)
			Expect(j[0]["request"]).To(And(
				HaveKeyWithValue("ssn", "***"), HaveKeyWithValue("dob", "***"),
				HaveKeyWithValue("phoneNumber", testkit.Jordan), HaveKeyWithValue("flowType", "mobile"),
			))
			raw := e.ctl(http.MethodGet, "/_mock/journal", "", http.StatusOK).Raw
			Expect(string(raw)).NotTo(ContainSubstring("900030039"))
			Expect(string(raw)).NotTo(ContainSubstring("1988-03-21"))
		})

		It("masks client_secret in the /token form", func() {
			j := journal("?step=/token")
			Expect(j).To(HaveLen(1))
			Expect(j[0]["request"]).To(Equal(map[string]any{
				"grant_type": "client_credentials", "client_id": identityID, "client_secret": "***",
			}))
			Expect(string(e.ctl(http.MethodGet, "/_mock/journal", "", http.StatusOK).Raw)).NotTo(ContainSubstring(identitySecret))
		})

		It("masks ssn and dob nested in answers too (Pre-Fill /v3/challenge), in s.Journal as well", func() {
			prefill := e.accessToken(prefillID, prefillSecret)
			res := e.apiAs(prefill, "/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": testkit.Milo})
			Expect(res.Status).To(Equal(http.StatusOK))
			id := res.JSON()["correlationId"].(string)
			Expect(e.apiAs(prefill, "/v3/validate", map[string]any{"correlationId": id}).Status).To(Equal(http.StatusOK))
			res = e.apiAs(prefill, "/v3/challenge", map[string]any{"correlationId": id, "dob": "1981-01-17"})
			Expect(res.Status).To(Equal(http.StatusOK))
			Expect(res.JSON()).To(HaveKeyWithValue("individual", HaveKeyWithValue("ssn", "847350596")), "the precondition: the answer holds the SSN")

			j := e.s.Journal(mockprove.JournalFilter{Step: "/v3/challenge"})
			Expect(j).To(HaveLen(1))
			Expect(j[0].Request).To(HaveKeyWithValue("dob", "***"))
			Expect(j[0].Response).To(HaveKeyWithValue("individual", And(HaveKeyWithValue("ssn", "***"), HaveKeyWithValue("dob", "***"))))
			raw := string(e.ctl(http.MethodGet, "/_mock/journal", "", http.StatusOK).Raw)
			Expect(raw).NotTo(ContainSubstring("847350596"))
			Expect(raw).NotTo(ContainSubstring("1981-01-17"))
		})

		It("masks the tokens in answers, as the control spec says", func() {
			f := e.start(testkit.Jordan)
			j := journal("")
			Expect(j[0]["response"]).To(HaveKeyWithValue("access_token", "***"))
			Expect(j[1]["response"]).To(HaveKeyWithValue("authToken", "***"))
			raw := string(e.ctl(http.MethodGet, "/_mock/journal", "", http.StatusOK).Raw)
			Expect(raw).NotTo(ContainSubstring(e.bearer))
			Expect(raw).NotTo(ContainSubstring(f.Token))
		})
	})

	It("records the faults that answered", func() {
		f, err := e.s.AddFault(mockprove.FaultSpec{Step: "/v3/start", Count: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.startFields(map[string]any{"phoneNumber": testkit.Jordan}).Status).To(Equal(http.StatusInternalServerError))
		j := journal("?step=/v3/start")
		Expect(j).To(ConsistOf(And(
			HaveKeyWithValue("fault", f.ID), HaveKeyWithValue("rule", "fault:"+f.ID),
			HaveKeyWithValue("status", BeNumerically("==", 500)), HaveKeyWithValue("persona", testkit.Jordan),
		)))
	})
})

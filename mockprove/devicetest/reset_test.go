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

var _ = Describe("reset", func() {
	var (
		e        *env
		f        flow
		personas []byte
		oldLink  string
	)

	// dirty leaves every kind of state behind: a new and a removed persona,
	// flows, SMS, a fault, journal entries, a moved clock, an open socket.
	dirty := func() *wsClient {
		GinkgoHelper()
		personas = e.ctl(http.MethodGet, "/_mock/personas", "", http.StatusOK).Raw
		e.ctl(http.MethodPut, "/_mock/personas/"+newPhone, personaJSON(newPhone, "4321"), http.StatusCreated)
		e.ctl(http.MethodDelete, "/_mock/personas/"+testkit.Abigail, "", http.StatusNoContent)
		f = e.startDesktop(testkit.Jordan)
		ws := e.ws(f.Token)
		e.sendLink(f)
		oldLink = e.lastLink(f)
		e.passOTP(e.start(newPhone), "4321")
		e.ctl(http.MethodPost, "/_mock/faults", `{"step":"/v3/validate","count":0}`, http.StatusCreated)
		e.ctl(http.MethodPost, "/_mock/clock/advance", `{"duration":"90s"}`, http.StatusOK)
		Expect(e.s.Journal(mockprove.JournalFilter{})).NotTo(BeEmpty())
		Expect(e.s.Outbox(mockprove.SMSFilter{})).To(HaveLen(2))
		return ws
	}

	expectClean := func() {
		GinkgoHelper()
		Expect(e.ctl(http.MethodGet, "/_mock/sessions", "", http.StatusOK).Raw).To(MatchJSON(`[]`))
		Expect(e.ctl(http.MethodGet, "/_mock/sms", "", http.StatusOK).Raw).To(MatchJSON(`[]`))
		Expect(e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).Raw).To(MatchJSON(`[]`))
		Expect(e.ctl(http.MethodGet, "/_mock/journal", "", http.StatusOK).Raw).To(MatchJSON(`[]`))
		Expect(e.ctl(http.MethodGet, "/_mock/personas", "", http.StatusOK).Raw).To(MatchJSON(personas))
		Expect(mustTime(e.ctl(http.MethodGet, "/_mock/clock", "", http.StatusOK).JSON()["now"])).To(Equal(testkit.T0))
	}

	BeforeEach(func() { e = newEnv() })

	It("POST /_mock/reset goes back to start-up: personas, no flows, no SMS, no faults, empty journal, clock", func() {
		ws := dirty()
		e.ctl(http.MethodPost, "/_mock/reset", "", http.StatusNoContent)
		expectClean()
		Eventually(ws.done).Should(BeClosed(), "open sockets are dropped")
	})

	It("s.Reset does the same", func() {
		dirty()
		e.s.Reset()
		expectClean()
	})

	Describe("afterwards", func() {
		BeforeEach(func() {
			dirty()
			e.ctl(http.MethodPost, "/_mock/reset", "", http.StatusNoContent)
		})

		It("refuses the old flow's authToken (401) on the device API and the socket", func() {
			res := e.device(f.Token, otpStart, `{}`)
			Expect(res.Status).To(Equal(http.StatusUnauthorized))
			Expect(res.Code()).To(Equal(mockprove.CodeUnauthorized))
			_, resp, err := e.dialStatus(f.Token)
			Expect(err).To(MatchError(websocket.ErrBadHandshake))
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
		})

		It("answers the old flow's link with 404", func() {
			Expect(e.open(oldLink).Status).To(Equal(http.StatusNotFound))
		})

		It("has the start-up personas back and the run-time one gone", func() {
			e.passOTP(e.start(testkit.Abigail), "654321")
			Expect(e.startFields(map[string]any{"phoneNumber": newPhone}).Code()).To(Equal(mockprove.CodeUserNotFound))
		})

		It("works normally: no fault left, expiry timers on the reset clock", func() {
			g := e.startDesktop(testkit.Jordan)
			ws := e.ws(g.Token)
			e.sendLink(g)
			e.s.FastForward(3 * time.Minute)
			ws.expectExpired()
			h := e.start(testkit.Jordan)
			e.passOTP(h, "1234")
			Expect(e.validate(h.ID)).To(BeTrue())
		})

		It("keeps OAuth tokens issued before the reset working (the clients are unchanged)", func() {
			res := e.api("/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": testkit.Jordan})
			Expect(res.Status).To(Equal(http.StatusOK))
		})
	})
})

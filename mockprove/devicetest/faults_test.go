package devicetest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("faults", func() {
	var e *env

	BeforeEach(func() { e = newEnv() })

	addFault := func(spec string) map[string]any {
		GinkgoHelper()
		return e.ctl(http.MethodPost, "/_mock/faults", spec, http.StatusCreated).JSON()
	}
	startStatus := func(phone string) result {
		GinkgoHelper()
		return e.startFields(map[string]any{"phoneNumber": phone})
	}

	Describe("kind status", func() {
		It("answers the next /v3/start with 500 code 8000, then normally again", func() {
			f := addFault(`{"step":"/v3/start","status":500,"count":1}`)
			Expect(f).To(And(HaveKeyWithValue("step", "/v3/start"), HaveKeyWithValue("kind", "status"),
				HaveKeyWithValue("status", BeNumerically("==", 500)), HaveKeyWithValue("code", BeNumerically("==", 8000))))
			id, _ := f["id"].(string)
			Expect(id).NotTo(BeEmpty())

			res := startStatus(testkit.Jordan)
			Expect(res.Status).To(Equal(http.StatusInternalServerError))
			Expect(res.Code()).To(Equal(mockprove.CodeInternal))
			Expect(res.Header.Get("X-Mockprove-Fault")).To(Equal(id))
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("fault:" + id))
			Expect(res.Header.Get("X-Mockprove-Step")).To(Equal("/v3/start"))
			Expect(res.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Jordan))
			Expect(e.s.Sessions()).To(BeEmpty(), "the faulted start opened no flow")

			res = startStatus(testkit.Jordan)
			Expect(res.Status).To(Equal(http.StatusOK))
			Expect(res.Header.Get("X-Mockprove-Fault")).To(BeEmpty())
			Expect(e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).Raw).To(MatchJSON(`[]`), "a used-up fault is removed")
		})

		It("derives the code from the status and takes a message", func() {
			addFault(`{"count":1,"step":"/v3/start","status":403,"message":"nope"}`)
			res := startStatus(testkit.Jordan)
			Expect(res.Status).To(Equal(http.StatusForbidden))
			Expect(res.JSON()).To(Equal(map[string]any{"code": float64(mockprove.CodeOutOfOrder), "message": "nope"}))
		})

		It("answers any status from 400 to 599, even one prove-v3.yaml does not list (raw client)", func() {
			addFault(`{"count":1,"step":"/v3/start","status":503}`)
			body := `{"flowType":"mobile","phoneNumber":"` + testkit.Jordan + `"}`
			res := e.doWith(e.raw, e.req(http.MethodPost, "/v3/start", body, map[string]string{"Authorization": "Bearer " + e.bearer}))
			Expect(res.Status).To(Equal(http.StatusServiceUnavailable))
			Expect(res.Code()).To(Equal(mockprove.CodeInternal))
		})

		It("hits a device step without using up an OTP attempt", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			addFault(`{"count":1,"step":"` + otpFinish + `","status":503,"code":8000}`)
			res := e.device(f.Token, otpFinish, otpBody("1234"))
			Expect(res.Status).To(Equal(http.StatusServiceUnavailable))
			Expect(res.Code()).To(Equal(mockprove.CodeInternal))
			Expect(res.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Jordan))
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done), "the one allowed entry is still there")
		})

		It("with count 0 lasts until cleared; DELETE /_mock/faults clears", func() {
			addFault(`{"step":"/v3/start","status":500,"count":0}`)
			for i := 0; i < 4; i++ {
				Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusInternalServerError))
			}
			list := e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).List()
			Expect(list).To(ConsistOf(And(HaveKeyWithValue("hits", BeNumerically("==", 4)), HaveKeyWithValue("count", BeNumerically("==", 0)))))
			e.ctl(http.MethodDelete, "/_mock/faults", "", http.StatusNoContent)
			Expect(e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).Raw).To(MatchJSON(`[]`))
			Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusOK))
		})

		It("counts down remaining and can be removed by id", func() {
			a := addFault(`{"step":"/v3/start","count":3}`)
			b := addFault(`{"step":"/v3/validate","count":2}`)
			Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusInternalServerError))
			list := e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).List()
			Expect(list).To(HaveLen(2))
			Expect(list[0]).To(And(HaveKeyWithValue("id", a["id"]), HaveKeyWithValue("remaining", BeNumerically("==", 2)), HaveKeyWithValue("hits", BeNumerically("==", 1))))
			Expect(list[1]).To(And(HaveKeyWithValue("id", b["id"]), HaveKeyWithValue("remaining", BeNumerically("==", 2)), HaveKeyWithValue("hits", BeNumerically("==", 0))))

			e.ctl(http.MethodDelete, "/_mock/faults/"+a["id"].(string), "", http.StatusNoContent)
			Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusOK))
			Expect(e.ctl(http.MethodDelete, "/_mock/faults/"+a["id"].(string), "", http.StatusNotFound).Code()).To(Equal(mockprove.CodeMalformed))
			Expect(e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).List()).To(ConsistOf(HaveKeyWithValue("id", b["id"])))
		})
	})

	Describe("scope", func() {
		It("never leaks into other steps", func() {
			addFault(`{"step":"/v3/validate","count":0}`)
			f := e.start(testkit.Jordan)
			e.passOTP(f, "1234")
			res := e.api("/v3/validate", map[string]any{"correlationId": f.ID})
			Expect(res.Status).To(Equal(http.StatusInternalServerError))
		})

		It("with persona hits only that persona, on the server API", func() {
			addFault(`{"step":"/v3/start","persona":"+1` + testkit.Tessa + `","count":0}`)
			Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusOK))
			Expect(startStatus(testkit.Abigail).Status).To(Equal(http.StatusOK))
			Expect(startStatus(testkit.Tessa).Status).To(Equal(http.StatusInternalServerError))
			Expect(startStatus(testkit.Tessa).Status).To(Equal(http.StatusInternalServerError))
			Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusOK))
		})

		It("with persona hits only that persona, on the device API", func() {
			addFault(`{"step":"` + otpStart + `","persona":"` + testkit.Tessa + `","count":0}`)
			j, t := e.start(testkit.Jordan), e.start(testkit.Tessa)
			Expect(e.device(t.Token, otpStart, `{}`).Status).To(Equal(http.StatusInternalServerError))
			Expect(e.device(j.Token, otpStart, `{}`).Status).To(Equal(http.StatusOK))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(ConsistOf(HaveField("Phone", testkit.Jordan)))
		})

		It("with persona hits /v3/validate of that persona's flows only", func() {
			addFault(`{"step":"/v3/validate","persona":"` + testkit.Milo + `","count":0}`)
			m := e.start(testkit.Milo)
			j := e.start(testkit.Jordan)
			e.passOTP(j, "1234")
			Expect(e.validate(j.ID)).To(BeTrue())
			Expect(e.api("/v3/validate", map[string]any{"correlationId": m.ID}).Status).To(Equal(http.StatusInternalServerError))
		})

		It("with client hits only that client", func() {
			addFault(`{"step":"/v3/start","client":"` + prefillID + `","count":0}`)
			prefill := e.accessToken(prefillID, prefillSecret)
			body := map[string]any{"flowType": "mobile", "phoneNumber": testkit.Jordan}
			Expect(e.apiAs(prefill, "/v3/start", body).Status).To(Equal(http.StatusInternalServerError))
			Expect(e.api("/v3/start", body).Status).To(Equal(http.StatusOK))
			Expect(e.apiAs(prefill, "/v3/start", body).Status).To(Equal(http.StatusInternalServerError))
			e.ctl(http.MethodDelete, "/_mock/faults", "", http.StatusNoContent)
			Expect(e.apiAs(prefill, "/v3/start", body).Status).To(Equal(http.StatusOK))
		})

		It("with client hits /token of that client only", func() {
			addFault(`{"count":1,"step":"/token","client":"` + prefillID + `","status":401}`)
			Expect(e.accessToken(identityID, identitySecret)).NotTo(BeEmpty())
			Expect(e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).List()).To(ConsistOf(HaveKeyWithValue("hits", BeNumerically("==", 0))))

			r := e.req(http.MethodPost, "/token", "grant_type=client_credentials&client_id="+prefillID+"&client_secret="+prefillSecret,
				map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
			res := e.do(r)
			Expect(res.Status).To(Equal(http.StatusUnauthorized))
			Expect(res.Code()).To(Equal(mockprove.CodeUnauthorized))
			Expect(res.Header.Get("X-Mockprove-Fault")).NotTo(BeEmpty())
			Expect(e.accessToken(prefillID, prefillSecret)).NotTo(BeEmpty())
		})

		It("hits the Instant Link click (/v1/link), which then changes nothing", func() {
			addFault(`{"step":"/v1/link","status":500,"count":0}`)
			f := e.startDesktop(testkit.Jordan)
			e.sendLink(f)
			Expect(e.open(e.lastLink(f)).Status).To(Equal(http.StatusInternalServerError))
			e.s.CheckPossession(GinkgoT(), f.ID, false)
		})

		It("with persona or client scope, hits the click of that persona's link", func() {
			addFault(`{"step":"/v1/link","persona":"` + testkit.Jordan + `","client":"` + identityID + `","status":500,"count":0}`)
			f := e.startDesktop(testkit.Jordan)
			e.sendLink(f)
			Expect(e.open(e.lastLink(f)).Status).To(Equal(http.StatusInternalServerError))
		})
	})

	Describe("kind delay", func() {
		It("answers normally, no sooner than the delay, and records the hit", func() {
			f := addFault(`{"step":"/v3/start","kind":"delay","delay":"300ms","count":2}`)
			began := time.Now()
			res := startStatus(testkit.Jordan)
			Expect(time.Since(began)).To(BeNumerically(">=", 300*time.Millisecond), "the delay is real latency")
			Expect(res.Status).To(Equal(http.StatusOK))
			Expect(res.JSON()).To(HaveKey("authToken"))
			Expect(res.Header.Get("X-Mockprove-Fault")).To(Equal(f["id"]))
			Expect(e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).List()).To(ConsistOf(And(
				HaveKeyWithValue("hits", BeNumerically("==", 1)), HaveKeyWithValue("remaining", BeNumerically("==", 1)),
				HaveKeyWithValue("delay", "300ms"),
			)))
			j := e.s.Journal(mockprove.JournalFilter{Step: "/v3/start"})
			Expect(j).To(HaveLen(1))
			Expect(j[0].Fault).To(Equal(f["id"]))
			Expect(j[0].Status).To(Equal(http.StatusOK))
		})

		It("needs a delay", func() {
			res := e.control(http.MethodPost, "/_mock/faults", `{"step":"/v3/start","kind":"delay"}`)
			Expect(res.Status).To(Equal(http.StatusBadRequest))
			Expect(res.JSON()["message"]).To(ContainSubstring("'delay'"))
		})
	})

	// startReq is a /v3/start of Jordan that Go's client may send again on
	// its own (an Idempotency-Key makes a POST replayable); it notes whether
	// it went on a reused keep-alive connection.
	startReq := func(reused *bool) *http.Request {
		GinkgoHelper()
		r := e.req(http.MethodPost, "/v3/start", `{"flowType":"mobile","phoneNumber":"`+testkit.Jordan+`"}`,
			map[string]string{"Authorization": "Bearer " + e.bearer, "Idempotency-Key": "k1"})
		return r.WithContext(httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { *reused = i.Reused },
		}))
	}
	// keepAlive is a client whose first /v3/start leaves an idle connection.
	keepAlive := func() *http.Client {
		GinkgoHelper()
		t := &http.Transport{}
		DeferCleanup(t.CloseIdleConnections)
		c := &http.Client{Transport: t}
		var reused bool
		Expect(e.doWith(c, startReq(&reused)).Status).To(Equal(http.StatusOK))
		return c
	}
	startJournal := func() []mockprove.JournalEntry {
		return e.s.Journal(mockprove.JournalFilter{Step: "/v3/start"})
	}

	Describe("kind drop", func() {
		It("sends the start of an answer's head, then closes: even on a reused connection the client sees the failure", func() {
			c := keepAlive()
			f := addFault(`{"count":1,"step":"/v3/start","kind":"drop"}`)
			var reused bool
			resp, err := c.Do(startReq(&reused))
			if resp != nil {
				_ = resp.Body.Close()
			}
			Expect(reused).To(BeTrue(), "the request went on the kept-alive connection")
			Expect(err).To(MatchError(ContainSubstring("unexpected EOF")), "a head cut short, not sent again")
			Expect(startJournal()).To(HaveLen(2), "no second try")
			Expect(startJournal()[1]).To(And(HaveField("Fault", f["id"]), HaveField("Status", 0)))
			Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusOK), "then normal again")
		})

		It("writes the status line and nothing more", func() {
			addFault(`{"count":1,"step":"/v3/start","kind":"drop"}`)
			conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
			Expect(err).NotTo(HaveOccurred())
			defer conn.Close()
			body := `{"flowType":"mobile","phoneNumber":"` + testkit.Jordan + `"}`
			_, err = fmt.Fprintf(conn, "POST /v3/start HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				e.bearer, len(body), body)
			Expect(err).NotTo(HaveOccurred())
			Expect(conn.SetReadDeadline(time.Now().Add(10 * time.Second))).To(Succeed())
			got, err := io.ReadAll(conn)
			Expect(err).NotTo(HaveOccurred(), "closed normally after the bytes")
			Expect(string(got)).To(Equal("HTTP/1.1 500 Internal Server Error\r\n"))
		})
	})

	Describe("kind reset", func() {
		It("closes before any byte with a TCP reset: a new connection's client gets an error", func() {
			f := addFault(`{"count":1,"step":"/v3/start","kind":"reset"}`)
			Expect(f).To(HaveKeyWithValue("kind", "reset"))
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			var reused bool
			resp, err := client.Do(startReq(&reused))
			if resp != nil {
				_ = resp.Body.Close()
			}
			Expect(err).To(HaveOccurred())
			Expect(errors.Is(err, syscall.ECONNRESET)).To(BeTrue(), "%v", err)
			Expect(startJournal()).To(ConsistOf(And(HaveField("Fault", f["id"]), HaveField("Status", 0))))
			Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusOK), "then normal again")
		})

		It("on a reused connection a client that may retry sends the request again: the fault goes unseen", func() {
			c := keepAlive()
			f := addFault(`{"count":1,"step":"/v3/start","kind":"reset"}`)
			var reused bool
			res := e.doWith(c, startReq(&reused))
			Expect(res.Status).To(Equal(http.StatusOK), "Go's client sent the replayable POST again")
			j := startJournal()
			Expect(j).To(HaveLen(3), "warm-up, reset, silent second try")
			Expect(j[1]).To(And(HaveField("Fault", f["id"]), HaveField("Status", 0)))
			Expect(j[2]).To(And(HaveField("Fault", BeEmpty()), HaveField("Status", http.StatusOK)))
		})
	})

	Describe("kinds drop and reset without a socket", func() {
		for _, kind := range []string{mockprove.FaultDrop, mockprove.FaultReset} {
			It("make the in-memory HTTPClient() return an error ("+kind+")", func() {
				_, err := e.s.AddFault(mockprove.FaultSpec{Step: "/v3/start", Kind: kind, Count: 1})
				Expect(err).NotTo(HaveOccurred())
				var reused bool
				resp, err := e.s.HTTPClient().Do(startReq(&reused))
				if resp != nil {
					_ = resp.Body.Close()
				}
				Expect(err).To(MatchError(ContainSubstring("connection dropped")))
				Expect(startJournal()).To(ConsistOf(HaveField("Status", 0)))
			})
		}
	})

	Describe("kind malformed", func() {
		It("answers 200 with a body that is not JSON", func() {
			f := e.start(testkit.Jordan)
			addFault(`{"count":1,"step":"` + otpStart + `","kind":"malformed"}`)
			res := e.doWith(e.raw, e.deviceReq(f.Token, otpStart, `{}`))
			Expect(res.Status).To(Equal(http.StatusOK))
			Expect(json.Valid(res.Raw)).To(BeFalse(), string(res.Raw))
			Expect(res.Header.Get("X-Mockprove-Fault")).NotTo(BeEmpty())
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty(), "then normal again")
		})

		It("is refused by the spec-checking client (the contract kit notices)", func() {
			addFault(`{"count":1,"step":"/v3/start","kind":"malformed"}`)
			_, err := e.http.Do(e.req(http.MethodPost, "/v3/start", `{"flowType":"mobile","phoneNumber":"`+testkit.Jordan+`"}`,
				map[string]string{"Authorization": "Bearer " + e.bearer}))
			Expect(err).To(MatchError(ContainSubstring("does not conform")))
		})
	})

	Describe("kind ws-close", func() {
		It("closes the status socket right after it opens, then sockets work again", func() {
			f := e.startDesktop(testkit.Jordan)
			fault := addFault(`{"count":1,"step":"/v1/client/status","kind":"ws-close"}`)
			ws := e.ws(f.Token)
			Eventually(ws.done).Should(BeClosed())
			Expect(websocket.IsCloseError(ws.closeErr(), websocket.CloseNormalClosure)).To(BeTrue(), "%v", ws.closeErr())
			Expect(ws.closeErr().Error()).To(ContainSubstring(fault["id"].(string)))

			again := e.ws(f.Token)
			e.sendLink(f)
			_, err := e.s.ClickInstantLink(f.ID)
			Expect(err).NotTo(HaveOccurred())
			again.expectDone()
		})

		It("only applies to /v1/client/status", func() {
			res := e.control(http.MethodPost, "/_mock/faults", `{"step":"/v3/start","kind":"ws-close"}`)
			Expect(res.Status).To(Equal(http.StatusBadRequest))
			Expect(res.JSON()["message"]).To(ContainSubstring("'kind'"))
		})
	})

	It("answers a kind status fault on the status socket with the error status", func() {
		f := e.startDesktop(testkit.Jordan)
		addFault(`{"count":1,"step":"/v1/client/status","status":503}`)
		_, resp, err := e.dialStatus(f.Token)
		Expect(err).To(MatchError(websocket.ErrBadHandshake))
		Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
		Expect(resp.Header.Get("X-Mockprove-Fault")).NotTo(BeEmpty())
		e.ws(f.Token)
	})

	DescribeTable("refuses a bad fault with 400 naming the field, and arms nothing",
		func(body, field string) {
			res := e.control(http.MethodPost, "/_mock/faults", body)
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
			Expect(res.JSON()["message"]).To(ContainSubstring("'" + field + "'"))
			Expect(e.s.Faults()).To(BeEmpty())
		},
		Entry("no step", `{"status":500}`, "step"),
		Entry("unknown step", `{"step":"/v9/nope"}`, "step"),
		Entry("control API step", `{"step":"/_mock/sms"}`, "step"),
		Entry("unknown kind", `{"step":"/v3/start","kind":"explode"}`, "kind"),
		Entry("status out of range", `{"step":"/v3/start","status":200}`, "status"),
		Entry("negative count", `{"step":"/v3/start","count":-1}`, "count"),
		Entry("bad delay", `{"step":"/v3/start","delay":"soon"}`, "delay"),
		Entry("misspelt field", `{"step":"/v3/start","cuont":2}`, "cuont"),
	)

	Describe("from Go", func() {
		It("s.FailNext makes the next call of a step fail once", func() {
			Expect(e.s.FailNext("/v3/start", http.StatusTooManyRequests)).To(Succeed())
			res := startStatus(testkit.Jordan)
			Expect(res.Status).To(Equal(http.StatusTooManyRequests))
			Expect(res.Code()).To(Equal(mockprove.CodeInternal))
			Expect(res.Header.Get("Retry-After")).To(Equal("1"))
			Expect(startStatus(testkit.Jordan).Status).To(Equal(http.StatusOK))
			Expect(e.s.FailNext("/nope", 500)).To(MatchError(ContainSubstring("'step'")))
		})

		It("s.AddFault arms a fault with count 0 = until cleared, visible in GET /_mock/faults", func() {
			f, err := e.s.AddFault(mockprove.FaultSpec{Step: otpFinish, Status: 429, Persona: testkit.Jordan})
			Expect(err).NotTo(HaveOccurred())
			Expect(f.ID).NotTo(BeEmpty())
			Expect(f.Code).To(Equal(mockprove.CodeInternal))
			Expect(e.ctl(http.MethodGet, "/_mock/faults", "", http.StatusOK).List()).To(ConsistOf(HaveKeyWithValue("id", f.ID)))

			g := e.start(testkit.Jordan)
			Expect(e.envelope(g.Token, otpStart, `{}`)).To(BeEmpty())
			for i := 0; i < 3; i++ {
				res := e.device(g.Token, otpFinish, otpBody("1234"))
				Expect(res.Status).To(Equal(http.StatusTooManyRequests))
				Expect(res.Header.Get("Retry-After")).To(Equal("1"))
			}
			Expect(e.s.Faults()).To(ConsistOf(HaveField("Hits", 3)))
			Expect(e.s.RemoveFault(f.ID)).To(BeTrue())
			Expect(e.envelope(g.Token, otpFinish, otpBody("1234"))).To(Equal(done))
		})

		It("s.AddFault refuses a bad spec naming the field", func() {
			_, err := e.s.AddFault(mockprove.FaultSpec{Step: "/v3/start", Kind: faultKindNope})
			Expect(err).To(MatchError(ContainSubstring("'kind'")))
			Expect(e.s.Faults()).To(BeEmpty())
		})
	})
})

const faultKindNope = "nope"

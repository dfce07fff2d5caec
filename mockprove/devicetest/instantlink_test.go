package devicetest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("Instant Link possession check (desktop)", func() {
	var e *env

	BeforeEach(func() { e = newEnv() })

	Describe("instantlink/start", func() {
		It("answers {\"data\":{}} and sends an SMS whose link points at mockprove", func() {
			f := e.startDesktop(testkit.Jordan)
			e.sendLink(f)
			msgs := e.sms(testkit.Jordan)
			Expect(msgs).To(HaveLen(1))
			m := msgs[0]
			Expect(m).To(HaveKeyWithValue("kind", "instantlink"))
			Expect(m).To(HaveKeyWithValue("phone", testkit.Jordan))
			Expect(m).To(HaveKeyWithValue("correlationId", f.ID))
			Expect(m).NotTo(HaveKey("code"))
			link, _ := m["link"].(string)
			Expect(link).To(HavePrefix(e.s.URL() + "/v1/link/"))
			Expect(m).To(HaveKeyWithValue("body", strings.Replace(defaultLinkText, "####", link, 1)))
			Expect(mustTime(m["sentAt"])).To(Equal(testkit.T0))
			Expect(mustTime(m["expiresAt"])).To(Equal(testkit.T0.Add(3 * time.Minute)))
		})

		It("uses smsMessage for the body, the link in place of ####", func() {
			f := e.startDesktop(testkit.Jordan, map[string]any{"smsMessage": "ACME: tap #### to continue"})
			e.sendLink(f)
			Expect(e.sms(testkit.Jordan)[0]["body"]).To(Equal("ACME: tap " + e.lastLink(f) + " to continue"))
		})

		It("refuses a rejected number (2009990036) and an unknown one with data{code,message}", func() {
			f := e.startDesktop(testkit.Jordan)
			Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"mobileNumber":"`+testkit.Ingrid+`","isMobile":false}`)).
				To(rejectedWith(dataPhoneRejected))
			Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"mobileNumber":"`+testkit.Nobody+`","isMobile":false}`)).
				To(rejectedWith(dataPhoneRejected))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
			Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"mobileNumber":"`+testkit.Felix+`","isMobile":false}`)).
				To(Equal(map[string]any{"data": map[string]any{}}))
			Expect(e.sms(testkit.Felix)).To(HaveLen(1))
		})
	})

	Describe("a click on the link", func() {
		It("redirects to finalTargetUrl?authId=…&asc=true, passes the check and pushes done to every socket of the flow", func() {
			f := e.startDesktop(testkit.Jordan)
			other := e.startDesktop(testkit.Jordan)
			ws1 := e.ws(f.Token)
			ws2 := e.ws(f.Token)
			wsOther := e.ws(other.Token)
			e.sendLink(f)
			e.sendLink(other)
			ws1.expectSilent()

			res := e.open(e.lastLink(f))
			Expect(res.Status).To(Equal(http.StatusFound))
			loc, err := url.Parse(res.Header.Get("Location"))
			Expect(err).NotTo(HaveOccurred())
			Expect(loc.Scheme + "://" + loc.Host + loc.Path).To(Equal(landing))
			Expect(loc.Query()).To(Equal(url.Values{"authId": {f.AuthID()}, "asc": {"true"}}))
			Expect(res.Header.Get("X-Mockprove-Step")).To(Equal("/v1/link"))
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("link.clicked"))
			Expect(res.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Jordan))

			ws1.expectDone()
			ws2.expectDone()
			wsOther.expectSilent()

			e.s.CheckPossession(GinkgoT(), f.ID, true)
			Expect(possession(e.session(f.ID))).To(HaveKeyWithValue("link", HaveKey("clickedAt")))
			Expect(e.validate(f.ID)).To(BeTrue())
			Expect(e.validate(other.ID)).To(BeFalse())
		})

		It("keeps the query of finalTargetUrl", func() {
			f := e.startDesktop(testkit.Jordan, map[string]any{"finalTargetUrl": landing + "?step=2"})
			e.sendLink(f)
			res := e.open(e.lastLink(f))
			Expect(res.Header.Get("Location")).To(Equal(landing + "?step=2&authId=" + url.QueryEscape(f.AuthID()) + "&asc=true"))
		})

		It("is pushed to a socket opened after the click", func() {
			f := e.startDesktop(testkit.Jordan)
			e.sendLink(f)
			Expect(e.open(e.lastLink(f)).Status).To(Equal(http.StatusFound))
			e.ws(f.Token).expectDone()
		})

		It("can be repeated: a second click redirects again and changes nothing", func() {
			f := e.startDesktop(testkit.Jordan)
			e.sendLink(f)
			link := e.lastLink(f)
			Expect(e.open(link).Status).To(Equal(http.StatusFound))
			before := possession(e.session(f.ID))
			Expect(e.open(link).Status).To(Equal(http.StatusFound))
			Expect(possession(e.session(f.ID))).To(Equal(before))
		})

		It("shows a 'verified' page when the flow has no finalTargetUrl (mobile web)", func() {
			f := e.start(testkit.Jordan)
			Expect(e.envelope(f.Token, linkStart, `{"sourceIp":null,"isMobile":true}`)).To(Equal(map[string]any{"data": map[string]any{}}))
			res := e.open(e.lastLink(f))
			Expect(res.Status).To(Equal(http.StatusOK))
			Expect(res.Header.Get("Content-Type")).To(HavePrefix("text/html"))
			Expect(string(res.Raw)).To(ContainSubstring("verified"))
			Expect(e.validate(f.ID)).To(BeTrue())
		})

		It("answers 404 for a link mockprove never sent", func() {
			Expect(e.open(e.s.URL() + "/v1/link/00112233445566778899aabbccddeeff").Status).To(Equal(http.StatusNotFound))
		})
	})

	Describe("expiry", func() {
		It("ends the socket 3 minutes after the SMS with an error and next done, then closes it", func() {
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			e.sendLink(f)

			e.s.FastForward(3*time.Minute - time.Second)
			ws.expectSilent()
			e.ctl(http.MethodPost, "/_mock/clock/advance", `{"duration":"1s"}`, http.StatusOK)
			ws.expectExpired()

			// The SDK closes after any message; mockprove closes a socket that
			// stays open after its grace period (Options.WSCloseGrace, real
			// time: newEnv shortens it far below the Eventually timeout).
			Eventually(ws.done).Should(BeClosed())
			Expect(websocket.IsCloseError(ws.closeErr(), websocket.CloseNormalClosure)).To(BeTrue(), "close error: %v", ws.closeErr())

			Expect(e.validate(f.ID)).To(BeFalse())
		})

		It("answers a late click with 410 and changes nothing", func() {
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			e.sendLink(f)
			e.s.FastForward(3 * time.Minute)
			ws.expectExpired()
			before := e.session(f.ID)

			res := e.open(e.lastLink(f))
			Expect(res.Status).To(Equal(http.StatusGone))
			Expect(res.Header.Get("Location")).To(BeEmpty())
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("link.refused"))

			Expect(e.session(f.ID)).To(Equal(before))
			Expect(possession(before)).To(HaveKeyWithValue("failed", true))
			Expect(possession(before)["link"]).NotTo(HaveKey("clickedAt"))
			Expect(e.validate(f.ID)).To(BeFalse())
		})

		It("is pushed to a socket opened after the expiry", func() {
			f := e.startDesktop(testkit.Jordan)
			e.sendLink(f)
			e.s.FastForward(5 * time.Minute)
			e.ws(f.Token).expectExpired()
		})

		It("follows Options.InstantLinkTTL", func() {
			e = newEnv(mockprove.Options{InstantLinkTTL: time.Minute})
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			e.sendLink(f)
			Expect(mustTime(e.sms(testkit.Jordan)[0]["expiresAt"])).To(Equal(testkit.T0.Add(time.Minute)))
			e.s.FastForward(time.Minute)
			ws.expectExpired()
		})
	})

	Describe("personas", func() {
		It("2009990034 clicks by itself 30s after the SMS", func() {
			f := e.startDesktop(testkit.Maya)
			ws := e.ws(f.Token)
			e.sendLink(f)
			e.s.FastForward(29 * time.Second)
			ws.expectSilent()
			e.s.FastForward(time.Second)
			ws.expectDone()
			Expect(mustTime(possession(e.session(f.ID))["link"].(map[string]any)["clickedAt"])).To(Equal(testkit.T0.Add(30 * time.Second)))
			Expect(e.validate(f.ID)).To(BeTrue())
		})

		It("2009990035 clicks after 4m: the link has expired first", func() {
			f := e.startDesktop(testkit.Gideon)
			ws := e.ws(f.Token)
			e.sendLink(f)
			e.s.FastForward(4 * time.Minute)
			ws.expectExpired()
			Consistently(ws.msgs).ShouldNot(Receive(), "no done after the expiry")
			Expect(possession(e.session(f.ID))["link"]).NotTo(HaveKey("clickedAt"))
			Expect(e.validate(f.ID)).To(BeFalse())
		})

		It("2009990033 never clicks", func() {
			f := e.startDesktop(testkit.Felix)
			ws := e.ws(f.Token)
			e.sendLink(f)
			e.s.FastForward(2*time.Minute + 59*time.Second)
			ws.expectSilent()
			e.s.CheckPossession(GinkgoT(), f.ID, false)
			e.s.FastForward(time.Second)
			ws.expectExpired()
			Expect(e.validate(f.ID)).To(BeFalse())
		})

		It("2009990033's link still works when opened from the outbox in time", func() {
			f := e.startDesktop(testkit.Felix)
			ws := e.ws(f.Token)
			e.sendLink(f)
			e.s.FastForward(time.Minute)
			Expect(e.open(e.sms(testkit.Felix)[0]["link"].(string)).Status).To(Equal(http.StatusFound))
			ws.expectDone()
		})
	})

	Describe("resend (instantlink/start with mobileNumber \"\")", func() {
		var (
			f                flow
			ws               *wsClient
			oldLink, newLink string
		)

		BeforeEach(func() {
			f = e.startDesktop(testkit.Jordan)
			ws = e.ws(f.Token)
			e.sendLink(f)
			oldLink = e.lastLink(f)
			e.s.FastForward(2 * time.Minute)

			res := e.device(f.Token, linkStart, `{"sourceIp":null,"mobileNumber":"","isMobile":false}`)
			Expect(res.JSON()).To(Equal(map[string]any{"data": map[string]any{}}))
			Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("instantlink.link-resent"))
			newLink = e.lastLink(f)
		})

		It("sends a new SMS with a new link that restarts the 3 minutes", func() {
			Expect(newLink).NotTo(Equal(oldLink))
			msgs := e.sms(testkit.Jordan)
			Expect(msgs).To(HaveLen(2))
			Expect(mustTime(msgs[1]["expiresAt"])).To(Equal(testkit.T0.Add(5 * time.Minute)))

			e.s.FastForward(2 * time.Minute) // 4m after the first SMS, 2m after the second
			ws.expectSilent()
			e.s.CheckPossession(GinkgoT(), f.ID, false)
			Expect(e.open(newLink).Status).To(Equal(http.StatusFound))
			ws.expectDone()
			Expect(e.validate(f.ID)).To(BeTrue())
		})

		It("expires the new link 3 minutes after the resend", func() {
			e.s.FastForward(3*time.Minute - time.Second)
			ws.expectSilent()
			e.s.FastForward(time.Second)
			ws.expectExpired()
		})

		It("no longer accepts the old link, and opening it changes nothing", func() {
			res := e.open(oldLink)
			Expect(res.Status).To(BeNumerically(">=", 400))
			ws.expectSilent()
			e.s.CheckPossession(GinkgoT(), f.ID, false)
			Expect(e.open(newLink).Status).To(Equal(http.StatusFound))
		})

		It("answers 410 for the replaced link", func() {
			Expect(e.open(oldLink).Status).To(Equal(http.StatusGone))
		})
	})

	Describe("the status WebSocket", func() {
		It("answers the SDK's text ping with pong", func() {
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			ws.send("ping")
			Eventually(ws.msgs).Should(Receive(Equal("pong")))
			ws.send("ping")
			Eventually(ws.msgs).Should(Receive(Equal("pong")))
			ws.expectSilent()
		})

		It("ignores other text", func() {
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			ws.send("hello")
			ws.expectSilent()
		})

		It("refuses a bad token with 401 code 8002", func() {
			f := e.startDesktop(testkit.Jordan)
			for _, tok := range []string{"", "garbage", f.Token + "x"} {
				conn, resp, err := e.dialStatus(tok)
				Expect(err).To(MatchError(websocket.ErrBadHandshake))
				Expect(conn).To(BeNil())
				Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				var m map[string]any
				Expect(json.Unmarshal(body, &m)).To(Succeed(), string(body))
				Expect(m).To(HaveKeyWithValue("code", BeNumerically("==", mockprove.CodeUnauthorized)))
			}
		})

		It("refuses an expired token with 401", func() {
			f := e.startDesktop(testkit.Jordan)
			e.s.FastForward(15 * time.Minute)
			_, resp, err := e.dialStatus(f.Token)
			Expect(err).To(MatchError(websocket.ErrBadHandshake))
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
		})

		It("answers a plain GET (no upgrade) with 400", func() {
			f := e.startDesktop(testkit.Jordan)
			res := e.doWith(e.raw, e.req(http.MethodGet, statusPath+"?token="+url.QueryEscape(f.Token), "", nil))
			Expect(res.Status).To(Equal(http.StatusBadRequest))
			Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
		})

		It("is journaled as opened", func() {
			f := e.startDesktop(testkit.Jordan)
			e.ws(f.Token)
			// The entry is written right after the 101 (asynchronously to the client).
			var j []mockprove.JournalEntry
			Eventually(func() []mockprove.JournalEntry {
				j = e.s.Journal(mockprove.JournalFilter{Step: statusPath})
				return j
			}).Should(HaveLen(1))
			Expect(j[0].Status).To(Equal(http.StatusSwitchingProtocols))
			Expect(j[0].CorrelationID).To(Equal(f.ID))
			Expect(j[0].Rule).To(Equal("ws.open"))
		})

		It("says who answered on the 101 handshake: X-Mockprove-Persona, -Step, -Rule", func() {
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			Expect(ws.resp.Header.Get("X-Mockprove-Step")).To(Equal(statusPath))
			Expect(ws.resp.Header.Get("X-Mockprove-Rule")).To(Equal("ws.open"))
			Expect(ws.resp.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Jordan))
		})

		It("leaves no goroutine behind when the client hangs up first", func() {
			const writer = "mockprove.(*Server).wsWriter"
			base := settledGoroutinesIn(writer)
			f := e.startDesktop(testkit.Jordan)
			var socks []*wsClient
			for i := 0; i < 5; i++ {
				socks = append(socks, e.ws(f.Token))
			}
			Eventually(func() int { return goroutinesIn(writer) }).Should(Equal(base + 5))
			for _, w := range socks {
				w.hangUp()
			}
			Eventually(func() int { return goroutinesIn(writer) }).Should(Equal(base))
		})

		It("counts its writer goroutines until the final message (probe for the leak check)", func() {
			const writer = "mockprove.(*Server).wsWriter"
			base := settledGoroutinesIn(writer)
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			Eventually(func() int { return goroutinesIn(writer) }).Should(Equal(base + 1))
			_, err := e.s.ClickInstantLink(f.ID)
			Expect(err).To(MatchError(ContainSubstring("no Instant Link")))
			e.sendLink(f)
			_, err = e.s.ClickInstantLink(f.ID)
			Expect(err).NotTo(HaveOccurred())
			ws.expectDone()
			ws.hangUp()
			Eventually(func() int { return goroutinesIn(writer) }).Should(Equal(base))
		})
	})
})

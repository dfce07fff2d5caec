package devicetest_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// Defects found by hostile testing (issue 8).
var _ = Describe("hardening", func() {
	DescribeTable("refuses a clock step that would overflow, on the control API and on the virtual phone",
		func(path string, body func(string) string, moved int) {
			e := newEnv(mockprove.Options{Clock: mockprove.NewClock()}) // a running clock keeps an offset
			// The largest step a time.Duration holds: accepted once...
			e.ctl(http.MethodPost, path, body("2562047h"), moved)
			before := e.s.Clock().Now()
			Expect(before.Year()).To(BeNumerically(">", time.Now().Year()+290))
			// ...and then one more hour would wrap the offset: the clock would go backwards.
			res := e.control(http.MethodPost, path, body("1h"))
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
			Expect(string(res.Raw)).To(ContainSubstring("field 'duration' is out of range"))
			Expect(e.s.Clock().Now()).NotTo(BeTemporally("<", before))
		},
		Entry("POST /_mock/clock/advance", "/_mock/clock/advance", func(d string) string { return `{"duration":"` + d + `"}` }, http.StatusOK),
		Entry("POST /_mock/phone/advance", "/_mock/phone/advance", func(d string) string { return "duration=" + d }, http.StatusSeeOther),
	)

	DescribeTable("names a bad persona field by the same path over HTTP as in a persona file",
		func(persona, field string) {
			e := newEnv()
			const phone = "2009990097"
			body := `{"phone":"` + phone + `","name":"A","products":["identity"],` + persona + `}`
			fieldRe := regexp.MustCompile(`field '([^']+)'`)

			_, fileErr := mockprove.ParsePersonas([]byte(`{"personas":[`+body+`]}`), "personas.yaml")
			Expect(fileErr).To(HaveOccurred())
			Expect(fieldRe.FindStringSubmatch(fileErr.Error())).To(Equal([]string{"field '" + field + "'", field}), fileErr.Error())

			res := e.control(http.MethodPut, "/_mock/personas/"+phone, body)
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			msg, _ := res.JSON()["message"].(string)
			Expect(fieldRe.FindStringSubmatch(msg)).To(Equal([]string{"field '" + field + "'", field}), msg)
			_, known := e.s.Persona(phone)
			Expect(known).To(BeFalse())
		},
		Entry("a misspelt nested field", `"individual":{"firstNam":"A"}`, "individual.firstNam"),
		Entry("a nested field of the wrong type", `"individual":{"firstName":3}`, "individual.firstName"),
		Entry("a field deep in possession", `"individual":{"firstName":"A"},"possession":{"otp":{"code":"12ab"}}`, "possession.otp.code"),
		Entry("a misspelt top-level field", `"individual":{"firstName":"A"},"shortTerms":true`, "shortTerms"),
	)

	Describe("a body that is not UTF-8", func() {
		var e *env
		BeforeEach(func() { e = newEnv() })

		// send posts body to an endpoint of each API with its credentials.
		send := func(api, contentType, body string) result {
			var r *http.Request
			switch api {
			case "server":
				r = e.req(http.MethodPost, "/v3/start", body, map[string]string{"Authorization": "Bearer " + e.bearer})
			case "device":
				r = e.deviceReq(e.start(testkit.Jordan).Token, otpError, body)
			case "control":
				r = e.req(http.MethodPost, "/_mock/faults", body, nil)
			}
			r.Header.Set("Content-Type", contentType)
			return e.doWith(e.raw, r)
		}
		bodies := map[string]string{
			"server":  `{"flowType":"desktop","phoneNumber":"` + testkit.Jordan + `","finalTargetUrl":"https://app.example/x","smsMessage":"caf\xe9 ####"}`,
			"device":  `{"message":"caf\xe9"}`,
			"control": `{"step":"/v3/start","message":"caf\xe9"}`,
		}

		DescribeTable("is refused with 8001 naming the problem, and nothing happens",
			func(api, contentType string, latin1 bool, want string) {
				body := bodies[api]
				if latin1 { // é as ISO-8859-1: one byte 0xe9, not valid UTF-8
					body = strings.ReplaceAll(body, `\xe9`, "\xe9")
				} else {
					body = strings.ReplaceAll(body, `\xe9`, "é")
				}
				res := send(api, contentType, body)
				Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
				Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
				Expect(res.JSON()["message"]).To(ContainSubstring(want))
				Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
				Expect(e.s.Faults()).To(BeEmpty())
				Expect(e.s.Sessions()).To(HaveLen(map[string]int{"device": 1}[api])) // the device call's own flow
			},
			Entry("server API, charset utf-16", "server", "application/json; charset=utf-16", false, "charset utf-16 is not supported"),
			Entry("server API, invalid UTF-8", "server", "application/json", true, "not valid UTF-8 (byte 0xe9 at offset"),
			Entry("device API, charset iso-8859-1", "device", "application/json;charset=ISO-8859-1", false, "charset ISO-8859-1 is not supported"),
			Entry("device API, invalid UTF-8", "device", "application/json", true, "not valid UTF-8"),
			Entry("control API, charset utf-16", "control", "application/json; charset=UTF-16", false, "charset UTF-16 is not supported"),
			Entry("control API, invalid UTF-8", "control", "application/json", true, "not valid UTF-8"),
		)

		It("is accepted with charset utf-8", func() {
			res := send("server", "application/json; charset=UTF-8", strings.ReplaceAll(bodies["server"], `\xe9`, "é"))
			Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
		})
	})

	Describe("journal masking by value shape", func() {
		var e *env
		BeforeEach(func() { e = newEnv() })

		journalText := func() string {
			return string(e.ctl(http.MethodGet, "/_mock/journal", "", http.StatusOK).Raw)
		}

		It("masks an SSN and a DOB under individual in a start that is refused", func() {
			res := e.api("/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": testkit.Jordan,
				"individual": map[string]any{"socialSecurityNumber": "490959347", "dateOfBirth": "1995-07-26"}})
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			j := e.s.Journal(mockprove.JournalFilter{Step: "/v3/start"})
			Expect(j).To(HaveLen(1))
			Expect(j[0].Request).To(And(
				HaveKeyWithValue("individual", Equal(map[string]any{"socialSecurityNumber": "***", "dateOfBirth": "***"})),
				HaveKeyWithValue("phoneNumber", testkit.Jordan), HaveKeyWithValue("flowType", "mobile"),
			))
			text := journalText()
			Expect(text).NotTo(ContainSubstring("490959347"))
			Expect(text).NotTo(ContainSubstring("1995-07-26"))
		})

		DescribeTable("masks SSN-like and date-like values under any key, anywhere in a body",
			func(extra any, secret string) {
				res := e.api("/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": testkit.Jordan, "note": extra})
				Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
				text := journalText()
				Expect(text).NotTo(ContainSubstring(secret))
				Expect(text).To(ContainSubstring(testkit.Jordan), "a phone number is not an SSN: the journal stays useful")
			},
			Entry("9 digits", "490959347", "490959347"),
			Entry("ddd-dd-dddd", "490-95-9347", "490-95-9347"),
			Entry("9 digits as a JSON number", 490959347, "490959347"),
			Entry("an ISO date, nested in an array", []any{map[string]any{"born": "1995-07-26"}}, "1995-07-26"),
			Entry("a US date", map[string]any{"x": "07/26/1995"}, "07/26/1995"),
		)

		It("masks every field under individual but the names, addresses and e-mails Prove defines", func() {
			res := e.api("/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": testkit.Jordan,
				"individual": map[string]any{"firstName": "Ada", "ssnn": "49-0959347", "addresses": []any{map[string]any{"city": "Austin", "taxId": "12-34"}}}})
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			j := e.s.Journal(mockprove.JournalFilter{Step: "/v3/start"})
			Expect(j[0].Request).To(HaveKeyWithValue("individual", Equal(map[string]any{"firstName": "Ada", "ssnn": "***",
				"addresses": []any{map[string]any{"city": "Austin", "taxId": "***"}}})))
		})

		It("keeps OTP codes readable", func() {
			f := e.start(testkit.Jordan)
			e.passOTP(f, "1234")
			j := e.s.Journal(mockprove.JournalFilter{Step: otpFinish})
			Expect(j).To(HaveLen(1))
			Expect(j[0].Request).To(HaveKeyWithValue("otp", "1234"))
		})
	})

	It("rate-limits the device API where SMS are sent: the 6th quick otp/start with -rate-limit 5 answers 429", func() {
		e := newEnv(mockprove.Options{RateLimit: 5})
		var flows []flow
		for range 6 { // one flow each (resends have their own cap); the server API's window moves on each second
			flows = append(flows, e.start(testkit.Jordan))
			e.s.FastForward(time.Second)
		}
		for _, f := range flows[:5] {
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
		}
		res := e.device(flows[5].Token, otpStart, `{}`)
		Expect(res.Status).To(Equal(http.StatusTooManyRequests), string(res.Raw))
		Expect(res.Header.Get("Retry-After")).To(Equal("1"))
		Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("ratelimit"))
		Expect(res.JSON()).To(Equal(map[string]any{"code": float64(mockprove.CodeInternal),
			"message": "rate limit of 5 requests per second exceeded"}))
		Expect(e.s.Outbox(mockprove.SMSFilter{})).To(HaveLen(5), "no SMS for the refused call")

		// The app's server API keeps its own budget in the same second...
		Expect(e.api("/v3/validate", map[string]any{"correlationId": flows[0].ID}).Status).To(Equal(http.StatusOK))
		// ...and the device API's window ends with the second.
		e.s.FastForward(time.Second)
		Expect(e.envelope(flows[5].Token, otpStart, `{}`)).To(BeEmpty())
		Expect(e.s.Outbox(mockprove.SMSFilter{})).To(HaveLen(6))
	})

	Describe("the status socket's close grace (Options.WSCloseGrace)", func() {
		It("keeps a socket the client leaves open for the grace after its final message", func() {
			e := newEnv(mockprove.Options{WSCloseGrace: time.Hour})
			f := e.startDesktop(testkit.Jordan)
			w := e.ws(f.Token)
			e.s.FastForward(15 * time.Minute)
			w.expectExpired()
			Consistently(w.done).ShouldNot(BeClosed())
		})

		It("closes it, with a normal close frame, once the grace ends", func() {
			e := newEnv(mockprove.Options{WSCloseGrace: 20 * time.Millisecond})
			f := e.startDesktop(testkit.Jordan)
			w := e.ws(f.Token)
			e.s.FastForward(15 * time.Minute)
			w.expectExpired()
			Eventually(w.done).Should(BeClosed())
			Expect(websocket.IsCloseError(w.closeErr(), websocket.CloseNormalClosure)).To(BeTrue(), "close error: %v", w.closeErr())
		})
	})

	Describe("shutdown (Close)", func() {
		It("sends every status WebSocket a close frame 1001 (going away), also one waiting after its final message", func() {
			e := newEnv(mockprove.Options{WSCloseGrace: time.Hour})
			waiting := e.ws(e.startDesktop(testkit.Jordan).Token)
			done := e.ws(e.startDesktop(testkit.Jordan).Token)
			e.s.FastForward(15 * time.Minute)
			waiting.expectExpired()
			done.expectExpired()
			open := e.ws(e.startDesktop(testkit.Jordan).Token)

			Expect(e.s.Close()).To(Succeed())
			for _, w := range []*wsClient{waiting, done, open} {
				Eventually(w.done).Should(BeClosed())
				Expect(websocket.IsCloseError(w.closeErr(), websocket.CloseGoingAway)).To(BeTrue(), "close error: %v", w.closeErr())
			}
		})

		// inFlight sends a start that a delay fault holds, and waits until the
		// server holds it.
		inFlight := func(e *env, delay string) <-chan error {
			e.ctl(http.MethodPost, "/_mock/faults", `{"step":"/v3/start","kind":"delay","delay":"`+delay+`","count":0}`, http.StatusCreated)
			r := e.req(http.MethodPost, "/v3/start", `{"flowType":"mobile","phoneNumber":"`+testkit.Jordan+`"}`,
				map[string]string{"Authorization": "Bearer " + e.bearer})
			errs := make(chan error, 1)
			go func() {
				res, err := e.raw.Do(r)
				if err == nil {
					_ = res.Body.Close()
					if res.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				errs <- err
			}()
			Eventually(func() int { return e.s.Faults()[0].Hits }).Should(Equal(1))
			return errs
		}

		It("lets a slow request in flight finish within the grace period", func() {
			e := newEnv(mockprove.Options{ShutdownGrace: time.Minute})
			errs := inFlight(e, "300ms")
			Expect(e.s.Close()).To(Succeed())
			Expect(errs).To(Receive(BeNil()), "Close returns once the request has its answer")
		})

		It("cuts a request still running when the grace period ends", func() {
			e := newEnv(mockprove.Options{ShutdownGrace: 100 * time.Millisecond})
			errs := inFlight(e, "5m")
			began := time.Now()
			Expect(e.s.Close()).To(Succeed())
			Expect(time.Since(began)).To(BeNumerically("<", time.Minute), "Close does not wait for the 5-minute delay")
			Eventually(errs).Should(Receive(HaveOccurred()))
		})
	})

	Describe("server limits (real sockets)", func() {
		// addr is the host:port of the env's listener.
		addr := func(e *env) string { return strings.TrimPrefix(e.base, "http://") }

		// health asks /_mock/health on a connection of its own, in the background.
		health := func(e *env) <-chan int {
			got := make(chan int, 1)
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
			go func() {
				res, err := c.Get(e.base + "/_mock/health")
				if err != nil {
					got <- 0
					return
				}
				_ = res.Body.Close()
				got <- res.StatusCode
			}()
			return got
		}

		It("caps concurrent connections: more than the cap make /_mock/health wait, not fail, and it answers once they close", func() {
			e := newEnv(mockprove.Options{MaxConns: 4, ReadHeaderTimeout: time.Hour, IdleTimeout: time.Hour})
			var hogs []net.Conn
			for range 20 { // idle connections that never send a request
				c, err := net.Dial("tcp", addr(e))
				Expect(err).NotTo(HaveOccurred())
				hogs = append(hogs, c)
			}
			got := health(e)
			Consistently(got, 300*time.Millisecond).ShouldNot(Receive(), "the 21st connection waits for a free slot")
			for _, c := range hogs {
				Expect(c.Close()).To(Succeed())
			}
			Eventually(got).Should(Receive(Equal(http.StatusOK)))
			Eventually(health(e)).Should(Receive(Equal(http.StatusOK)))
		})

		It("cuts a request whose header never ends (slowloris)", func() {
			e := newEnv(mockprove.Options{ReadHeaderTimeout: time.Second})
			c, err := net.Dial("tcp", addr(e))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(c.Close)
			_, err = io.WriteString(c, "GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
			Expect(err).NotTo(HaveOccurred())
			Expect(c.SetReadDeadline(time.Now().Add(5 * time.Second))).To(Succeed())
			_, err = io.ReadAll(c) // the server hangs up: EOF, read as success
			Expect(err).NotTo(HaveOccurred(), "mockprove closes the connection (not our 5 s deadline)")
		})

		It("times out a slow body with 8001 and does not act on it", func() {
			e := newEnv(mockprove.Options{ReadTimeout: time.Second})
			c, err := net.Dial("tcp", addr(e))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(c.Close)
			_, err = io.WriteString(c, "POST /_mock/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"+
				"Content-Length: 100\r\n\r\n{\"step\":")
			Expect(err).NotTo(HaveOccurred())
			Expect(c.SetReadDeadline(time.Now().Add(30 * time.Second))).To(Succeed())
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			Expect(err).NotTo(HaveOccurred(), "mockprove answers before our 30 s deadline")
			body, _ := io.ReadAll(res.Body)
			Expect(res.StatusCode).To(Equal(http.StatusBadRequest), string(body))
			Expect(string(body)).To(ContainSubstring(`"code":8001`))
			Expect(string(body)).To(ContainSubstring("request body could not be read"))
			Expect(e.s.Faults()).To(BeEmpty())
		})

		It("refuses a header over 64 KB with 431", func() {
			e := newEnv()
			c, err := net.Dial("tcp", addr(e))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(c.Close)
			Expect(c.SetDeadline(time.Now().Add(30 * time.Second))).To(Succeed())
			// Read while writing: mockprove answers before the header ends and
			// then closes; a reset instead of the 431 also shows the refusal
			// (with Go's default of 1 MB the request gets 200).
			status := make(chan any, 1)
			go func() {
				res, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					status <- err
					return
				}
				status <- res.StatusCode
			}()
			_, _ = io.WriteString(c, "GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "+strings.Repeat("a", 100<<10)+"\r\n\r\n")
			Eventually(status).Should(Receive(Or(Equal(http.StatusRequestHeaderFieldsTooLarge), MatchError(syscall.ECONNRESET))))
		})

		It("keeps a status WebSocket open past the HTTP write and read timeouts (its deadlines are its own)", func() {
			// The timeouts hold for every request of the spec: 1 s is far above
			// what a request takes even on a loaded machine.
			e := newEnv(mockprove.Options{WriteTimeout: time.Second, ReadTimeout: time.Second})
			f := e.startDesktop(testkit.Jordan)
			w := e.ws(f.Token)
			time.Sleep(2 * time.Second) // twice the timeouts
			w.send("ping")
			Eventually(w.msgs).Should(Receive(Equal("pong")))
			e.sendLink(f)
			_, err := e.s.ClickInstantLink(f.ID)
			Expect(err).NotTo(HaveOccurred())
			w.expectDone()
		})

		It("holds a delay fault's answer past the write timeout", func() {
			e := newEnv(mockprove.Options{WriteTimeout: time.Second})
			e.ctl(http.MethodPost, "/_mock/faults", `{"step":"/v3/start","kind":"delay","delay":"2500ms"}`, http.StatusCreated)
			Expect(e.api("/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": testkit.Jordan}).Status).To(Equal(http.StatusOK))
		})
	})

	Describe("the control API beyond loopback", func() {
		// wildcard starts mockprove on 0.0.0.0 and talks to it on 127.0.0.1.
		wildcard := func(o mockprove.Options) *env {
			o.Addr = "0.0.0.0:0"
			e := newEnv(o)
			_, port, err := net.SplitHostPort(e.s.Addr())
			Expect(err).NotTo(HaveOccurred())
			e.base = "http://127.0.0.1:" + port
			return e
		}
		port := func(e *env) string {
			_, p, err := net.SplitHostPort(e.s.Addr())
			Expect(err).NotTo(HaveOccurred())
			return p
		}
		withHost := func(e *env, method, path, body, host string, header map[string]string) result {
			r := e.req(method, path, body, header)
			r.Host = host
			return e.doWith(e.raw, r)
		}

		It("generates a control token on a wildcard address without -control-token, and requires it", func() {
			e := wildcard(mockprove.Options{})
			tok := e.s.ControlToken()
			Expect(tok).To(MatchRegexp(`^[0-9a-f]{32}$`))
			Expect(e.control(http.MethodGet, "/_mock/sms", "").Status).To(Equal(http.StatusUnauthorized))
			e.ctlTok = tok
			e.ctl(http.MethodGet, "/_mock/sms", "", http.StatusOK)
			Expect(wildcard(mockprove.Options{}).s.ControlToken()).NotTo(Equal(tok), "a new token each start")
		})

		It("keeps a configured token, and serves without one when ControlOpen is set or on loopback", func() {
			Expect(wildcard(mockprove.Options{ControlToken: "mine"}).s.ControlToken()).To(Equal("mine"))
			open := wildcard(mockprove.Options{ControlOpen: true})
			Expect(open.s.ControlToken()).To(BeEmpty())
			open.ctl(http.MethodGet, "/_mock/sms", "", http.StatusOK)
			local := newEnv()
			Expect(local.s.ControlToken()).To(BeEmpty())
			local.ctl(http.MethodGet, "/_mock/sms", "", http.StatusOK)
		})

		DescribeTable("accepts only loopback names, IP addresses and configured names in the Host of /_mock/ (DNS rebinding)",
			func(host string, allowed bool) {
				e := newEnv(mockprove.Options{AllowedHosts: []string{"mock.internal"}, PublicURL: "http://mock.public:8080"})
				res := withHost(e, http.MethodGet, "/_mock/sms", "", strings.ReplaceAll(host, "PORT", port(e)), nil)
				if allowed {
					Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
					return
				}
				Expect(res.Status).To(Equal(http.StatusForbidden), string(res.Raw))
				Expect(res.Code()).To(Equal(mockprove.CodeUnauthorized))
				Expect(res.JSON()["message"]).To(ContainSubstring("-allowed-hosts"))
			},
			Entry("127.0.0.1", "127.0.0.1:PORT", true),
			Entry("localhost", "localhost:PORT", true),
			Entry("a .localhost name", "app.localhost:PORT", true),
			Entry("an IPv6 address", "[::1]:PORT", true),
			Entry("a LAN address", "10.1.2.3:PORT", true),
			Entry("a configured name", "mock.internal:PORT", true),
			Entry("the public URL's host", "mock.public:8080", true),
			Entry("a rebinding name", "attacker.example:PORT", false),
			Entry("a rebinding name without port", "rebind.attacker.example", false),
			Entry("a name that ends like localhost", "evillocalhost:PORT", false),
		)

		It("leaves the device and server APIs to their tokens whatever the Host", func() {
			e := newEnv()
			res := withHost(e, http.MethodPost, "/v3/start", `{"flowType":"mobile","phoneNumber":"`+testkit.Jordan+`"}`, "attacker.example",
				map[string]string{"Authorization": "Bearer " + e.bearer})
			Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
		})

		It("never takes the origin of tokens and SMS links from an untrusted Host on a wildcard address", func() {
			e := wildcard(mockprove.Options{ControlOpen: true, AllowedHosts: []string{"mock.internal"}})
			startVia := func(host string) string {
				res := withHost(e, http.MethodPost, "/v3/start", `{"flowType":"desktop","phoneNumber":"`+testkit.Jordan+`","finalTargetUrl":"`+landing+`"}`,
					strings.ReplaceAll(host, "PORT", port(e)), map[string]string{"Authorization": "Bearer " + e.bearer})
				Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
				f := flow{Token: res.JSON()["authToken"].(string)}
				f.Claims = sdkClaims(f.Token)
				endp, _ := f.auth()["endp"].(string)
				r := e.deviceReq(f.Token, linkStart, `{"sourceIp":null,"isMobile":false}`)
				r.Host = strings.ReplaceAll(host, "PORT", port(e))
				Expect(e.doWith(e.raw, r).Status).To(Equal(http.StatusOK))
				msgs := e.s.Outbox(mockprove.SMSFilter{})
				Expect(msgs).NotTo(BeEmpty())
				Expect(msgs[len(msgs)-1].Link).To(HavePrefix(endp+"/"), "the SMS link has the token's origin")
				return endp
			}
			Expect(startVia("attacker.example:PORT")).To(Equal("http://127.0.0.1:"+port(e)), "the address the connection arrived on")
			Expect(startVia("6.6.6.6:80")).To(Equal("http://127.0.0.1:"+port(e)), "an address in Host is the client's choice too")
			Expect(startVia("localhost:PORT")).To(Equal("http://localhost:" + port(e)))
			Expect(startVia("mock.internal:PORT")).To(Equal("http://mock.internal:" + port(e)))
		})
	})
})

package mockprove_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// transport is one way of reaching a server: a real listener, httptest, or
// the in-memory transport. Like fake-gcs-server's runServersTest, the same
// flows run over each.
type transport struct {
	name    string
	connect func(s *mockprove.Server) (rt http.RoundTripper, base string)
}

var transports = []transport{
	{"a real listener (Start, URL)", func(s *mockprove.Server) (http.RoundTripper, string) {
		Expect(s.Start()).To(Succeed())
		Expect(s.URL()).To(MatchRegexp(`^http://127\.0\.0\.1:\d+$`))
		return nil, s.URL()
	}},
	{"httptest.Server over Handler()", func(s *mockprove.Server) (http.RoundTripper, string) {
		ts := httptest.NewServer(s.Handler())
		DeferCleanup(ts.Close)
		return nil, ts.URL
	}},
	{"the in-memory HTTPClient()", func(s *mockprove.Server) (http.RoundTripper, string) {
		return s.HTTPClient().Transport, memBase
	}},
}

var _ = Describe("Server", func() {
	for _, tr := range transports {
		Context("over "+tr.name, func() {
			var (
				c    *client
				base string
			)

			BeforeEach(func() {
				s := newServer(mockprove.Options{})
				var rt http.RoundTripper
				rt, base = tr.connect(s)
				c = newClient(s, rt, base)
			})

			It("walks a Prove Identity flow", func() {
				c.login(identityID, identitySecret)
				_, claims := decodeJWT(c.bearer)
				Expect(claims).To(HaveKeyWithValue("iss", base+"/"))

				st := c.startWith(map[string]any{"phoneNumber": testkit.Martina})
				Expect(st.Status).To(Equal(http.StatusOK), string(st.Raw))
				_, auth := decodeJWT(st.Str("authToken"))
				Expect(auth["auth"]).To(HaveKeyWithValue("endp", base))
				id := st.Str("correlationId")

				v := c.validate(id)
				Expect(v.Body).To(HaveKeyWithValue("success", true))
				Expect(v.Next()).To(Equal(next("v3-complete")))

				r := c.complete(id, individualOf(testkit.Martina))
				Expect(r.Body).To(HaveKeyWithValue("success", true))
				Expect(r.Next()).To(Equal(next("done")))
				Expect(r.Body).To(HaveKeyWithValue("kyc", map[string]any{"totalHits": 0.0}))
				Expect(c.Checked()).To(Equal(4), "every response was checked against the spec")
			})

			It("walks a Pre-Fill flow", func() {
				c.login(prefillID, prefillSecret)
				id := c.start(testkit.Milo)
				Expect(c.validate(id).Body).To(HaveKeyWithValue("challengeMissing", true))
				ch := c.challenge(id, map[string]any{"dob": "1981-01", "ssn": "0596"})
				Expect(ch.Body).To(HaveKeyWithValue("individual", miloPrefilled))
				r := c.complete(id, individualOf(testkit.Milo))
				Expect(r.Body).To(Equal(map[string]any{"success": true, "next": next("done"), "idv": highIDV}))
			})

			It("answers errors in Prove's shape", func() {
				expectError(c.send(http.MethodPost, "/v3/start", "application/json", `{}`),
					http.StatusUnauthorized, mockprove.CodeUnauthorized, "Authorization header is missing")
				expectError(c.send(http.MethodGet, "/v3/nowhere", "", ""),
					http.StatusForbidden, mockprove.CodeMalformed, "no such endpoint: GET /v3/nowhere")
			})
		})
	}

	Describe("RunT", func() {
		It("starts a server on a loopback port for the current spec", func() {
			s := mockprove.RunT(GinkgoT())
			Expect(s).NotTo(BeNil())
			Expect(s.URL()).To(MatchRegexp(`^http://127\.0\.0\.1:\d+$`))
			Expect(s.Addr()).To(Equal(strings.TrimPrefix(s.URL(), "http://")))
			c := newClient(s, nil, s.URL()).login(identityID, identitySecret)
			Expect(c.validate(c.start(testkit.Milo)).Body).To(HaveKeyWithValue("success", true))
		})

		It("takes Options", func() {
			s := mockprove.RunT(GinkgoT(), mockprove.Options{Clock: mockprove.NewFrozenClock(testkit.T0), Seed: 5})
			c := newClient(s, nil, s.URL())
			_, claims := decodeJWT(c.mustToken(identityID, identitySecret))
			Expect(claims).To(HaveKeyWithValue("iat", BeNumerically("==", testkit.T0.Unix())))
		})

		It("closes the server when the test ends", func() {
			t := &fakeTester{}
			s := mockprove.RunT(t)
			Expect(t.cleanups).To(HaveLen(1))
			addr := s.Addr()
			conn, err := net.Dial("tcp", addr)
			Expect(err).NotTo(HaveOccurred())
			conn.Close()

			t.cleanups[0]()
			// An HTTP request, not a bare dial: a dial to a free loopback port
			// in the ephemeral range can connect to itself (TCP simultaneous
			// open) and succeed by chance.
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
			_, err = c.Get("http://" + addr + "/_mock/health")
			Expect(err).To(HaveOccurred(), "nothing answers on %s any more", addr)
			Expect(t.fatal).To(BeEmpty())
		})

		It("fails the test, and returns nil, when the server cannot be built", func() {
			t := &fakeTester{}
			s := mockprove.RunT(t, mockprove.Options{Clients: []mockprove.Client{{ID: "x"}}})
			Expect(s).To(BeNil())
			Expect(t.fatal).To(HavePrefix("mockprove: mockprove: client \"x\""))
			Expect(t.cleanups).To(BeEmpty())
		})

		It("fails the test when the address is taken", func() {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(l.Close)
			t := &fakeTester{}
			Expect(mockprove.RunT(t, mockprove.Options{Addr: l.Addr().String()})).To(BeNil())
			Expect(t.fatal).To(ContainSubstring("listen " + l.Addr().String()))
		})
	})

	Describe("New, Start and Close", func() {
		It("has no URL or address before Start", func() {
			s := newServer(mockprove.Options{})
			Expect(s.URL()).To(BeEmpty())
			Expect(s.Addr()).To(BeEmpty())
		})

		It("reports Options.PublicURL as its URL before Start and puts it in tokens", func() {
			s := newServer(mockprove.Options{PublicURL: "https://prove.example.test:8443/"})
			Expect(s.URL()).To(Equal("https://prove.example.test:8443"))
			c := newClient(s, s.HTTPClient().Transport, memBase)
			_, claims := decodeJWT(c.mustToken(identityID, identitySecret))
			Expect(claims).To(HaveKeyWithValue("iss", "https://prove.example.test:8443/"))
		})

		DescribeTable("refuses a PublicURL that is not a bare origin",
			func(u string) {
				_, err := mockprove.New(mockprove.Options{PublicURL: u})
				Expect(err).To(MatchError(ContainSubstring("must be a bare origin")))
			},
			Entry(nil, "ftp://example.com"),
			Entry(nil, "http://example.com/path"),
			Entry(nil, "http://example.com?q=1"),
			Entry(nil, "http://user@example.com"),
			Entry(nil, "example.com"),
		)

		It("starts once", func() {
			s := newServer(mockprove.Options{})
			Expect(s.Start()).To(Succeed())
			Expect(s.Start()).To(MatchError("mockprove: already started"))
		})

		It("listens on StartAddr's address", func() {
			s := newServer(mockprove.Options{})
			Expect(s.StartAddr("127.0.0.1:0")).To(Succeed())
			Expect(s.Addr()).To(MatchRegexp(`^127\.0\.0\.1:\d+$`))
			Expect(s.URL()).To(Equal("http://" + s.Addr()))
		})

		It("refuses an address it cannot listen on", func() {
			s := newServer(mockprove.Options{})
			Expect(s.StartAddr("256.0.0.1:0")).To(MatchError(HavePrefix("mockprove: listen 256.0.0.1:0")))
		})

		It("closes without having started", func() {
			s, err := mockprove.New(mockprove.Options{})
			Expect(err).NotTo(HaveOccurred())
			Expect(s.Close()).To(Succeed())
		})

		It("stops listening on Close", func() {
			s, err := mockprove.New(mockprove.Options{})
			Expect(err).NotTo(HaveOccurred())
			Expect(s.Start()).To(Succeed())
			resp, err := http.Get(s.URL() + "/openapi/prove-v3.yaml")
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(s.Close()).To(Succeed())
			_, err = http.Get(s.URL() + "/openapi/prove-v3.yaml")
			Expect(err).To(HaveOccurred())
		})
	})

	Describe("Handler", func() {
		It("serves the API with an httptest.ResponseRecorder", func() {
			s := newServer(mockprove.Options{})
			req := httptest.NewRequest(http.MethodPost, "/token",
				strings.NewReader("grant_type=client_credentials&client_id=identity-client&client_secret=identity-secret"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			Expect(rec.Code).To(Equal(http.StatusOK), rec.Body.String())
			Expect(rec.Body.String()).To(ContainSubstring(`"token_type":"Bearer"`))
		})

		It("serves the embedded spec", func() {
			s := newServer(mockprove.Options{})
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/prove-v3.yaml", nil))
			Expect(rec.Code).To(Equal(http.StatusOK))
			Expect(rec.Header().Get("Content-Type")).To(Equal("application/yaml"))
			Expect(rec.Body.String()).To(HavePrefix("openapi: 3.0.3"))
		})
	})

	Describe("HTTPClient", func() {
		It("talks to the handler without a socket, whatever the host", func() {
			s := newServer(mockprove.Options{})
			Expect(s.Addr()).To(BeEmpty())
			resp, err := s.HTTPClient().Get("http://anything.invalid/openapi/prove-v3.yaml")
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(string(body)).To(ContainSubstring("/v3/start:"))
		})

		It("leaves the caller's request alone and closes its body, as an http.RoundTripper must", func() {
			s := newServer(mockprove.Options{})
			body := &closeTracker{Reader: strings.NewReader(
				"grant_type=client_credentials&client_id=identity-client&client_secret=identity-secret")}
			req, err := http.NewRequest(http.MethodPost, memBase+"/token", body)
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Host = ""
			resp, err := s.HTTPClient().Transport.RoundTrip(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(req.Host).To(BeEmpty())
			Expect(req.Body).To(BeIdenticalTo(body))
			Expect(body.closed).To(BeTrue())
		})

		It("serves concurrent flows (run with -race)", func() {
			c := inMemory().login(identityID, identitySecret)
			var wg sync.WaitGroup
			results := make([]map[string]any, 16)
			for i := range results {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					id := c.start(testkit.Milo)
					c.validate(id)
					results[i] = c.complete(id, individualOf(testkit.Milo)).Body
				}()
			}
			wg.Wait()
			for _, r := range results {
				Expect(r).To(HaveKeyWithValue("success", true))
			}
		})
	})

	Describe("StrictResponses", func() {
		It("lets conforming responses through", func() {
			c := inMemory(mockprove.Options{StrictResponses: true}).login(prefillID, prefillSecret)
			id := c.start(testkit.Milo, map[string]any{"ssn": "0596"})
			Expect(c.validate(id).Next()).To(Equal(next("v3-challenge", "v3-complete")))
			Expect(c.challenge(id, nil).Body).To(HaveKeyWithValue("individual", miloPrefilled))
			Expect(c.complete(id, individualOf(testkit.Milo)).Body).To(HaveKeyWithValue("success", true))
		})
	})

	Describe("logs", func() {
		var (
			logs *logBuffer
			c    *client
		)

		BeforeEach(func() {
			logs = &logBuffer{}
			c = inMemory(mockprove.Options{Logger: jsonLogger(logs)})
		})

		It("writes one line per request with client, correlationId, persona, step and status", func() {
			c.login(prefillID, prefillSecret)
			id := c.start(testkit.Milo)
			c.validate(id)
			c.challenge(id, nil) // 400: neither dob nor ssn

			lines := logs.Lines()
			Expect(lines).To(HaveLen(4))
			for _, l := range lines {
				Expect(l).To(HaveKeyWithValue("msg", "request"))
				Expect(l).To(HaveKeyWithValue("client", prefillID))
				Expect(l).To(HaveKeyWithValue("method", "POST"))
			}
			Expect(lines[0]).To(HaveKeyWithValue("step", "/token"))
			Expect(lines[0]).To(HaveKeyWithValue("status", 200.0))
			Expect(lines[0]).To(HaveKeyWithValue("correlationId", ""))
			Expect(lines[1]).To(HaveKeyWithValue("step", "/v3/start"))
			Expect(lines[1]).To(HaveKeyWithValue("correlationId", id))
			Expect(lines[1]).To(HaveKeyWithValue("persona", testkit.Milo))
			Expect(lines[1]).To(HaveKeyWithValue("level", "INFO"))
			Expect(lines[2]).To(HaveKeyWithValue("step", "/v3/validate"))
			Expect(lines[2]).To(HaveKeyWithValue("correlationId", id))
			Expect(lines[2]).To(HaveKeyWithValue("rule", "persona.shortTerm"))
			Expect(lines[3]).To(HaveKeyWithValue("step", "/v3/challenge"))
			Expect(lines[3]).To(HaveKeyWithValue("status", 400.0))
			Expect(lines[3]).To(HaveKeyWithValue("rule", "challenge.missing"))
			Expect(lines[3]).To(HaveKeyWithValue("persona", testkit.Milo))
		})

		It("gives a handler with AddSource the line's source: mockprove's request logger", func() {
			buf := &logBuffer{}
			c := inMemory(mockprove.Options{Logger: slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{AddSource: true}))})
			c.login(identityID, identitySecret)
			c.start(testkit.Milo)
			lines := buf.Lines()
			Expect(lines).To(HaveLen(2))
			for _, l := range lines {
				Expect(l).To(HaveKeyWithValue("msg", "request"))
				Expect(l).To(HaveKeyWithValue("source", SatisfyAll(
					HaveKeyWithValue("function", HaveSuffix("mockprove.(*Server).logCall")),
					HaveKeyWithValue("file", HaveSuffix("mockprove/respond.go")))))
			}
		})

		It("logs refused requests too, at level ERROR for a 5xx", func() {
			c.send(http.MethodPost, "/v3/start", "application/json", `{}`)
			c.login(identityID, identitySecret)
			c.startWith(map[string]any{"phoneNumber": "2009990010"})
			lines := logs.Lines()
			Expect(lines).To(HaveLen(3))
			Expect(lines[0]).To(HaveKeyWithValue("status", 401.0))
			Expect(lines[0]).To(HaveKeyWithValue("client", ""))
			Expect(lines[0]).To(HaveKeyWithValue("rule", "auth"))
			Expect(lines[2]).To(HaveKeyWithValue("status", 500.0))
			Expect(lines[2]).To(HaveKeyWithValue("level", "ERROR"))
			Expect(lines[2]).To(HaveKeyWithValue("persona", "2009990010"))
		})

		It("never contains an SSN or DOB sent in a request", func() {
			secrets := []string{"847350596", "0596", "1981-01-17", "1981-01", "01-17", "900110011", "1999-09-09"}
			c.login(prefillID, prefillSecret)
			id := c.start(testkit.Milo, map[string]any{"dob": "1981-01-17", "ssn": "847350596"})
			c.validate(id)
			c.challenge(id, map[string]any{"dob": "1981-01", "ssn": "0596"})
			c.complete(id, individualOf(testkit.Milo))
			// The same values in refused requests.
			c.send(http.MethodPost, "/v3/start", "application/json", `{"flowType":"mobile","phoneNumber":"2001001695","ssn":"900110011","dob":"1999-09-09","x":1}`)
			c.send(http.MethodPost, "/v3/challenge", "application/json", `{"correlationId":"`+id+`","ssn":"0596","dob":"01-17"}`)
			c.send(http.MethodPost, "/v3/complete", "application/json", `{"correlationId":"`+id+`","individual":{"ssn":"847350596","dob":"1981/01/17"}}`)
			c.send(http.MethodPost, "/v3/challenge", "application/json", `{"correlationId":"nope","ssn":"847350596`)

			out := logs.String()
			Expect(logs.Lines()).To(HaveLen(9))
			for _, secret := range secrets {
				Expect(out).NotTo(ContainSubstring(secret))
			}

			// Nor does the request journal, which keeps the bodies.
			journal, err := json.Marshal(c.srv.Journal(mockprove.JournalFilter{}))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(journal)).To(ContainSubstring(`"path":"/v3/challenge"`))
			for _, secret := range secrets {
				Expect(string(journal)).NotTo(ContainSubstring(secret))
			}
		})
	})

	Describe("X-Mockprove headers", func() {
		It("say which persona, step and rule produced each answer", func() {
			c := inMemory().login(identityID, identitySecret)
			id := c.start(testkit.Benji)
			r := c.validate(id)
			Expect(r.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Benji))
			Expect(r.Header.Get("X-Mockprove-Step")).To(Equal("/v3/validate"))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("possession.missing"))

			r = c.complete(id, individualOf(testkit.Benji))
			Expect(r.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Benji))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("flow.order"))

			r = c.send(http.MethodPost, "/v3/start", "application/json", `{"flowType":"phone"}`)
			Expect(r.Header.Get("X-Mockprove-Persona")).To(BeEmpty())
			Expect(r.Header.Get("X-Mockprove-Step")).To(Equal("/v3/start"))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("spec"))
		})
	})
})

// closeTracker is a request body that notes whether it was closed.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// fakeTester records what RunT does with its Tester.
type fakeTester struct {
	fatal    string
	cleanups []func()
}

func (t *fakeTester) Fatalf(format string, args ...any) { t.fatal = fmt.Sprintf(format, args...) }
func (t *fakeTester) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *fakeTester) Logf(string, ...any)               {}

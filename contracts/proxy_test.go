package contracts_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("the proxy in front of a running mockprove", func() {
	var (
		w *world
		c *caller
	)
	BeforeEach(func() {
		w = newWorld()
		c = newCaller(w.proxy.URL())
	})

	It("reports nothing for a well-behaved integration, and forwards every answer", func() {
		c.login()
		cid, _ := c.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`)
		v := c.post("/v3/validate", cidBody(cid))
		Expect(v.Body).To(HaveKeyWithValue("success", true))
		done := c.post("/v3/complete", cidBody(cid, martinaIndividual))
		Expect(done.Body).To(HaveKeyWithValue("next", map[string]any{"done": "done"}))
		rep := w.proxy.Report()
		Expect(rep.Violations).To(BeEmpty())
		Expect(rep.Exchanges).To(Equal(4))
	})

	Describe("a Unify integration", func() {
		var u *caller
		BeforeEach(func() {
			u = newCaller(w.proxy.URL())
			Expect(u.token("unify-client", "unify-secret").Status).To(Equal(http.StatusOK))
		})
		unify := func(possessionType, phone string) (string, string) {
			GinkgoHelper()
			a := u.post("/v3/unify", `{"possessionType":"`+possessionType+`","clientRequestId":"r-1","phoneNumber":"`+phone+`"}`)
			Expect(a.Status).To(Equal(http.StatusOK), string(a.Raw))
			return a.Str("correlationId"), a.Str("authToken")
		}
		placeKey := func(authToken string) {
			GinkgoHelper()
			k, err := mockprove.NewDeviceKey()
			Expect(err).NotTo(HaveOccurred())
			_, err = w.prove.RunProveKey(authToken, k) // the SDK's key step, beside the proxy
			Expect(err).NotTo(HaveOccurred())
		}

		It("reports nothing for none, status possession_required, then one bind", func() {
			cid, auth := unify("none", "2001004014")
			Expect(u.post("/v3/unify-status", cidBody(cid)).Body).To(HaveKeyWithValue("success", "pending"))
			placeKey(auth)
			Expect(u.post("/v3/unify-status", cidBody(cid)).Body).To(HaveKeyWithValue("success", "possession_required"))
			Expect(u.post("/v3/unify-bind", cidBody(cid, `,"phoneNumber":"2001004014"`)).Body).To(HaveKeyWithValue("success", "true"))
			rep := w.proxy.Report()
			Expect(rep.Violations).To(BeEmpty())
			Expect(paths(rep)).To(SatisfyAll(HaveKeyWithValue(contracts.PathUnifyStarted, 1), HaveKeyWithValue(contracts.PathUnifyPending, 1),
				HaveKeyWithValue(contracts.PathUnifyRequired, 1), HaveKeyWithValue(contracts.PathUnifyBound, 1)))
		})

		It("binds before unify-status said possession_required", func() {
			cid, _ := unify("none", "2001004014")
			Expect(u.post("/v3/unify-bind", cidBody(cid, `,"phoneNumber":"2001004014"`)).Status).To(Equal(http.StatusForbidden))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				`client POST /v3/unify-bind flow [unify.bind-before-required]: expected /v3/unify-bind only after /v3/unify-status answered "possession_required", got no /v3/unify-status (correlationId ` + cid + ")"))
		})

		It("binds after the session said true", func() {
			cid, _ := unify("mobile", "2001004018") // short-term: "true" with no SDK
			Expect(u.post("/v3/unify-status", cidBody(cid)).Body).To(HaveKeyWithValue("success", "true"))
			Expect(u.post("/v3/unify-bind", cidBody(cid, `,"phoneNumber":"2001004018"`)).Status).To(Equal(http.StatusForbidden))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				`client POST /v3/unify-bind flow [unify.bind-after-true]: expected no /v3/unify-bind once the session answered "true", got /v3/unify-status answered "true" (correlationId ` + cid + ")"))
		})

		It("asks for the status of another client's session", func() {
			cid, _ := unify("mobile", "2001004015")
			c.login()
			Expect(c.post("/v3/unify-status", cidBody(cid)).Status).To(Equal(http.StatusForbidden))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				"client POST /v3/unify-status request body correlationId [unify.same-client]: expected a correlationId from a /v3/unify of the same client, got the correlationId of a /v3/unify by client unify-client (correlationId " + cid + ")"))
		})
	})

	Describe("a deliberately bad client", func() {
		BeforeEach(func() { c.login() })

		It("skips validate: complete before a successful validate", func() {
			cid, _ := c.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`)
			Expect(c.post("/v3/complete", cidBody(cid, martinaIndividual)).Status).To(Equal(http.StatusForbidden))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				"client POST /v3/complete flow [flow.validate-first]: expected a successful /v3/validate before /v3/complete, got no /v3/validate (correlationId " + cid + ")"))
		})

		It("calls complete twice: a step after done", func() {
			cid, _ := c.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`)
			c.post("/v3/validate", cidBody(cid))
			Expect(c.post("/v3/complete", cidBody(cid, martinaIndividual)).Status).To(Equal(http.StatusOK))
			Expect(c.post("/v3/complete", cidBody(cid, martinaIndividual)).Status).To(Equal(http.StatusForbidden))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				`client POST /v3/complete flow [flow.after-done]: expected no call after next {"done":"done"}, got POST /v3/complete (correlationId ` + cid + ")"))
		})

		It("calls a step that next did not offer", func() {
			c2 := newCaller(w.proxy.URL())
			Expect(c2.token("prefill-client", "prefill-secret").Status).To(Equal(http.StatusOK))
			cid, _ := c2.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Milo + `"}`)
			c2.post("/v3/challenge", cidBody(cid, `,"dob":"1981-01-17"`))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				"client POST /v3/challenge flow [flow.next]: expected a step in next: v3-validate, got v3-challenge (correlationId " + cid + ")"))
		})

		It("fetches a token per call", func() {
			Expect(c.token("identity-client", "identity-secret").Status).To(Equal(http.StatusOK))
			w.prove.FastForward(10 * time.Second)
			Expect(c.token("identity-client", "identity-secret").Status).To(Equal(http.StatusOK))
			vs := w.proxy.Report().Of(contracts.SideClient)
			Expect(rules(vs)).To(Equal([]string{"token.reuse", "token.reuse"}))
			Expect(vs[1].String()).To(Equal("client POST /token request [token.reuse]: expected one access token per client, reused until it expires (or is refused with 401), " +
				"got a new token for identity-client 10s after the last one, which is valid until " + testkit.T0.Add(time.Hour).Format(time.RFC3339)))
		})

		It("may fetch a new token once the old one expired", func() {
			w.prove.FastForward(time.Hour)
			Expect(c.token("identity-client", "identity-secret").Status).To(Equal(http.StatusOK))
			Expect(w.proxy.Report().Violations).To(BeEmpty())
		})

		It("sends an unknown field", func() {
			a := c.post("/v3/start", `{"flowType":"mobile","phoneNumber":"`+testkit.Martina+`","color":"blue"}`)
			Expect(a.Status).To(Equal(http.StatusBadRequest))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				"client POST /v3/start request body color [schema.unknown-field]: expected no field color (known: allowOTPRetry, dob, emailAddress, finalTargetUrl, flowType, ipAddress, phoneNumber, smsMessage, ssn), got field color"))
		})

		It("sends a DOB where the spec does not allow one", func() {
			cid, _ := c.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`)
			c.post("/v3/validate", cidBody(cid, `,"dob":"1985-04-12"`))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				"client POST /v3/validate request body dob [pii.placement]: expected SSN and DOB only in the bodies of /v3/start, /v3/challenge and /v3/complete (individual), got field dob (correlationId " + cid + ")"))
		})

		It("sends a DOB in the wrong format, and the report masks its digits", func() {
			cid, _ := c.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`)
			c.post("/v3/validate", cidBody(cid))
			c.post("/v3/complete", cidBody(cid, `,"individual":{"firstName":"Martina","lastName":"Goodram","dob":"1995/07/26"}`))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				`client POST /v3/complete request body individual.dob [schema.pattern]: expected a string matching ^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{2}|[0-9]{2}-[0-9]{2})$, got "####/##/##" (correlationId ` + cid + ")"))
		})

		It("retries a 4xx with the same body", func() {
			body := cidBody("not-a-flow")
			Expect(c.post("/v3/validate", body).Status).To(Equal(http.StatusBadRequest))
			Expect(c.post("/v3/validate", body).Status).To(Equal(http.StatusBadRequest))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				"client POST /v3/validate request body [retry.same-4xx]: expected a corrected request after the 400 answer, got the same request again"))
		})

		It("ignores Retry-After after a 429, and is fine once it waits", func() {
			Expect(w.prove.FailNext("/v3/start", http.StatusTooManyRequests)).To(Succeed())
			body := `{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`
			a := c.post("/v3/start", body)
			Expect(a.Status).To(Equal(http.StatusTooManyRequests))
			Expect(a.Header.Get("Retry-After")).To(Equal("1"))
			cid := c.post("/v3/start", body).Str("correlationId")
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				"client POST /v3/start request [rate.retry-after]: expected no request before " + testkit.T0.Add(time.Second).Format(time.RFC3339) +
					" (Retry-After), got a request 1s early (correlationId " + cid + ")"))
			w.prove.FastForward(time.Second)
			c.post("/v3/start", body)
			Expect(w.proxy.Report().Violations).To(HaveLen(1))
		})

		It("leaves out the bearer token", func() {
			c.bearer = ""
			Expect(c.post("/v3/start", `{"flowType":"mobile","phoneNumber":"2009990039"}`).Status).To(Equal(http.StatusUnauthorized))
			Expect(w.lines(contracts.SideClient)).To(ConsistOf(
				"client POST /v3/start request header Authorization [auth.bearer]: expected Authorization: Bearer <token>, got no bearer token"))
		})

		It("makes every planted mistake in one run, and the report lists each on one line", func() {
			// The bad client takes a new token for every call.
			call := func(path, body string) answer {
				GinkgoHelper()
				Expect(c.token("identity-client", "identity-secret").Status).To(Equal(http.StatusOK))
				return c.post(path, body)
			}
			martina := `{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"`
			Expect(call("/v3/start", martina+`,"color":"blue"}`).Status).To(Equal(http.StatusBadRequest)) // an unknown field
			call("/v3/start", martina+`,"color":"blue"}`)                                                 // the same 4xx again
			cid := call("/v3/start", martina+"}").Str("correlationId")
			Expect(call("/v3/complete", cidBody(cid, martinaIndividual)).Status).To(Equal(http.StatusForbidden)) // validate skipped
			call("/v3/validate", cidBody(cid, `,"dob":"1985-04-12"`))                                            // a DOB where none is allowed
			Expect(call("/v3/validate", cidBody(cid)).Body).To(HaveKeyWithValue("success", true))
			Expect(call("/v3/complete", cidBody(cid, martinaIndividual)).Status).To(Equal(http.StatusOK)) // the same body, after validate: fine
			call("/v3/complete", cidBody(cid, martinaIndividual))                                         // complete twice
			Expect(w.prove.FailNext("/v3/start", http.StatusTooManyRequests)).To(Succeed())
			Expect(call("/v3/start", martina+"}").Status).To(Equal(http.StatusTooManyRequests))
			call("/v3/start", martina+"}") // Retry-After ignored (the token request too)

			rep := w.proxy.Report()
			for _, v := range rep.Violations {
				Expect(v.String()).To(oneLine())
				GinkgoWriter.Println(v.String())
			}
			Expect(rules(rep.Violations)).To(Equal([]string{
				"token.reuse", "schema.unknown-field", // (BeforeEach took the first token)
				"token.reuse", "schema.unknown-field", "retry.same-4xx",
				"token.reuse",
				"token.reuse", "flow.validate-first",
				"token.reuse", "pii.placement",
				"token.reuse",
				"token.reuse",
				"token.reuse", "flow.after-done",
				"token.reuse",
				"rate.retry-after", "token.reuse", "rate.retry-after",
			}))
			Expect(rep.Of(contracts.SidePlatform)).To(BeEmpty())
		})

		It("reports every violation on one line, with the correlationId when the flow is known", func() {
			cid, _ := c.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`)
			c.post("/v3/complete", cidBody(cid, martinaIndividual))
			c.post("/v3/complete", cidBody(cid, martinaIndividual))
			c.post("/v3/validate", cidBody(cid, `,"ssn":"490959347"`))
			c.post("/v3/start", `{"flowType":"tablet"`)
			Expect(c.token("identity-client", "identity-secret").Status).To(Equal(http.StatusOK))
			rep := w.proxy.Report()
			Expect(rules(rep.Violations)).To(ConsistOf("flow.validate-first", "flow.validate-first", "retry.same-4xx", "pii.placement", "body.json", "token.reuse"))
			for _, v := range rep.Violations {
				Expect(v.String()).To(oneLine())
				Expect(v.String()).NotTo(ContainSubstring("490959347"))
			}
			Expect(rep.Of(contracts.SidePlatform)).To(BeEmpty())
		})
	})

	It("passes the Instant Link status WebSocket through", func() {
		c.login()
		_, auth := c.start(`{"flowType":"desktop","phoneNumber":"` + testkit.Jordan + `","finalTargetUrl":"https://example.com/done"}`)
		ws := "ws" + strings.TrimPrefix(w.proxy.URL(), "http") + "/v1/client/status?token=" + auth
		conn, resp, err := websocket.DefaultDialer.Dial(ws, nil)
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusSwitchingProtocols))
		Expect(c.device("/v1/client/mobile/instantlink/start", auth, `{"sourceIp":null,"isMobile":false}`).Body).To(HaveKey("data"))
		link := w.prove.Outbox(testkitSMS(testkit.Jordan))[0].Link
		Expect(link).To(HavePrefix(w.prove.URL()))
		clicked := c.do(http.MethodGet, strings.TrimPrefix(link, w.prove.URL()), "", nil, "")
		Expect(clicked.Status).To(Equal(http.StatusFound))
		Expect(conn.SetReadDeadline(time.Now().Add(10 * time.Second))).To(Succeed())
		_, msg, err := conn.ReadMessage()
		Expect(err).NotTo(HaveOccurred())
		Expect(msg).To(MatchJSON(`{"next":"done"}`))
		rep := w.proxy.Report()
		Expect(rep.Violations).To(BeEmpty())
		Expect(rep.Warnings).To(BeEmpty())
		Expect(calls(rep, "GET /v1/client/status")).To(Equal(1))
		Expect(paths(rep)).To(HaveKeyWithValue(contracts.PathInstantLinkClicked, 1))
	})

	It("warns about an Instant Link asked for from a mobile browser", func() {
		c.login()
		cid, auth := c.start(`{"flowType":"desktop","phoneNumber":"` + testkit.Jordan + `","finalTargetUrl":"https://example.com/done"}`)
		c.device("/v1/client/mobile/instantlink/start", auth, `{"sourceIp":null,"isMobile":true}`)
		rep := w.proxy.Report()
		Expect(rep.Violations).To(BeEmpty())
		Expect(rep.Warnings).To(HaveLen(1))
		Expect(rep.Warnings[0].String()).To(Equal(`client POST /v1/client/mobile/instantlink/start request body isMobile [instantlink.mobile-web]: ` +
			`expected Instant Link from a desktop browser (Prove: Instant Link for mobile web isn't supported), got "isMobile": true (correlationId ` + cid + ")"))
		Expect(rep.Fails(contracts.FailOnAny)).To(BeFalse(), "a warning never fails a run")
	})

	It("reports a platform that breaks the contract as the platform's fault", func() {
		// mockprove keeps the contract, so a stand-in plays a broken platform.
		broken := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(rw, `{"success":"yes","next":{"v3-complete":"/v3/complete"}}`)
		}))
		DeferCleanup(broken.Close)
		p, err := contracts.NewProxy(contracts.ProxyOptions{Upstream: broken.URL})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Start()).To(Succeed())
		DeferCleanup(p.Close)
		bc := newCaller(p.URL())
		bc.bearer = "t"
		bc.post("/v3/validate", cidBody("c"))
		var lines []string
		for _, v := range p.Report().Of(contracts.SidePlatform) {
			lines = append(lines, v.String())
		}
		Expect(lines).To(ConsistOf(
			`platform POST /v3/validate response body success [schema.type]: expected boolean, got string "yes"`,
			`platform POST /v3/validate response body challengeMissing [schema.required]: expected field challengeMissing, got nothing`))
		Expect(p.Report().Fails(contracts.FailOnPlatform)).To(BeTrue())
		Expect(p.Report().Fails(contracts.FailOnClient)).To(BeFalse())
	})
})

// testkitSMS filters the outbox by phone.
func testkitSMS(phone string) mockprove.SMSFilter { return mockprove.SMSFilter{Phone: phone} }

func calls(rep contracts.Report, op string) int {
	for _, o := range rep.Coverage.Operations {
		if o.Operation == op {
			return o.Calls
		}
	}
	return -1
}

func paths(rep contracts.Report) map[string]int {
	out := map[string]int{}
	for _, p := range rep.Coverage.Paths {
		if p.Count > 0 {
			out[p.Path] = p.Count
		}
	}
	return out
}

var _ = Describe("bodies through the proxy", func() {
	// capture is an upstream that records the exact bytes it receives and
	// answers with fixed bytes.
	type capture struct {
		mu   sync.Mutex
		got  [][]byte
		resp []byte
	}
	var (
		cp *capture
		p  *contracts.Proxy
	)
	BeforeEach(func() {
		cp = &capture{resp: []byte("{\"success\": true ,\n \"challengeMissing\":false, \"next\":{\"done\":\"done\"}}  ")}
		up := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			cp.mu.Lock()
			cp.got = append(cp.got, b)
			cp.mu.Unlock()
			rw.Header().Set("Content-Type", "application/json")
			_, _ = rw.Write(cp.resp)
		}))
		DeferCleanup(up.Close)
		var err error
		p, err = contracts.NewProxy(contracts.ProxyOptions{Upstream: up.URL, Recorder: contracts.RecorderOptions{MaxBody: 16 << 10}})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Start()).To(Succeed())
		DeferCleanup(p.Close)
	})
	send := func(body []byte) []byte {
		GinkgoHelper()
		cl := newCaller(p.URL())
		cl.http.Timeout = 5 * time.Second // an invalid body must not hang the proxy
		a := cl.do(http.MethodPost, "/v3/validate", "application/json", body, "t")
		Expect(a.Status).To(Equal(http.StatusOK))
		return a.Raw
	}

	It("forwards invalid JSON byte for byte both ways, and reports it", func() {
		body := []byte("{\"correlationId\": \"c\",,, \x00\xff")
		Expect(send(body)).To(Equal(cp.resp))
		Expect(cp.got).To(Equal([][]byte{body}))
		Expect(rules(p.Report().Violations)).To(Equal([]string{"body.json"}))
	})

	It("forwards a body over 4 KB byte for byte, and reports Prove's limit", func() {
		body := []byte(`{"correlationId":"` + strings.Repeat("x", 5000) + `"}`)
		Expect(send(body)).To(Equal(cp.resp))
		Expect(cp.got).To(Equal([][]byte{body}))
		Expect(rules(p.Report().Violations)).To(ConsistOf("schema.maxLength", "limit.body-size"))
	})

	It("forwards a body over its buffer unchecked, byte for byte", func() {
		body := bytes.Repeat([]byte("a"), 40<<10)
		Expect(send(body)).To(Equal(cp.resp))
		Expect(cp.got).To(Equal([][]byte{body}))
		Expect(p.Report().Violations).To(HaveLen(1))
		Expect(p.Report().Violations[0].String()).To(ContainSubstring("passed through unchecked"))
	})
})

var _ = Describe("the report endpoint", func() {
	var w *world
	BeforeEach(func() {
		w = newWorld()
		c := newCaller(w.proxy.URL()).login()
		cid, _ := c.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`)
		c.post("/v3/complete", cidBody(cid, martinaIndividual))
	})
	get := func(query, accept string) (string, []byte) {
		GinkgoHelper()
		req, _ := http.NewRequest(http.MethodGet, w.proxy.URL()+contracts.ReportPath+query, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		b, _ := io.ReadAll(resp.Body)
		return resp.Header.Get("Content-Type"), b
	}

	It("serves text by default, with one line per violation", func() {
		ct, b := get("", "")
		Expect(ct).To(HavePrefix("text/plain"))
		Expect(string(b)).To(ContainSubstring("client violations (the integration's fault) (1):\n  client POST /v3/complete flow [flow.validate-first]"))
		Expect(string(b)).To(ContainSubstring("never exercised"))
		Expect(string(b)).To(ContainSubstring("  path OTP expired\n"))
	})

	It("serves JSON by Accept: a violations array of Violation objects next to coverage", func() {
		ct, b := get("", "application/json")
		Expect(ct).To(Equal("application/json"))
		var doc struct {
			Violations []map[string]any `json:"violations"`
			Coverage   map[string]any   `json:"coverage"`
		}
		Expect(json.Unmarshal(b, &doc)).To(Succeed())
		Expect(doc.Violations).To(HaveLen(1))
		Expect(doc.Violations[0]).To(HaveKeyWithValue("side", "client"))
		Expect(doc.Violations[0]).To(HaveKeyWithValue("operation", "POST /v3/complete"))
		Expect(doc.Violations[0]).To(HaveKeyWithValue("where", "flow"))
		Expect(doc.Violations[0]).To(HaveKeyWithValue("rule", "flow.validate-first"))
		Expect(doc.Violations[0]).To(HaveKey("expected"))
		Expect(doc.Violations[0]).To(HaveKey("got"))
		Expect(doc.Violations[0]).To(HaveKey("correlationId"))
		Expect(doc.Coverage).To(HaveKey("operations"))
		Expect(doc.Coverage).To(HaveKey("errorCodes"))
		Expect(doc.Coverage).To(HaveKey("paths"))
	})

	It("serves JUnit XML that parses, with the violation as a failure", func() {
		ct, b := get("?format=junit", "")
		Expect(ct).To(Equal("application/xml"))
		var doc struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name    string `xml:"name,attr"`
					Failure *struct {
						Message string `xml:"message,attr"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		Expect(xml.Unmarshal(b, &doc)).To(Succeed())
		Expect(doc.Failures).To(Equal(1))
		Expect(doc.Suites).To(HaveLen(2))
		Expect(doc.Suites[0].Name).To(Equal("contracts client"))
		var failed []string
		for _, tc := range doc.Suites[0].Cases {
			if tc.Failure != nil {
				failed = append(failed, tc.Name+": "+tc.Failure.Message)
			}
		}
		Expect(failed).To(ConsistOf(HavePrefix("POST /v3/complete: client POST /v3/complete flow [flow.validate-first]")))
	})

	It("refuses an unknown format", func() {
		resp, err := http.Get(w.proxy.URL() + contracts.ReportPath + "?format=yaml")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
	})
})

package flowapp_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("POST /initialize", func() {
	var w *world
	BeforeEach(func() { w = newWorld(worldOptions{}) })

	It("starts a mobile flow: authToken, a signed HttpOnly SameSite=Lax session cookie, Prove /v3/start with allowOTPRetry", func() {
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina, "flowType": "mobile"})
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Body).To(HaveLen(2))
		Expect(r.Str("authToken")).To(HavePrefix("eyJ"))
		Expect(r.Str("flowType")).To(Equal("mobile"))
		Expect(r.Raw).NotTo(ContainSubstring("correlationId"), "the correlationId stays server-side")

		setCookie := r.Header.Get("Set-Cookie")
		Expect(setCookie).To(MatchRegexp(`^flowapp_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;`))
		Expect(setCookie).To(ContainSubstring("HttpOnly"))
		Expect(setCookie).To(ContainSubstring("SameSite=Lax"))
		Expect(setCookie).To(ContainSubstring("Path=/"))

		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200"}))
		start := w.lastRequest("/v3/start")
		Expect(start).To(Equal(map[string]any{"flowType": "mobile", "phoneNumber": testkit.Martina, "allowOTPRetry": true}))
		Expect(w.spec.Checked()).To(Equal(1))
	})

	It("sends its own /landing as finalTargetUrl for a desktop flow", func() {
		w.initialize(testkit.Jordan, "desktop")
		start := w.lastRequest("/v3/start")
		Expect(start).To(HaveKeyWithValue("flowType", "desktop"))
		Expect(start).To(HaveKeyWithValue("finalTargetUrl", w.app.URL()+"/landing"))
		Expect(start).To(HaveKeyWithValue("allowOTPRetry", true))
	})

	It("sends <public URL>/landing as finalTargetUrl when there is a public URL, and makes the cookie Secure when it is https", func() {
		w = newWorld(worldOptions{publicURL: "https://shop.example.com/apply/"})
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Jordan, "flowType": "desktop"})
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(w.lastRequest("/v3/start")).To(HaveKeyWithValue("finalTargetUrl", "https://shop.example.com/apply/landing"))
		Expect(r.Header.Get("Set-Cookie")).To(ContainSubstring("; Secure"))
	})

	It("does not make the cookie Secure for a plain http public URL", func() {
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Jordan, "flowType": "mobile"})
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Header.Get("Set-Cookie")).NotTo(ContainSubstring("Secure"))
	})

	It("sends the configured finalTargetUrl when there is one", func() {
		w = newWorld(worldOptions{finalTargetURL: "https://shop.example.com/landing?from=prove"})
		w.initialize(testkit.Jordan, "desktop")
		Expect(w.lastRequest("/v3/start")).To(HaveKeyWithValue("finalTargetUrl", "https://shop.example.com/landing?from=prove"))
	})

	It("accepts a leading + on the phone number", func() {
		w.initialize("+1"+testkit.Martina, "mobile")
		Expect(w.lastRequest("/v3/start")).To(HaveKeyWithValue("phoneNumber", "+1"+testkit.Martina))
	})

	DescribeTable("refuses bad input with 400 bad_request naming the problem, without calling Prove",
		func(contentType, body, want string) {
			r := w.send("/initialize", contentType, body)
			expectError(r, 400, "bad_request")
			Expect(r.Message()).To(ContainSubstring(want))
			Expect(r.Header.Get("Set-Cookie")).To(BeEmpty())
			Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/start"})).To(BeEmpty())
		},
		Entry("phoneNumber missing", "application/json", `{"flowType":"mobile"}`, "field 'phoneNumber' is required"),
		Entry("phoneNumber too short", "application/json", `{"phoneNumber":"200100","flowType":"mobile"}`, "field 'phoneNumber' must be 10 to 15 digits"),
		Entry("phoneNumber with dashes", "application/json", `{"phoneNumber":"200-100-4000","flowType":"mobile"}`, "field 'phoneNumber'"),
		Entry("phoneNumber too long", "application/json", `{"phoneNumber":"2001004000123456","flowType":"mobile"}`, "field 'phoneNumber'"),
		Entry("phoneNumber a number", "application/json", `{"phoneNumber":2001004000,"flowType":"mobile"}`, "field 'phoneNumber' must be a string"),
		Entry("flowType missing", "application/json", `{"phoneNumber":"2001004000"}`, "field 'flowType' is required"),
		Entry("flowType unknown", "application/json", `{"phoneNumber":"2001004000","flowType":"tablet"}`, "field 'flowType' must be mobile or desktop"),
		Entry("an unknown field", "application/json", `{"phoneNumber":"2001004000","flowType":"mobile","ssn":"490959347"}`, "field 'ssn' is not allowed"),
		Entry("not JSON", "application/json", `{"phoneNumber":`, "not valid JSON"),
		Entry("a JSON array", "application/json", `["2001004000"]`, "must be a JSON object"),
		Entry("two objects", "application/json", `{"phoneNumber":"2001004000","flowType":"mobile"}{}`, "nothing after it"),
		Entry("an empty body", "application/json", ``, "request body is missing"),
		Entry("an empty body as text/plain", "text/plain", ``, "Content-Type must be application/json"),
		Entry("JSON as text/plain (another site's no-cors fetch)", "text/plain", `{"phoneNumber":"2001004000","flowType":"mobile"}`, "Content-Type must be application/json"),
		Entry("a form", "application/x-www-form-urlencoded", `phoneNumber=2001004000&flowType=mobile`, "Content-Type must be application/json"),
		Entry("no content type", "", `{"phoneNumber":"2001004000","flowType":"mobile"}`, "Content-Type must be application/json"),
		Entry("a body over 16 KB", "application/json", `{"phoneNumber":"2001004000","flowType":"mobile","x":"`+strings.Repeat("a", 16<<10)+`"}`, "at most 16 KB"),
	)

	It("maps Prove's 8007 (unknown test user) to 400 prove_rejected in its own words, with Prove's code", func() {
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Nobody, "flowType": "mobile"})
		expectError(r, 400, "prove_rejected")
		Expect(r.ProveCode()).To(Equal(8007))
		Expect(r.Message()).To(Equal("We couldn't find that phone number. Check it and try again."))
		Expect(string(r.Raw)).NotTo(ContainSubstring(testkit.Nobody), "Prove's message (which names the number) is not forwarded")
		Expect(string(r.Raw)).NotTo(ContainSubstring("test user"))
		Expect(r.Header.Get("Set-Cookie")).To(BeEmpty())
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 400"}))
	})

	It("maps Prove's 8009 (test user of another product) to 403 prove_rejected in its own words", func() {
		w = newWorld(worldOptions{clientID: "prefill-client", secret: "prefill-secret"})
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina, "flowType": "mobile"})
		expectError(r, 403, "prove_rejected")
		Expect(r.ProveCode()).To(Equal(8009))
		Expect(r.Message()).To(Equal("This phone number can't be verified for this application. Try a different number."))
		Expect(string(r.Raw)).NotTo(ContainSubstring(testkit.Martina))
	})

	It("treats wrong credentials (Prove /token 401) as its own misconfiguration: 502 prove_unavailable, logged at ERROR", func() {
		w = newWorld(worldOptions{clientID: "identity-client", secret: "not-the-secret"})
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina, "flowType": "mobile"})
		expectError(r, 502, "prove_unavailable")
		Expect(r.ProveCode()).To(Equal(8002))
		Expect(r.Message()).To(Equal("Identity verification is unavailable right now. Please try again later."))
		Expect(string(r.Raw)).NotTo(ContainSubstring("client"), "nothing about credentials reaches the customer")
		Expect(w.logs.String()).To(MatchRegexp(`level=ERROR msg="request failed" path=/initialize status=502 code=prove_unavailable proveCode=8002 op=/token proveStatus=401 .*hint="Prove refused flowapp's credentials`))
		Expect(w.proveCalls()).To(Equal([]string{"/token 401"}))
	})

	It("treats an error answer of /token with a 5xx as a misconfiguration too", func() {
		Expect(w.s.FailNext("/token", 500)).To(Succeed())
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina, "flowType": "mobile"})
		expectError(r, 502, "prove_unavailable")
		Expect(r.Message()).To(Equal("Identity verification is unavailable right now. Please try again later."))
		Expect(w.logs.String()).To(ContainSubstring("op=/token proveStatus=500"))
	})

	It("treats a 401 that survives the retry with a new token as a misconfiguration", func() {
		w.initialize(testkit.Martina, "mobile")
		_, err := w.s.AddFault(mockprove.FaultSpec{Step: "/v3/validate", Status: 401, Code: 8002})
		Expect(err).NotTo(HaveOccurred())
		r := w.post("/verify", map[string]any{})
		expectError(r, 502, "prove_unavailable")
		Expect(r.Message()).To(Equal("Identity verification is unavailable right now. Please try again later."))
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(HaveLen(2), "one retry with a new token")
		Expect(w.logs.String()).To(ContainSubstring("level=ERROR"))
	})

	It("maps a Prove 500 to 502 prove_unavailable without Prove's text; a retry then works", func() {
		Expect(w.s.FailNext("/v3/start", 500)).To(Succeed())
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina, "flowType": "mobile"})
		expectError(r, 502, "prove_unavailable")
		Expect(r.ProveCode()).To(Equal(8000))
		Expect(r.Message()).To(Equal("Identity verification is unavailable right now. Please try again in a moment."))
		Expect(r.Header.Get("Set-Cookie")).To(BeEmpty())

		w.initialize(testkit.Martina, "mobile")
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 500", "/v3/start 200"}))
	})

	It("maps a Prove that answers too late to 504 prove_timeout", func() {
		// The gate holds /v3/start until the spec ends: Prove never answers
		// in time, whatever the machine's load.
		w = newWorld(worldOptions{proveTimeout: 2 * time.Second, gated: true})
		w.initialize(testkit.Martina, "mobile") // the token is cached now
		w.gate.Hold("/v3/start")
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina, "flowType": "mobile"})
		expectError(r, 504, "prove_timeout")
		Expect(r.Message()).To(Equal("Identity verification took too long to answer. Please try again."))
		Expect(w.gate.Arrived).To(Receive(Equal("/v3/start")))
		Expect(w.logs.String()).To(ContainSubstring("op=/v3/start failure=timeout after=2s"))
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200"}), "the held start never reached Prove")
	})

	It("maps a malformed Prove answer to 502 prove_unavailable", func() {
		w = newWorld(worldOptions{uncheckedProve: true})
		_, err := w.s.AddFault(mockprove.FaultSpec{Step: "/v3/start", Kind: mockprove.FaultMalformed, Count: 1})
		Expect(err).NotTo(HaveOccurred())
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina, "flowType": "mobile"})
		expectError(r, 502, "prove_unavailable")
		Expect(r.Message()).To(ContainSubstring("couldn't read"))
		Expect(w.logs.String()).To(ContainSubstring(`op=/v3/start failure="malformed answer"`))
	})

	It("maps a dropped connection to 502 prove_unavailable", func() {
		w = newWorld(worldOptions{uncheckedProve: true})
		_, err := w.s.AddFault(mockprove.FaultSpec{Step: "/v3/start", Kind: mockprove.FaultDrop, Count: 1})
		Expect(err).NotTo(HaveOccurred())
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina, "flowType": "mobile"})
		expectError(r, 502, "prove_unavailable")
		Expect(r.Message()).To(ContainSubstring("couldn't reach"))
	})

	It("replaces the previous session: its cookie no longer works", func() {
		w.initialize(testkit.Martina, "mobile")
		u, _ := url.Parse(w.app.URL())
		old := w.c.Jar.Cookies(u)
		Expect(old).To(HaveLen(1))

		w.initialize(testkit.Martina, "mobile")
		Expect(w.verify().Str("next")).To(Equal("complete"), "the new session works")

		other, _ := newBrowser()
		other.Jar.SetCookies(u, old)
		expectError(w.do(other, w.request("/verify", "application/json", "")), 409, "no_session")
	})
})

var _ = Describe("cross-site requests", func() {
	var w *world
	BeforeEach(func() {
		w = newWorld(worldOptions{})
		w.initialize(testkit.Martina, "mobile")
	})

	DescribeTable("are refused with 403 forbidden before anything else happens",
		func(headers ...string) {
			r := w.do(w.c, w.request("/verify", "application/json", "{}", headers...))
			expectError(r, 403, "forbidden")
			Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(BeEmpty())
			Expect(w.verify().Str("next")).To(Equal("complete"), "the flow is untouched")
		},
		Entry("Sec-Fetch-Site: cross-site", "Sec-Fetch-Site", "cross-site"),
		Entry("Sec-Fetch-Site: same-site", "Sec-Fetch-Site", "same-site"),
		Entry("Sec-Fetch-Site: none", "Sec-Fetch-Site", "none"),
		Entry("an Origin of another site", "Origin", "https://evil.example"),
		Entry("an Origin of another port", "Origin", "http://127.0.0.1:1"),
		Entry("Origin: null", "Origin", "null"),
	)

	It("are refused on every POST, /initialize too", func() {
		r := w.do(w.c, w.request("/initialize", "application/json", `{"phoneNumber":"2001004000","flowType":"mobile"}`, "Origin", "https://evil.example"))
		expectError(r, 403, "forbidden")
		Expect(r.Header.Get("Set-Cookie")).To(BeEmpty())
	})

	It("refuses a text/plain POST (what another site's form or no-cors fetch sends), even with an empty body", func() {
		expectError(w.send("/verify", "text/plain", ""), 400, "bad_request")
		expectError(w.send("/verify", "", ""), 400, "bad_request")
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(BeEmpty())
	})

	It("lets the page's own requests through: same-origin, and an Origin of this host", func() {
		origin := w.app.URL()
		r := w.do(w.c, w.request("/verify", "application/json", "", "Sec-Fetch-Site", "same-origin", "Origin", origin))
		Expect(r.Status).To(Equal(200), "%s", r)
	})

	It("accepts the public URL's origin (flowapp behind a proxy)", func() {
		w = newWorld(worldOptions{publicURL: "https://shop.example.com"})
		r := w.do(w.c, w.request("/initialize", "application/json", `{"phoneNumber":"2001004000","flowType":"mobile"}`,
			"Sec-Fetch-Site", "same-origin", "Origin", "https://shop.example.com"))
		Expect(r.Status).To(Equal(200), "%s", r)
	})
})

var _ = Describe("POST /verify", func() {
	var w *world
	BeforeEach(func() { w = newWorld(worldOptions{}) })

	It("needs a session: 409 no_session", func() {
		r := w.post("/verify", map[string]any{})
		expectError(r, 409, "no_session")
		Expect(w.proveCalls()).To(BeEmpty())
	})

	It("refuses a forged or tampered cookie as no session", func() {
		w.initialize(testkit.Martina, "mobile")
		u, _ := url.Parse(w.app.URL())
		value := w.c.Jar.Cookies(u)[0].Value
		id, _, _ := strings.Cut(value, ".")
		for _, forged := range []string{id, id + ".AAAA", "x" + value, id + "." + strings.Repeat("A", 43)} {
			other, _ := newBrowser()
			other.Jar.SetCookies(u, []*http.Cookie{{Name: flowapp.SessionCookie, Value: forged}})
			expectError(w.do(other, w.request("/verify", "application/json", "")), 409, "no_session")
		}
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(BeEmpty())
	})

	It("before the possession check: success false, next done, and the flow is over", func() {
		w.initialize(testkit.Jordan, "mobile")
		r := w.verify()
		Expect(r.Body).To(Equal(map[string]any{"success": false, "phoneNumber": testkit.Jordan, "next": "done", "challengeMissing": false}))
		expectError(w.post("/verify", map[string]any{}), 409, "no_session")
		expectError(w.post("/finish", martinaFinish), 409, "no_session")
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200", "/v3/validate 200"}))
	})

	It("for a short-term persona: success, next complete (Prove Identity)", func() {
		w.initialize(testkit.Martina, "mobile")
		r := w.verify()
		Expect(r.Body).To(Equal(map[string]any{"success": true, "phoneNumber": testkit.Martina, "next": "complete", "challengeMissing": false}))
		Expect(w.lastRequest("/v3/validate")).To(HaveKey("correlationId"))
	})

	It("accepts an empty application/json body and refuses unknown fields", func() {
		w.initialize(testkit.Martina, "mobile")
		expectError(w.send("/verify", "application/json", `{"authID":"x"}`), 400, "bad_request")
		r := w.send("/verify", "application/json", "")
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Str("next")).To(Equal("complete"))
	})

	It("is a wrong_step once the phone is verified", func() {
		w.initialize(testkit.Martina, "mobile")
		w.verify()
		r := w.post("/verify", map[string]any{})
		expectError(r, 409, "wrong_step")
		Expect(r.Message()).To(ContainSubstring("/finish"))
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(HaveLen(1))
	})

	It("waits for a slow /v3/validate (held until the test releases it) and still works", func() {
		w = newWorld(worldOptions{gated: true})
		w.initialize(testkit.Martina, "mobile")
		w.gate.Hold("/v3/validate")
		answer := w.postAsync("/verify", map[string]any{})
		Eventually(w.gate.Arrived).WithTimeout(time.Minute).Should(Receive(Equal("/v3/validate")))
		Expect(answer).NotTo(Receive(), "no answer while Prove has not answered")
		w.gate.Release()
		var r result
		Eventually(answer).WithTimeout(time.Minute).Should(Receive(&r))
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Str("next")).To(Equal("complete"))
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(HaveLen(1))
	})

	It("keeps the session after a Prove 500, so that /verify can be retried", func() {
		w.initialize(testkit.Martina, "mobile")
		Expect(w.s.FailNext("/v3/validate", 500)).To(Succeed())
		expectError(w.post("/verify", map[string]any{}), 502, "prove_unavailable")
		Expect(w.verify().Str("next")).To(Equal("complete"))
	})

	It("gets a new access token after a 401 and retries, unseen by the page", func() {
		w.initialize(testkit.Martina, "mobile")
		_, err := w.s.AddFault(mockprove.FaultSpec{Step: "/v3/validate", Status: 401, Code: 8002, Count: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.verify().Bool("success")).To(BeTrue())
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200", "/v3/validate 401", "/token 200", "/v3/validate 200"}))
	})

	It("refetches the access token after it expires (one hour later on the clock)", func() {
		w.initialize(testkit.Martina, "mobile")
		w.s.FastForward(61 * time.Minute) // flowapp's session (30 min) and Prove's flow (15 min) are gone too
		expectError(w.post("/verify", map[string]any{}), 409, "no_session")
		w.initialize(testkit.Martina, "mobile")
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200", "/token 200", "/v3/start 200"}))
	})

	It("says the session expired (Prove's 8008) when Prove's 15-minute flow has expired", func() {
		w.initialize(testkit.Martina, "mobile")
		w.s.FastForward(16 * time.Minute)
		r := w.post("/verify", map[string]any{})
		expectError(r, 400, "prove_rejected")
		Expect(r.ProveCode()).To(Equal(8008))
		Expect(r.Message()).To(Equal("Your session has expired. Please start again."))
	})

	It("never lets the correlationId reach the browser, not even in Prove's 8008 message", func() {
		w.initialize(testkit.Martina, "mobile")
		id := w.correlationID()
		w.s.Reset() // Prove no longer knows the flow: "invalid correlation ID: <id> is not a flow of this client"
		r := w.post("/verify", map[string]any{})
		expectError(r, 400, "prove_rejected")
		Expect(r.ProveCode()).To(Equal(8008))
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})[0].Response).To(
			HaveKeyWithValue("message", ContainSubstring(id)), "Prove's message names the correlationId")
		Expect(string(r.Raw)).NotTo(ContainSubstring(id))
		Expect(r.Header).NotTo(ContainElement(ContainElement(ContainSubstring(id))))
	})

	It("keeps the session 30 minutes: alive at 29, gone at 30", func() {
		w.initialize(testkit.Martina, "mobile")
		w.s.FastForward(29 * time.Minute)
		r := w.post("/verify", map[string]any{})
		expectError(r, 400, "prove_rejected") // not no_session: the session is alive, Prove's flow is not
		Expect(r.ProveCode()).To(Equal(8008))
		w.s.FastForward(time.Minute)
		expectError(w.post("/verify", map[string]any{}), 409, "no_session")
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(HaveLen(1), "no Prove call without a session")
	})

	It("serializes concurrent calls of one session: one /v3/validate, the other call is a wrong_step", func() {
		w = newWorld(worldOptions{gated: true})
		w.initialize(testkit.Martina, "mobile")
		w.gate.Hold("/v3/validate")
		first := w.postAsync("/verify", map[string]any{})
		Eventually(w.gate.Arrived).WithTimeout(time.Minute).Should(Receive())
		// The first call holds the session while Prove (the gate) has not
		// answered: the second waits for it and must not reach Prove.
		second := w.postAsync("/verify", map[string]any{})
		Consistently(w.gate.Arrived).WithTimeout(100 * time.Millisecond).ShouldNot(Receive())
		w.gate.Release()
		var r1, r2 result
		Eventually(first).WithTimeout(time.Minute).Should(Receive(&r1))
		Eventually(second).WithTimeout(time.Minute).Should(Receive(&r2))
		Expect(r1.Status).To(Equal(200), "%s", r1)
		expectError(r2, 409, "wrong_step")
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(HaveLen(1))
	})
})

var _ = Describe("POST /finish (Prove Identity)", func() {
	var w *world
	BeforeEach(func() { w = newWorld(worldOptions{}) })

	It("needs a session", func() {
		expectError(w.post("/finish", martinaFinish), 409, "no_session")
	})

	It("is a wrong_step before /verify succeeded", func() {
		w.initialize(testkit.Martina, "mobile")
		r := w.post("/finish", martinaFinish)
		expectError(r, 409, "wrong_step")
		Expect(r.Message()).To(ContainSubstring("/verify"))
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/complete"})).To(BeEmpty())
	})

	It("verifies Martina: success, cipConfidence, reason codes, KYC with 0 hits; then the flow is over", func() {
		w.initialize(testkit.Martina, "mobile")
		w.verify()
		r := w.post("/finish", martinaFinish)
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Body).To(Equal(map[string]any{
			"success": true, "next": "done", "cipConfidence": "high", "reasonCodes": []any{"NA"},
			"kyc": map[string]any{"totalHits": float64(0), "amlTypes": []any{}},
		}))
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200", "/v3/validate 200", "/v3/complete 200"}))
		sent := w.lastRequest("/v3/complete")
		Expect(sent["individual"]).To(Equal(map[string]any{
			"firstName": "Martina", "lastName": "Goodram", "dob": "***", "ssn": "***",
			"emailAddresses": []any{"mgoodram0@nasa.gov"},
			"addresses":      []any{map[string]any{"address": "28965 Homewood Plaza", "city": "Little Rock", "region": "AR", "postalCode": "72204"}},
		}))
		expectError(w.post("/finish", martinaFinish), 409, "no_session")
	})

	It("sends only the names when that is all the page has", func() {
		w.initialize(testkit.Martina, "mobile")
		w.verify()
		r := w.post("/finish", map[string]any{"firstName": "  Martina ", "lastName": "Goodram"})
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(w.lastRequest("/v3/complete")["individual"]).To(Equal(map[string]any{"firstName": "Martina", "lastName": "Goodram"}))
	})

	It("reports a mismatching name as success false, next done", func() {
		w.initialize(testkit.Martina, "mobile")
		w.verify()
		r := w.post("/finish", map[string]any{"firstName": "Marina", "lastName": "Goodwin", "dob": "1995-07-26", "ssn": "490959347"})
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Bool("success")).To(BeFalse())
		Expect(r.Str("next")).To(Equal("done"))
		expectError(w.post("/finish", martinaFinish), 409, "no_session")
	})

	It("returns the KYC hits of Harold Whitcomb", func() {
		w.initialize(testkit.Harold, "mobile")
		Expect(w.verify().Str("next")).To(Equal("complete"))
		r := w.post("/finish", map[string]any{
			"firstName": "Harold", "lastName": "Whitcomb", "dob": "1958-08-21", "ssn": "900445566",
			"address": map[string]any{"address": "310 Harbor View Terrace", "city": "Annapolis", "region": "MD", "postalCode": "21401"},
		})
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Bool("success")).To(BeTrue())
		Expect(r.Body["kyc"]).To(Equal(map[string]any{"totalHits": float64(4), "amlTypes": []any{
			map[string]any{"amlType": "PEP", "listHits": float64(3)},
			map[string]any{"amlType": "Sanctions", "listHits": float64(1)},
		}}))
	})

	DescribeTable("refuses bad input with 400 naming the field; the flow goes on",
		func(body map[string]any, want string) {
			w.initialize(testkit.Martina, "mobile")
			w.verify()
			r := w.post("/finish", body)
			expectError(r, 400, "bad_request")
			Expect(r.Message()).To(ContainSubstring(want))
			Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/complete"})).To(BeEmpty())
			Expect(w.post("/finish", martinaFinish).Bool("success")).To(BeTrue())
		},
		Entry("firstName missing", map[string]any{"lastName": "Goodram"}, "field 'firstName' is required"),
		Entry("lastName blank", map[string]any{"firstName": "Martina", "lastName": "  "}, "field 'lastName' is required"),
		Entry("firstName too long", map[string]any{"firstName": strings.Repeat("M", 65), "lastName": "Goodram"}, "field 'firstName' must be at most 64"),
		Entry("dob not a date", map[string]any{"firstName": "Martina", "lastName": "Goodram", "dob": "1995-13-01"}, "field 'dob' must be a date as YYYY-MM-DD"),
		Entry("dob in the future", map[string]any{"firstName": "Martina", "lastName": "Goodram", "dob": "2030-01-01"}, "field 'dob' must be a date of birth"),
		Entry("ssn of 5 digits", map[string]any{"firstName": "Martina", "lastName": "Goodram", "ssn": "12345"}, "field 'ssn' must be 4 digits"),
		Entry("ssn with dashes", map[string]any{"firstName": "Martina", "lastName": "Goodram", "ssn": "490-95-9347"}, "field 'ssn'"),
		Entry("emailAddress", map[string]any{"firstName": "Martina", "lastName": "Goodram", "emailAddress": "martina"}, "field 'emailAddress' must be an email address"),
		Entry("address without city", map[string]any{"firstName": "Martina", "lastName": "Goodram",
			"address": map[string]any{"address": "28965 Homewood Plaza", "region": "AR", "postalCode": "72204"}}, "field 'address.city' is required"),
		Entry("address with a bad ZIP", map[string]any{"firstName": "Martina", "lastName": "Goodram",
			"address": map[string]any{"address": "28965 Homewood Plaza", "city": "Little Rock", "region": "AR", "postalCode": "7220"}}, "field 'address.postalCode'"),
		Entry("address with an unknown field", map[string]any{"firstName": "Martina", "lastName": "Goodram",
			"address": map[string]any{"address": "28965 Homewood Plaza", "city": "Little Rock", "region": "AR", "postalCode": "72204", "country": "US"}}, "field 'address.country' is not allowed"),
		Entry("dob a number", map[string]any{"firstName": "Martina", "lastName": "Goodram", "dob": 19950726}, "field 'dob' must be a string"),
	)

	It("maps a Prove 400 on /v3/complete to 400 prove_rejected and keeps the flow", func() {
		w.initialize(testkit.Martina, "mobile")
		w.verify()
		Expect(w.s.FailNext("/v3/complete", 400)).To(Succeed())
		r := w.post("/finish", martinaFinish)
		expectError(r, 400, "prove_rejected")
		Expect(r.ProveCode()).To(Equal(8001))
		Expect(r.Message()).To(Equal("We couldn't check the details you entered. Check them and try again."))
		Expect(w.post("/finish", martinaFinish).Bool("success")).To(BeTrue())
	})

	It("keeps the flow after a Prove 500 on /v3/complete, as the API document says", func() {
		w.initialize(testkit.Martina, "mobile")
		w.verify()
		Expect(w.s.FailNext("/v3/complete", 500)).To(Succeed())
		expectError(w.post("/finish", martinaFinish), 502, "prove_unavailable")
		Expect(w.post("/finish", martinaFinish).Bool("success")).To(BeTrue())
		expectError(w.post("/finish", martinaFinish), 409, "no_session")
	})

	It("refuses a masked SSN when nothing was pre-filled", func() {
		w.initialize(testkit.Martina, "mobile")
		w.verify()
		r := w.post("/finish", map[string]any{"firstName": "Martina", "lastName": "Goodram", "ssn": "*****9347"})
		expectError(r, 400, "bad_request")
		Expect(r.Message()).To(ContainSubstring("field 'ssn'"))
		Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/complete"})).To(BeEmpty())
	})
})

var _ = Describe("Pre-Fill (a prefill client)", func() {
	var w *world
	BeforeEach(func() { w = newWorld(worldOptions{clientID: "prefill-client", secret: "prefill-secret"}) })

	It("runs Milo's flow: verify → challenge (DOB) → individual → finish", func() {
		w.initialize(testkit.Milo, "mobile")
		v := w.verify()
		Expect(v.Body).To(Equal(map[string]any{"success": true, "phoneNumber": testkit.Milo, "next": "challenge", "challengeMissing": true}))

		r := w.post("/finish", map[string]any{"firstName": "Milo", "lastName": "Pinson"})
		expectError(r, 409, "wrong_step")
		Expect(r.Message()).To(ContainSubstring("/challenge"))

		ch := w.post("/challenge", map[string]any{"dob": "1981-01-17"})
		Expect(ch.Status).To(Equal(200), "%s", ch)
		Expect(ch.Body).To(Equal(map[string]any{"success": true, "next": "complete", "individual": map[string]any{
			"firstName": "Milo", "lastName": "Pinson",
			"addresses":      []any{map[string]any{"address": "6377 Birchwood Hill", "city": "Littleton", "region": "CO", "postalCode": "80161-2001"}},
			"emailAddresses": []any{"mpinsonm@dyndns.org"},
			"dob":            "1981-01-17", "ssn": "*****0596",
		}}))
		Expect(string(ch.Raw)).NotTo(ContainSubstring("847350596"), "the full SSN stays server-side")
		Expect(w.lastRequest("/v3/challenge")).To(HaveKeyWithValue("dob", "***"))
		expectError(w.post("/challenge", map[string]any{"dob": "1981-01-17"}), 409, "wrong_step")

		f := w.post("/finish", map[string]any{"firstName": "Milo", "lastName": "Pinson", "dob": "1981-01-17", "ssn": "*****0596",
			"address": map[string]any{"address": "6377 Birchwood Hill", "city": "Littleton", "region": "CO", "postalCode": "80161-2001"}})
		Expect(f.Status).To(Equal(200), "%s", f)
		Expect(f.Bool("success")).To(BeTrue())
		Expect(f.Str("cipConfidence")).To(Equal("high"))
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200", "/v3/validate 200", "/v3/challenge 200", "/v3/complete 200"}))
	})

	DescribeTable("sends Prove the full pre-filled SSN when the page keeps the masked one or sends none",
		func(ssn any) {
			w.initialize(testkit.Milo, "mobile")
			w.verify()
			Expect(w.post("/challenge", map[string]any{"ssn": "0596"}).Status).To(Equal(200))
			body := map[string]any{"firstName": "Milo", "lastName": "Pinson", "dob": "1981-01-17"}
			if ssn != nil {
				body["ssn"] = ssn
			}
			f := w.post("/finish", body)
			Expect(f.Status).To(Equal(200), "%s", f)
			// mockprove compares the SSN with Milo's: success means it got 847350596.
			Expect(f.Bool("success")).To(BeTrue())
			Expect(w.lastRequest("/v3/complete")["individual"]).To(HaveKeyWithValue("ssn", "***"), "an SSN was sent (masked in the journal)")
		},
		Entry("the masked SSN", "*****0596"),
		Entry("no SSN", nil),
	)

	It("sends the SSN the customer typed instead of the pre-filled one", func() {
		w.initialize(testkit.Milo, "mobile")
		w.verify()
		Expect(w.post("/challenge", map[string]any{"ssn": "0596"}).Status).To(Equal(200))
		f := w.post("/finish", map[string]any{"firstName": "Milo", "lastName": "Pinson", "ssn": "847350597"})
		Expect(f.Status).To(Equal(200), "%s", f)
		Expect(f.Bool("success")).To(BeFalse(), "mockprove got the typed (wrong) SSN")
	})

	It("refuses a masked SSN that is not the pre-filled one", func() {
		w.initialize(testkit.Milo, "mobile")
		w.verify()
		Expect(w.post("/challenge", map[string]any{"ssn": "0596"}).Status).To(Equal(200))
		expectError(w.post("/finish", map[string]any{"firstName": "Milo", "lastName": "Pinson", "ssn": "*****1234"}), 400, "bad_request")
		Expect(w.post("/finish", map[string]any{"firstName": "Milo", "lastName": "Pinson", "ssn": "*****0596"}).Bool("success")).To(BeTrue())
	})

	It("accepts the last 4 digits of the SSN as the challenge", func() {
		w.initialize(testkit.Milo, "mobile")
		w.verify()
		ch := w.post("/challenge", map[string]any{"ssn": "0596"})
		Expect(ch.Status).To(Equal(200), "%s", ch)
		Expect(ch.Str("next")).To(Equal("complete"))
	})

	It("ends the flow on a wrong DOB: success false, next done", func() {
		w.initialize(testkit.Milo, "mobile")
		w.verify()
		ch := w.post("/challenge", map[string]any{"dob": "1981-01-18"})
		Expect(ch.Status).To(Equal(200), "%s", ch)
		Expect(ch.Body).To(Equal(map[string]any{"success": false, "next": "done"}))
		expectError(w.post("/finish", map[string]any{"firstName": "Milo", "lastName": "Pinson"}), 409, "no_session")
	})

	DescribeTable("refuses a bad challenge with 400",
		func(body, want string) {
			w.initialize(testkit.Milo, "mobile")
			w.verify()
			r := w.send("/challenge", "application/json", body)
			expectError(r, 400, "bad_request")
			Expect(r.Message()).To(ContainSubstring(want))
			Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/challenge"})).To(BeEmpty())
		},
		Entry("neither", `{}`, "At least one of the fields 'dob' and 'ssn' is required"),
		Entry("dob not ISO", `{"dob":"01/17/1981"}`, "field 'dob' must be a date as YYYY-MM-DD"),
		Entry("ssn of 2 digits", `{"ssn":"12"}`, "field 'ssn' must be 4 digits"),
		Entry("unknown field", `{"dob":"1981-01-17","name":"Milo"}`, "field 'name' is not allowed"),
	)

	It("is a wrong_step in a Prove Identity flow", func() {
		w = newWorld(worldOptions{})
		w.initialize(testkit.Martina, "mobile")
		w.verify()
		r := w.post("/challenge", map[string]any{"dob": "1995-07-26"})
		expectError(r, 409, "wrong_step")
		Expect(r.Message()).To(ContainSubstring("/finish"))
	})

	It("waits for a slow /v3/validate (held until the test releases it) and still works", func() {
		w = newWorld(worldOptions{clientID: "prefill-client", secret: "prefill-secret", gated: true})
		w.initialize(testkit.Milo, "mobile")
		w.gate.Hold("/v3/validate")
		answer := w.postAsync("/verify", map[string]any{})
		Eventually(w.gate.Arrived).WithTimeout(time.Minute).Should(Receive(Equal("/v3/validate")))
		Expect(answer).NotTo(Receive(), "no answer while Prove has not answered")
		w.gate.Release()
		var r result
		Eventually(answer).WithTimeout(time.Minute).Should(Receive(&r))
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Str("next")).To(Equal("challenge"))
	})
})

var _ = Describe("possession checks done by the browser (simulated over HTTP)", func() {
	It("mobile: OTP 1234, then verify and finish for Jordan Ellis", func() {
		w := newWorld(worldOptions{})
		tok := w.initialize(testkit.Jordan, "mobile")
		w.passOTP(tok)
		v := w.verify()
		Expect(v.Body).To(Equal(map[string]any{"success": true, "phoneNumber": testkit.Jordan, "next": "complete", "challengeMissing": false}))
		f := w.post("/finish", map[string]any{"firstName": "Jordan", "lastName": "Ellis", "dob": "1988-03-21", "ssn": "900030039"})
		Expect(f.Status).To(Equal(200), "%s", f)
		Expect(f.Bool("success")).To(BeTrue())
		Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200", "/v3/validate 200", "/v3/complete 200"}))
	})

	It("desktop: the Instant Link lands on flowapp's /landing, then verify succeeds", func() {
		w := newWorld(worldOptions{})
		tok := w.initialize(testkit.Jordan, "desktop")
		Expect(w.device(tok, "/v1/client/mobile/instantlink/start", `{}`)).NotTo(HaveKey("error"))
		sessions := w.s.Sessions()
		Expect(sessions).To(HaveLen(1))
		loc, err := w.s.ClickInstantLink(sessions[0].CorrelationID)
		Expect(err).NotTo(HaveOccurred())
		Expect(loc).To(HavePrefix(w.app.URL() + "/landing"))

		landing := w.get(strings.TrimPrefix(loc, w.app.URL()))
		Expect(landing.Status).To(Equal(200))
		Expect(landing.Header.Get("Content-Type")).To(HavePrefix("text/html"))

		Expect(w.verify().Str("next")).To(Equal("complete"))
	})
})

var _ = Describe("logs", func() {
	It("never hold an SSN or a date of birth in clear", func() {
		w := newWorld(worldOptions{clientID: "prefill-client", secret: "prefill-secret"})
		w.initialize(testkit.Milo, "mobile")
		w.verify()
		Expect(w.post("/challenge", map[string]any{"dob": "1981-01-17"}).Status).To(Equal(200))
		Expect(w.s.FailNext("/v3/complete", 400)).To(Succeed())
		body := map[string]any{"firstName": "Milo", "lastName": "Pinson", "dob": "1981-01-17", "ssn": "847350596"}
		expectError(w.post("/finish", body), 400, "prove_rejected")
		Expect(w.post("/finish", body).Bool("success")).To(BeTrue())

		logs := w.logs.String()
		Expect(logs).To(ContainSubstring("flow started"))
		Expect(logs).To(ContainSubstring("path=/finish status=400"))
		Expect(logs).To(ContainSubstring("proveCode=8001"))
		for _, secret := range []string{"847350596", "1981-01-17"} {
			Expect(logs).NotTo(ContainSubstring(secret))
		}
		Expect(logs).NotTo(ContainSubstring(testkit.Milo), "phone numbers are masked")
		Expect(logs).To(ContainSubstring("******1695"))
	})

	It("hold no phone number and none of Prove's text on the 8007 path", func() {
		w := newWorld(worldOptions{})
		expectError(w.post("/initialize", map[string]any{"phoneNumber": testkit.Nobody, "flowType": "mobile"}), 400, "prove_rejected")
		expectError(w.post("/initialize", map[string]any{"phoneNumber": "+1" + testkit.Nobody, "flowType": "mobile"}), 400, "prove_rejected")
		logs := w.logs.String()
		Expect(logs).To(ContainSubstring("level=WARN msg=\"request failed\" path=/initialize status=400 code=prove_rejected proveCode=8007 op=/v3/start proveStatus=400"))
		Expect(logs).NotTo(ContainSubstring(testkit.Nobody))
		Expect(logs).NotTo(MatchRegexp(`[0-9]{7,}`), "no run of 7 or more digits")
		Expect(logs).NotTo(ContainSubstring("test user"), "Prove's message is not logged")
	})

	It("hold no phone number, correlationId-bearing text or Prove's message on the 8008 path", func() {
		w := newWorld(worldOptions{})
		w.initialize(testkit.Martina, "mobile")
		id := w.correlationID()
		w.s.Reset()
		expectError(w.post("/verify", map[string]any{}), 400, "prove_rejected")
		w.initialize(testkit.Martina, "mobile")
		w.s.FastForward(16 * time.Minute)
		expectError(w.post("/verify", map[string]any{}), 400, "prove_rejected")
		logs := w.logs.String()
		Expect(logs).To(ContainSubstring("code=prove_rejected proveCode=8008 op=/v3/validate proveStatus=400"))
		Expect(logs).NotTo(ContainSubstring(testkit.Martina))
		Expect(logs).NotTo(MatchRegexp(`[0-9]{7,}`))
		Expect(logs).NotTo(ContainSubstring("is not a flow of this client"), "Prove's message is not logged")
		Expect(logs).NotTo(ContainSubstring("expired at"))
		Expect(logs).To(ContainSubstring("correlationId="+id), "flowapp logs the correlationId itself, for support")
	})

	It("mask any run of 7 or more digits, whatever was logged", func() {
		w := newWorld(worldOptions{})
		w.initialize(testkit.Martina, "mobile")
		Expect(w.post("/verify", map[string]any{"authId": "call 2001004000 or 5551234567890"}).Status).To(Equal(200))
		logs := w.logs.String()
		Expect(logs).To(ContainSubstring(`authId="call ********** or *************"`))
		Expect(logs).NotTo(MatchRegexp(`[0-9]{7,}`))
	})
})

package mockprove_test

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

// padTo pads a JSON object with spaces before its closing brace until it is
// exactly n bytes long.
func padTo(obj string, n int) string {
	Expect(len(obj)).To(BeNumerically("<=", n))
	return obj[:len(obj)-1] + strings.Repeat(" ", n-len(obj)) + "}"
}

var _ = Describe("bad input", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory().login(identityID, identitySecret)
	})

	DescribeTable("POST /v3/start answers 400 code 8001 with a message naming the problem",
		func(contentType, body, msg string) {
			r := c.send(http.MethodPost, "/v3/start", contentType, body)
			expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, msg)
			Expect(r.Body).To(HaveLen(2), "only code and message: %s", r.Raw)
		},
		Entry("a body over 4 KB", "application/json",
			padTo(`{"flowType":"mobile","phoneNumber":"2001001695"}`, mockprove.MaxBodyBytes+1),
			"request body must be under 4 KB (at most 4096 bytes)"),
		Entry("a body of 1 MB", "application/json", `{"smsMessage":"`+strings.Repeat("x", 1<<20)+`"}`,
			"request body must be under 4 KB"),
		Entry("malformed JSON", "application/json", `{"flowType":"mobile"`, "request body is not valid JSON"),
		Entry("JSON with trailing data", "application/json", `{"flowType":"mobile","phoneNumber":"2001001695"} {}`,
			"request body is not valid JSON"),
		Entry("no body", "application/json", "", "request body is missing"),
		Entry("JSON null", "application/json", "null", "request body must be an object"),
		Entry("a JSON array", "application/json", `[{"flowType":"mobile"}]`, "request body must be an object"),
		Entry("a JSON string", "application/json", `"mobile"`, "request body must be an object"),
		Entry("a form", "application/x-www-form-urlencoded", "flowType=mobile&phoneNumber=2001001695",
			"Content-Type must be application/json"),
		Entry("text/plain", "text/plain", `{"flowType":"mobile","phoneNumber":"2001001695"}`,
			"Content-Type must be application/json"),
		Entry("no Content-Type", "", `{"flowType":"mobile","phoneNumber":"2001001695"}`,
			"Content-Type must be application/json"),
		Entry("a field of the wrong type", "application/json", `{"flowType":"mobile","phoneNumber":"2001001695","allowOTPRetry":1}`,
			"field 'allowOTPRetry' must be a boolean"),
		Entry("an unknown field", "application/json", `{"flowType":"mobile","phoneNumber":"2001001695","firstName":"Milo"}`,
			"field 'firstName' is not allowed"),
		Entry("a missing field", "application/json", `{"phoneNumber":"2001001695"}`, "field 'flowType' is missing"),
		Entry("a field too long", "application/json", `{"flowType":"mobile","phoneNumber":"2001001695","smsMessage":"`+
			strings.Repeat("#", 161)+`"}`, "field 'smsMessage' must be at most 160 characters"),
	)

	It("accepts a body of exactly 4096 bytes", func() {
		body := padTo(`{"flowType":"mobile","phoneNumber":"2001001695"}`, mockprove.MaxBodyBytes)
		Expect(body).To(HaveLen(4096))
		r := c.send(http.MethodPost, "/v3/start", "application/json", body)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
	})

	It("accepts application/json with a charset", func() {
		r := c.send(http.MethodPost, "/v3/start", "application/json; charset=utf-8", `{"flowType":"mobile","phoneNumber":"2001001695"}`)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
	})

	It("refuses a body over 4 KB on /token too, before looking at credentials", func() {
		r := c.send(http.MethodPost, "/token", "application/x-www-form-urlencoded",
			"grant_type=client_credentials&client_id=identity-client&client_secret=identity-secret&scope="+strings.Repeat("a", 4096))
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "under 4 KB")
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("limit.body"))
	})

	// Whatever arrives, the answer is a 4xx in Prove's shape, never a 500.
	garbage := []string{
		``, `{`, `}`, `[]`, `[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]`, `0`, `-1e999`, `true`, `"x"`, `null`,
		`{"correlationId":null}`, `{"correlationId":{}}`, `{"correlationId":[]}`, `{"correlationId":1e400}`,
		`{"correlationId":"` + strings.Repeat("9", 65) + `"}`, `{"correlationId":"\u0000"}`,
		`{"correlationId":"x","individual":{"addresses":[null]}}`, `{"correlationId":"x","individual":{"addresses":{}}}`,
		`{"correlationId":"x","individual":{"emailAddresses":[1,2]}}`, `{"correlationId":"x","dob":"9999-99-99"}`,
		`{"flowType":"desktop","phoneNumber":"+1","finalTargetUrl":"javascript:alert(1)"}`,
		`{"flowType":"mobile","phoneNumber":"+999999999999999"}`, `{"flowType":"mobile","phoneNumber":"2001001695","ssn":"\ud800"}`,
		`{"flowType":"mobile","flowType":"desktop"}`, "\xff\xfe{}", `{"a":` + strings.Repeat(`{"a":`, 500) + `1` + strings.Repeat(`}`, 501),
	}
	for _, path := range []string{"/v3/start", "/v3/validate", "/v3/challenge", "/v3/complete"} {
		It("never answers 500 to garbage on "+path, func() {
			c.login(prefillID, prefillSecret)
			for _, body := range garbage {
				for _, ct := range []string{"application/json", "text/plain", ""} {
					r := c.send(http.MethodPost, path, ct, body)
					Expect(r.Status).To(BeNumerically(">=", 400), "%s %q", ct, body)
					Expect(r.Status).To(BeNumerically("<", 500), "%s %q: %s", ct, body, r.Raw)
					Expect(r.Code()).To(BeElementOf(mockprove.CodeMalformed, mockprove.CodeInvalidCorrelation, mockprove.CodeUserNotFound),
						"%s %q: %s", ct, body, r.Raw)
					Expect(r.Message()).NotTo(BeEmpty())
				}
			}
		})
	}
})

var _ = Describe("routes", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory().login(identityID, identitySecret)
	})

	DescribeTable("answers an unknown path under /v3/ with 403, as Prove's gateway does",
		func(method, path string) {
			r := c.send(method, path, "application/json", `{}`)
			expectError(r, http.StatusForbidden, mockprove.CodeMalformed, "no such endpoint: "+method+" "+path)
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("route"))
			Expect(r.Header.Get("X-Mockprove-Step")).To(Equal(path))
		},
		Entry("the token under /v3", http.MethodPost, "/v3/token"),
		Entry("an unknown step", http.MethodPost, "/v3/mfa"),
		Entry("a trailing slash", http.MethodPost, "/v3/start/"),
	)

	DescribeTable("answers any other unknown path with 404 code 8001",
		func(method, path string) {
			r := c.send(method, path, "application/json", `{}`)
			expectError(r, http.StatusNotFound, mockprove.CodeMalformed, "no such endpoint: "+method+" "+path)
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("route"))
		},
		Entry("a page beside the start page (GET / is a page, home.go)", http.MethodGet, "/index.html"),
		Entry("a health path beside GET /healthz", http.MethodGet, "/health"),
		Entry("another version", http.MethodPost, "/v2/start"),
	)

	DescribeTable("answers a wrong method with 405 code 8001 and an Allow header",
		func(method, path, allow string) {
			r := c.send(method, path, "application/json", `{}`)
			expectError(r, http.StatusMethodNotAllowed, mockprove.CodeMalformed,
				fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", method, path, allow))
			Expect(r.Header.Get("Allow")).To(Equal(allow))
		},
		Entry(nil, http.MethodGet, "/v3/start", "POST"),
		Entry(nil, http.MethodPut, "/v3/validate", "POST"),
		Entry(nil, http.MethodDelete, "/v3/challenge", "POST"),
		Entry(nil, http.MethodPatch, "/v3/complete", "POST"),
		Entry(nil, http.MethodPut, "/token", "POST"),
		Entry(nil, http.MethodPatch, "/v3/identity", "GET, POST"),
		Entry(nil, http.MethodPost, "/", "GET"),
		Entry(nil, http.MethodPost, "/healthz", "GET"),
	)
})

var _ = Describe("rate limit", func() {
	It("is off by default", func() {
		c := inMemory().login(identityID, identitySecret)
		for i := range 60 {
			Expect(c.startWith(map[string]any{"phoneNumber": testkit.Milo}).Status).To(Equal(http.StatusOK), "request %d", i)
		}
	})

	Context("with Options.RateLimit 3", func() {
		var c *client

		BeforeEach(func() {
			c = inMemory(mockprove.Options{RateLimit: 3}).login(identityID, identitySecret)
			c.srv.FastForward(time.Second) // the token request counted in the previous second
		})

		It("answers 429 with Retry-After over the limit, and lets requests through the next second", func() {
			for range 3 {
				Expect(c.startWith(map[string]any{"phoneNumber": testkit.Milo}).Status).To(Equal(http.StatusOK))
			}
			r := c.startWith(map[string]any{"phoneNumber": testkit.Milo})
			expectError(r, http.StatusTooManyRequests, mockprove.CodeInternal, "rate limit of 3 requests per second exceeded")
			Expect(r.Header.Get("Retry-After")).To(Equal("1"))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("ratelimit"))

			c.srv.FastForward(time.Second)
			Expect(c.startWith(map[string]any{"phoneNumber": testkit.Milo}).Status).To(Equal(http.StatusOK))
		})

		It("counts each client on its own", func() {
			other := c.as(prefillID, prefillSecret)
			for range 3 {
				Expect(c.validate("nope").Status).To(Equal(http.StatusBadRequest))
			}
			Expect(c.validate("nope").Status).To(Equal(http.StatusTooManyRequests))
			// prefill-client spent one request on its token in this second.
			Expect(other.validate("nope").Status).To(Equal(http.StatusBadRequest))
			Expect(other.validate("nope").Status).To(Equal(http.StatusBadRequest))
			Expect(other.validate("nope").Status).To(Equal(http.StatusTooManyRequests))
		})

		It("counts token requests too", func() {
			for range 3 {
				Expect(c.token(identityID, identitySecret).Status).To(Equal(http.StatusOK))
			}
			r := c.token(identityID, identitySecret)
			expectError(r, http.StatusTooManyRequests, mockprove.CodeInternal, "rate limit")
			Expect(r.Header.Get("Retry-After")).To(Equal("1"))
		})

		It("does not count requests that fail authentication", func() {
			c.bearer = "forged"
			for range 5 {
				Expect(c.validate("nope").Status).To(Equal(http.StatusUnauthorized))
			}
		})
	})
})

var _ = Describe("persona errors (2009990010-2009990019)", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory()
	})

	// expectPersonaError checks the answer against the persona's own entry
	// in specs/personas.yaml.
	expectPersonaError := func(r result, phone, step string) {
		GinkgoHelper()
		p := personaByPhone(phone)
		Expect(p.Errors).To(HaveLen(1))
		e := p.Errors[0]
		Expect(e.Step).To(Equal(step))
		Expect(r.Status).To(Equal(e.Status), string(r.Raw))
		Expect(r.Body).To(Equal(map[string]any{"code": float64(e.Code), "message": e.Message}))
		Expect(r.Header.Get("X-Mockprove-Persona")).To(Equal(phone))
		Expect(r.Header.Get("X-Mockprove-Step")).To(Equal(step))
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("persona.errors"))
	}

	DescribeTable("/v3/start answers with the persona's error",
		func(id, secret, phone string, status, code int) {
			c.login(id, secret)
			r := c.startWith(map[string]any{"phoneNumber": phone})
			expectPersonaError(r, phone, "/v3/start")
			Expect(r.Status).To(Equal(status))
			Expect(r.Code()).To(Equal(code))
			if status == http.StatusTooManyRequests {
				Expect(r.Header.Get("Retry-After")).To(Equal("1"))
			}
		},
		Entry("Owen: 500 code 8000", identityID, identitySecret, "2009990010", 500, mockprove.CodeInternal),
		Entry("Caleb: 429 code 8000", identityID, identitySecret, "2009990014", 429, mockprove.CodeInternal),
		Entry("Julian: 400 code 8001", prefillID, prefillSecret, "2009990016", 400, mockprove.CodeMalformed),
		Entry("Hannah: 403 code 8009 (identity client)", identityID, identitySecret, "2009990019", 403, mockprove.CodeAccessDenied),
		Entry("Hannah: 403 code 8009 (prefill client)", prefillID, prefillSecret, "2009990019", 403, mockprove.CodeAccessDenied),
	)

	DescribeTable("/v3/validate answers with the persona's error, every time, and the flow stays where it was",
		func(phone string, status, code int) {
			c.login(identityID, identitySecret)
			id := c.start(phone)
			for range 2 {
				r := c.validate(id)
				expectPersonaError(r, phone, "/v3/validate")
				Expect(r.Status).To(Equal(status))
				Expect(r.Code()).To(Equal(code))
			}
			expectError(c.complete(id, individualOf(phone)), http.StatusForbidden, mockprove.CodeOutOfOrder, "allowed: v3-validate")
		},
		Entry("Grace: 500 code 8000", "2009990011", 500, mockprove.CodeInternal),
		Entry("Nadia: 401 code 8002", "2009990015", 401, mockprove.CodeUnauthorized),
		Entry("Victor: 400 code 8008", "2009990018", 400, mockprove.CodeInvalidCorrelation),
	)

	It("/v3/challenge answers with Samuel's (2009990012) 500 code 8000", func() {
		c.login(prefillID, prefillSecret)
		id := c.validated("2009990012")
		r := c.challenge(id, map[string]any{"dob": "1975-03-26"})
		expectPersonaError(r, "2009990012", "/v3/challenge")
		Expect(r.Status).To(Equal(http.StatusInternalServerError))
		Expect(r.Code()).To(Equal(mockprove.CodeInternal))
	})

	DescribeTable("/v3/complete answers with the persona's error",
		func(phone string, status, code int) {
			c.login(identityID, identitySecret)
			r := c.complete(c.validated(phone), individualOf(phone))
			expectPersonaError(r, phone, "/v3/complete")
			Expect(r.Status).To(Equal(status))
			Expect(r.Code()).To(Equal(code))
		},
		Entry("Elise: 500 code 8000", "2009990013", 500, mockprove.CodeInternal),
		Entry("Imani: 403 code 8003", "2009990017", 403, mockprove.CodeOutOfOrder),
	)

	It("leaves the other steps of such a persona alone", func() {
		c.login(identityID, identitySecret)
		// Elise fails only at complete; Grace only at validate.
		Expect(c.validate(c.start("2009990013")).Body).To(HaveKeyWithValue("success", true))
		Expect(c.startWith(map[string]any{"phoneNumber": "2009990011"}).Status).To(Equal(http.StatusOK))
	})
})

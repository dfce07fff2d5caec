package mockprove_test

import (
	"net/http"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

var _ = Describe("POST /v3/start", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory().login(prefillID, prefillSecret)
	})

	It("opens a flow: authToken, a UUID v4 correlationId and next v3-validate", func() {
		r := c.startWith(map[string]any{"phoneNumber": testkit.Milo})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(r.Body).To(HaveLen(3))
		Expect(r.Str("correlationId")).To(MatchRegexp(uuidV4.String()))
		Expect(r.Next()).To(Equal(next("v3-validate")))
		Expect(r.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Milo))
		Expect(r.Header.Get("X-Mockprove-Step")).To(Equal("/v3/start"))
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("start"))
	})

	It("returns an authToken JWT that expires 15 minutes after start", func() {
		c.srv.FastForward(3 * time.Minute)
		r := c.startWith(map[string]any{"phoneNumber": testkit.Milo})
		header, claims := decodeJWT(r.Str("authToken"))
		Expect(header).To(HaveKeyWithValue("alg", "HS256"))
		Expect(claims).To(HaveKeyWithValue("iat", BeNumerically("==", testkit.T0.Add(3*time.Minute).Unix())))
		Expect(claims).To(HaveKeyWithValue("exp", BeNumerically("==", testkit.T0.Add(18*time.Minute).Unix())))
		Expect(claims).To(HaveKeyWithValue("rid", r.Str("correlationId")))
		Expect(claims).To(HaveKeyWithValue("iss", memBase))
		auth, _ := claims["auth"].(map[string]any)
		Expect(auth).To(HaveKeyWithValue("endp", memBase))
		Expect(auth).To(HaveKeyWithValue("next", "mobile/otp"))
	})

	It("hands out a new correlationId per flow", func() {
		seen := map[string]bool{}
		for range 10 {
			id := c.start(testkit.Milo)
			Expect(seen).NotTo(HaveKey(id))
			seen[id] = true
		}
	})

	It("repeats its correlationIds for the same Options.Seed", func() {
		a := inMemory(mockprove.Options{Seed: 99}).login(prefillID, prefillSecret)
		b := inMemory(mockprove.Options{Seed: 99}).login(prefillID, prefillSecret)
		Expect(a.start(testkit.Milo)).To(Equal(b.start(testkit.Milo)))
	})

	It("never repeats a correlationId after a Reset, without a seed (defect 5)", func() {
		s, err := mockprove.New(mockprove.Options{Clock: mockprove.NewFrozenClock(testkit.T0)})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		c := newClient(s, s.HTTPClient().Transport, memBase).login(prefillID, prefillSecret)
		before := c.start(testkit.Milo)
		s.Reset()
		c = c.login(prefillID, prefillSecret)
		Expect(c.start(testkit.Milo)).NotTo(Equal(before))
	})

	It("accepts the phone number with a leading +1", func() {
		r := c.startWith(map[string]any{"phoneNumber": "+1" + testkit.Milo})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(r.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Milo))
		v := c.validate(r.Str("correlationId"))
		Expect(v.Body).To(HaveKeyWithValue("phoneNumber", testkit.Milo))
	})

	It("starts a desktop flow (Instant Link) when finalTargetUrl is given", func() {
		r := c.startWith(map[string]any{"flowType": "desktop", "phoneNumber": testkit.Milo,
			"finalTargetUrl": "https://www.example.com/landing-page"})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(r.Next()).To(Equal(next("v3-validate")))
		_, claims := decodeJWT(r.Str("authToken"))
		Expect(claims["auth"]).To(HaveKeyWithValue("next", "mobile/instantlink"))
	})

	It("accepts every documented optional field", func() {
		r := c.startWith(map[string]any{
			"phoneNumber": testkit.Milo, "emailAddress": "mpinsonm@dyndns.org", "ipAddress": "10.0.0.1",
			"dob": "1981-01", "ssn": "0596", "allowOTPRetry": true,
			"smsMessage": "#### is your temporary code to continue your application.",
		})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
	})

	DescribeTable("refuses a bad request with 400 code 8001 naming the field",
		func(body string, msg string) {
			r := c.send(http.MethodPost, "/v3/start", "application/json", body)
			expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, msg)
		},
		Entry("desktop without finalTargetUrl", `{"flowType":"desktop","phoneNumber":"2001001695"}`,
			"field 'finalTargetUrl' is required when flowType is desktop"),
		Entry("an unknown flowType", `{"flowType":"tablet","phoneNumber":"2001001695"}`,
			"field 'flowType' must be one of: desktop, mobile"),
		Entry("no flowType", `{"phoneNumber":"2001001695"}`, "field 'flowType' is missing"),
		Entry("no phoneNumber", `{"flowType":"mobile"}`, "field 'phoneNumber' is missing"),
		Entry("letters in phoneNumber", `{"flowType":"mobile","phoneNumber":"20010O1695"}`,
			"field 'phoneNumber' has an invalid format"),
		Entry("phoneNumber as a number", `{"flowType":"mobile","phoneNumber":2001001695}`,
			"field 'phoneNumber' must be a string"),
		Entry("a dob in another format", `{"flowType":"mobile","phoneNumber":"2001001695","dob":"01/17/1981"}`,
			"field 'dob' has an invalid format"),
		Entry("an ssn of 5 digits", `{"flowType":"mobile","phoneNumber":"2001001695","ssn":"50596"}`,
			"field 'ssn' has an invalid format"),
		Entry("a long finalTargetUrl", `{"flowType":"desktop","phoneNumber":"2001001695","finalTargetUrl":"https://example.com/`+
			string(make129('a'))+`"}`, "field 'finalTargetUrl' must be at most 128 characters"),
		Entry("allowOTPRetry as a string", `{"flowType":"mobile","phoneNumber":"2001001695","allowOTPRetry":"yes"}`,
			"field 'allowOTPRetry' must be a boolean"),
	)

	It("answers 400 code 8007 for a number that is no test user", func() {
		r := c.startWith(map[string]any{"phoneNumber": testkit.Nobody})
		expectError(r, http.StatusBadRequest, mockprove.CodeUserNotFound, "no test user found matching the phone number "+testkit.Nobody)
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("persona.unknown"))
	})

	DescribeTable("answers 403 code 8009 when the persona's products exclude the client's",
		func(id, secret, phone, msg string) {
			c.login(id, secret)
			r := c.startWith(map[string]any{"phoneNumber": phone})
			expectError(r, http.StatusForbidden, mockprove.CodeAccessDenied, msg)
			Expect(r.Header.Get("X-Mockprove-Persona")).To(Equal(phone))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("persona.products"))
		},
		Entry("Martina (identity) with a Pre-Fill client", prefillID, prefillSecret, testkit.Martina,
			"2001004000 is not a prefill test user (products: identity)"),
		Entry("Theo (prefill) with an Identity client", identityID, identitySecret, "2009990006",
			"(products: prefill)"),
		Entry("Rosa (identity) with a Pre-Fill client", prefillID, prefillSecret, "2009990007",
			"is not a prefill test user"),
	)

	It("words the 8009 message correctly for an Identity client", func() {
		c.login(identityID, identitySecret)
		r := c.startWith(map[string]any{"phoneNumber": "2009990006"})
		expectError(r, http.StatusForbidden, mockprove.CodeAccessDenied, "2009990006 is not an identity test user")
	})

	DescribeTable("lets each product start its own personas",
		func(id, secret, phone string) {
			c.login(id, secret)
			Expect(c.startWith(map[string]any{"phoneNumber": phone}).Status).To(Equal(http.StatusOK))
		},
		Entry("Martina with an Identity client", identityID, identitySecret, testkit.Martina),
		Entry("Milo with an Identity client", identityID, identitySecret, testkit.Milo),
		Entry("Milo with a Pre-Fill client", prefillID, prefillSecret, testkit.Milo),
		Entry("Theo with a Pre-Fill client", prefillID, prefillSecret, "2009990006"),
		Entry("a non-short-term persona", identityID, identitySecret, testkit.Benji),
	)
})

// make129 is 129 copies of b (one more than finalTargetUrl allows in all).
func make129(b byte) []byte {
	out := make([]byte, 129)
	for i := range out {
		out[i] = b
	}
	return out
}

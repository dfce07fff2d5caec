package mockprove_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// The possession-era /v3/verify (possessionType) and /v3/verify-status that
// Prove's previous Node SDK still sends, over HTTP, every response checked
// against the spec (the client's spec transports).

func possessionBody(phone, possessionType string, extra ...map[string]any) map[string]any {
	b := map[string]any{"phoneNumber": phone, "possessionType": possessionType, "firstName": "Elena", "lastName": "Coldman"}
	for _, x := range extra {
		for k, v := range x {
			b[k] = v
		}
	}
	return b
}

// stateOf is the state of a flow or verification session.
func stateOf(c *client, id string) string {
	GinkgoHelper()
	sess, ok := c.srv.Session(id)
	Expect(ok).To(BeTrue(), "session %s is known", id)
	return sess.State
}

var _ = Describe("Verify, the possession-era body", func() {
	var c *client
	BeforeEach(func() { c = inMemory().login(unifyID, unifySecret) })

	// pending starts a possession-era verification and checks the answer.
	pending := func(body map[string]any) (correlationID, authToken string) {
		GinkgoHelper()
		r := c.post("/v3/verify", body)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(r.Raw).To(ContainSubstring(`"success":"pending"`), "strings, not booleans")
		Expect(r.Body).To(HaveKeyWithValue("possessionResult", "pending"))
		Expect(r.Body).To(HaveKeyWithValue("verifyResult", "pending"))
		Expect(r.Str("correlationId")).To(MatchRegexp(uuidRE))
		Expect(r.Str("authToken")).NotTo(BeEmpty())
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("verify.possession.pending"))
		return r.Str("correlationId"), r.Str("authToken")
	}
	status := func(id string) result {
		GinkgoHelper()
		r := c.post("/v3/verify-status", map[string]any{"correlationId": id, "clientRequestId": "req-2"})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		return r
	}
	expectStatus := func(r result, success, possession, verify string) {
		GinkgoHelper()
		Expect(r.Body).To(HaveKeyWithValue("success", success), string(r.Raw))
		Expect(r.Body).To(HaveKeyWithValue("possessionResult", possession), string(r.Raw))
		Expect(r.Body).To(HaveKeyWithValue("verifyResult", verify), string(r.Raw))
	}
	proveIDOf := func(phone string) string {
		GinkgoHelper()
		r := c.post("/v3/verify", verifyBody(phone, "identityResolution"))
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		return r.Str("proveId")
	}

	It("runs a mobile verification: pending, the SDK's OTP, then \"true\"/success/success with identityId", func() {
		id, token := pending(possessionBody(mockprove.PhoneElenaColdman, "mobile", map[string]any{"clientCustomerId": "cust-7"}))
		_, claims := decodeJWT(token)
		Expect(claims["auth"]).To(HaveKeyWithValue("next", "mobile/otp"), "the web SDK starts with OTP")

		expectStatus(status(id), "pending", "pending", "pending")

		Expect(c.srv.PassOTP(token)).To(Succeed())
		r := status(id)
		expectStatus(r, "true", "success", "success")
		Expect(r.Raw).To(ContainSubstring(`"success":"true"`))
		Expect(r.Str("identityId")).To(Equal(proveIDOf(mockprove.PhoneElenaColdman)), "one person id across Verify's bodies")
		Expect(r.Map("evaluation")).To(HaveKeyWithValue("authentication", map[string]any{"result": "pass"}))

		again := status(id)
		Expect(again.Raw).To(MatchJSON(r.Raw), "the result stays the same")
		Expect(again.Header.Get("X-Mockprove-Rule")).To(Equal("verify-status.final"))
		Expect(stateOf(c, id)).To(Equal(mockprove.StateCompleted))
		sess, _ := c.srv.Session(id)
		var rules []string
		for _, st := range sess.Steps {
			rules = append(rules, st.Step+" "+st.Rule)
		}
		Expect(rules).To(Equal([]string{"/v3/verify verify.possession.pending", "/v3/verify-status verify-status.pending",
			"/v3/verify-status verify.pass", "/v3/verify-status verify-status.final"}))
	})

	It("runs a desktop verification with an Instant Link and needs finalTargetUrl", func() {
		r := c.do(c.request(http.MethodPost, "/v3/verify", "application/json", mustJSON(possessionBody(mockprove.PhoneElenaColdman, "desktop"))))
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "field 'finalTargetUrl' is required when possessionType is desktop")

		id, token := pending(possessionBody(mockprove.PhoneElenaColdman, "desktop", map[string]any{"finalTargetUrl": "https://example.com/done"}))
		to, err := c.srv.PassInstantLink(token)
		Expect(err).NotTo(HaveOccurred())
		Expect(to).To(HavePrefix("https://example.com/done?"))
		expectStatus(status(id), "true", "success", "success")
	})

	It("answers possessionType none at once: \"true\"/not_applicable/success, and the same from verify-status", func() {
		r := c.post("/v3/verify", possessionBody(mockprove.PhoneElenaColdman, "none"))
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		expectStatus(r, "true", "not_applicable", "success")
		Expect(r.Body).NotTo(HaveKey("authToken"))
		st := status(r.Str("correlationId"))
		expectStatus(st, "true", "not_applicable", "success")
		Expect(st.Str("identityId")).To(MatchRegexp(uuidRE))

		fail := c.post("/v3/verify", possessionBody(mockprove.PhoneAlfNovotni, "none", map[string]any{"firstName": "Alf", "lastName": "Novotni"}))
		expectStatus(fail, "false", "not_applicable", "failed")
		auth := fail.Map("evaluation")["authentication"].(map[string]any)
		Expect(auth["failureReasons"]).To(HaveKey("9175"))
	})

	It("fails the verification of a name that does not match once possession passed", func() {
		id, token := pending(possessionBody(mockprove.PhoneElenaColdman, "mobile", map[string]any{"lastName": "Smith"}))
		Expect(c.srv.PassOTP(token)).To(Succeed())
		r := status(id)
		expectStatus(r, "false", "success", "failed")
		Expect(r.Body).NotTo(HaveKey("identityId"))
		Expect(r.Map("evaluation")["identification"]).To(HaveKeyWithValue("failureReasons", HaveKey("9013")))
	})

	It("answers failure values when the OTP check fails", func() {
		id, token := pending(possessionBody(mockprove.PhoneElenaColdman, "mobile"))
		a, err := c.srv.FailOTP(token)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Error).NotTo(BeNil())
		r := status(id)
		expectStatus(r, "false", "failed", "not_applicable")
		Expect(r.Map("evaluation")["authentication"]).To(HaveKeyWithValue("failureReasons", HaveKey("9100")))
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("verify-status.possession-failed"))
		Expect(stateOf(c, id)).To(Equal(mockprove.StateFailed))
	})

	It("times out on the virtual clock: the Instant Link after 3 minutes, the session after 15", func() {
		id, token := pending(possessionBody(mockprove.PhoneElenaColdman, "desktop", map[string]any{"finalTargetUrl": "https://example.com/done"}))
		req := c.request(http.MethodPost, "/v1/client/mobile/instantlink/start", "application/json", []byte(`{"sourceIp":null,"isMobile":false}`))
		req.Header.Set("Authorization", "Bearer "+token)
		sent := c.do(req)
		Expect(sent.Status).To(Equal(http.StatusOK), string(sent.Raw))
		c.srv.FastForward(mockprove.DefaultInstantLinkTTL - time.Second)
		expectStatus(status(id), "pending", "pending", "pending")
		c.srv.FastForward(time.Second)
		r := status(id)
		expectStatus(r, "false", "failed", "not_applicable")
		Expect(r.Map("evaluation")["authentication"]).To(HaveKeyWithValue("failureReasons",
			HaveKeyWithValue("9100", ContainSubstring("the Instant Link expired"))))

		late, _ := pending(possessionBody(mockprove.PhoneElenaColdman, "mobile"))
		c.srv.FastForward(mockprove.FlowTTL - time.Nanosecond)
		expectStatus(status(late), "pending", "pending", "pending")
		c.srv.FastForward(time.Nanosecond)
		gone := status(late)
		expectStatus(gone, "false", "failed", "not_applicable")
		Expect(gone.Header.Get("X-Mockprove-Rule")).To(Equal("verify-status.expired"))
		Expect(status(late).Raw).To(MatchJSON(gone.Raw))

		c.srv.FastForward(time.Minute) // the store forgets the session a minute after its end
		expectError(c.do(c.request(http.MethodPost, "/v3/verify-status", "application/json", mustJSON(map[string]any{"correlationId": late}))),
			http.StatusBadRequest, mockprove.CodeInvalidCorrelation, "is not a verification of this client")
	})

	It("passes a short-term user's possession without the SDK", func() {
		ps, err := mockprove.DefaultPersonas()
		Expect(err).NotTo(HaveOccurred())
		for i := range ps {
			if ps[i].Phone == mockprove.PhoneSheilakathrynButrimovich {
				ps[i].ShortTerm = true // as on Prove's Verified Users sandbox page
			}
		}
		c = inMemory(mockprove.Options{Personas: ps}).login(unifyID, unifySecret)
		id, _ := pending(possessionBody(mockprove.PhoneSheilakathrynButrimovich, "mobile",
			map[string]any{"firstName": "Sheilakathryn", "lastName": "Butrimovich"}))
		expectStatus(status(id), "true", "success", "success")
		Expect(c.srv.Outbox(mockprove.SMSFilter{CorrelationID: id})).To(BeEmpty(), "no SMS was sent")
	})

	DescribeTable("refuses bodies that are wrong or mix the two, naming the field",
		func(body map[string]any, msg string) {
			r := c.do(c.request(http.MethodPost, "/v3/verify", "application/json", mustJSON(body)))
			expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, msg)
		},
		Entry("verificationType beside possessionType", possessionBody(mockprove.PhoneElenaColdman, "mobile", map[string]any{"verificationType": "verifiedUser"}),
			"field 'verificationType' is not allowed"),
		Entry("identityAttributes beside possessionType", possessionBody(mockprove.PhoneElenaColdman, "none", map[string]any{"identityAttributes": []any{}}),
			"field 'identityAttributes' is not allowed"),
		Entry("smsMessage without possessionType", verifyBody(mockprove.PhoneElenaColdman, "prefill", map[string]any{"smsMessage": "#### code"}),
			"field 'smsMessage' belongs to the possession-era body"),
		Entry("an unknown possessionType", possessionBody(mockprove.PhoneElenaColdman, "tablet"),
			"field 'possessionType' must be one of: desktop, mobile, none"),
		Entry("a null possessionType", possessionBody(mockprove.PhoneElenaColdman, "mobile", map[string]any{"possessionType": nil}),
			"field 'possessionType' must be one of"),
		Entry("no lastName", with(possessionBody(mockprove.PhoneElenaColdman, "mobile"), "lastName", ""),
			"field 'lastName' is missing"),
		Entry("no phoneNumber", map[string]any{"possessionType": "mobile", "firstName": "Elena", "lastName": "Coldman"},
			"field 'phoneNumber' is missing"),
		Entry("the current body without verificationType", map[string]any{"phoneNumber": mockprove.PhoneElenaColdman},
			"field 'verificationType' is missing"),
	)

	It("refuses what verify-status cannot read", func() {
		bad := func(body map[string]any) result {
			return c.do(c.request(http.MethodPost, "/v3/verify-status", "application/json", mustJSON(body)))
		}
		expectError(bad(map[string]any{}), http.StatusBadRequest, mockprove.CodeMalformed, "field 'correlationId' is missing")
		expectError(bad(map[string]any{"correlationId": "713189b8-5555-4b08-83ba-75d08780aebd"}),
			http.StatusBadRequest, mockprove.CodeInvalidCorrelation, "not a verification of this client")
		expectError(bad(map[string]any{"correlationId": "x", "extra": 1}), http.StatusBadRequest, mockprove.CodeMalformed, "field 'extra' is not allowed")
		unifyID, _ := c.unifyStart(mockprove.PhoneLaneyDyball, mockprove.PossessionMobile)
		expectError(bad(map[string]any{"correlationId": unifyID}), http.StatusBadRequest, mockprove.CodeInvalidCorrelation,
			"is a Unify session: read its outcome with /v3/unify-status")

		idc := c.as(identityID, identitySecret)
		flow := idc.start(mockprove.PhoneJordanEllis)
		expectError(idc.do(idc.request(http.MethodPost, "/v3/verify-status", "application/json",
			mustJSON(map[string]any{"correlationId": flow}))), http.StatusForbidden, mockprove.CodeAccessDenied, "not provisioned for Verified Users")

		id, _ := pending(possessionBody(mockprove.PhoneElenaColdman, "mobile"))
		expectError(c.do(c.request(http.MethodPost, "/v3/validate", "application/json", mustJSON(map[string]any{"correlationId": id}))),
			http.StatusForbidden, mockprove.CodeOutOfOrder, "read its result with /v3/verify-status")
	})

	It("takes the persona's errors and the faults of /v3/verify-status", func() {
		r := c.do(c.request(http.MethodPost, "/v3/verify", "application/json", mustJSON(possessionBody(mockprove.PhoneOmarSiddiqui, "none"))))
		expectError(r, http.StatusInternalServerError, mockprove.CodeInternal, "")
		r = c.do(c.request(http.MethodPost, "/v3/verify", "application/json", mustJSON(possessionBody(testkit.Nobody, "mobile"))))
		expectError(r, http.StatusBadRequest, mockprove.CodeUserNotFound, "no test user found")

		id, _ := pending(possessionBody(mockprove.PhoneElenaColdman, "mobile"))
		Expect(c.srv.FailNext("/v3/verify-status", http.StatusServiceUnavailable)).To(Succeed())
		f := c.do(c.request(http.MethodPost, "/v3/verify-status", "application/json", mustJSON(map[string]any{"correlationId": id})))
		Expect(f.Status).To(Equal(http.StatusServiceUnavailable))
		expectStatus(status(id), "pending", "pending", "pending")
	})

	It("keeps each client's sessions to itself", func() {
		two := inMemory(mockprove.Options{Clients: append(append([]mockprove.Client{}, mockprove.DefaultClients...),
			mockprove.Client{ID: "suite-2", Secret: "s2", Products: mockprove.SuiteProducts})}).login(unifyID, unifySecret)
		r := two.post("/v3/verify", possessionBody(mockprove.PhoneElenaColdman, "mobile"))
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		other := two.as("suite-2", "s2")
		expectError(other.do(other.request(http.MethodPost, "/v3/verify-status", "application/json", mustJSON(map[string]any{"correlationId": r.Str("correlationId")}))),
			http.StatusBadRequest, mockprove.CodeInvalidCorrelation, "not a verification of this client")
	})
})

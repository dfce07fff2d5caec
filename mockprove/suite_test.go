package mockprove_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// Prove's current suite beyond Unify: Verify, Identity Manager and ProveX,
// over HTTP, every response checked against the spec.

const (
	unifyID     = "unify-client"
	unifySecret = "unify-secret"
	uuidRE      = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
)

func verifyBody(phone, typ string, extra ...map[string]any) map[string]any {
	b := map[string]any{"phoneNumber": phone, "verificationType": typ}
	for _, x := range extra {
		for k, v := range x {
			b[k] = v
		}
	}
	return b
}

func names(first, last string) map[string]any {
	return map[string]any{"firstName": first, "lastName": last}
}

var _ = Describe("Verify", func() {
	var c *client
	BeforeEach(func() { c = inMemory().login(unifyID, unifySecret) })

	It("verifies a user: success is the string \"true\", with identity, proveId and evaluation", func() {
		r := c.post("/v3/verify", verifyBody(mockprove.PhoneElenaColdman, "verifiedUser", names("Elena", "Coldman"),
			map[string]any{"clientRequestId": "req-1", "clientCustomerId": "cust-1"}))
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(string(r.Raw)).To(ContainSubstring(`"success":"true"`))
		Expect(r.Str("correlationId")).To(MatchRegexp(uuidRE))
		Expect(r.Str("proveId")).To(MatchRegexp(uuidRE))
		Expect(r.Str("provePhoneAlias")).NotTo(BeEmpty())
		Expect(r.Str("phoneNumber")).To(Equal(mockprove.PhoneElenaColdman))
		Expect(r.Str("clientRequestId")).To(Equal("req-1"))
		Expect(r.Str("clientCustomerId")).To(Equal("cust-1"))
		id := r.Map("identity")
		Expect(id).To(HaveKeyWithValue("assuranceLevel", "AL2"))
		Expect(id).To(HaveKeyWithValue("reasons", []any{"AL2a"}))
		Expect(id).To(HaveKeyWithValue("firstName", "Elena"))
		Expect(r.Map("evaluation")).To(HaveKeyWithValue("authentication", map[string]any{"result": "pass"}))
		Expect(r.Body["isEnrolled"]).To(BeTrue(), "a verified user is enrolled in the client's Identity Manager")
	})

	It("fails a user as Prove's sandbox does: AL0, AL0b, 9175 and 9177", func() {
		r := c.post("/v3/verify", verifyBody(mockprove.PhoneAlfNovotni, "verifiedUser", names("Alf", "Novotni")))
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(r.Str("success")).To(Equal("false"))
		Expect(r.Map("identity")).To(HaveKeyWithValue("assuranceLevel", "AL0"))
		Expect(r.Map("identity")).To(HaveKeyWithValue("reasons", []any{"AL0b"}))
		auth := r.Map("evaluation")["authentication"].(map[string]any)
		Expect(auth["result"]).To(Equal("fail"))
		Expect(auth["failureReasons"]).To(HaveKey("9175"))
		Expect(auth["failureReasons"]).To(HaveKey("9177"))
		Expect(r.Map("evaluation")).To(HaveKeyWithValue("risk", map[string]any{"result": "pass"}))
		Expect(r.Body["isEnrolled"]).To(BeFalse())
	})

	It("fails a name that does not match with identification reason 9013", func() {
		r := c.post("/v3/verify", verifyBody(mockprove.PhoneElenaColdman, "verifiedUser", names("Elena", "Smith")))
		Expect(r.Str("success")).To(Equal("false"))
		ident := r.Map("evaluation")["identification"].(map[string]any)
		Expect(ident["failureReasons"]).To(HaveKey("9013"))
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("verify.name.mismatch"))
	})

	It("answers each verification type with its data", func() {
		pre := c.post("/v3/verify", verifyBody(mockprove.PhoneSheilakathrynButrimovich, "prefill"))
		Expect(pre.Str("success")).To(Equal("true"))
		id := pre.Map("identity")
		Expect(id).To(HaveKeyWithValue("dateOfBirth", "1974-12-09"))
		Expect(id).To(HaveKeyWithValue("nationalId", "148882298"))
		Expect(id["addresses"]).To(ContainElement(HaveKeyWithValue("zipCode", "15205")))

		human := c.post("/v3/verify", verifyBody(mockprove.PhoneSheilakathrynButrimovich, "humanAssurance"))
		Expect(human.Map("identity")).To(Equal(map[string]any{"assuranceLevel": "AL2", "reasons": []any{"AL2a"}}))

		biz := c.post("/v3/verify", verifyBody(mockprove.PhoneRuthCalloway, "prefillForBiz"))
		Expect(biz.Body["businesses"]).To(ConsistOf(HaveKeyWithValue("businessName", "Calloway Bakery LLC")))

		two := c.post("/v3/verify", verifyBody(mockprove.PhoneNoorHaddad, "accountOpening", names("noor", "HADDAD")))
		Expect(two.Str("success")).To(Equal("true"), "names compare without case")
		Expect(two.Map("identity")).To(HaveKeyWithValue("assuranceLevel", "AL3"))
		Expect(two.Body["additionalIdentities"]).To(ConsistOf(HaveKeyWithValue("firstName", "Karim")))
	})

	It("gives one proveId per person across Verify, Identity Manager and ProveX", func() {
		v := c.post("/v3/verify", verifyBody(mockprove.PhoneElenaColdman, "identityResolution"))
		e := c.post("/v3/identity", map[string]any{"phoneNumber": mockprove.PhoneElenaColdman})
		Expect(e.Str("proveId")).To(Equal(v.Str("proveId")))
		d := c.send(http.MethodGet, "/v3/discover?proveId="+v.Str("proveId"), "", "")
		Expect(d.Status).To(Equal(http.StatusOK), string(d.Raw))
	})

	DescribeTable("refuses bad requests in Prove's error shape",
		func(body map[string]any, status, code int, msg string) {
			r := c.do(c.request(http.MethodPost, "/v3/verify", "application/json", mustJSON(body)))
			expectError(r, status, code, msg)
		},
		Entry("verifiedUser without a last name", verifyBody(mockprove.PhoneElenaColdman, "verifiedUser", map[string]any{"firstName": "Elena"}),
			http.StatusBadRequest, mockprove.CodeMalformed, "field 'lastName' is missing"),
		Entry("an unknown verification type", verifyBody(mockprove.PhoneElenaColdman, "bot"),
			http.StatusBadRequest, mockprove.CodeMalformed, "verificationType"),
		Entry("no phone number", map[string]any{"verificationType": "prefill"},
			http.StatusBadRequest, mockprove.CodeMalformed, "phoneNumber"),
		Entry("a number with no test user", verifyBody(testkit.Nobody, "prefill"),
			http.StatusBadRequest, mockprove.CodeUserNotFound, "no test user found"),
		Entry("a test user of another product", verifyBody(mockprove.PhoneMerlaSchumacher, "prefill"),
			http.StatusForbidden, mockprove.CodeAccessDenied, "not a test user of Verified Users"),
		Entry("a persona's platform error", verifyBody(mockprove.PhoneOmarSiddiqui, "prefill"),
			http.StatusInternalServerError, mockprove.CodeInternal, ""),
	)

	It("refuses clients not provisioned for Verify with 8009", func() {
		r := c.as(identityID, identitySecret).post("/v3/verify", verifyBody(mockprove.PhoneElenaColdman, "prefill"))
		expectError(r, http.StatusForbidden, mockprove.CodeAccessDenied, "not provisioned for Verified Users")
	})

	It("verifies a batch item by item, beyond the 4 KB of single calls", func() {
		items := []map[string]any{
			verifyBody(mockprove.PhoneElenaColdman, "verifiedUser", names("Elena", "Coldman")),
			verifyBody(mockprove.PhoneAlfNovotni, "verifiedUser", names("Alf", "Novotni")),
			verifyBody(testkit.Nobody, "verifiedUser", names("No", "Body")),
			verifyBody(mockprove.PhoneElenaColdman, "telepathy", names("Elena", "Coldman")),
		}
		for len(items) < 60 { // well over 4 KB
			items = append(items, verifyBody(mockprove.PhoneSheilakathrynButrimovich, "prefill", names("Sheilakathryn", "Butrimovich"),
				map[string]any{"clientCustomerId": fmt.Sprintf("customer-%03d", len(items))}))
		}
		body := map[string]any{"clientRequestId": "batch-1", "items": items}
		Expect(len(mustJSON(body))).To(BeNumerically(">", mockprove.MaxBodyBytes))
		r := c.post("/v3/verify/batch", body)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		results := r.Body["results"].([]any)
		Expect(results).To(HaveLen(60))
		first, second, third, fourth := results[0].(map[string]any), results[1].(map[string]any), results[2].(map[string]any), results[3].(map[string]any)
		Expect(first).To(And(HaveKeyWithValue("success", "true"), HaveKeyWithValue("assuranceLevel", "AL2"), HaveKeyWithValue("error", "")))
		Expect(second).To(And(HaveKeyWithValue("success", "false"), HaveKeyWithValue("assuranceLevel", "AL0")))
		Expect(third).To(And(HaveKeyWithValue("success", "false"), HaveKeyWithValue("error", ContainSubstring("no test user"))))
		Expect(fourth["error"]).To(ContainSubstring("invalid verificationType telepathy"))
		Expect(results[59]).To(HaveKeyWithValue("clientCustomerId", "customer-059"))
		Expect(r.Str("clientRequestId")).To(Equal("batch-1"))
	})

	It("refuses a batch of more than 1000 items", func() {
		items := make([]map[string]any, 1001)
		for i := range items {
			items[i] = map[string]any{"phoneNumber": "2001004053", "firstName": "E", "lastName": "C", "verificationType": "prefill"}
		}
		r := c.do(c.request(http.MethodPost, "/v3/verify/batch", "application/json", mustJSON(map[string]any{"items": items})))
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "items")
	})
})

var _ = Describe("Identity Manager", func() {
	var c *client
	BeforeEach(func() { c = inMemory().login(unifyID, unifySecret) })

	enrol := func(phone string, extra ...map[string]any) string {
		GinkgoHelper()
		b := map[string]any{"phoneNumber": phone}
		for _, x := range extra {
			for k, v := range x {
				b[k] = v
			}
		}
		r := c.post("/v3/identity", b)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(string(r.Raw)).To(ContainSubstring(`"success":true`), "success is a boolean here")
		return r.Str("proveId")
	}
	get := func(path string) result {
		GinkgoHelper()
		return c.send(http.MethodGet, path, "", "")
	}
	listIDs := func(query string) ([]string, string) {
		GinkgoHelper()
		r := get("/v3/identity" + query)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		var ids []string
		for _, x := range r.Body["results"].([]any) {
			ids = append(ids, x.(map[string]any)["proveId"].(string))
		}
		return ids, r.Str("lastKey")
	}

	It("enrols an identity and answers its record", func() {
		id := enrol(mockprove.PhoneMerlaSchumacher, map[string]any{"clientCustomerId": "cust-7", "deviceId": "dev-1"})
		Expect(id).To(MatchRegexp(uuidRE))
		r := get("/v3/identity/" + id)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(r.Body).To(And(
			HaveKeyWithValue("proveId", id), HaveKeyWithValue("phoneNumber", mockprove.PhoneMerlaSchumacher),
			HaveKeyWithValue("active", true), HaveKeyWithValue("carrier", "Verizon"), HaveKeyWithValue("lineType", "mobile"),
			HaveKeyWithValue("countryCode", "US"), HaveKeyWithValue("clientCustomerId", "cust-7"), HaveKeyWithValue("deviceId", "dev-1"),
			HaveKeyWithValue("createdAt", float64(testkit.T0.Unix())), HaveKeyWithValue("creationString", "2026-03-02T09:30:00.000Z")))
		Expect(enrol(mockprove.PhoneMerlaSchumacher)).To(Equal(id), "enrolling again answers the same identity")
	})

	It("lists page by page, hides inactive identities unless asked, and looks up by number", func() {
		ids := []string{enrol(mockprove.PhoneMerlaSchumacher), enrol(mockprove.PhoneJaimieBeddo), enrol(mockprove.PhoneStanlyOvid)}
		page1, key := listIDs("?limit=2")
		Expect(page1).To(Equal(ids[:2]))
		Expect(key).NotTo(BeEmpty())
		page2, key2 := listIDs("?limit=2&startKey=" + url.QueryEscape(key))
		Expect(page2).To(Equal(ids[2:]))
		Expect(key2).To(BeEmpty(), "the last page has no lastKey")

		Expect(c.post("/v3/identity/"+ids[1]+"/deactivate", map[string]any{}).Body).To(HaveKeyWithValue("success", true))
		active, _ := listIDs("")
		Expect(active).To(Equal([]string{ids[0], ids[2]}))
		all, _ := listIDs("?showInactive=true")
		Expect(all).To(Equal(ids))
		Expect(get("/v3/identity/" + ids[1]).Body).To(HaveKeyWithValue("active", false))
		act := c.do(c.request(http.MethodPost, "/v3/identity/"+ids[1]+"/activate", "", nil)) // the SDK may send no body
		Expect(act.Status).To(Equal(http.StatusOK), string(act.Raw))
		Expect(get("/v3/identity/" + ids[1]).Body).To(HaveKeyWithValue("active", true))

		look := get("/v3/identity/+1" + mockprove.PhoneJaimieBeddo + "/lookup")
		Expect(look.Status).To(Equal(http.StatusOK), string(look.Raw))
		Expect(look.Body["items"]).To(ConsistOf(HaveKeyWithValue("proveId", ids[1])))
		none := get("/v3/identity/2001009999/lookup")
		Expect(none.Body["items"]).To(BeEmpty())

		Expect(c.send(http.MethodDelete, "/v3/identity/"+ids[0], "", "").Body).To(HaveKeyWithValue("success", true))
		expectError(get("/v3/identity/"+ids[0]), http.StatusNotFound, mockprove.CodeIdentityNotFound, "Identity Not Found")
		left, _ := listIDs("?showInactive=true")
		Expect(left).To(Equal(ids[1:]))
	})

	It("refuses a startKey it did not hand out", func() {
		expectError(get("/v3/identity?startKey=not-a-key"), http.StatusBadRequest, mockprove.CodeMalformed, "startKey")
	})

	It("answers 404 code 8011 for an unknown identity, whatever the operation", func() {
		for _, r := range []result{
			get("/v3/identity/00000000-0000-4000-8000-000000000000"),
			c.send(http.MethodDelete, "/v3/identity/nope", "", ""),
			c.post("/v3/identity/nope/activate", map[string]any{}),
			c.post("/v3/identity/nope/deactivate", map[string]any{}),
		} {
			expectError(r, http.StatusNotFound, mockprove.CodeIdentityNotFound, "Identity Not Found")
		}
	})

	It("keeps each client's identities to itself", func() {
		two := inMemory(mockprove.Options{Clients: []mockprove.Client{
			{ID: "suite-a", Secret: "a", Products: mockprove.SuiteProducts},
			{ID: "suite-b", Secret: "b", Products: mockprove.SuiteProducts},
			{ID: identityID, Secret: identitySecret, Product: mockprove.ProductIdentity},
		}})
		a, b := two.as("suite-a", "a"), two.as("suite-b", "b")
		r := a.post("/v3/identity", map[string]any{"phoneNumber": mockprove.PhoneMerlaSchumacher})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		id := r.Str("proveId")
		expectError(b.send(http.MethodGet, "/v3/identity/"+id, "", ""), http.StatusNotFound, mockprove.CodeIdentityNotFound, "")
		Expect(b.send(http.MethodGet, "/v3/identity", "", "").Body["results"]).To(BeEmpty())
		expectError(two.as(identityID, identitySecret).send(http.MethodGet, "/v3/identity/"+id, "", ""),
			http.StatusForbidden, mockprove.CodeAccessDenied, "not provisioned for Identity Manager")
	})

	It("enrols a batch under items or identities, with a per-item error", func() {
		for _, key := range []string{"items", "identities"} {
			r := c.post("/v3/identity/batch", map[string]any{key: []map[string]any{
				{"phoneNumber": mockprove.PhoneMerlaSchumacher}, {"phoneNumber": "123"}, {"phoneNumber": mockprove.PhoneBatchExample, "clientCustomerId": "c2"},
			}})
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			res := r.Body["results"].([]any)
			Expect(res).To(HaveLen(3))
			Expect(res[0]).To(HaveKey("proveId"))
			Expect(res[1]).To(Equal(map[string]any{"error": "Invalid Phone Number"}))
			Expect(res[2]).To(HaveKey("proveId"))
		}
		both := c.do(c.request(http.MethodPost, "/v3/identity/batch", "application/json",
			mustJSON(map[string]any{"items": []any{map[string]any{"phoneNumber": "1"}}, "identities": []any{map[string]any{"phoneNumber": "2"}}})))
		expectError(both, http.StatusBadRequest, mockprove.CodeMalformed, "not both")
		neither := c.do(c.request(http.MethodPost, "/v3/identity/batch", "application/json", []byte(`{}`)))
		expectError(neither, http.StatusBadRequest, mockprove.CodeMalformed, "field 'items' is missing")
	})

	It("enrols test users of the current suite only", func() {
		expectError(c.do(c.request(http.MethodPost, "/v3/identity", "application/json", mustJSON(map[string]any{"phoneNumber": testkit.Nobody}))),
			http.StatusBadRequest, mockprove.CodeUserNotFound, "no test user")
		expectError(c.do(c.request(http.MethodPost, "/v3/identity", "application/json", mustJSON(map[string]any{"phoneNumber": testkit.Milo}))),
			http.StatusForbidden, mockprove.CodeAccessDenied, "not a test user of Identity Manager")
		Expect(enrol(mockprove.PhoneAlfNovotni)).To(MatchRegexp(uuidRE), "a Verify user can be enrolled")
	})

	It("forgets every identity on reset", func() {
		id := enrol(mockprove.PhoneMerlaSchumacher)
		c.srv.Reset()
		expectError(get("/v3/identity/"+id), http.StatusNotFound, mockprove.CodeIdentityNotFound, "")
	})
})

var _ = Describe("ProveX", func() {
	var c *client
	BeforeEach(func() { c = inMemory().login(unifyID, unifySecret) })

	proveID := func(phone string) string {
		GinkgoHelper()
		r := c.post("/v3/verify", verifyBody(phone, "identityResolution"))
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		return r.Str("proveId")
	}

	It("discovers a person's attributes and fetches one", func() {
		id := proveID(mockprove.PhoneElenaColdman)
		d := c.send(http.MethodGet, "/v3/discover?proveId="+id+"&clientRequestId=r1", "", "")
		Expect(d.Status).To(Equal(http.StatusOK), string(d.Raw))
		Expect(d.Body["results"]).To(ConsistOf(map[string]any{"attributeId": "550e8400-e29b-41d4-a716-446655440000", "issuerId": "AcmeWallet"}))
		f := c.send(http.MethodGet, "/v3/fetch?proveId="+id+"&attributeId=550e8400-e29b-41d4-a716-446655440000", "", "")
		Expect(f.Status).To(Equal(http.StatusOK), string(f.Raw))
		Expect(f.Body["results"]).To(ConsistOf(HaveKeyWithValue("attributeValue", "ext-wallet-992834")))
	})

	It("answers 404 code 8011 for an unknown person or attribute, and 400 without proveId", func() {
		expectError(c.send(http.MethodGet, "/v3/discover?proveId=00000000-0000-4000-8000-000000000000", "", ""),
			http.StatusNotFound, mockprove.CodeIdentityNotFound, "Identity Not Found")
		id := proveID(mockprove.PhoneElenaColdman)
		expectError(c.send(http.MethodGet, "/v3/fetch?proveId="+id+"&attributeId=11111111-2222-4333-8444-555555555555", "", ""),
			http.StatusNotFound, mockprove.CodeIdentityNotFound, "no attribute")
		expectError(c.send(http.MethodGet, "/v3/discover", "", ""), http.StatusBadRequest, mockprove.CodeMalformed, "proveId")
		expectError(c.as(prefillID, prefillSecret).send(http.MethodGet, "/v3/discover?proveId="+id, "", ""),
			http.StatusForbidden, mockprove.CodeAccessDenied, "ProveX")
	})

	It("answers 8009 to /v3/start for a client of the current suite only", func() {
		r := c.startWith(map[string]any{"phoneNumber": mockprove.PhoneJordanEllis})
		expectError(r, http.StatusForbidden, mockprove.CodeAccessDenied, "not provisioned for Pre-Fill or Prove Identity")
	})
})

func mustJSON(v any) []byte {
	GinkgoHelper()
	b, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	return b
}

package mockprove_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// highIDV is the idv block of the default personas that pass.
var highIDV = map[string]any{
	"multiCIPConfidence": "high",
	"dataSource1": map[string]any{
		"cipConfidence": "high",
		"reasonCodes":   []any{"NA"},
		"address": map[string]any{"addressScore": 100.0, "city": true, "distance": 0.0, "postalCode": true,
			"region": true, "street": true, "streetNumber": 100.0},
		"identifiers": map[string]any{"dob": true, "last4": true, "ssn": true},
		"name":        map[string]any{"firstName": 100.0, "lastName": 100.0, "nameScore": 100.0},
		"email":       map[string]any{"emailAddress": true},
	},
}

var _ = Describe("POST /v3/complete", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory().login(identityID, identitySecret)
	})

	Context("Prove Identity: start → validate → complete", func() {
		It("verifies Milo and ends the flow with the persona's idv", func() {
			r := c.complete(c.validated(testkit.Milo), individualOf(testkit.Milo))
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(r.Body).To(Equal(map[string]any{"success": true, "next": next("done"), "idv": highIDV}))
			Expect(r.Header.Get("X-Mockprove-Step")).To(Equal("/v3/complete"))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("complete"))
		})

		It("returns Martina's KYC block (0 hits)", func() {
			r := c.complete(c.validated(testkit.Martina), individualOf(testkit.Martina))
			Expect(r.Body).To(HaveKeyWithValue("success", true))
			Expect(r.Body).To(HaveKeyWithValue("kyc", map[string]any{"totalHits": 0.0}))
			Expect(r.Body).To(HaveKeyWithValue("idv", highIDV))
		})

		It("returns AML hits for Harold (2009990004)", func() {
			r := c.complete(c.validated("2009990004"), individualOf("2009990004"))
			Expect(r.Body).To(HaveKeyWithValue("success", true))
			kyc := r.Map("kyc")
			Expect(kyc).To(HaveKeyWithValue("totalHits", 4.0))
			Expect(kyc["amlTypeLists"]).To(HaveLen(2))
			Expect(kyc["amlTypeLists"]).To(ContainElement(HaveKeyWithValue("amlType", "PEP")))
			Expect(kyc["amlTypeLists"]).To(ContainElement(HaveKeyWithValue("amlType", "Sanctions")))
		})

		It("returns the persona's low-confidence idv for Lena (2009990005) although she matches", func() {
			r := c.complete(c.validated("2009990005"), individualOf("2009990005"))
			Expect(r.Body).To(HaveKeyWithValue("success", true))
			Expect(r.Map("idv")).To(HaveKeyWithValue("multiCIPConfidence", "low"))
			Expect(r.Map("idv")["dataSource1"]).To(HaveKeyWithValue("reasonCodes", ConsistOf("DI", "NS")))
		})

		It("computes a high-confidence idv for a matching persona that has none", func() {
			r := c.complete(c.validated("2009990007"), individualOf("2009990007"))
			Expect(r.Body).To(HaveKeyWithValue("success", true))
			idv := r.Map("idv")
			Expect(idv).To(HaveKeyWithValue("multiCIPConfidence", "high"))
			Expect(idv["dataSource1"]).To(HaveKeyWithValue("reasonCodes", []any{"NA"}))
			Expect(idv["dataSource1"]).To(HaveKeyWithValue("name",
				map[string]any{"firstName": 100.0, "lastName": 100.0, "nameScore": 100.0}))
		})

		DescribeTable("matches leniently where Prove does",
			func(in map[string]any) {
				r := c.complete(c.validated(testkit.Milo), in)
				Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
				Expect(r.Body).To(HaveKeyWithValue("success", true), string(r.Raw))
			},
			Entry("names in another case", map[string]any{"firstName": "MILO", "lastName": "pinson"}),
			Entry("names with extra spaces", map[string]any{"firstName": " Milo ", "lastName": "Pinson"}),
			Entry("only the ssn", map[string]any{"ssn": "847350596"}),
			Entry("names and the last 4 of the ssn", map[string]any{"firstName": "Milo", "lastName": "Pinson", "ssn": "0596"}),
			Entry("dob YYYY-MM", with(individualOf(testkit.Milo), "dob", "1981-01")),
			Entry("dob MM-DD", with(individualOf(testkit.Milo), "dob", "01-17")),
			Entry("a 5-digit ZIP for a ZIP+4", with(individualOf(testkit.Milo), "addresses", []any{map[string]any{
				"address": "6377 birchwood hill", "city": "LITTLETON", "region": "co", "postalCode": "80161"}})),
			Entry("an email in another case", with(individualOf(testkit.Milo), "emailAddresses", []any{"MPinsonM@DynDNS.org"})),
			Entry("a wrong second email (only the first counts)", with(individualOf(testkit.Milo), "emailAddresses",
				[]any{"mpinsonm@dyndns.org", "someone@example.com"})),
			Entry("a wrong second address (only the first counts)", with(individualOf(testkit.Milo), "addresses", []any{
				map[string]any{"address": "6377 Birchwood Hill", "city": "Littleton"},
				map[string]any{"address": "1 Nowhere", "city": "Elsewhere"}})),
		)

		DescribeTable("fails on a mismatch: success false, next done, a computed low-confidence idv",
			func(in map[string]any, field string) {
				r := c.complete(c.validated(testkit.Milo), in)
				Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
				Expect(r.Body).To(HaveKeyWithValue("success", false))
				Expect(r.Next()).To(Equal(next("done")))
				idv := r.Map("idv")
				Expect(idv).To(HaveKeyWithValue("multiCIPConfidence", "low"))
				Expect(idv["dataSource1"]).To(HaveKeyWithValue("cipConfidence", "low"))
				Expect(idv["dataSource1"]).To(HaveKeyWithValue("reasonCodes", ContainElement("mismatch:"+field)))
				Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("complete.mismatch:" + field))
			},
			Entry("first name", with(individualOf(testkit.Milo), "firstName", "Mila"), "firstName"),
			Entry("last name", with(individualOf(testkit.Milo), "lastName", "Pinsen"), "lastName"),
			Entry("dob", with(individualOf(testkit.Milo), "dob", "1981-01-18"), "dob"),
			Entry("full ssn", with(individualOf(testkit.Milo), "ssn", "847350597"), "ssn"),
			Entry("last 4 of ssn", map[string]any{"firstName": "Milo", "lastName": "Pinson", "ssn": "1234"}, "ssn"),
			Entry("street", with(individualOf(testkit.Milo), "addresses", []any{map[string]any{"address": "1 Main St"}}), "address"),
			Entry("city", with(individualOf(testkit.Milo), "addresses", []any{map[string]any{"address": "6377 Birchwood Hill", "city": "Denver"}}), "city"),
			Entry("region", with(individualOf(testkit.Milo), "addresses", []any{map[string]any{"address": "6377 Birchwood Hill", "region": "CA"}}), "region"),
			Entry("postal code", with(individualOf(testkit.Milo), "addresses", []any{map[string]any{"address": "6377 Birchwood Hill", "postalCode": "80162"}}), "postalCode"),
			Entry("first email", with(individualOf(testkit.Milo), "emailAddresses", []any{"someone@example.com", "mpinsonm@dyndns.org"}), "emailAddress"),
		)

		It("scores each part of the comparison in the computed idv", func() {
			in := with(individualOf(testkit.Milo), "dob", "1990-01-01", "addresses", []any{map[string]any{
				"address": "6377 Birchwood Hill", "city": "Denver", "region": "CO", "postalCode": "80161"}})
			r := c.complete(c.validated(testkit.Milo), in)
			Expect(r.Body).To(HaveKeyWithValue("success", false))
			ds := r.Map("idv")["dataSource1"].(map[string]any)
			Expect(ds).To(HaveKeyWithValue("reasonCodes", []any{"mismatch:dob", "mismatch:city"}))
			Expect(ds).To(HaveKeyWithValue("identifiers", map[string]any{"dob": false, "last4": true, "ssn": true}))
			Expect(ds["address"]).To(HaveKeyWithValue("city", false))
			Expect(ds["address"]).To(HaveKeyWithValue("street", true))
			Expect(ds["address"]).To(HaveKeyWithValue("addressScore", 75.0))
			Expect(ds["name"]).To(HaveKeyWithValue("nameScore", 100.0))
		})

		It("fails for a persona whose complete outcome is fail (Priya, 2009990003)", func() {
			r := c.complete(c.validated("2009990003"), individualOf("2009990003"))
			Expect(r.Status).To(Equal(http.StatusOK))
			Expect(r.Body).To(HaveKeyWithValue("success", false))
			Expect(r.Next()).To(Equal(next("done")))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("persona.outcomes.complete"))
		})

		It("cannot be replayed once done: 403 code 8003", func() {
			id := c.validated(testkit.Milo)
			Expect(c.complete(id, individualOf(testkit.Milo)).Body).To(HaveKeyWithValue("success", true))
			for _, step := range []func() result{
				func() result { return c.complete(id, individualOf(testkit.Milo)) },
				func() result { return c.validate(id) },
				func() result { return c.challenge(id, map[string]any{"dob": "1981-01-17"}) },
			} {
				expectError(step(), http.StatusForbidden, mockprove.CodeOutOfOrder,
					"step not allowed: the flow is finished (state completed); start a new flow")
			}
		})

		It("cannot be retried after a mismatch either", func() {
			id := c.validated(testkit.Milo)
			Expect(c.complete(id, with(individualOf(testkit.Milo), "lastName", "X")).Body).To(HaveKeyWithValue("success", false))
			expectError(c.complete(id, individualOf(testkit.Milo)), http.StatusForbidden, mockprove.CodeOutOfOrder, "(state failed)")
		})

		It("answers 403 code 8003 before validate, naming v3-validate", func() {
			expectError(c.complete(c.start(testkit.Milo), individualOf(testkit.Milo)), http.StatusForbidden, mockprove.CodeOutOfOrder,
				"v3-complete is not in next; allowed: v3-validate")
		})

		It("answers 400 code 8008 for an unknown correlationId", func() {
			expectError(c.complete("00000000-0000-4000-8000-000000000000", individualOf(testkit.Milo)),
				http.StatusBadRequest, mockprove.CodeInvalidCorrelation, "invalid correlation ID")
		})
	})

	Context("Pre-Fill: start → validate → challenge → complete", func() {
		BeforeEach(func() { c.login(prefillID, prefillSecret) })

		It("verifies the individual that the challenge pre-filled", func() {
			id := c.validated(testkit.Milo)
			ch := c.challenge(id, map[string]any{"ssn": "0596"})
			Expect(ch.Body).To(HaveKeyWithValue("success", true))
			r := c.complete(id, individualOf(testkit.Milo))
			Expect(r.Body).To(Equal(map[string]any{"success": true, "next": next("done"), "idv": highIDV}))
		})

		It("may skip the challenge when dob or ssn came with start", func() {
			r := c.complete(c.validated(testkit.Milo, map[string]any{"dob": "1981-01-17"}), individualOf(testkit.Milo))
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(r.Body).To(HaveKeyWithValue("success", true))
		})

		It("may not skip a missing challenge: 403 code 8003 naming v3-challenge", func() {
			expectError(c.complete(c.validated(testkit.Milo), individualOf(testkit.Milo)), http.StatusForbidden, mockprove.CodeOutOfOrder,
				"v3-complete is not in next; allowed: v3-challenge")
		})
	})

	DescribeTable("refuses an individual without first and last name or ssn: 400 code 8001",
		func(in map[string]any) {
			id := c.validated(testkit.Milo)
			r := c.complete(id, in)
			expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "field 'individual' must include firstName and lastName, or ssn")
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("complete.identity"))
			// The flow is still waiting for its complete.
			Expect(c.complete(id, individualOf(testkit.Milo)).Body).To(HaveKeyWithValue("success", true))
		},
		Entry("empty", map[string]any{}),
		Entry("first name only", map[string]any{"firstName": "Milo", "dob": "1981-01-17"}),
		Entry("last name only", map[string]any{"lastName": "Pinson", "emailAddresses": []any{"mpinsonm@dyndns.org"}}),
		Entry("blank names", map[string]any{"firstName": "  ", "lastName": " "}),
	)

	DescribeTable("refuses a bad body with 400 code 8001 naming the field",
		func(body, msg string) {
			expectError(c.send(http.MethodPost, "/v3/complete", "application/json", body),
				http.StatusBadRequest, mockprove.CodeMalformed, msg)
		},
		Entry("no individual", `{"correlationId":"x"}`, "field 'individual' is missing"),
		Entry("individual null", `{"correlationId":"x","individual":null}`, "field 'individual' must be an object, not null"),
		Entry("individual a string", `{"correlationId":"x","individual":"Milo"}`, "field 'individual' must be an object"),
		Entry("no correlationId", `{"individual":{"ssn":"0596"}}`, "field 'correlationId' is missing"),
		Entry("a bad postal code", `{"correlationId":"x","individual":{"ssn":"0596","addresses":[{"postalCode":"8016"}]}}`,
			"field 'individual.addresses[0].postalCode' has an invalid format"),
		Entry("an unknown address field", `{"correlationId":"x","individual":{"ssn":"0596","addresses":[{"zip":"80161"}]}}`,
			"field 'individual.addresses[0].zip' is not allowed"),
		Entry("an unknown individual field", `{"correlationId":"x","individual":{"ssn":"0596","middleName":"J"}}`,
			"field 'individual.middleName' is not allowed"),
		Entry("emailAddresses not a list", `{"correlationId":"x","individual":{"ssn":"0596","emailAddresses":"a@b.c"}}`,
			"field 'individual.emailAddresses' must be an array"),
		Entry("a first name too long", `{"correlationId":"x","individual":{"ssn":"0596","firstName":"`+string(make129('m')[:65])+`"}}`,
			"field 'individual.firstName' must be at most 64 characters"),
	)
})

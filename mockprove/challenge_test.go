package mockprove_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// miloPrefilled is what /v3/challenge returns for Milo Pinson.
var miloPrefilled = map[string]any{
	"firstName": "Milo",
	"lastName":  "Pinson",
	"addresses": []any{map[string]any{
		"address": "6377 Birchwood Hill", "city": "Littleton", "region": "CO", "postalCode": "80161-2001",
	}},
	"emailAddresses": []any{"mpinsonm@dyndns.org"},
	"dob":            "1981-01-17T00:00:00Z",
	"ssn":            "847350596",
}

var _ = Describe("POST /v3/challenge", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory().login(prefillID, prefillSecret)
	})

	It("returns the persona's individual, dob as RFC 3339, and next v3-complete", func() {
		r := c.challenge(c.validated(testkit.Milo), map[string]any{"dob": "1981-01-17"})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(r.Body).To(Equal(map[string]any{
			"success":    true,
			"individual": miloPrefilled,
			"next":       next("v3-complete"),
		}))
		Expect(r.Header.Get("X-Mockprove-Step")).To(Equal("/v3/challenge"))
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("challenge"))
		Expect(r.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Milo))
	})

	It("says how to pass the challenge's individual into complete: the DOB timestamp cut to its date", func() {
		id := c.validated(testkit.Milo)
		ch := c.challenge(id, map[string]any{"dob": "1981-01-17"})
		individual := ch.Map("individual")
		Expect(individual["dob"]).To(ContainSubstring("T"), "the challenge answers an RFC 3339 timestamp")
		r := c.send(http.MethodPost, "/v3/complete", "application/json",
			string(mustJSON(map[string]any{"correlationId": id, "individual": individual})))
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed,
			"individual.dob' has an invalid format: use YYYY-MM-DD; the challenge answer's timestamp must be cut to its date")
		individual["dob"] = individual["dob"].(string)[:10]
		Expect(c.complete(id, individual).Body).To(HaveKeyWithValue("success", true))
	})

	It("returns every address of a persona that has several", func() {
		custom := personaByPhone(testkit.Marcia)
		custom.Phone, custom.ShortTerm = "2009990101", true
		c = inMemory(mockprove.Options{Personas: []mockprove.Persona{custom}}).login(prefillID, prefillSecret)
		r := c.challenge(c.validated(custom.Phone), map[string]any{"ssn": "6227"})
		Expect(r.Body).To(HaveKeyWithValue("success", true))
		Expect(r.Map("individual")["addresses"]).To(HaveLen(2))
		Expect(r.Map("individual")).To(HaveKeyWithValue("dob", "1982-07-19T00:00:00Z"))
	})

	DescribeTable("checks the dob and ssn against the persona",
		func(fields map[string]any, ok bool) {
			r := c.challenge(c.validated(testkit.Milo), fields)
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(r.Body).To(HaveKeyWithValue("success", ok))
			if ok {
				Expect(r.Body).To(HaveKeyWithValue("individual", miloPrefilled))
				Expect(r.Next()).To(Equal(next("v3-complete")))
			} else {
				Expect(r.Body).NotTo(HaveKey("individual"))
				Expect(r.Next()).To(Equal(next("done")))
			}
		},
		Entry("dob YYYY-MM-DD", map[string]any{"dob": "1981-01-17"}, true),
		Entry("dob YYYY-MM", map[string]any{"dob": "1981-01"}, true),
		Entry("dob MM-DD", map[string]any{"dob": "01-17"}, true),
		Entry("full ssn", map[string]any{"ssn": "847350596"}, true),
		Entry("last 4 of ssn", map[string]any{"ssn": "0596"}, true),
		Entry("dob and ssn", map[string]any{"dob": "1981-01-17", "ssn": "0596"}, true),
		Entry("wrong day", map[string]any{"dob": "1981-01-18"}, false),
		Entry("wrong YYYY-MM", map[string]any{"dob": "1981-02"}, false),
		Entry("wrong MM-DD", map[string]any{"dob": "01-18"}, false),
		Entry("MM-DD that is the year's tail", map[string]any{"dob": "81-01"}, false),
		Entry("wrong full ssn", map[string]any{"ssn": "847350597"}, false),
		Entry("wrong last 4", map[string]any{"ssn": "0597"}, false),
		Entry("first 4 of ssn", map[string]any{"ssn": "8473"}, false),
		Entry("right dob, wrong ssn", map[string]any{"dob": "1981-01-17", "ssn": "1111"}, false),
		Entry("wrong dob, right ssn", map[string]any{"dob": "1990-01-17", "ssn": "0596"}, false),
	)

	It("names the failed check in X-Mockprove-Rule", func() {
		r := c.challenge(c.validated(testkit.Milo), map[string]any{"ssn": "1111"})
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("challenge.ssn"))
		r = c.challenge(c.validated(testkit.Milo), map[string]any{"dob": "01-01"})
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("challenge.dob"))
	})

	Context("when a challenge value was given at start", func() {
		It("uses it when the challenge body has none", func() {
			r := c.challenge(c.validated(testkit.Milo, map[string]any{"ssn": "0596"}), nil)
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(r.Body).To(HaveKeyWithValue("success", true))
			Expect(r.Body).To(HaveKeyWithValue("individual", miloPrefilled))
		})

		It("fails when the start value was wrong", func() {
			r := c.challenge(c.validated(testkit.Milo, map[string]any{"dob": "1999-12-31"}), nil)
			Expect(r.Body).To(HaveKeyWithValue("success", false))
		})

		It("lets the challenge body overwrite it", func() {
			r := c.challenge(c.validated(testkit.Milo, map[string]any{"ssn": "1111"}), map[string]any{"dob": "1981-01"})
			Expect(r.Body).To(HaveKeyWithValue("success", true))
		})
	})

	It("answers 400 code 8001 when neither dob nor ssn was ever given, and keeps the state", func() {
		id := c.validated(testkit.Milo)
		r := c.challenge(id, nil)
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "field 'dob' or 'ssn' is missing")
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("challenge.missing"))

		r = c.challenge(id, map[string]any{"ssn": "0596"})
		Expect(r.Body).To(HaveKeyWithValue("success", true))
	})

	It("answers 403 code 8003 before validate", func() {
		r := c.challenge(c.start(testkit.Milo), map[string]any{"dob": "1981-01-17"})
		expectError(r, http.StatusForbidden, mockprove.CodeOutOfOrder, "v3-challenge is not in next; allowed: v3-validate")
	})

	It("answers 403 code 8003 after a successful challenge, naming v3-complete", func() {
		id := c.validated(testkit.Milo)
		Expect(c.challenge(id, map[string]any{"dob": "1981-01-17"}).Body).To(HaveKeyWithValue("success", true))
		expectError(c.challenge(id, map[string]any{"dob": "1981-01-17"}), http.StatusForbidden, mockprove.CodeOutOfOrder,
			"v3-challenge is not in next; allowed: v3-complete")
	})

	It("ends the flow when the challenge fails", func() {
		id := c.validated(testkit.Milo)
		Expect(c.challenge(id, map[string]any{"dob": "1981-01-18"}).Body).To(HaveKeyWithValue("success", false))
		expectError(c.complete(id, individualOf(testkit.Milo)), http.StatusForbidden, mockprove.CodeOutOfOrder, "the flow is finished (state failed)")
	})

	It("is not part of a Prove Identity flow: 403 code 8003", func() {
		c.login(identityID, identitySecret)
		r := c.challenge(c.validated(testkit.Milo), map[string]any{"dob": "1981-01-17"})
		expectError(r, http.StatusForbidden, mockprove.CodeOutOfOrder, "v3-challenge is not in next; allowed: v3-complete")
	})

	It("fails for a persona whose challenge outcome is fail (Marcus, 2009990002)", func() {
		r := c.challenge(c.validated("2009990002"), map[string]any{"dob": "1979-11-03"})
		Expect(r.Status).To(Equal(http.StatusOK))
		Expect(r.Body).To(Equal(map[string]any{"success": false, "next": next("done")}))
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("persona.outcomes.challenge"))
	})

	DescribeTable("refuses a bad body with 400 code 8001 naming the field",
		func(body, msg string) {
			expectError(c.send(http.MethodPost, "/v3/challenge", "application/json", body),
				http.StatusBadRequest, mockprove.CodeMalformed, msg)
		},
		Entry("no correlationId", `{"dob":"1981-01-17"}`, "field 'correlationId' is missing"),
		Entry("a dob with slashes", `{"correlationId":"x","dob":"1981/01/17"}`, "field 'dob' has an invalid format"),
		Entry("an ssn of 3 digits", `{"correlationId":"x","ssn":"596"}`, "field 'ssn' has an invalid format"),
		Entry("an ssn with dashes", `{"correlationId":"x","ssn":"847-35-0596"}`, "field 'ssn' has an invalid format"),
		Entry("a numeric ssn", `{"correlationId":"x","ssn":596}`, "field 'ssn' must be a string"),
		Entry("an unknown field", `{"correlationId":"x","lastName":"Pinson"}`, "field 'lastName' is not allowed"),
	)
})

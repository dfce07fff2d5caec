package mockprove_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("POST /v3/validate", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory()
	})

	Context("Prove Identity", func() {
		BeforeEach(func() { c.login(identityID, identitySecret) })

		DescribeTable("passes a short-term persona without any client SDK step; next is v3-complete",
			func(phone string) {
				r := c.validate(c.start(phone))
				Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
				Expect(r.Body).To(Equal(map[string]any{
					"success": true, "challengeMissing": false, "phoneNumber": phone,
					"next": next("v3-complete"),
				}))
				Expect(r.Header.Get("X-Mockprove-Persona")).To(Equal(phone))
				Expect(r.Header.Get("X-Mockprove-Step")).To(Equal("/v3/validate"))
				Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("persona.shortTerm"))
			},
			Entry("Milo Pinson", testkit.Milo),
			Entry("Martina Goodram", testkit.Martina),
		)

		It("keeps challengeMissing false even without dob or ssn", func() {
			r := c.validate(c.start(testkit.Milo))
			Expect(r.Body).To(HaveKeyWithValue("challengeMissing", false))
		})

		It("fails (HTTP 200, success false, next done) for a persona that needs the client SDK", func() {
			r := c.validate(c.start(testkit.Benji))
			Expect(r.Status).To(Equal(http.StatusOK))
			Expect(r.Body).To(Equal(map[string]any{
				"success": false, "challengeMissing": false, "phoneNumber": testkit.Benji, "next": next("done"),
			}))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("possession.missing"))
		})
	})

	Context("Pre-Fill", func() {
		BeforeEach(func() { c.login(prefillID, prefillSecret) })

		It("asks for the challenge when neither dob nor ssn was given at start", func() {
			r := c.validate(c.start(testkit.Milo))
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(r.Body).To(Equal(map[string]any{
				"success": true, "challengeMissing": true, "phoneNumber": testkit.Milo,
				"next": next("v3-challenge"),
			}))
		})

		DescribeTable("offers challenge and complete when a challenge value came with start",
			func(extra map[string]any) {
				r := c.validate(c.start(testkit.Milo, extra))
				Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
				Expect(r.Body).To(HaveKeyWithValue("success", true))
				Expect(r.Body).To(HaveKeyWithValue("challengeMissing", false))
				Expect(r.Next()).To(Equal(next("v3-challenge", "v3-complete")))
			},
			Entry("dob", map[string]any{"dob": "1981-01-17"}),
			Entry("ssn", map[string]any{"ssn": "0596"}),
			Entry("both", map[string]any{"dob": "1981-01", "ssn": "847350596"}),
		)

		It("fails for a persona that needs the client SDK and ends the flow", func() {
			id := c.start(testkit.Marcia)
			r := c.validate(id)
			Expect(r.Status).To(Equal(http.StatusOK))
			Expect(r.Body).To(HaveKeyWithValue("success", false))
			Expect(r.Body).To(HaveKeyWithValue("phoneNumber", testkit.Marcia))
			Expect(r.Next()).To(Equal(next("done")))

			expectError(c.challenge(id, map[string]any{"dob": "1982-07-19"}),
				http.StatusForbidden, mockprove.CodeOutOfOrder, "the flow is finished (state failed)")
		})
	})

	It("fails a persona whose validate outcome is fail (Dana, 2009990001)", func() {
		c.login(identityID, identitySecret)
		id := c.start("2009990001")
		r := c.validate(id)
		Expect(r.Status).To(Equal(http.StatusOK))
		Expect(r.Body).To(HaveKeyWithValue("success", false))
		Expect(r.Next()).To(Equal(next("done")))
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("persona.outcomes.validate"))
		expectError(c.complete(id, individualOf("2009990001")), http.StatusForbidden, mockprove.CodeOutOfOrder, "finished")
	})

	Describe("flow state", func() {
		BeforeEach(func() { c.login(prefillID, prefillSecret) })

		It("refuses a second validate with 403 code 8003 naming the allowed steps, and keeps the state", func() {
			id := c.start(testkit.Milo)
			Expect(c.validate(id).Status).To(Equal(http.StatusOK))

			r := c.validate(id)
			expectError(r, http.StatusForbidden, mockprove.CodeOutOfOrder,
				"step not allowed: v3-validate is not in next; allowed: v3-challenge")
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("flow.order"))

			// Still at the challenge.
			ch := c.challenge(id, map[string]any{"dob": "1981-01-17"})
			Expect(ch.Status).To(Equal(http.StatusOK), string(ch.Raw))
			Expect(ch.Body).To(HaveKeyWithValue("success", true))
		})

		It("answers 400 code 8008 for an unknown correlationId", func() {
			r := c.validate("713189b8-5555-4b08-83ba-75d08780aebd")
			expectError(r, http.StatusBadRequest, mockprove.CodeInvalidCorrelation,
				"invalid correlation ID: 713189b8-5555-4b08-83ba-75d08780aebd is not a flow of this client")
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("flow.unknown"))
			Expect(r.Header.Get("X-Mockprove-Persona")).To(BeEmpty())
		})

		It("answers 400 code 8008 for another client's flow, which stays usable by its owner", func() {
			id := c.start(testkit.Milo)
			other := c.as(identityID, identitySecret)
			expectError(other.validate(id), http.StatusBadRequest, mockprove.CodeInvalidCorrelation, "is not a flow of this client")

			r := c.validate(id)
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(r.Body).To(HaveKeyWithValue("success", true))
		})

		It("answers 400 code 8008 for a second client with the same product", func() {
			c = inMemory(mockprove.Options{Clients: []mockprove.Client{
				{ID: "a", Secret: "sa", Product: mockprove.ProductIdentity},
				{ID: "b", Secret: "sb", Product: mockprove.ProductIdentity},
			}}).login("a", "sa")
			id := c.start(testkit.Milo)
			expectError(c.as("b", "sb").validate(id), http.StatusBadRequest, mockprove.CodeInvalidCorrelation, "not a flow of this client")
		})

		It("keeps a flow for 15 minutes on the emulator's clock, then answers 400 code 8008", func() {
			fresh := c.start(testkit.Milo)
			stale := c.start(testkit.Milo)
			c.srv.FastForward(mockprove.FlowTTL - time.Second)
			Expect(c.validate(fresh).Status).To(Equal(http.StatusOK))

			c.srv.FastForward(time.Second)
			r := c.validate(stale)
			expectError(r, http.StatusBadRequest, mockprove.CodeInvalidCorrelation,
				"the flow expired at "+testkit.T0.Add(15*time.Minute).Format(time.RFC3339))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("flow.expired"))

			// Later steps of a flow past its 15 minutes fail the same way.
			expectError(c.challenge(fresh, map[string]any{"dob": "1981-01-17"}),
				http.StatusBadRequest, mockprove.CodeInvalidCorrelation, "expired")
		})
	})

	DescribeTable("refuses a bad body with 400 code 8001 naming the field",
		func(body, msg string) {
			c.login(identityID, identitySecret)
			expectError(c.send(http.MethodPost, "/v3/validate", "application/json", body),
				http.StatusBadRequest, mockprove.CodeMalformed, msg)
		},
		Entry("no correlationId", `{}`, "field 'correlationId' is missing"),
		Entry("a numeric correlationId", `{"correlationId":5}`, "field 'correlationId' must be a string"),
		Entry("an empty correlationId", `{"correlationId":""}`, "field 'correlationId' must not be empty"),
		Entry("an unknown field", `{"correlationId":"x","phoneNumber":"2001001695"}`, "field 'phoneNumber' is not allowed"),
	)
})

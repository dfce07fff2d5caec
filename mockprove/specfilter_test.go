package mockprove_test

import (
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// ownRule ends the message of a refusal that comes from a constraint
// specs/prove-v3.yaml marks "x-mockprove-source: mockprove".
const ownRule = " (mockprove's own rule, stricter than Prove's documentation)"

var _ = Describe("8001 refusals say whose rule was broken", func() {
	var c *client

	BeforeEach(func() {
		c = inMemory().login(prefillID, prefillSecret)
	})

	refused := func(path, body string) string {
		GinkgoHelper()
		r := c.send(http.MethodPost, path, "application/json", body)
		Expect(r.Status).To(Equal(http.StatusBadRequest), "body: %s", r.Raw)
		Expect(r.Code()).To(Equal(mockprove.CodeMalformed), "body: %s", r.Raw)
		Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("spec"))
		return r.Message()
	}

	const phone = `"phoneNumber":"` + testkit.Milo + `"`
	DescribeTable("a rule of mockprove's own is named as such",
		func(path, body, msg string) {
			Expect(refused(path, body)).To(Equal(msg + ownRule))
		},
		Entry("phoneNumber missing (Prove: optional)", "/v3/start", `{"flowType":"mobile"}`,
			"field 'phoneNumber' is missing"),
		Entry("phoneNumber with a letter", "/v3/start", `{"flowType":"mobile","phoneNumber":"20010O1695"}`,
			"field 'phoneNumber' has an invalid format"),
		Entry("flowType outside desktop and mobile", "/v3/start", `{"flowType":"tablet",`+phone+`}`,
			"field 'flowType' must be one of: desktop, mobile"),
		Entry("a field the document does not list", "/v3/start", `{"flowType":"mobile",`+phone+`,"colour":"red"}`,
			"field 'colour' is not allowed"),
		Entry("finalTargetUrl that is no http(s) URL", "/v3/start",
			`{"flowType":"desktop",`+phone+`,"finalTargetUrl":"ftp://example.com/x"}`,
			"field 'finalTargetUrl' has an invalid format"),
		Entry("dob at start", "/v3/start", `{"flowType":"mobile",`+phone+`,"dob":"01/17/1981"}`,
			"field 'dob' has an invalid format"),
		Entry("ssn at start", "/v3/start", `{"flowType":"mobile",`+phone+`,"ssn":"50596"}`,
			"field 'ssn' has an invalid format"),
		Entry("emailAddress", "/v3/start", `{"flowType":"mobile",`+phone+`,"emailAddress":"a b@example.com"}`,
			"field 'emailAddress' has an invalid format"),
		Entry("ipAddress", "/v3/start", `{"flowType":"mobile",`+phone+`,"ipAddress":"10.0.0.x"}`,
			"field 'ipAddress' has an invalid format"),
		Entry("correlationId over 64 characters", "/v3/validate", `{"correlationId":"`+strings.Repeat("a", 65)+`"}`,
			"field 'correlationId' must be at most 64 characters"),
		Entry("an empty correlationId", "/v3/validate", `{"correlationId":""}`,
			"field 'correlationId' must not be empty"),
		Entry("ssn at challenge", "/v3/challenge", `{"correlationId":"x","ssn":"847-35-0596"}`,
			"field 'ssn' has an invalid format"),
		Entry("a first name over 64 characters", "/v3/complete",
			`{"correlationId":"x","individual":{"firstName":"`+strings.Repeat("M", 65)+`"}}`,
			"field 'individual.firstName' must be at most 64 characters"),
		Entry("a postal code", "/v3/complete",
			`{"correlationId":"x","individual":{"addresses":[{"postalCode":"7828"}]}}`,
			"field 'individual.addresses[0].postalCode' has an invalid format"),
	)

	DescribeTable("a rule Prove documents is worded without a note",
		func(path, body, msg string) {
			Expect(refused(path, body)).To(Equal(msg))
		},
		Entry("flowType missing", "/v3/start", `{`+phone+`}`, "field 'flowType' is missing"),
		Entry("finalTargetUrl over 128 characters", "/v3/start",
			`{"flowType":"desktop",`+phone+`,"finalTargetUrl":"https://example.com/`+strings.Repeat("a", 110)+`"}`,
			"field 'finalTargetUrl' must be at most 128 characters"),
		Entry("smsMessage over 160 characters", "/v3/start",
			`{"flowType":"mobile",`+phone+`,"smsMessage":"`+strings.Repeat("#", 161)+`"}`,
			"field 'smsMessage' must be at most 160 characters"),
		Entry("correlationId missing", "/v3/validate", `{}`, "field 'correlationId' is missing"),
		Entry("ssn of the wrong type (the type is Prove's, the pattern mockprove's)", "/v3/start",
			`{"flowType":"mobile",`+phone+`,"ssn":596}`, "field 'ssn' must be a string"),
		Entry("phoneNumber of the wrong type", "/v3/start", `{"flowType":"mobile","phoneNumber":2001001695}`,
			"field 'phoneNumber' must be a string"),
	)

	It("words a grant_type other than client_credentials as Prove's rule", func() {
		r := c.tokenForm(url.Values{"client_id": {prefillID}, "client_secret": {prefillSecret}, "grant_type": {"password"}})
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "field 'grant_type' must be one of: client_credentials")
		Expect(r.Message()).NotTo(ContainSubstring("mockprove's own rule"))
	})

	It("marks an empty client_id as mockprove's own rule", func() {
		r := c.tokenForm(url.Values{"client_id": {""}, "client_secret": {prefillSecret}, "grant_type": {"client_credentials"}})
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "field 'client_id' must not be empty"+ownRule)
	})
})

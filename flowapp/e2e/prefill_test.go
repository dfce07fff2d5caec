package e2e_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
)

// Pre-Fill: flowapp runs with a Pre-Fill client. Prove asks for a challenge
// (DOB or last 4 of the SSN); the details form is then filled in from it.
var _ = Describe("with a Pre-Fill client", func() {
	It("asks for the last 4 of the SSN and pre-fills the details form", func() {
		e := newEnv(envOptions{ClientID: "prefill-client", ClientSecret: "prefill-secret"})
		e.open()
		e.startWith(testkit.Milo)
		e.waitVisible("#countdown")
		e.openLinkOnPhone(e.linkFromPhone(testkit.Milo))

		e.waitVisible("#challenge-form")
		e.expectFocus("challenge-dob")
		e.fill("#challenge-ssn", "0596")
		e.click("#challenge-submit")

		e.waitVisible("#details-form")
		e.waitVisible("#prefill-note")
		Expect(e.value("#first-name")).To(Equal("Milo"))
		Expect(e.value("#last-name")).To(Equal("Pinson"))
		Expect(e.value("#dob")).To(Equal("1981-01-17"))
		Expect(e.value("#ssn")).To(Equal("*****0596"), "only the last 4 digits of the SSN reach the page")
		Expect(e.text("#ssn-hint")).To(ContainSubstring("only the last 4 digits"))
		Expect(e.value("#email")).To(Equal("mpinsonm@dyndns.org"))
		Expect(e.value("#address")).To(Equal("6377 Birchwood Hill"))
		Expect(e.value("#city")).To(Equal("Littleton"))
		Expect(e.value("#region")).To(Equal("CO"))
		Expect(e.value("#postal-code")).To(Equal("80161-2001"))
		e.docShot("details.png")

		e.submitDetails()
		Expect(e.resultSuccess()).To(BeTrue(), "flowapp sent Prove the full SSN it kept (mockprove compares it)")
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate", "/v3/challenge", "/v3/complete"))
		challenge := e.journalEntry("/v3/challenge").Request.(map[string]any)
		Expect(challenge).To(HaveKeyWithValue("ssn", "***"), "the last 4 of the SSN, masked in the journal")
		sess := e.prove.Sessions()
		Expect(sess).To(HaveLen(1))
		Expect(sess[0].Client).To(Equal("prefill-client"))
		Expect(sess[0].State).To(Equal("completed"))
	})
})

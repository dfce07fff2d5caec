package e2e_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// The Instant Link wait screen offers "Resend link" and "Change number" when
// the SDK calls the app's retry step (instantlink/start answered {}: persona
// 2009990043, possession.instantLink.retry: 1).
var _ = Describe("on a computer, the Instant Link retry step", func() {
	var e *env

	BeforeEach(func() {
		e = newEnv(envOptions{})
		e.open()
	})

	links := func(phone string, n int) []mockprove.SMS {
		GinkgoHelper()
		filter := mockprove.SMSFilter{Phone: phone, Kind: mockprove.SMSKindInstantLink}
		Eventually(func() []mockprove.SMS { return e.prove.Outbox(filter) }).WithTimeout(uiTimeout).Should(HaveLen(n))
		return e.prove.Outbox(filter)
	}

	It("resends the link from the wait screen, and the new link opens the account", func() {
		lucia := mockprove.PhoneLuciaMarchetti
		e.startWith(lucia)
		e.waitVisible("#wait-resend")
		Expect(e.visible("#wait-change")).To(BeTrue())
		Expect(e.text("#wait-phone")).To(Equal("(200) 999-0043"))
		e.shot("retry")
		links(lucia, 1)

		e.click("#wait-resend")
		sms := links(lucia, 2)
		e.waitVisible("#wait-resend") // the SDK calls the retry step again after a resend
		e.openLinkOnPhone(sms[1].Link)
		e.waitVisible("#details-form")
		Expect(e.calls()).To(inOrder("POST /v3/start", "POST /v1/client/mobile/instantlink/start",
			"POST /v1/client/mobile/instantlink/start", "GET /v1/link", "POST /v3/validate"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate"))
	})

	It("changes the number from the wait screen; a number without the retry behaviour shows no retry buttons", func() {
		e.startWith(mockprove.PhoneLuciaMarchetti)
		e.waitVisible("#wait-change")
		e.click("#wait-change")

		e.fill("#new-phone", testkit.Jordan)
		e.click("#change-submit")
		e.waitVisible("#countdown")
		Expect(e.text("#wait-phone")).To(Equal("(200) 999-0039"))
		e.openLinkOnPhone(links(testkit.Jordan, 1)[0].Link)
		e.waitVisible("#details-form")
		Expect(e.visible("#wait-retry")).To(BeFalse())
		v := e.journalEntry("/v3/validate").Response.(map[string]any)
		Expect(v).To(HaveKeyWithValue("phoneNumber", testkit.Jordan))
	})
})

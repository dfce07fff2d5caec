package e2e_test

import (
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// A computer's browser: flowapp starts a desktop flow and the SDK waits on
// its WebSocket while the customer opens the Instant Link on their phone.
var _ = Describe("on a computer (desktop, Instant Link)", func() {
	var e *env

	BeforeEach(func() {
		e = newEnv(envOptions{})
		e.open()
	})

	// desktopVerify starts with phone, opens the texted link on the "phone"
	// (a second tab) and waits for the details form.
	desktopVerify := func(phone string) {
		GinkgoHelper()
		e.startWith(phone)
		e.waitVisible("#countdown")
		e.openLinkOnPhone(e.linkFromPhone(phone))
		e.waitVisible("#details-form")
	}

	It("opens the account after the link is opened on the phone", func() {
		e.fill("#phone", testkit.Jordan)
		e.docShot("phone-entry.png")
		e.click("#start")

		e.waitVisible("#countdown")
		Expect(e.text("#wait-phone")).To(Equal("(200) 999-0039"))
		Expect(e.text("#wait-text")).To(ContainSubstring("We texted a link to"))
		Expect(e.text("#countdown")).To(MatchRegexp(`^[0-3]:[0-5]\d$`), "minutes and seconds")
		e.waitVisible("#phone-link")
		var href string
		e.run("read the hint", chromedp.AttributeValue("#phone-link", "href", &href, nil, chromedp.ByID))
		Expect(href).To(Equal(e.prove.URL() + "/_mock/phone"))
		Expect(e.text("#phone-hint-box")).To(SatisfyAll(MatchRegexp(`(?i)^developer hint`), ContainSubstring("Open the virtual phone")))
		e.shot("waiting")
		e.docShot("instant-link-wait.png")

		e.openLinkOnPhone(e.linkFromPhone(testkit.Jordan))
		e.waitVisible("#details-form")
		Expect(e.value("#first-name")).To(BeEmpty(), "Prove Identity sends no pre-fill data")
		e.fillDetails(people[testkit.Jordan])
		e.submitDetails()

		Expect(e.resultSuccess()).To(BeTrue())
		Expect(e.text("#cip-confidence")).To(MatchRegexp(`(?i)^high$`))
		e.docShot("result.png")

		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate", "/v3/complete"))
		Expect(e.calls()).To(inOrder("POST /token", "POST /v3/start",
			"POST /v1/client/mobile/instantlink/start", "GET /v1/link",
			"POST /v3/validate", "POST /v3/complete"))
		start := e.journalEntry("/v3/start").Request.(map[string]any)
		Expect(start).To(HaveKeyWithValue("flowType", "desktop"))
		Expect(start).To(HaveKeyWithValue("finalTargetUrl", e.appURL+"/landing"))
		complete := e.journalEntry("/v3/complete").Request.(map[string]any)
		Expect(complete).To(HaveKeyWithValue("individual", HaveKeyWithValue("lastName", "Ellis")))
	})

	It("says the link expired when it is not opened in time", func() {
		e.startWith(testkit.Felix)
		e.waitVisible("#countdown")
		e.linkFromPhone(testkit.Felix)
		e.advanceClock("3m1s") // links live 3 minutes

		e.waitVisible("#error")
		e.shot("error")
		Expect(e.text("#error-message")).To(ContainSubstring("link we texted expired"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate"))
		validate := e.journalEntry("/v3/validate").Response.(map[string]any)
		Expect(validate).To(HaveKeyWithValue("success", false))

		e.click("#restart")
		e.waitVisible("#phone")
	})

	It("says we could not verify the phone when Prove's validate fails", func() {
		e.startWith(testkit.Dana)
		e.waitVisible("#countdown")
		e.openLinkOnPhone(e.linkFromPhone(testkit.Dana))

		e.waitVisible("#error")
		e.shot("error")
		Expect(strings.ToLower(e.text("#error-title"))).To(ContainSubstring("we could not verify"))
		Expect(e.text("#error-message")).To(ContainSubstring("could not verify this mobile number"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate"))
		e.click("#restart")
		e.waitVisible("#phone")
	})

	It("shows an unsuccessful result when the name does not match", func() {
		desktopVerify(testkit.Jordan)
		p := people[testkit.Jordan]
		p.Last = "Smithers"
		e.fillDetails(p)
		e.submitDetails()

		Expect(e.resultSuccess()).To(BeFalse())
		Expect(e.text("#result-failure")).To(ContainSubstring("We couldn't verify your identity"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/validate", "/v3/complete"))
		complete := e.journalEntry("/v3/complete").Response.(map[string]any)
		Expect(complete).To(HaveKeyWithValue("success", false))
		e.click("#result-restart")
		e.waitVisible("#phone")
	})

	It("lists the KYC hits", func() {
		desktopVerify(testkit.Harold)
		e.fillDetails(people[testkit.Harold])
		e.submitDetails()

		Expect(e.resultSuccess()).To(BeTrue())
		e.waitVisible("#kyc-hits")
		Expect(e.text("#kyc-summary")).To(Equal("4 hits"))
		hits := e.text("#kyc-list")
		Expect(hits).To(ContainSubstring("PEP"))
		Expect(hits).To(ContainSubstring("3 hits"))
		Expect(hits).To(ContainSubstring("Sanctions"))
		Expect(hits).To(ContainSubstring("1 hit"))
	})

	It("shows a clear error when Prove fails at /v3/start, and trying again works", func() {
		Expect(e.prove.FailNext("/v3/start", 500)).To(Succeed())
		e.startWith(testkit.Jordan)

		e.waitVisible("#error")
		e.shot("error")
		Expect(e.text("#error-title")).To(Equal("Verification is unavailable"))
		Expect(e.text("#error-message")).To(ContainSubstring("try again"))
		Expect(e.text("#error-detail")).To(ContainSubstring("prove_unavailable"))

		e.click("#restart")
		e.waitVisible("#phone")
		e.click("#start")
		e.waitVisible("#countdown")
		e.openLinkOnPhone(e.linkFromPhone(testkit.Jordan))
		e.fillDetails(people[testkit.Jordan])
		e.submitDetails()
		Expect(e.resultSuccess()).To(BeTrue())
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/start", "/v3/validate", "/v3/complete"))
		Expect(e.journalEntry("/v3/start").Status).To(Equal(200))
	})

	It("still completes when /v3/validate is slow, waiting for it", func() {
		_, err := e.prove.AddFault(mockprove.FaultSpec{Step: "/v3/validate", Kind: "delay", Delay: "500ms", Count: 1})
		Expect(err).NotTo(HaveOccurred())
		e.startWith(testkit.Jordan)
		e.waitVisible("#countdown")
		link := e.linkFromPhone(testkit.Jordan)
		began := time.Now()
		e.openLinkOnPhone(link)
		e.waitVisible("#details-form")
		Expect(time.Since(began)).To(BeNumerically(">=", 500*time.Millisecond), "the page waited for the slow /v3/validate")
		Expect(e.journalEntry("/v3/validate").Fault).NotTo(BeEmpty(), "the delay was injected")
		e.fillDetails(people[testkit.Jordan])
		e.submitDetails()
		Expect(e.resultSuccess()).To(BeTrue())
	})
})

package uitest_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/chromedp/chromedp"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("the dashboard", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	Describe("phone", func() {
		It("shows an OTP in the inbox after otp/start, without reloading", func() {
			e.open("phone")
			e.waitFor(`document.querySelector('#sms-empty').hidden`, BeFalse())

			e.sendOTP(testkit.Jordan)
			e.waitFor(texts(".sms .otp-code"), Equal([]any{"1234"}))
			e.waitFor(texts(".sms .sms-status"), Equal([]any{"Valid"}))
			e.waitFor(texts(".sms-meta strong"), Equal([]any{testkit.Jordan}))
			e.notReloaded()

			By("keeping a selection in the inbox while a new SMS arrives")
			e.eval(`(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('.otp-code'));
				getSelection().removeAllRanges(); getSelection().addRange(r); return true })()`, nil)
			e.sendOTP(testkit.Abigail)
			e.waitFor(texts(".sms .otp-code"), Equal([]any{"654321", "1234"})) // newest first
			e.waitFor(`getSelection().toString()`, Equal("1234"))
			e.notReloaded()

			By("showing an Instant Link as a button")
			e.eval(`getSelection().removeAllRanges()`, nil)
			f := e.start(testkit.Felix, map[string]any{"flowType": "desktop", "finalTargetUrl": landingURL})
			e.device(f, "/v1/client/mobile/instantlink/start", `{"sourceIp":null,"isMobile":false}`)
			e.waitFor(texts(".sms-meta strong"), Equal([]any{testkit.Felix, testkit.Abigail, testkit.Jordan}))
			e.waitFor(`document.querySelector('.sms .open-link').href`, Equal(linkOf(e.s, f.id)))
			e.shot("dashboard-phone.png")

			By("filtering by number")
			e.choose("#phone-filter", testkit.Abigail)
			e.waitFor(`location.hash`, Equal("#/phone/"+testkit.Abigail))
			e.waitFor(texts(".sms .otp-code"), Equal([]any{"654321"}))
		})

		It("opens the dashboard's phone view from /_mock/phone", func() {
			e.sendOTP(testkit.Jordan)
			e.open("controls")
			e.run(chromedp.Navigate(e.base + "/_mock/phone?token=" + ctlToken + "&phone=" + testkit.Jordan))
			e.waitFor(`location.pathname + location.hash`, Equal("/_mock/ui/#/phone/"+testkit.Jordan))
			e.waitFor(texts(".sms .otp-code"), Equal([]any{"1234"}))
		})

		It("opens an Instant Link from its button and so completes the waiting flow", func() {
			f := e.start(testkit.Jordan, map[string]any{"flowType": "desktop", "finalTargetUrl": landingURL})
			e.device(f, "/v1/client/mobile/instantlink/start", `{"sourceIp":null,"isMobile":false}`)
			e.open("phone")
			e.waitFor(texts(".sms .open-link"), Equal([]any{"Open Instant Link"}))
			e.s.CheckPossession(GinkgoT(), f.id, false)

			e.click(".sms .open-link")
			Eventually(func() bool { sess, _ := e.s.Session(f.id); return sess.Possession.Passed }).Should(BeTrue(),
				"the click opens the link in a new tab, which passes the possession check")
			res := e.api("/v3/validate", map[string]any{"correlationId": f.id})
			Expect(res.status).To(Equal(http.StatusOK))
			Expect(res.json()).To(HaveKeyWithValue("success", true))

			By("showing it on the flow's page")
			e.click(".sms a[href^='#/flows/']")
			e.waitFor(`location.hash`, Equal("#/flows/"+f.id))
			e.waitFor(`document.querySelector('#flow-state').textContent`, Equal("validated"))
			e.waitFor(texts("#flow-timeline li"), Equal([]any{
				"09:30:00/v3/start → 200 (start)",
				"09:30:00possession: link-sent",
				"09:30:00possession: link-clicked",
				"09:30:00/v3/validate → 200, success (validate)",
			}))
			e.waitFor(texts("#flow-journal .path"), ContainElements("POST /v3/start", "POST /v1/client/mobile/instantlink/start", "GET /v1/link/"+linkToken(e.s, f.id), "POST /v3/validate"))
			e.notReloaded()
			e.shot("dashboard-flow.png")
		})

		It("marks an SMS expired when the clock is advanced", func() {
			e.sendOTP(testkit.Jordan)
			e.open("controls")
			e.waitFor(`document.querySelector('#ctl-now').textContent`, Equal("2026-03-02 09:30:00 UTC"))
			e.click(`button[data-advance="2m"]`)
			e.waitFor(`document.querySelector('#clock-now').textContent`, Equal("2026-03-02 09:32:00 UTC"))
			Expect(e.s.Clock().Now()).To(Equal(testkit.T0.Add(2 * time.Minute)))

			e.click(`nav a[href="#/phone"]`)
			e.waitFor(texts(".sms .sms-status"), Equal([]any{"Expired"}))
			e.waitFor(`document.querySelector('.sms').classList.contains('expired')`, BeTrue())

			By("and by a clock moved from elsewhere, live")
			e.sendOTP(testkit.Abigail)
			e.waitFor(texts(".sms .sms-status"), Equal([]any{"Valid", "Expired"}))
			e.s.FastForward(2 * time.Minute)
			e.waitFor(texts(".sms .sms-status"), Equal([]any{"Expired", "Expired"}))
			e.notReloaded()
		})
	})

	Describe("accessibility", func() {
		It("labels every control and works from the keyboard", func() {
			e.sendOTP(testkit.Jordan)
			e.open("controls")
			e.waitFor(`[...document.querySelectorAll('input, select, textarea')]
				.filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.id || el.name)`, BeEmpty())
			e.waitFor(`[...document.querySelectorAll('[onclick], [tabindex]:not([tabindex="-1"])')].length`, BeNumerically("==", 0))

			e.run(chromedp.Focus(`button[data-advance="30s"]`, chromedp.ByQuery), chromedp.KeyEvent("\r"))
			e.waitFor(`document.querySelector('#ctl-now').textContent`, Equal("2026-03-02 09:30:30 UTC"))
			e.run(chromedp.Focus(`nav a[href="#/phone"]`, chromedp.ByQuery), chromedp.KeyEvent("\r"))
			e.waitFor(`location.hash`, Equal("#/phone"))
			e.waitFor(`document.activeElement.id`, Equal("phone-title")) // the focus moves to the view's heading
			e.run(chromedp.Focus(`.sms button.copy`, chromedp.ByQuery), chromedp.KeyEvent(" "))
			e.waitFor(`document.querySelector('.sms button.copy').textContent`, Equal("Copied ✓"))
			e.waitFor(`document.querySelector('#toast').textContent`, Equal("Code 1234 copied"))
			e.notReloaded()
		})
	})

	Describe("flows", func() {
		It("lists the flows with their persona, client, product, type and state", func() {
			e.open("flows")
			f := e.sendOTP(testkit.Jordan)
			e.start(testkit.Milo, nil)
			e.waitFor(texts("#flows-body .c-name"), ConsistOf("Jordan Ellis", "Milo Pinson"))
			e.waitFor(texts("#flows-body .c-state"), ConsistOf("started", "started"))

			Expect(e.device(f, "/v1/client/mobile/otp/finish", `{"otp":"1234"}`).status).To(Equal(http.StatusOK))
			Expect(e.api("/v3/validate", map[string]any{"correlationId": f.id}).json()).To(HaveKeyWithValue("success", true))
			e.waitFor(`[...document.querySelectorAll('#flows-body tr')].map(tr => [tr.querySelector('.c-name').textContent, tr.querySelector('.c-state').textContent, tr.querySelector('.c-poss').textContent, tr.querySelector('.c-client').textContent, tr.querySelector('.c-product').textContent, tr.querySelector('.c-type').textContent].join(' '))`,
				ConsistOf("Jordan Ellis validated passed identity-client identity mobile", "Milo Pinson started — identity-client identity mobile"))
			e.notReloaded()
			e.shot("dashboard-flows.png")
		})
	})

	Describe("personas", func() {
		It("adds a persona from the form, which the next /v3/start uses", func() {
			e.open("personas")
			e.waitFor(texts("#personas-body td:first-child"), ContainElement(testkit.Jordan))
			e.shot("dashboard-personas.png")
			e.click(`a[href="#/personas/new"]`)
			e.waitFor(`document.querySelector('#p-raw').value.includes('"phone": "2009990099"')`, BeTrue())

			e.typeInto("#p-phone", "2009990098")
			e.typeInto("#p-name", "Uma Tester")
			e.typeInto("#p-otp", "12ab")
			e.click("#persona-save")
			By("naming the field the API refused")
			e.waitFor(`document.querySelector('#p-otp-err').textContent`, ContainSubstring("possession.otp.code"))
			e.waitFor(`document.querySelector('#p-otp').getAttribute('aria-invalid')`, Equal("true"))
			e.waitFor(`document.activeElement.id`, Equal("p-otp"))
			_, exists := e.s.Persona("2009990098")
			Expect(exists).To(BeFalse())
			e.shot("dashboard-persona-form.png")

			e.typeInto("#p-otp", "987654")
			e.choose("#p-validate", "")
			e.click("#persona-save")
			e.waitFor(`location.hash`, Equal("#/personas"))
			e.waitFor(texts("#personas-body td:first-child"), ContainElement("2009990098"))
			p, ok := e.s.Persona("2009990098")
			Expect(ok).To(BeTrue())
			Expect(p.Name).To(Equal("Uma Tester"))
			Expect(p.Possession.OTP.Code).To(Equal("987654"))

			res := e.api("/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": "2009990098"})
			Expect(res.status).To(Equal(http.StatusOK), string(res.raw))
			Expect(res.header.Get("X-Mockprove-Persona")).To(Equal("2009990098"))
			id, _ := res.json()["correlationId"].(string)
			sess, ok := e.s.Session(id)
			Expect(ok).To(BeTrue())
			Expect(sess.Persona).To(Equal("Uma Tester"))
			tok, _ := res.json()["authToken"].(string)
			e.device(flow{id: id, token: tok}, "/v1/client/mobile/otp/start", `{}`)
			code, _ := e.s.LastOTP("2009990098")
			Expect(code).To(Equal("987654"))
			e.notReloaded()
		})

		It("saves a persona written as YAML in the raw editor", func() {
			e.open("personas/new")
			e.waitFor(`document.querySelector('#p-raw').value.includes('"phone": "2009990099"')`, BeTrue())
			e.run(chromedpSetRaw("phone: \"2009990097\"\nname: Yara Yaml\nproducts: [identity]\nshortTerm: true\n" +
				"individual: {firstName: Yara, lastName: Yaml, dob: \"1990-01-01\", ssn: \"900000002\"}\n"))
			e.waitFor(`document.querySelector('#persona-fields').disabled`, BeTrue())
			e.click("#persona-save")
			e.waitFor(`location.hash`, Equal("#/personas"))
			p, ok := e.s.Persona("2009990097")
			Expect(ok).To(BeTrue())
			Expect(p.Name).To(Equal("Yara Yaml"))
			Expect(p.ShortTerm).To(BeTrue())
		})

		It("edits a persona and shows an error the schema finds in the raw editor", func() {
			e.open("personas/edit/" + testkit.Jordan)
			e.waitFor(`document.querySelector('#p-name').value`, Equal("Jordan Ellis"))
			e.run(chromedpSetRaw(`{"phone": "` + testkit.Jordan + `", "name": "Jordan Ellis", "products": ["identity"], "individual": {"dob": "yesterday"}}`))
			e.click("#persona-save")
			e.waitFor(`document.querySelector('#p-raw-err').textContent`, ContainSubstring("individual.dob"))
			e.waitFor(`document.querySelector('#p-raw').getAttribute('aria-invalid')`, Equal("true"))
		})
	})

	Describe("controls", func() {
		It("adds a fault from the form, which hits the next call", func() {
			e.open("controls")
			e.waitFor(texts("#f-persona option"), ContainElement(testkit.Jordan+" · Jordan Ellis"))
			e.choose("#f-step", "/v3/start")
			e.choose("#f-persona", testkit.Jordan)
			e.typeInto("#f-status", "503")
			e.click(`#fault-form button[type="submit"]`)
			e.waitFor(texts("#faults-body td:nth-child(2)"), Equal([]any{"/v3/start"}))
			Expect(e.s.Faults()).To(HaveLen(1))
			e.shot("dashboard-controls.png")

			res := e.api("/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": testkit.Jordan})
			Expect(res.status).To(Equal(http.StatusServiceUnavailable), string(res.raw))
			Expect(res.header.Get("X-Mockprove-Fault")).To(Equal("f1"))
			By("removing the spent fault from the list, live")
			e.waitFor(`document.querySelector('#faults-empty').hidden`, BeFalse())
			Expect(e.api("/v3/start", map[string]any{"flowType": "mobile", "phoneNumber": testkit.Jordan}).status).To(Equal(http.StatusOK))
			e.notReloaded()
		})

		It("names the field of a fault the API refuses", func() {
			e.open("controls")
			e.choose("#f-step", "/v3/start")
			e.choose("#f-kind", "delay")
			e.click(`#fault-form button[type="submit"]`)
			e.waitFor(`document.querySelector('#f-delay-err').textContent`, ContainSubstring("field 'delay'"))
			Expect(e.s.Faults()).To(BeEmpty())
		})

		It("advances the clock by a custom duration and resets mockprove", func() {
			e.sendOTP(testkit.Jordan)
			e.open("controls")
			e.typeInto("#advance-custom", "90s")
			e.click(`#advance-form button[type="submit"]`)
			e.waitFor(`document.querySelector('#ctl-now').textContent`, Equal("2026-03-02 09:31:30 UTC"))
			e.typeInto("#advance-custom", "soon")
			e.click(`#advance-form button[type="submit"]`)
			e.waitFor(`document.querySelector('#advance-custom-err').textContent`, ContainSubstring("field 'duration'"))

			e.click("#reset-start")
			e.click("#reset-yes")
			e.waitFor(`document.querySelector('#ctl-now').textContent`, Equal("2026-03-02 09:30:00 UTC"))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
			e.notReloaded()
		})
	})
})

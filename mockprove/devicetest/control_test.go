package devicetest_test

import (
	"net/http"
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// personaJSON is a valid new persona (a number outside the default file).
const newPhone = "2009990099"

func personaJSON(phone, otpCode string) string {
	return `{"phone":"` + phone + `","name":"Run-time Rita","products":["identity"],` +
		`"individual":{"firstName":"Rita","lastName":"Runtime"},` +
		`"possession":{"otp":{"code":"` + otpCode + `"}}}`
}

var _ = Describe("the control API", func() {
	var e *env

	BeforeEach(func() { e = newEnv() })

	It("answers GET /_mock/health", func() {
		Expect(e.ctl(http.MethodGet, "/_mock/health", "", http.StatusOK).JSON()).To(Equal(map[string]any{"status": "ok", "version": mockprove.Version}))
	})

	Describe("GET /_mock/sms (the virtual phone)", func() {
		It("lists the SMS of a phone with kind, phone, body, code or link, correlationId, sentAt and expiresAt", func() {
			m := e.start(testkit.Jordan)
			e.s.FastForward(10 * time.Second)
			Expect(e.envelope(m.Token, otpStart, `{}`)).To(BeEmpty())
			d := e.startDesktop(testkit.Jordan)
			e.s.FastForward(20 * time.Second)
			e.sendLink(d)
			e.passOTP(e.start(testkit.Abigail), "654321")

			msgs := e.sms("+1" + testkit.Jordan)
			Expect(msgs).To(HaveLen(2))
			Expect(msgs[0]).To(And(
				HaveKeyWithValue("kind", "otp"), HaveKeyWithValue("phone", testkit.Jordan), HaveKeyWithValue("code", "1234"),
				HaveKeyWithValue("correlationId", m.ID), HaveKey("body"), Not(HaveKey("link")),
			))
			Expect(mustTime(msgs[0]["sentAt"])).To(Equal(testkit.T0.Add(10 * time.Second)))
			Expect(mustTime(msgs[0]["expiresAt"])).To(Equal(testkit.T0.Add(10*time.Second + 2*time.Minute)))
			Expect(msgs[1]).To(And(
				HaveKeyWithValue("kind", "instantlink"), HaveKeyWithValue("phone", testkit.Jordan), HaveKeyWithValue("link", e.lastLink(d)),
				HaveKeyWithValue("correlationId", d.ID), HaveKey("body"), Not(HaveKey("code")),
			))
			Expect(mustTime(msgs[1]["sentAt"])).To(Equal(testkit.T0.Add(30 * time.Second)))
			Expect(mustTime(msgs[1]["expiresAt"])).To(Equal(testkit.T0.Add(30*time.Second + 3*time.Minute)))
		})

		It("filters by correlationId and kind, and lists all without filters", func() {
			m := e.start(testkit.Jordan)
			e.passOTP(m, "1234")
			d := e.startDesktop(testkit.Jordan)
			e.sendLink(d)
			Expect(e.ctl(http.MethodGet, "/_mock/sms?correlationId="+d.ID, "", http.StatusOK).List()).To(ConsistOf(HaveKeyWithValue("correlationId", d.ID)))
			Expect(e.ctl(http.MethodGet, "/_mock/sms?kind=otp", "", http.StatusOK).List()).To(ConsistOf(HaveKeyWithValue("correlationId", m.ID)))
			Expect(e.ctl(http.MethodGet, "/_mock/sms", "", http.StatusOK).List()).To(HaveLen(2))
		})

		It("answers [] when nothing was sent, and 400 for a bad kind", func() {
			Expect(e.ctl(http.MethodGet, "/_mock/sms?phone="+testkit.Jordan, "", http.StatusOK).Raw).To(MatchJSON(`[]`))
			Expect(e.ctl(http.MethodGet, "/_mock/sms?kind=email", "", http.StatusBadRequest).Code()).To(Equal(mockprove.CodeMalformed))
		})
	})

	Describe("the clock", func() {
		It("GET /_mock/clock shows the frozen business time", func() {
			c := e.ctl(http.MethodGet, "/_mock/clock", "", http.StatusOK).JSON()
			Expect(mustTime(c["now"])).To(Equal(testkit.T0))
			Expect(c).To(HaveKeyWithValue("frozen", true))
		})

		It("POST /_mock/clock/advance moves it and answers the new time", func() {
			c := e.ctl(http.MethodPost, "/_mock/clock/advance", `{"duration":"2m1s"}`, http.StatusOK).JSON()
			Expect(mustTime(c["now"])).To(Equal(testkit.T0.Add(2*time.Minute + time.Second)))
			Expect(mustTime(e.ctl(http.MethodGet, "/_mock/clock", "", http.StatusOK).JSON()["now"])).To(Equal(testkit.T0.Add(121 * time.Second)))
			Expect(e.s.Clock().Now()).To(Equal(testkit.T0.Add(121 * time.Second)))
		})

		It("shares the clock with s.FastForward", func() {
			e.s.FastForward(time.Hour)
			Expect(mustTime(e.ctl(http.MethodGet, "/_mock/clock", "", http.StatusOK).JSON()["now"])).To(Equal(testkit.T0.Add(time.Hour)))
		})

		DescribeTable("refuses a bad advance with 400 naming the field, and does not move",
			func(body string) {
				res := e.control(http.MethodPost, "/_mock/clock/advance", body)
				Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
				Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
				Expect(res.JSON()["message"]).To(ContainSubstring("'duration'"))
				Expect(e.s.Clock().Now()).To(Equal(testkit.T0))
			},
			Entry("not a duration", `{"duration":"soon"}`),
			Entry("negative", `{"duration":"-1m"}`),
			Entry("missing", `{}`),
		)

		It("POST /_mock/clock/set moves it to an instant and fires what is due", func() {
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			e.sendLink(f)
			c := e.ctl(http.MethodPost, "/_mock/clock/set", `{"time":"`+testkit.T0.Add(3*time.Minute).Format(time.RFC3339)+`"}`, http.StatusOK).JSON()
			Expect(mustTime(c["now"])).To(Equal(testkit.T0.Add(3 * time.Minute)))
			ws.expectExpired()
			Expect(e.control(http.MethodPost, "/_mock/clock/set", `{"time":"yesterday"}`).Status).To(Equal(http.StatusBadRequest))
		})

		It("moves an otherwise running clock too", func() {
			e = newEnv(mockprove.Options{Clock: mockprove.NewClock()})
			before := time.Now()
			c := e.ctl(http.MethodPost, "/_mock/clock/advance", `{"duration":"1h"}`, http.StatusOK).JSON()
			Expect(c).To(HaveKeyWithValue("frozen", false))
			Expect(c).To(HaveKeyWithValue("offset", "1h0m0s"))
			Expect(mustTime(c["now"])).To(BeTemporally(">=", before.Add(time.Hour)))
		})
	})

	Describe("sessions", func() {
		It("GET /_mock/sessions lists the flows, oldest first, with state, persona and phone", func() {
			a := e.start(testkit.Jordan)
			e.s.FastForward(time.Second)
			b := e.startDesktop(testkit.Tessa)
			list := e.ctl(http.MethodGet, "/_mock/sessions", "", http.StatusOK).List()
			Expect(pluckMaps(list, "correlationId")).To(Equal([]string{a.ID, b.ID}))
			Expect(list[0]).To(And(
				HaveKeyWithValue("state", "started"), HaveKeyWithValue("persona", "Jordan Ellis"),
				HaveKeyWithValue("phone", testkit.Jordan), HaveKeyWithValue("flowType", "mobile"),
				HaveKeyWithValue("client", identityID), HaveKeyWithValue("possessionPassed", false),
			))
			Expect(list[1]).To(And(HaveKeyWithValue("persona", "Tessa Morrow"), HaveKeyWithValue("flowType", "desktop")))
		})

		It("filters by state and phone", func() {
			a := e.start(testkit.Jordan)
			e.passOTP(a, "1234")
			Expect(e.validate(a.ID)).To(BeTrue())
			b := e.start(testkit.Jordan)
			c := e.start(testkit.Tessa)
			Expect(pluckMaps(e.ctl(http.MethodGet, "/_mock/sessions?state=validated", "", http.StatusOK).List(), "correlationId")).To(Equal([]string{a.ID}))
			Expect(pluckMaps(e.ctl(http.MethodGet, "/_mock/sessions?phone=%2B1"+testkit.Tessa, "", http.StatusOK).List(), "correlationId")).To(Equal([]string{c.ID}))
			Expect(pluckMaps(e.ctl(http.MethodGet, "/_mock/sessions?state=started&phone="+testkit.Jordan, "", http.StatusOK).List(), "correlationId")).To(Equal([]string{b.ID}))
		})

		It("GET /_mock/sessions/{id} shows the state, persona, steps with times and possession attempts", func() {
			f := e.start(testkit.Tessa, retry)
			e.s.FastForward(5 * time.Second)
			Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
			e.s.FastForward(10 * time.Second)
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(rejectedWith(dataOTPInvalid))
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(rejectedWith(dataOTPInvalid))
			e.s.FastForward(10 * time.Second)
			Expect(e.envelope(f.Token, otpFinish, otpBody("1234"))).To(Equal(done))
			e.s.FastForward(time.Minute)
			Expect(e.validate(f.ID)).To(BeTrue())

			sess := e.session(f.ID)
			Expect(sess).To(And(
				HaveKeyWithValue("correlationId", f.ID), HaveKeyWithValue("state", "validated"),
				HaveKeyWithValue("persona", "Tessa Morrow"), HaveKeyWithValue("phone", testkit.Tessa),
				HaveKeyWithValue("possessionPassed", true),
				HaveKeyWithValue("next", map[string]any{"v3-complete": "/v3/complete"}),
			))
			Expect(mustTime(sess["createdAt"])).To(Equal(testkit.T0))
			Expect(mustTime(sess["expiresAt"])).To(Equal(testkit.T0.Add(15 * time.Minute)))

			steps, _ := sess["steps"].([]any)
			Expect(pluck(steps, "step")).To(Equal([]string{"/v3/start", "/v3/validate"}))
			Expect(mustTime(steps[0].(map[string]any)["at"])).To(Equal(testkit.T0))
			Expect(mustTime(steps[1].(map[string]any)["at"])).To(Equal(testkit.T0.Add(85 * time.Second)))
			Expect(steps[1]).To(HaveKeyWithValue("success", true))

			p := possession(sess)
			Expect(p).To(And(HaveKeyWithValue("method", "otp"), HaveKeyWithValue("passed", true), HaveKeyWithValue("failed", false)))
			Expect(p).To(HaveKeyWithValue("otp", And(
				HaveKeyWithValue("attempts", BeNumerically("==", 3)),
				HaveKeyWithValue("maxAttempts", BeNumerically("==", 3)),
				HaveKeyWithValue("sends", BeNumerically("==", 1)),
			)))
			attempts, _ := p["attempts"].([]any)
			Expect(kinds(attempts)).To(Equal([]string{"otp-sent", "otp-wrong", "otp-wrong", "otp-right"}))
			var at []time.Time
			for _, a := range attempts {
				at = append(at, mustTime(a.(map[string]any)["at"]))
			}
			Expect(at).To(Equal([]time.Time{testkit.T0.Add(5 * time.Second), testkit.T0.Add(15 * time.Second), testkit.T0.Add(15 * time.Second), testkit.T0.Add(25 * time.Second)}))
		})

		It("answers 404 code 8008 for an unknown flow", func() {
			res := e.ctl(http.MethodGet, "/_mock/sessions/00000000-0000-4000-8000-000000000000", "", http.StatusNotFound)
			Expect(res.Code()).To(Equal(mockprove.CodeInvalidCorrelation))
		})

		It("agrees with s.Session and s.Sessions", func() {
			f := e.start(testkit.Jordan)
			sess, ok := e.s.Session(f.ID)
			Expect(ok).To(BeTrue())
			Expect(sess.State).To(Equal(mockprove.StateStarted))
			Expect(sess.Phone).To(Equal(testkit.Jordan))
			Expect(sess.Persona).To(Equal("Jordan Ellis"))
			Expect(e.s.Sessions()).To(HaveLen(1))
			_, ok = e.s.Session("nope")
			Expect(ok).To(BeFalse())
		})
	})

	Describe("POST /_mock/link/click", func() {
		It("clicks the flow's latest link: done on the socket, location in the answer", func() {
			f := e.startDesktop(testkit.Jordan)
			ws := e.ws(f.Token)
			e.sendLink(f)
			res := e.ctl(http.MethodPost, "/_mock/link/click", `{"correlationId":"`+f.ID+`"}`, http.StatusOK)
			Expect(res.JSON()).To(Equal(map[string]any{"location": landing + "?authId=" + url.QueryEscape(f.AuthID()) + "&asc=true"}))
			ws.expectDone()
			Expect(e.validate(f.ID)).To(BeTrue())
		})

		It("answers 404 for an unknown flow or one without a link, 410 for an expired link", func() {
			Expect(e.ctl(http.MethodPost, "/_mock/link/click", `{"correlationId":"nope"}`, http.StatusNotFound).Code()).To(Equal(mockprove.CodeInvalidCorrelation))
			f := e.startDesktop(testkit.Jordan)
			Expect(e.ctl(http.MethodPost, "/_mock/link/click", `{"correlationId":"`+f.ID+`"}`, http.StatusNotFound).Code()).To(Equal(mockprove.CodeMalformed))
			e.sendLink(f)
			e.s.FastForward(3 * time.Minute)
			Expect(e.ctl(http.MethodPost, "/_mock/link/click", `{"correlationId":"`+f.ID+`"}`, http.StatusGone).Code()).To(Equal(mockprove.CodeMalformed))
			e.s.CheckPossession(GinkgoT(), f.ID, false)
		})
	})

	Describe("personas", func() {
		It("GET /_mock/personas lists the start-up personas, GET /_mock/personas/{phone} one of them", func() {
			list := e.ctl(http.MethodGet, "/_mock/personas", "", http.StatusOK).List()
			defaults, err := mockprove.DefaultPersonas()
			Expect(err).NotTo(HaveOccurred())
			Expect(list).To(HaveLen(len(defaults)))
			Expect(pluckMaps(list, "phone")).To(ContainElements(testkit.Tessa, testkit.Diego, testkit.Abigail, testkit.Felix, testkit.Maya, testkit.Gideon, testkit.Ingrid, testkit.Rashid, testkit.Colleen, testkit.Jordan))

			p := e.ctl(http.MethodGet, "/_mock/personas/"+testkit.Abigail, "", http.StatusOK).JSON()
			Expect(p).To(HaveKeyWithValue("name", "Abigail Thornton"))
			Expect(p).To(HaveKeyWithValue("possession", HaveKeyWithValue("otp", HaveKeyWithValue("code", "654321"))))
			Expect(e.ctl(http.MethodGet, "/_mock/personas/"+testkit.Nobody, "", http.StatusNotFound).Code()).To(Equal(mockprove.CodeUserNotFound))
		})

		It("registers a new persona at run time (201), and a flow can start with it", func() {
			res := e.ctl(http.MethodPut, "/_mock/personas/"+newPhone, personaJSON(newPhone, "777777"), http.StatusCreated)
			Expect(res.JSON()).To(HaveKeyWithValue("name", "Run-time Rita"))
			f := e.start(newPhone)
			e.passOTP(f, "777777")
			Expect(e.sms(newPhone)).To(ConsistOf(HaveKeyWithValue("code", "777777")))
			Expect(e.validate(f.ID)).To(BeTrue())
		})

		It("replaces a persona (200); flows already started keep the old one", func() {
			before := e.start(testkit.Jordan)
			e.ctl(http.MethodPut, "/_mock/personas/"+testkit.Jordan, personaJSON(testkit.Jordan, "4242"), http.StatusOK)
			Expect(e.ctl(http.MethodGet, "/_mock/personas/"+testkit.Jordan, "", http.StatusOK).JSON()).To(HaveKeyWithValue("name", "Run-time Rita"))
			e.passOTP(before, "1234")
			e.passOTP(e.start(testkit.Jordan), "4242")
		})

		It("takes the phone from the path when the body has none", func() {
			body := `{"name":"No Phone","products":["identity"],"individual":{"firstName":"Nora"}}`
			Expect(e.ctl(http.MethodPut, "/_mock/personas/"+newPhone, body, http.StatusCreated).JSON()).To(HaveKeyWithValue("phone", newPhone))
		})

		It("accepts a persona whose individual is empty, as the schema does", func() {
			body := `{"phone":"` + newPhone + `","name":"Empty Emma","products":["identity"],"individual":{}}`
			e.ctl(http.MethodPut, "/_mock/personas/"+newPhone, body, http.StatusCreated)
			e.ctl(http.MethodPut, "/_mock/personas", `{"personas":[`+body+`]}`, http.StatusOK)
			_, err := e.s.SetPersona(mockprove.Persona{Phone: newPhone, Name: "Empty Emma", Products: []string{"identity"}})
			Expect(err).NotTo(HaveOccurred())
		})

		DescribeTable("refuses a bad persona with 400 naming the field, and nothing changes",
			func(phone, body, field string) {
				before := e.ctl(http.MethodGet, "/_mock/personas", "", http.StatusOK).Raw
				res := e.control(http.MethodPut, "/_mock/personas/"+phone, body)
				Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
				Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
				Expect(res.JSON()["message"]).To(ContainSubstring("'" + field + "'"))
				Expect(e.ctl(http.MethodGet, "/_mock/personas", "", http.StatusOK).Raw).To(MatchJSON(before))
			},
			Entry("new: OTP code not digits", newPhone, personaJSON(newPhone, "12ab"), "possession.otp.code"),
			Entry("new: unknown product", newPhone, `{"phone":"`+newPhone+`","name":"X","products":["mortgage"],"individual":{"firstName":"X"}}`, "products[0]"),
			Entry("new: products missing", newPhone, `{"phone":"`+newPhone+`","name":"X","individual":{"firstName":"X"}}`, "products"),
			Entry("new: misspelt field", newPhone, `{"phone":"`+newPhone+`","name":"X","products":["identity"],"individual":{"firstName":"X"},"shortTerms":true}`, "shortTerms"),
			Entry("new: click not an enum value", newPhone, `{"phone":"`+newPhone+`","name":"X","products":["identity"],"individual":{"firstName":"X"},"possession":{"instantLink":{"click":"sometimes"}}}`, "possession.instantLink.click"),
			Entry("new: phone differs from the path", newPhone, personaJSON(testkit.Jordan, "1234"), "phone"),
			Entry("existing: OTP code too long", testkit.Jordan, personaJSON(testkit.Jordan, "12345678"), "possession.otp.code"),
		)

		It("keeps refusing the bad persona's number afterwards", func() {
			e.control(http.MethodPut, "/_mock/personas/"+newPhone, personaJSON(newPhone, "12ab"))
			res := e.startFields(map[string]any{"phoneNumber": newPhone})
			Expect(res.Status).To(Equal(http.StatusBadRequest))
			Expect(res.Code()).To(Equal(mockprove.CodeUserNotFound))
		})

		It("PUT /_mock/personas replaces all personas with a file", func() {
			file := `{"personas":[` + personaJSON(newPhone, "5555") + `]}`
			list := e.ctl(http.MethodPut, "/_mock/personas", file, http.StatusOK).List()
			Expect(pluckMaps(list, "phone")).To(Equal([]string{newPhone}))
			Expect(e.startFields(map[string]any{"phoneNumber": testkit.Jordan}).Code()).To(Equal(mockprove.CodeUserNotFound))
			e.passOTP(e.start(newPhone), "5555")
		})

		It("PUT /_mock/personas accepts YAML", func() {
			yml := "personas:\n  - phone: \"" + newPhone + "\"\n    name: Yaml Yuri\n    products: [identity]\n    individual: {firstName: Yuri}\n"
			r := e.req(http.MethodPut, "/_mock/personas", yml, map[string]string{"Content-Type": "application/yaml"})
			res := e.do(r)
			Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
			Expect(pluckMaps(res.List(), "name")).To(Equal([]string{"Yaml Yuri"}))
		})

		It("PUT /_mock/personas with one invalid persona in the file changes nothing", func() {
			before := e.ctl(http.MethodGet, "/_mock/personas", "", http.StatusOK).Raw
			file := `{"personas":[` + personaJSON(newPhone, "5555") + `,` + personaJSON("2009990098", "12ab") + `]}`
			res := e.control(http.MethodPut, "/_mock/personas", file)
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
			Expect(res.JSON()["message"]).To(And(ContainSubstring("2009990098"), ContainSubstring("'possession.otp.code'")))
			Expect(e.ctl(http.MethodGet, "/_mock/personas", "", http.StatusOK).Raw).To(MatchJSON(before))
			e.ctl(http.MethodGet, "/_mock/personas/"+newPhone, "", http.StatusNotFound)
			e.passOTP(e.start(testkit.Jordan), "1234")
		})

		It("PUT /_mock/personas refuses a file with a number twice, naming the field", func() {
			file := `{"personas":[` + personaJSON(newPhone, "5555") + `,` + personaJSON(newPhone, "6666") + `]}`
			res := e.control(http.MethodPut, "/_mock/personas", file)
			Expect(res.Status).To(Equal(http.StatusBadRequest))
			Expect(res.JSON()["message"]).To(ContainSubstring("'phone'"))
			e.ctl(http.MethodGet, "/_mock/personas/"+testkit.Jordan, "", http.StatusOK)
		})

		It("DELETE /_mock/personas/{phone} removes one (then /v3/start answers 8007); unknown → 404", func() {
			e.ctl(http.MethodDelete, "/_mock/personas/"+testkit.Jordan, "", http.StatusNoContent)
			e.ctl(http.MethodGet, "/_mock/personas/"+testkit.Jordan, "", http.StatusNotFound)
			Expect(e.startFields(map[string]any{"phoneNumber": testkit.Jordan}).Code()).To(Equal(mockprove.CodeUserNotFound))
			Expect(e.ctl(http.MethodDelete, "/_mock/personas/"+testkit.Jordan, "", http.StatusNotFound).Code()).To(Equal(mockprove.CodeUserNotFound))
			e.ctl(http.MethodGet, "/_mock/personas/"+testkit.Tessa, "", http.StatusOK)
		})

		It("DELETE /_mock/personas removes them all", func() {
			e.ctl(http.MethodDelete, "/_mock/personas", "", http.StatusNoContent)
			Expect(e.ctl(http.MethodGet, "/_mock/personas", "", http.StatusOK).Raw).To(MatchJSON(`[]`))
			Expect(e.startFields(map[string]any{"phoneNumber": testkit.Milo}).Code()).To(Equal(mockprove.CodeUserNotFound))
		})

		It("keeps a started flow working after its persona was deleted", func() {
			f := e.start(testkit.Abigail)
			e.ctl(http.MethodDelete, "/_mock/personas/"+testkit.Abigail, "", http.StatusNoContent)
			e.passOTP(f, "654321")
			Expect(e.validate(f.ID)).To(BeTrue())
		})
	})

	Describe("access", func() {
		It("is gone with Options.ControlDisabled (404)", func() {
			e = newEnv(mockprove.Options{ControlDisabled: true})
			for _, path := range []string{"/_mock/sms", "/_mock/health", "/_mock/clock", "/_mock/journal"} {
				res := e.doWith(e.raw, e.req(http.MethodGet, path, "", nil))
				Expect(res.Status).To(Equal(http.StatusNotFound), path)
			}
			res := e.doWith(e.raw, e.req(http.MethodPost, "/_mock/reset", "", nil))
			Expect(res.Status).To(Equal(http.StatusNotFound))
			f := e.start(testkit.Jordan)
			e.passOTP(f, "1234")
			Expect(e.validate(f.ID)).To(BeTrue(), "the emulated APIs still work")
		})

		Context("with Options.ControlToken", func() {
			BeforeEach(func() { e = newEnv(mockprove.Options{ControlToken: "s3cret"}) })

			It("answers 401 code 8002 without the token or with a wrong one", func() {
				for _, auth := range []string{"", "Bearer wrong", "Basic s3cret", "s3cret"} {
					h := map[string]string{}
					if auth != "" {
						h["Authorization"] = auth
					}
					res := e.do(e.req(http.MethodGet, "/_mock/sms", "", h))
					Expect(res.Status).To(Equal(http.StatusUnauthorized), auth)
					Expect(res.Code()).To(Equal(mockprove.CodeUnauthorized))
				}
				res := e.do(e.req(http.MethodPost, "/_mock/clock/advance", `{"duration":"1h"}`, nil))
				Expect(res.Status).To(Equal(http.StatusUnauthorized))
				Expect(e.s.Clock().Now()).To(Equal(testkit.T0), "nothing happened")
			})

			It("answers 200 with the token", func() {
				e.ctl(http.MethodGet, "/_mock/sms", "", http.StatusOK)
				e.ctl(http.MethodPost, "/_mock/clock/advance", `{"duration":"1h"}`, http.StatusOK)
				Expect(e.s.Clock().Now()).To(Equal(testkit.T0.Add(time.Hour)))
			})

			It("does not apply to the emulated APIs", func() {
				e.passOTP(e.start(testkit.Jordan), "1234")
			})
		})

		It("answers CORS preflights from loopback origins", func() {
			res := e.do(e.req(http.MethodOptions, "/_mock/sms", "", map[string]string{
				"Origin": appOrigin, "Access-Control-Request-Method": "GET",
			}))
			Expect(res.Status).To(Equal(http.StatusNoContent))
			Expect(res.Header.Get("Access-Control-Allow-Origin")).To(Equal(appOrigin))
		})
	})
})

// pluckMaps returns the string field key of every object.
func pluckMaps(list []map[string]any, key string) []string {
	out := []string{}
	for _, m := range list {
		s, _ := m[key].(string)
		out = append(out, s)
	}
	return out
}

package devicetest_test

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("the device API", func() {
	var (
		e *env
		f flow
	)

	BeforeEach(func() {
		e = newEnv()
		f = e.start(testkit.Jordan)
	})

	Describe("Authorization: Bearer <authToken>", func() {
		expect401 := func(res result) {
			GinkgoHelper()
			Expect(res.Status).To(Equal(http.StatusUnauthorized), string(res.Raw))
			Expect(res.Code()).To(Equal(mockprove.CodeUnauthorized))
			Expect(res.JSON()["message"]).NotTo(BeEmpty())
		}

		It("accepts the flow's authToken", func() {
			Expect(e.device(f.Token, otpStart, `{}`).Status).To(Equal(http.StatusOK))
		})

		It("refuses a request without Authorization (401, 8002) and sends no SMS", func() {
			expect401(e.device("", otpStart, `{}`))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
		})

		It("refuses another scheme", func() {
			r := e.deviceReq("", otpStart, `{}`)
			r.Header.Set("Authorization", "Basic "+f.Token)
			expect401(e.do(r))
		})

		It("refuses a forged token: payload changed, signature kept", func() {
			parts := strings.Split(f.Token, ".")
			g := e.start(testkit.Tessa) // a real payload of another flow
			forged := parts[0] + "." + strings.Split(g.Token, ".")[1] + "." + parts[2]
			expect401(e.device(forged, otpStart, `{}`))
			Expect(e.s.Outbox(mockprove.SMSFilter{})).To(BeEmpty())
		})

		It("refuses a forged token: signature changed", func() {
			sig := []byte(f.Token[strings.LastIndex(f.Token, ".")+1:])
			if sig[0] == 'A' {
				sig[0] = 'B'
			} else {
				sig[0] = 'A'
			}
			expect401(e.device(f.Token[:strings.LastIndex(f.Token, ".")+1]+string(sig), otpStart, `{}`))
		})

		It("refuses a token of another mockprove", func() {
			other := newEnv(mockprove.Options{Seed: 99})
			expect401(e.device(other.start(testkit.Jordan).Token, otpStart, `{}`))
		})

		It("refuses garbage", func() {
			expect401(e.device("not-a-jwt", otpStart, `{}`))
		})

		It("refuses an expired token (15 minutes after start), not a minute before", func() {
			e.s.FastForward(14*time.Minute + 59*time.Second)
			Expect(e.device(f.Token, otpStart, `{}`).Status).To(Equal(http.StatusOK))
			e.s.FastForward(time.Second)
			expect401(e.device(f.Token, otpFinish, otpBody("1234")))
			expect401(e.device(f.Token, otpStart, `{}`))
		})

		It("applies to every device endpoint", func() {
			for path, body := range map[string]string{
				otpStart:                              `{}`,
				otpFinish:                             `{"otp":"1234"}`,
				otpError:                              `{"message":"x"}`,
				linkStart:                             `{"sourceIp":null,"isMobile":false}`,
				"/v1/client/mobile/instantlink/error": `{"message":"x"}`,
				instStart:                             `{"cellularIp":null,"implementation":"fetch"}`,
				instFinish:                            `{"vfp":"x"}`,
				instError:                             `{"code":10002,"message":"x"}`,
			} {
				expect401(e.device("", path, body))
			}
		})
	})

	Describe("CORS", func() {
		preflight := func(origin string) result {
			GinkgoHelper()
			r := e.req(http.MethodOptions, otpStart, "", map[string]string{
				"Origin":                         origin,
				"Access-Control-Request-Method":  "POST",
				"Access-Control-Request-Headers": "authorization,content-type,pa-version",
			})
			return e.do(r)
		}
		allowedHeaders := func(res result) []string {
			var out []string
			for _, h := range strings.Split(res.Header.Get("Access-Control-Allow-Headers"), ",") {
				out = append(out, strings.ToLower(strings.TrimSpace(h)))
			}
			return out
		}

		DescribeTable("answers the preflight of a loopback origin",
			func(origin string) {
				res := preflight(origin)
				Expect(res.Status).To(Equal(http.StatusNoContent))
				Expect(res.Header.Get("Access-Control-Allow-Origin")).To(Equal(origin))
				Expect(allowedHeaders(res)).To(ContainElements("authorization", "content-type", "pa-version"))
				Expect(res.Header.Get("Access-Control-Allow-Methods")).To(ContainSubstring("POST"))
			},
			Entry("127.0.0.1", "http://127.0.0.1:5173"),
			Entry("localhost", "http://localhost:3000"),
			Entry("IPv6 loopback", "http://[::1]:8080"),
			Entry("https on localhost", "https://localhost"),
		)

		It("allows the request signing headers too", func() {
			Expect(allowedHeaders(preflight(appOrigin))).To(ContainElements("pa-sig-version", "pa-kid", "pa-challenge", "pa-signature"))
		})

		It("puts Access-Control-Allow-Origin on the POST answer", func() {
			res := e.device(f.Token, otpStart, `{}`)
			Expect(res.Status).To(Equal(http.StatusOK))
			Expect(res.Header.Get("Access-Control-Allow-Origin")).To(Equal(appOrigin))
		})

		It("refuses the preflight of another origin, and the POST answer has no Allow-Origin", func() {
			res := preflight("https://evil.example")
			Expect(res.Status).To(Equal(http.StatusForbidden))
			Expect(res.Header.Get("Access-Control-Allow-Origin")).To(BeEmpty())

			r := e.deviceReq(f.Token, otpStart, `{}`)
			r.Header.Set("Origin", "https://evil.example")
			res = e.do(r)
			Expect(res.Header.Get("Access-Control-Allow-Origin")).To(BeEmpty())
		})

		It("refuses a look-alike of a loopback host", func() {
			Expect(preflight("http://127.0.0.1.evil.example").Status).To(Equal(http.StatusForbidden))
			Expect(preflight("http://localhost.evil.example").Status).To(Equal(http.StatusForbidden))
		})

		Context("with Options.AllowedOrigins", func() {
			BeforeEach(func() {
				e = newEnv(mockprove.Options{AllowedOrigins: []string{"https://app.example"}})
			})

			It("answers the preflight of an allowed origin", func() {
				res := preflight("https://app.example")
				Expect(res.Status).To(Equal(http.StatusNoContent))
				Expect(res.Header.Get("Access-Control-Allow-Origin")).To(Equal("https://app.example"))
			})

			It("still refuses other origins", func() {
				Expect(preflight("https://evil.example").Status).To(Equal(http.StatusForbidden))
			})
		})

		It(`allows any origin with Options.AllowedOrigins ["*"]`, func() {
			e = newEnv(mockprove.Options{AllowedOrigins: []string{"*"}})
			res := preflight("https://anything.example")
			Expect(res.Status).To(Equal(http.StatusNoContent))
			Expect(res.Header.Get("Access-Control-Allow-Origin")).To(Equal("https://anything.example"))
		})
	})

	It("is checked against prove-device.yaml (requests and answers), and the control API against mockprove-control.yaml", func() {
		d := e.sendLinkFlow()
		sdk, other := e.sdkT.Checked(), e.spec.Checked()
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
		Expect(e.sdkT.Checked()).To(Equal(sdk+1), "the device answer was validated")
		e.sms(testkit.Jordan)
		e.session(f.ID)
		Expect(e.spec.Checked()).To(Equal(other+2), "the control answers were validated")
		e.open(e.lastLink(d))
		Expect(e.spec.Checked()).To(Equal(other+3), "the link answer was validated")
	})

	It("answers business outcomes with HTTP 200 in the SDK envelope", func() {
		Expect(e.envelope(f.Token, otpStart, `{}`)).To(BeEmpty())
		res := e.device(f.Token, otpFinish, otpBody("0000"))
		Expect(res.Status).To(Equal(http.StatusOK))
		Expect(res.Header.Get("Content-Type")).To(Equal("application/json"))
		Expect(res.JSON()).To(HaveKeyWithValue("error", And(HaveKey("code"), HaveKey("message"))))
		Expect(res.JSON()).To(HaveKeyWithValue("next", "done"))
	})

	It("says who answered: X-Mockprove-Persona, -Step and -Rule", func() {
		res := e.device(f.Token, otpStart, `{}`)
		Expect(res.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Jordan))
		Expect(res.Header.Get("X-Mockprove-Step")).To(Equal(otpStart))
		Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("otp.otp-sent"))
		Expect(res.Header.Get("X-Mockprove-Fault")).To(BeEmpty())

		res = e.device(f.Token, otpFinish, otpBody("1234"))
		Expect(res.Header.Get("X-Mockprove-Step")).To(Equal(otpFinish))
		Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("otp.right"))
	})

	It("and so do the server API answers around it", func() {
		res := e.startFields(map[string]any{"phoneNumber": testkit.Tessa})
		Expect(res.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Tessa))
		Expect(res.Header.Get("X-Mockprove-Step")).To(Equal("/v3/start"))
		Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("start"))
		id := res.JSON()["correlationId"].(string)

		res = e.api("/v3/validate", map[string]any{"correlationId": id})
		Expect(res.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Tessa))
		Expect(res.Header.Get("X-Mockprove-Step")).To(Equal("/v3/validate"))
		Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("possession.missing"))

		e.passOTP(f, "1234")
		res = e.api("/v3/validate", map[string]any{"correlationId": f.ID})
		Expect(res.Header.Get("X-Mockprove-Rule")).To(Equal("validate"))
		Expect(res.Header.Get("X-Mockprove-Persona")).To(Equal(testkit.Jordan))
	})

	It("answers /mobile/otp/error with next done and fails the possession check", func() {
		Expect(e.envelope(f.Token, otpError, `{"code":10001,"message":"otpStart callback rejected"}`)).
			To(Equal(map[string]any{"next": "done"}))
		Expect(e.validate(f.ID)).To(BeFalse())
		Expect(kinds(possession(e.session(f.ID))["attempts"])).To(ContainElement("reported-error"))
	})
})

// kinds lists the kind of every possession attempt.
func kinds(attempts any) []string { return pluck(attempts, "kind") }

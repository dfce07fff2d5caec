package flowapp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// unifyUser is a Unify sandbox user of mockprove's personas (Lorant Nerger).
const unifyUser = "2001004014"

// startSignin starts a sign-in and expects it to work; it returns the
// authToken.
func (w *world) startSignin(phone, possessionType string) string {
	GinkgoHelper()
	r := w.post("/signin/start", map[string]any{"phoneNumber": phone, "possessionType": possessionType})
	Expect(r.Status).To(Equal(200), "%s", r)
	Expect(r.Str("possessionType")).To(Equal(possessionType))
	tok := r.Str("authToken")
	Expect(tok).To(HavePrefix("eyJ"))
	return tok
}

// proveKey is a Prove Key as Prove's web SDK keeps it in a browser: an
// ES256 key pair and the deviceId Prove gave it.
type proveKey struct {
	deviceID string
	key      *ecdsa.PrivateKey
}

// challenge is a Unify authToken's auth.chlg (what the SDK signs); the
// token's first step must be the Prove Key (device/passive).
func challenge(authToken string) string {
	GinkgoHelper()
	parts := strings.Split(authToken, ".")
	Expect(parts).To(HaveLen(3))
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	Expect(err).NotTo(HaveOccurred())
	var claims struct {
		Auth struct {
			Next string `json:"next"`
			Chlg string `json:"chlg"`
		} `json:"auth"`
	}
	Expect(json.Unmarshal(payload, &claims)).To(Succeed())
	Expect(claims.Auth.Next).To(Equal("device/passive"), "a Unify token on a phone starts with the Prove Key")
	return claims.Auth.Chlg
}

// sign is a base64 DER ECDSA signature of SHA-256(msg), as WebCrypto makes
// it for the SDK.
func sign(key *ecdsa.PrivateKey, msg string) string {
	GinkgoHelper()
	digest := sha256.Sum256([]byte(msg))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	Expect(err).NotTo(HaveOccurred())
	return base64.StdEncoding.EncodeToString(sig)
}

// verifyKey does what the SDK does on a Unify token's first step with a
// Prove Key in the browser: it signs "<deviceId>:<auth.chlg>". It returns
// mockprove's answer.
func (w *world) verifyKey(authToken string, k proveKey) map[string]any {
	GinkgoHelper()
	body, err := json.Marshal(map[string]any{"deviceId": k.deviceID, "keyId": "key-1", "signals": map[string]any{},
		"signature": sign(k.key, k.deviceID+":"+challenge(authToken))})
	Expect(err).NotTo(HaveOccurred())
	return w.device(authToken, "/v1/client/device/passive/verify", string(body))
}

// placeKey does what Prove's web SDK does in a browser without a Prove Key
// on a Unify token's first step: it makes an ES256 key pair and registers
// the public key, signing the token's challenge (auth.chlg).
func (w *world) placeKey(authToken string) proveKey {
	GinkgoHelper()
	chlg := challenge(authToken)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	Expect(err).NotTo(HaveOccurred())
	body, err := json.Marshal(map[string]any{
		"deviceName": "Go test", "deviceCapabilities": []string{}, "signals": map[string]any{},
		"registrations": []any{map[string]any{
			"publicKey": map[string]any{"id": "key-1", "alg": "ES256", "uvLevel": 0,
				"key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))},
			"signature": sign(key, chlg),
		}},
	})
	Expect(err).NotTo(HaveOccurred())
	rsp := w.device(authToken, "/v1/client/device/passive/register", string(body))
	Expect(rsp).NotTo(HaveKey("error"))
	data, _ := rsp["data"].(map[string]any)
	id, _ := data["deviceId"].(string)
	Expect(id).NotTo(BeEmpty(), "%v", rsp)
	return proveKey{deviceID: id, key: key}
}

// ownCode is the n-th code flowapp's own sender texted to phone.
func (w *world) ownCode(phone string, n int) string {
	GinkgoHelper()
	msgs := w.app.CodeOutbox().Messages(phone)
	Expect(len(msgs)).To(BeNumerically(">=", n), "flowapp's own code number %d to %s", n, phone)
	return msgs[n-1].Code
}

// wrongCode is a 6-digit code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

var _ = Describe("Sign in with Prove (/signin/*)", func() {
	Describe("input and sessions", func() {
		It("refuses a start without a valid phone number or possessionType, naming the field, without calling Prove", func() {
			w := newWorld(worldOptions{})
			expectError(w.post("/signin/start", map[string]any{"possessionType": "mobile"}), 400, "bad_request")
			r := w.post("/signin/start", map[string]any{"phoneNumber": unifyUser, "possessionType": "tablet"})
			expectError(r, 400, "bad_request")
			Expect(r.Message()).To(Equal("field 'possessionType' must be mobile, desktop or none."))
			r = w.post("/signin/start", map[string]any{"phoneNumber": "12", "possessionType": "mobile"})
			Expect(r.Message()).To(ContainSubstring("field 'phoneNumber'"))
			expectError(w.post("/signin/start", map[string]any{"phoneNumber": unifyUser, "possessionType": "mobile", "pin": "1"}), 400, "bad_request")
			Expect(w.proveCalls()).To(BeEmpty())
		})

		It("answers no_session to every later step without a sign-in", func() {
			w := newWorld(worldOptions{})
			for _, path := range []string{"/signin/finish", "/signin/code", "/signin/lost-phone", "/signin/logout"} {
				body := map[string]any{}
				if path == "/signin/code" {
					body["code"] = "123456"
				}
				expectError(w.post(path, body), 409, "no_session")
			}
		})

		It("does not take an account application's session for a sign-in", func() {
			w := newWorld(worldOptions{})
			w.initialize(testkit.Martina, "mobile")
			expectError(w.post("/signin/finish", map[string]any{}), 409, "wrong_step")
			expectError(w.post("/signin/lost-phone", map[string]any{}), 409, "wrong_step")
			Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/start 200"}))
		})

		It("is off against Prove without a Unify project's credentials, and says so in the log", func() {
			w := newWorld(worldOptions{proveBaseURL: "https://platform.uat.proveapis.com", publicURL: "https://shop.example.com", uncheckedProve: true})
			r := w.post("/signin/start", map[string]any{"phoneNumber": unifyUser, "possessionType": "mobile"})
			expectError(r, 502, "prove_unavailable")
			Expect(w.logs.String()).To(ContainSubstring("PROVE_UNIFY_CLIENT_ID"))
		})

		It("refuses one Unify credential without the other", func() {
			_, err := flowapp.New(flowapp.Options{UnifyClientID: "u"})
			Expect(err).To(MatchError(ContainSubstring("PROVE_UNIFY_CLIENT_ID and PROVE_UNIFY_CLIENT_SECRET")))
		})

		It("counts sign-in starts in the start throttle: a 4th for one number in 10 minutes is refused", func() {
			w := newWorld(worldOptions{})
			for range 3 {
				w.startSignin(unifyUser, "mobile")
			}
			r := w.post("/signin/start", map[string]any{"phoneNumber": unifyUser, "possessionType": "mobile"})
			expectError(r, 429, "rate_limited")
			Expect(r.Header.Get("Retry-After")).NotTo(BeEmpty())
			Expect(w.proveCalls()).To(HaveLen(4), "/token and three /v3/unify")
		})
	})

	Describe("the Prove calls", func() {
		It("starts a mobile sign-in with /v3/unify: possessionType, phone, a UUID clientRequestId, allowOTPRetry", func() {
			w := newWorld(worldOptions{})
			w.startSignin(unifyUser, "mobile")
			req := w.lastRequest("/v3/unify")
			Expect(req).To(HaveKeyWithValue("possessionType", "mobile"))
			Expect(req).To(HaveKeyWithValue("allowOTPRetry", true))
			Expect(req).To(HaveKeyWithValue("clientRequestId", MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)))
			Expect(req).NotTo(HaveKey("finalTargetUrl"))
			Expect(w.s.Journal(mockprove.JournalFilter{Step: "/v3/unify"})[0].Client).To(Equal("unify-client"))
		})

		It("answers pending while the SDK has not finished, and keeps the session", func() {
			w := newWorld(worldOptions{})
			w.startSignin(unifyUser, "desktop")
			r := w.post("/signin/finish", map[string]any{})
			Expect(r.Status).To(Equal(200), "%s", r)
			Expect(r.Str("status")).To(Equal("pending"))
			expectError(w.post("/signin/code", map[string]any{"code": "123456"}), 409, "wrong_step")
		})

		It("signs in on a computer with the Instant Link, with no Prove Key; lost phone then has nothing to revoke", func() {
			w := newWorld(worldOptions{})
			tok := w.startSignin(unifyUser, "desktop")
			Expect(w.lastRequest("/v3/unify")).To(HaveKeyWithValue("finalTargetUrl", w.app.URL()+"/landing"))
			Expect(w.device(tok, "/v1/client/mobile/instantlink/start", `{"sourceIp":null,"isMobile":false}`)).NotTo(HaveKey("error"))
			w.clickLink(unifyUser)
			r := w.post("/signin/finish", map[string]any{"authId": "from-the-sdk"})
			Expect(r.Status).To(Equal(200), "%s", r)
			Expect(r.Str("status")).To(Equal("signed_in"))
			Expect(r.Str("device")).To(Equal("none"))

			r = w.post("/signin/lost-phone", nil)
			Expect(r.Status).To(Equal(200), "%s", r)
			Expect(r.Body).To(HaveKeyWithValue("revoked", BeNumerically("==", 0)))
			Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/unify 200", "/v3/unify-status 200"}))
			Expect(w.post("/signin/logout", nil).Str("status")).To(Equal("signed_out"))
			expectError(w.post("/signin/lost-phone", nil), 409, "no_session")
		})
	})

	It("signs in on a phone with Prove's code and a new Prove Key, recognises the key alone next time, and no longer once it is revoked", func() {
		w := newWorld(worldOptions{})
		tok := w.startSignin(unifyUser, "mobile")
		k := w.placeKey(tok)
		w.passOTP(tok)
		r := w.post("/signin/finish", map[string]any{})
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Str("status")).To(Equal("signed_in"))
		Expect(r.Str("device")).To(Equal("new"))
		Expect(w.post("/signin/logout", nil).Status).To(Equal(200))

		tok = w.startSignin(unifyUser, "mobile")
		Expect(w.verifyKey(tok, k)).To(HaveKeyWithValue("next", "done"))
		r = w.post("/signin/finish", map[string]any{})
		Expect(r.Str("status")).To(Equal("signed_in"))
		Expect(r.Str("device")).To(Equal("recognised"))
		Expect(w.s.Outbox(mockprove.SMSFilter{Phone: unifyUser})).To(HaveLen(1), "the second sign-in sent no text")

		r = w.post("/signin/lost-phone", nil)
		Expect(r.Body).To(HaveKeyWithValue("revoked", BeNumerically("==", 1)))
		Expect(w.lastRequest("/v3/device/revoke")).To(HaveKeyWithValue("deviceId", k.deviceID))
		tok = w.startSignin(unifyUser, "mobile")
		Expect(w.verifyKey(tok, k)).To(HaveKeyWithValue("error", HaveKeyWithValue("code", BeNumerically("==", 10006))),
			"the revoked key is unknown: the SDK wipes it and starts over")
	})

	Describe("with Acme's own code (possessionType none)", func() {
		var (
			w      *world
			device proveKey
		)

		BeforeEach(func() {
			w = newWorld(worldOptions{})
			tok := w.startSignin(unifyUser, "none")
			device = w.placeKey(tok)
			r := w.post("/signin/finish", map[string]any{})
			Expect(r.Status).To(Equal(200), "%s", r)
			Expect(r.Str("status")).To(Equal("code_sent"))
			Expect(r.Body).To(HaveKeyWithValue("attemptsLeft", BeNumerically("==", 3)))
			Expect(w.lastRequest("/v3/unify")).To(HaveKeyWithValue("possessionType", "none"))
		})

		It("binds the Prove Key only after its own code is right, and revokes it when the phone is lost", func() {
			code := w.ownCode(unifyUser, 1)
			Expect(code).To(MatchRegexp(`^[0-9]{6}$`))
			r := w.post("/signin/code", map[string]any{"code": wrongCode(code)})
			Expect(r.Str("status")).To(Equal("code_wrong"))
			Expect(r.Body).To(HaveKeyWithValue("attemptsLeft", BeNumerically("==", 2)))
			Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/unify 200", "/v3/unify-status 200"}), "no bind before the check passed")

			r = w.post("/signin/code", map[string]any{"code": code})
			Expect(r.Status).To(Equal(200), "%s", r)
			Expect(r.Str("status")).To(Equal("signed_in"))
			Expect(r.Str("device")).To(Equal("new"))
			Expect(w.lastRequest("/v3/unify-bind")).To(HaveKeyWithValue("phoneNumber", unifyUser))
			Expect(w.proveCalls()).To(Equal([]string{"/token 200", "/v3/unify 200", "/v3/unify-status 200", "/v3/unify-bind 200"}))
			expectError(w.post("/signin/code", map[string]any{"code": code}), 409, "wrong_step")

			r = w.post("/signin/lost-phone", map[string]any{})
			Expect(r.Status).To(Equal(200), "%s", r)
			Expect(r.Body).To(HaveKeyWithValue("revoked", BeNumerically("==", 1)))
			Expect(w.lastRequest("/v3/device/revoke")).To(HaveKeyWithValue("deviceId", device.deviceID))
			r = w.post("/signin/lost-phone", map[string]any{})
			Expect(r.Body).To(HaveKeyWithValue("revoked", BeNumerically("==", 0)), "the account has no key left")
		})

		It("logs its own code as a developer hint against a local mockprove (the default outbox sends nothing)", func() {
			Expect(w.logs.String()).To(ContainSubstring("code=" + w.ownCode(unifyUser, 1)))
		})

		It("ends the sign-in after the third wrong code, never binding", func() {
			code := w.ownCode(unifyUser, 1)
			for left := 2; left >= 1; left-- {
				r := w.post("/signin/code", map[string]any{"code": wrongCode(code)})
				Expect(r.Body).To(HaveKeyWithValue("attemptsLeft", BeNumerically("==", left)))
			}
			Expect(w.post("/signin/code", map[string]any{"code": wrongCode(code)}).Str("status")).To(Equal("failed"))
			expectError(w.post("/signin/code", map[string]any{"code": code}), 409, "no_session")
			Expect(w.proveCalls()).NotTo(ContainElement(HavePrefix("/v3/unify-bind")))
		})

		It("refuses its own code once it expired (5 minutes on the clock), never binding", func() {
			code := w.ownCode(unifyUser, 1)
			w.s.Clock().Advance(flowapp.OwnCodeTimeout)
			Expect(w.post("/signin/code", map[string]any{"code": code}).Str("status")).To(Equal("failed"))
			Expect(w.proveCalls()).NotTo(ContainElement(HavePrefix("/v3/unify-bind")))
		})
	})

	It("never logs its own code without developer hints", func() {
		off := false
		w := newWorld(worldOptions{devHints: &off})
		w.placeKey(w.startSignin(unifyUser, "none"))
		Expect(w.post("/signin/finish", map[string]any{}).Str("status")).To(Equal("code_sent"))
		code := w.ownCode(unifyUser, 1)
		Expect(w.logs.String()).To(ContainSubstring("own possession code sent"))
		Expect(w.logs.String()).NotTo(ContainSubstring(code))
	})

	It("keeps at most the last N codes in its own outbox", func() {
		o := flowapp.NewCodeOutbox(2, func() time.Time { return time.Unix(0, 0) })
		for i := range 3 {
			Expect(o.SendCode(context.Background(), "+1200100401"+fmt.Sprint(i), fmt.Sprintf("00000%d", i))).To(Succeed())
		}
		msgs := o.Messages("")
		Expect(msgs).To(HaveLen(2))
		Expect(msgs[0].Code).To(Equal("000001"))
		Expect(o.Messages("2001004012")).To(HaveLen(1), "+1 and 10-digit forms are one number")
	})
})

// clickLink opens the Instant Link texted to phone as the phone's browser
// would, without following mockprove's redirect to the final target.
func (w *world) clickLink(phone string) {
	GinkgoHelper()
	msgs := w.s.Outbox(mockprove.SMSFilter{Phone: phone, Kind: mockprove.SMSKindInstantLink})
	Expect(msgs).NotTo(BeEmpty(), "an Instant Link text to %s", phone)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rsp, err := c.Get(msgs[len(msgs)-1].Link)
	Expect(err).NotTo(HaveOccurred())
	rsp.Body.Close()
	Expect(rsp.StatusCode).To(Equal(http.StatusFound))
}

package mockprove_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// Unified Authentication with the Prove Key over HTTP, every response
// checked against the spec; the browser's key steps are played from Go
// (Server.RunProveKey, crypto/ecdsa).

// unifyBody is a /v3/unify body.
func unifyBody(phone, possession string, extra ...map[string]any) map[string]any {
	b := map[string]any{"possessionType": possession, "clientRequestId": "req-1"}
	if phone != "" {
		b["phoneNumber"] = phone
	}
	if possession == mockprove.PossessionDesktop {
		b["finalTargetUrl"] = "https://app.example/landing"
	}
	for _, x := range extra {
		for k, v := range x {
			b[k] = v
		}
	}
	return b
}

// unifyStart opens a Unify session and returns its correlationId and authToken.
func (c *client) unifyStart(phone, possession string, extra ...map[string]any) (id, token string) {
	GinkgoHelper()
	r := c.post("/v3/unify", unifyBody(phone, possession, extra...))
	Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
	Expect(r.Str("success")).To(Equal("pending"))
	return r.Str("correlationId"), r.Str("authToken")
}

func (c *client) unifyStatus(id string) result {
	GinkgoHelper()
	return c.post("/v3/unify-status", map[string]any{"correlationId": id})
}

func (c *client) unifyBind(id, phone string) result {
	GinkgoHelper()
	return c.post("/v3/unify-bind", map[string]any{"correlationId": id, "phoneNumber": phone})
}

func newKey() *mockprove.DeviceKey {
	GinkgoHelper()
	k, err := mockprove.NewDeviceKey()
	Expect(err).NotTo(HaveOccurred())
	return k
}

// runKey plays the SDK's key step and returns its answer.
func (c *client) runKey(token string, k *mockprove.DeviceKey) mockprove.DeviceAnswer {
	GinkgoHelper()
	a, err := c.srv.RunProveKey(token, k)
	Expect(err).NotTo(HaveOccurred())
	return a
}

// mobileWithOTP runs a first mobile Unify for phone: the key is registered,
// OTP passes, unify-status answers "true"; it returns the status answer.
func (c *client) mobileWithOTP(phone string, k *mockprove.DeviceKey, extra ...map[string]any) result {
	GinkgoHelper()
	id, token := c.unifyStart(phone, mockprove.PossessionMobile, extra...)
	a := c.runKey(token, k)
	Expect(a.Next).To(Equal("mobile/otp"), a.String())
	Expect(c.srv.PassOTP(token)).To(Succeed())
	r := c.unifyStatus(id)
	Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
	Expect(r.Str("success")).To(Equal("true"), string(r.Raw))
	return r
}

var _ = Describe("Unify", func() {
	var c *client
	// StrictResponses: the device API answers that RunProveKey reads are
	// checked against the spec by the server itself (500 if they do not conform).
	BeforeEach(func() { c = inMemory(mockprove.Options{StrictResponses: true}).login(unifyID, unifySecret) })

	Describe("POST /v3/unify", func() {
		It("answers success \"pending\" (a string), a correlationId and an authToken whose first step is the Prove Key", func() {
			r := c.post("/v3/unify", unifyBody(mockprove.PhoneLaneyDyball, "mobile"))
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(string(r.Raw)).To(ContainSubstring(`"success":"pending"`))
			Expect(r.Str("correlationId")).To(MatchRegexp(uuidRE))
			_, claims := decodeJWT(r.Str("authToken"))
			auth := claims["auth"].(map[string]any)
			Expect(auth["next"]).To(Equal("device/passive"))
			Expect(auth["chlg"]).NotTo(BeEmpty())
			Expect(auth["subs"]).To(HaveKeyWithValue("dev", map[string]any{"auths": map[string]any{"pasv": map[string]any{"uvlvl": "none"}}}))
		})

		It("starts desktop with Instant Link and no key step", func() {
			r := c.post("/v3/unify", unifyBody(mockprove.PhoneLorantNerger, "desktop"))
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			_, claims := decodeJWT(r.Str("authToken"))
			auth := claims["auth"].(map[string]any)
			Expect(auth["next"]).To(Equal("mobile/instantlink"))
			Expect(auth["subs"]).NotTo(HaveKey("dev"))
		})

		It("refuses a desktop session without finalTargetUrl, a missing clientRequestId, an unknown possessionType", func() {
			expectError(c.send(http.MethodPost, "/v3/unify", "application/json",
				`{"possessionType":"desktop","clientRequestId":"r","phoneNumber":"2001004014"}`), 400, mockprove.CodeMalformed, "finalTargetUrl")
			expectError(c.send(http.MethodPost, "/v3/unify", "application/json",
				`{"possessionType":"mobile","phoneNumber":"2001004014"}`), 400, mockprove.CodeMalformed, "clientRequestId")
			expectError(c.send(http.MethodPost, "/v3/unify", "application/json",
				`{"possessionType":"tablet","clientRequestId":"r","phoneNumber":"2001004014"}`), 400, mockprove.CodeMalformed, "possessionType")
			expectError(c.send(http.MethodPost, "/v3/unify", "application/json",
				`{"possessionType":"mobile","clientRequestId":"r"}`), 400, mockprove.CodeMalformed, "phoneNumber")
		})

		It("answers 8007 for an unknown number and 8009 for a test user of another product", func() {
			expectError(c.post("/v3/unify", unifyBody("2000000001", "mobile")), 400, mockprove.CodeUserNotFound, "no test user")
			expectError(c.post("/v3/unify", unifyBody(mockprove.PhoneElenaColdman, "mobile")), 403, mockprove.CodeAccessDenied, "not a test user of")
		})

		It("finds the persona by proveId when no number is sent", func() {
			first := c.mobileWithOTP(mockprove.PhoneLaneyDyball, newKey())
			id, _ := c.unifyStart("", "mobile", map[string]any{"proveId": first.Str("proveId")})
			s, ok := c.srv.Session(id)
			Expect(ok).To(BeTrue())
			Expect(s.Phone).To(Equal(mockprove.PhoneLaneyDyball))
		})

		It("is refused with 8009 to clients not provisioned for Unify, on every operation", func() {
			id := c.as(identityID, identitySecret)
			expectError(id.post("/v3/unify", unifyBody(mockprove.PhoneLaneyDyball, "mobile")), 403, mockprove.CodeAccessDenied, "Unified")
			expectError(id.post("/v3/unify-status", map[string]any{"correlationId": "713189b8-5555-4b08-83ba-75d08780aebd"}), 403, mockprove.CodeAccessDenied, "Unified")
			expectError(id.post("/v3/unify-bind", map[string]any{"correlationId": "713189b8-5555-4b08-83ba-75d08780aebd", "phoneNumber": "2001004014"}),
				403, mockprove.CodeAccessDenied, "Unified")
			expectError(c.as(prefillID, prefillSecret).post("/v3/device/revoke", map[string]any{"clientRequestId": "r", "deviceId": "d"}),
				403, mockprove.CodeAccessDenied, "Unified")
		})
	})

	Describe("mobile, with the Prove Key", func() {
		It("passes the first run by OTP and binds a new key; the second run passes by the key alone, with no SMS", func() {
			k := newKey()
			first := c.mobileWithOTP(mockprove.PhoneLaneyDyball, k, map[string]any{"clientHumanId": "human-1", "clientCustomerId": "cust-1"})
			Expect(first.Str("deviceId")).To(Equal(k.DeviceID))
			Expect(first.Str("deviceId")).To(MatchRegexp(uuidRE))
			Expect(first.Str("proveId")).To(MatchRegexp(uuidRE))
			Expect(first.Str("phoneNumber")).To(Equal(mockprove.PhoneLaneyDyball))
			Expect(first.Str("clientHumanId")).To(Equal("human-1"))
			Expect(first.Str("clientRequestId")).To(Equal("req-1"))
			Expect(first.Map("evaluation")).To(HaveKeyWithValue("authentication", map[string]any{"result": "pass"}))
			key, ok := c.srv.ProveKey(k.DeviceID)
			Expect(ok).To(BeTrue())
			Expect(key.Bound).To(BeTrue())
			Expect(key.Active).To(BeTrue())
			Expect(key.Phone).To(Equal(mockprove.PhoneLaneyDyball))
			Expect(key.ClientCustomerID).To(Equal("cust-1"))

			id, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			Expect(c.unifyStatus(id).Str("success")).To(Equal("pending"))
			a := c.runKey(token, k)
			Expect(a.Done()).To(BeTrue(), a.String())
			second := c.unifyStatus(id)
			Expect(second.Str("success")).To(Equal("true"))
			Expect(second.Str("deviceId")).To(Equal(k.DeviceID))
			Expect(second.Str("proveId")).To(Equal(first.Str("proveId")), "one proveId per persona")
			Expect(second.Header.Get("X-Mockprove-Rule")).To(Equal("unify.status.prove-key"))
			Expect(c.srv.Outbox(mockprove.SMSFilter{CorrelationID: id})).To(BeEmpty(), "no SMS on the second run")
			Expect(c.srv.Outbox(mockprove.SMSFilter{Phone: mockprove.PhoneLaneyDyball})).To(HaveLen(1))
		})

		It("falls back to Mobile Auth for a Mobile Auth persona, then binds the key", func() {
			k := newKey()
			id, token := c.unifyStart(mockprove.PhoneIngeGalier, "mobile")
			Expect(c.runKey(token, k).Next).To(Equal("mobile/instant"))
			a, err := c.srv.PassMobileAuth(token)
			Expect(err).NotTo(HaveOccurred())
			Expect(a.Done()).To(BeTrue(), a.String())
			r := c.unifyStatus(id)
			Expect(r.Str("success")).To(Equal("true"))
			Expect(r.Str("deviceId")).To(Equal(k.DeviceID))
			Expect(c.srv.Outbox(mockprove.SMSFilter{Phone: mockprove.PhoneIngeGalier})).To(BeEmpty())
		})

		It("falls back from a failing Mobile Auth to OTP, which binds the key (Ruben Castell)", func() {
			k := newKey()
			id, token := c.unifyStart(mockprove.PhoneRubenCastell, "mobile")
			Expect(c.runKey(token, k).Next).To(Equal("mobile/instant"))
			a, err := c.srv.PassMobileAuth(token)
			Expect(err).To(MatchError(mockprove.ErrMobileAuthUnavailable))
			Expect(a.Next).To(Equal("mobile/otp"))
			Expect(c.srv.PassOTP(token)).To(Succeed())
			r := c.unifyStatus(id)
			Expect(r.Str("success")).To(Equal("true"))
			Expect(r.Str("deviceId")).To(Equal(k.DeviceID))
			_, token2 := c.unifyStart(mockprove.PhoneRubenCastell, "mobile")
			Expect(c.runKey(token2, k).Done()).To(BeTrue(), "the next run passes by the key alone")
		})

		It("forces a new possession check with rebind, keeping the key", func() {
			k := newKey()
			c.mobileWithOTP(mockprove.PhoneLaneyDyball, k)
			id, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile", map[string]any{"rebind": true})
			a := c.runKey(token, k)
			Expect(a.Next).To(Equal("mobile/otp"), a.String())
			Expect(a.Error).To(BeNil())
			Expect(c.unifyStatus(id).Str("success")).To(Equal("pending"))
			Expect(c.srv.PassOTP(token)).To(Succeed())
			r := c.unifyStatus(id)
			Expect(r.Str("success")).To(Equal("true"))
			Expect(r.Str("deviceId")).To(Equal(k.DeviceID))
		})

		It("does not recognise a key bound to another number: possession first, then the key moves to this number", func() {
			k := newKey()
			c.mobileWithOTP(mockprove.PhoneLaneyDyball, k)
			id, token := c.unifyStart(mockprove.PhoneBertieFremont, "mobile")
			Expect(c.runKey(token, k).Next).To(Equal("mobile/otp"))
			Expect(c.srv.PassOTP(token)).To(Succeed())
			Expect(c.unifyStatus(id).Str("deviceId")).To(Equal(k.DeviceID))
			key, _ := c.srv.ProveKey(k.DeviceID)
			Expect(key.Phone).To(Equal(mockprove.PhoneBertieFremont))
		})

		It("fails a bad signature and falls back to OTP without using the key", func() {
			k := newKey()
			c.mobileWithOTP(mockprove.PhoneLaneyDyball, k)
			forged := newKey()
			forged.DeviceID, forged.KeyID = k.DeviceID, k.KeyID
			id, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			a := c.runKey(token, forged)
			Expect(a.Next).To(Equal("mobile/otp"))
			Expect(a.Error).NotTo(BeNil())
			Expect(a.Error.Code).To(Equal(10000))
			Expect(c.srv.PassOTP(token)).To(Succeed())
			Expect(c.unifyStatus(id).Str("deviceId")).To(BeEmpty(), "the forged key is not bound")
		})

		It("refuses a registration signed with another key (no key stored)", func() {
			id, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			k := newKey()
			other := newKey()
			pem, err := k.PublicKeyPEM()
			Expect(err).NotTo(HaveOccurred())
			sig, err := other.Sign("anything")
			Expect(err).NotTo(HaveOccurred())
			r := c.deviceAs(token).post("/v1/client/device/passive/register", map[string]any{
				"registrations": []any{map[string]any{"publicKey": map[string]any{"id": k.KeyID, "alg": "ES256", "key": pem}, "signature": sig}}})
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(r.Map("error")).To(HaveKeyWithValue("code", 10000.0))
			Expect(r.Str("next")).To(Equal("mobile/otp"))
			Expect(c.srv.ProveKeys(unifyID)).To(BeEmpty())
			Expect(c.unifyStatus(id).Str("success")).To(Equal("pending"))
		})

		It("keeps one pending key per session: a session that registers again forgets its earlier key", func() {
			id, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			var last *mockprove.DeviceKey
			for range 5 {
				last = newKey()
				Expect(c.runKey(token, last).Next).To(Equal("mobile/otp"))
			}
			keys := c.srv.ProveKeys(unifyID)
			Expect(keys).To(HaveLen(1), "one authToken must not fill the registry (and evict other clients' keys)")
			Expect(keys[0].DeviceID).To(Equal(last.DeviceID))
			Expect(c.srv.PassOTP(token)).To(Succeed())
			r := c.unifyStatus(id)
			Expect(r.Str("success")).To(Equal("true"))
			Expect(r.Str("deviceId")).To(Equal(last.DeviceID))
		})

		It("fails when the OTP is wrong (the Fail persona): \"false\", and the key is not bound", func() {
			k := newKey()
			id, token := c.unifyStart(mockprove.PhoneOdileVarga, "mobile")
			Expect(c.runKey(token, k).Next).To(Equal("mobile/otp"))
			a, err := c.srv.FailOTP(token)
			Expect(err).NotTo(HaveOccurred())
			Expect(a.Next).To(Equal("done"))
			r := c.unifyStatus(id)
			Expect(r.Str("success")).To(Equal("false"))
			Expect(r.Body).NotTo(HaveKey("deviceId"))
			Expect(r.Body).NotTo(HaveKey("proveId"))
			Expect(r.Map("evaluation")).To(HaveKeyWithValue("authentication", map[string]any{"result": "fail"}))
			key, _ := c.srv.ProveKey(k.DeviceID)
			Expect(key.Bound).To(BeFalse())
		})
	})

	Describe("POST /v3/device/revoke", func() {
		It("answers success true (a boolean); the next mobile run is not recognised, falls back to OTP and places a new key", func() {
			k := newKey()
			c.mobileWithOTP(mockprove.PhoneLaneyDyball, k)
			old := k.DeviceID
			r := c.post("/v3/device/revoke", map[string]any{"clientRequestId": "r-2", "deviceId": old})
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			Expect(string(r.Raw)).To(Equal(`{"success":true}`))
			key, _ := c.srv.ProveKey(old)
			Expect(key.Active).To(BeFalse())
			Expect(key.RevokedAt).NotTo(BeNil())

			id, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			verify := c.deviceAs(token).post("/v1/client/device/passive/verify", map[string]any{"deviceId": old, "keyId": k.KeyID, "signature": "MEUCIQ=="})
			Expect(verify.Map("error")).To(HaveKeyWithValue("code", 10006.0), "the SDK wipes its key")
			Expect(verify.Str("next")).To(Equal("device/passive"))
			a := c.runKey(token, k) // verify → 10006 → a new key is registered
			Expect(a.Next).To(Equal("mobile/otp"))
			Expect(k.DeviceID).NotTo(Equal(old))
			Expect(c.srv.PassOTP(token)).To(Succeed())
			Expect(c.unifyStatus(id).Str("deviceId")).To(Equal(k.DeviceID))
			Expect(c.post("/v3/device/revoke", map[string]any{"clientRequestId": "r-3", "deviceId": old}).Body).To(HaveKeyWithValue("success", true),
				"revoking again answers success")
		})

		It("answers 404 with 8011 for a key the client does not have", func() {
			expectError(c.post("/v3/device/revoke", map[string]any{"clientRequestId": "r", "deviceId": "bf9ea15d-7dfa-4bb4-a64c-6c26b53472fc"}),
				http.StatusNotFound, mockprove.CodeIdentityNotFound, "Identity Not Found")
			expectError(c.send(http.MethodPost, "/v3/device/revoke", "application/json", `{"deviceId":"x"}`), 400, mockprove.CodeMalformed, "clientRequestId")
		})
	})

	Describe("lifetimes, on the virtual clock", func() {
		It("deactivates a key never bound after 12 months without use too: it cannot be bound later", func() {
			k := newKey()
			id, token := c.unifyStart(mockprove.PhoneLorantNerger, "none")
			Expect(c.runKey(token, k).Next).To(Equal("done"))
			Expect(c.unifyStatus(id).Str("success")).To(Equal("possession_required")) // never bound
			old := k.DeviceID
			c.srv.FastForward(mockprove.KeyInactiveAfter + time.Hour)
			key, ok := c.srv.ProveKey(old)
			Expect(ok).To(BeTrue())
			Expect(key.Active).To(BeFalse())
			c.login(unifyID, unifySecret)
			id, token = c.unifyStart(mockprove.PhoneLorantNerger, "none")
			Expect(c.runKey(token, k).Next).To(Equal("done")) // verify → 10006 → a new key
			Expect(k.DeviceID).NotTo(Equal(old), "a key unused for 12 months is inactive, bound or not")
			Expect(c.unifyStatus(id).Str("success")).To(Equal("possession_required"))
			b := c.unifyBind(id, mockprove.PhoneLorantNerger)
			Expect(b.Str("deviceId")).To(Equal(k.DeviceID))
		})

		It("deactivates a key after 12 months without use; each use restarts the 12 months", func() {
			k := newKey()
			c.mobileWithOTP(mockprove.PhoneLaneyDyball, k)
			c.srv.FastForward(mockprove.KeyInactiveAfter - 24*time.Hour)
			c.login(unifyID, unifySecret)
			_, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			Expect(c.runKey(token, k).Done()).To(BeTrue(), "used just before the 12 months end")
			c.srv.FastForward(mockprove.KeyInactiveAfter - 24*time.Hour)
			c.login(unifyID, unifySecret)
			_, token = c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			Expect(c.runKey(token, k).Done()).To(BeTrue(), "the last use restarted the 12 months")
			c.srv.FastForward(mockprove.KeyInactiveAfter)
			c.login(unifyID, unifySecret)
			_, token = c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			old := k.DeviceID
			Expect(c.runKey(token, k).Next).To(Equal("mobile/otp"))
			Expect(k.DeviceID).NotTo(Equal(old), "inactive: the SDK was told to wipe it and registered a new one")
			key, _ := c.srv.ProveKey(old)
			Expect(key.Active).To(BeFalse())
		})

		It("answers \"pending\" until the SDK finished, and \"false\" once the 15 minutes end without it", func() {
			id, _ := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			Expect(c.unifyStatus(id).Str("success")).To(Equal("pending"))
			c.srv.FastForward(mockprove.FlowTTL)
			c.login(unifyID, unifySecret)
			r := c.unifyStatus(id)
			Expect(r.Str("success")).To(Equal("false"))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("unify.status.expired"))
		})

		It("expires the authToken with the session", func() {
			_, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			c.srv.FastForward(mockprove.FlowTTL)
			_, err := c.srv.RunProveKey(token, newKey())
			Expect(err).To(MatchError(ContainSubstring("401")))
		})

		It("fails a desktop session whose Instant Link expires unclicked (3 minutes)", func() {
			id, token := c.unifyStart(mockprove.PhoneTamsinOkafor, "desktop")
			sent := c.deviceAs(token).post("/v1/client/mobile/instantlink/start", map[string]any{"sourceIp": nil, "isMobile": false})
			Expect(sent.Status).To(Equal(http.StatusOK), string(sent.Raw))
			Expect(c.unifyStatus(id).Str("success")).To(Equal("pending"))
			c.srv.FastForward(mockprove.DefaultInstantLinkTTL)
			Expect(c.unifyStatus(id).Str("success")).To(Equal("false"))
		})
	})

	Describe("OTP and Instant Link lifetimes in Unify sessions", func() {
		It("expires the OTP after 2 minutes: \"false\"", func() {
			id, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			Expect(c.runKey(token, newKey()).Next).To(Equal("mobile/otp"))
			_, err := c.srv.SendOTP(token, "")
			Expect(err).NotTo(HaveOccurred())
			c.srv.FastForward(mockprove.DefaultOTPTTL)
			a, err := c.srv.EnterOTP(token, "1234")
			Expect(err).NotTo(HaveOccurred())
			Expect(a.Error).NotTo(BeNil())
			Expect(a.Error.Message).To(ContainSubstring("expired"))
			Expect(c.unifyStatus(id).Str("success")).To(Equal("false"))
		})

		It("keeps the Instant Link 5 minutes when configured so (Prove's pages say 3 or 5)", func() {
			c = inMemory(mockprove.Options{StrictResponses: true, InstantLinkTTL: 5 * time.Minute}).login(unifyID, unifySecret)
			id, token := c.unifyStart(mockprove.PhoneLorantNerger, "desktop")
			sent := c.deviceAs(token).post("/v1/client/mobile/instantlink/start", map[string]any{"sourceIp": nil, "isMobile": false})
			Expect(sent.Status).To(Equal(http.StatusOK), string(sent.Raw))
			c.srv.FastForward(4 * time.Minute)
			Expect(c.unifyStatus(id).Str("success")).To(Equal("pending"))
			_, err := c.srv.ClickInstantLink(id)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.unifyStatus(id).Str("success")).To(Equal("true"))
		})
	})

	Describe("desktop", func() {
		It("passes by Instant Link: \"true\" with proveId and no deviceId; the key steps are refused", func() {
			id, token := c.unifyStart(mockprove.PhoneLorantNerger, "desktop")
			a := c.runKey(token, newKey())
			Expect(a.Error).NotTo(BeNil())
			Expect(a.Next).To(Equal("done"))
			Expect(c.srv.ProveKeys("")).To(BeEmpty())
			_, err := c.srv.PassInstantLink(token)
			Expect(err).NotTo(HaveOccurred())
			r := c.unifyStatus(id)
			Expect(r.Str("success")).To(Equal("true"))
			Expect(r.Str("proveId")).To(MatchRegexp(uuidRE))
			Expect(r.Body).NotTo(HaveKey("deviceId"))
		})
	})

	Describe("short-term users", func() {
		for _, phone := range []string{mockprove.PhoneBarbaraanneCanet, mockprove.PhoneJanosMartina} {
			It("passes "+phone+" with no client SDK and no key", func() {
				id, _ := c.unifyStart(phone, "mobile")
				r := c.unifyStatus(id)
				Expect(r.Str("success")).To(Equal("true"))
				Expect(r.Str("phoneNumber")).To(Equal(phone))
				Expect(r.Body).NotTo(HaveKey("deviceId"))
				Expect(c.srv.ProveKeys("")).To(BeEmpty())
			})
		}
	})

	Describe("possessionType none and POST /v3/unify-bind", func() {
		It("checks the key only, answers possession_required, then binds after the customer's own check", func() {
			k := newKey()
			id, token := c.unifyStart(mockprove.PhoneLorantNerger, "none")
			expectError(c.unifyBind(id, mockprove.PhoneLorantNerger), http.StatusForbidden, mockprove.CodeOutOfOrder, "possession_required")
			a := c.runKey(token, k)
			Expect(a.Next).To(Equal("done"))
			Expect(k.DeviceID).NotTo(BeEmpty())
			r := c.unifyStatus(id)
			Expect(r.Str("success")).To(Equal("possession_required"))
			Expect(r.Body).NotTo(HaveKey("deviceId"))
			Expect(c.unifyStatus(id).Str("success")).To(Equal("possession_required"))
			b := c.unifyBind(id, "+1"+mockprove.PhoneLorantNerger)
			Expect(b.Status).To(Equal(http.StatusOK), string(b.Raw))
			Expect(b.Str("success")).To(Equal("true"))
			Expect(b.Str("deviceId")).To(Equal(k.DeviceID))
			Expect(b.Str("proveId")).To(MatchRegexp(uuidRE))
			expectError(c.unifyBind(id, mockprove.PhoneLorantNerger), http.StatusForbidden, mockprove.CodeOutOfOrder, "already called")
			Expect(c.unifyStatus(id).Str("success")).To(Equal("true"))
			Expect(c.srv.Outbox(mockprove.SMSFilter{})).To(BeEmpty(), "Prove sends no SMS with possessionType none")

			id2, token2 := c.unifyStart(mockprove.PhoneLorantNerger, "none")
			Expect(c.runKey(token2, k).Done()).To(BeTrue())
			r2 := c.unifyStatus(id2)
			Expect(r2.Str("success")).To(Equal("true"), "a bound key passes alone")
			Expect(r2.Str("deviceId")).To(Equal(k.DeviceID))
		})

		It("answers \"false\" when the number does not match the session's test user", func() {
			id, token := c.unifyStart(mockprove.PhoneLorantNerger, "none")
			k := newKey()
			c.runKey(token, k)
			Expect(c.unifyStatus(id).Str("success")).To(Equal("possession_required"))
			r := c.unifyBind(id, mockprove.PhoneLaneyDyball)
			Expect(r.Str("success")).To(Equal("false"))
			Expect(r.Header.Get("X-Mockprove-Rule")).To(Equal("unify.bind.phone-mismatch"))
			key, _ := c.srv.ProveKey(k.DeviceID)
			Expect(key.Bound).To(BeFalse())
		})

		It("refuses bind on a mobile session and status on unknown ids", func() {
			k := newKey()
			r := c.mobileWithOTP(mockprove.PhoneLaneyDyball, k)
			Expect(r.Str("success")).To(Equal("true"))
			id, _ := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			expectError(c.unifyBind(id, mockprove.PhoneLaneyDyball), http.StatusForbidden, mockprove.CodeOutOfOrder, "step not allowed")
			expectError(c.unifyStatus("713189b8-5555-4b08-83ba-75d08780aebd"), 400, mockprove.CodeInvalidCorrelation, "not a Unify session")
			expectError(c.send(http.MethodPost, "/v3/unify-status", "application/json", `{"correlationId":"nope"}`), 400, mockprove.CodeMalformed, "correlationId")
			expectError(c.send(http.MethodPost, "/v3/unify-bind", "application/json", `{"correlationId":"713189b8-5555-4b08-83ba-75d08780aebd"}`),
				400, mockprove.CodeMalformed, "phoneNumber")
		})
	})

	It("shows Unify sessions in the control API as its spec says (product unify, flowType none, method provekey)", func() {
		tr, err := contracts.NewSpecTransport(c.srv.HTTPClient().Transport, specs.Control)
		Expect(err).NotTo(HaveOccurred())
		k := newKey()
		id, token := c.unifyStart(mockprove.PhoneLorantNerger, "none")
		c.runKey(token, k)
		c.unifyBind(id, mockprove.PhoneLorantNerger) // refused: status first
		Expect(c.unifyStatus(id).Str("success")).To(Equal("possession_required"))
		Expect(c.unifyBind(id, mockprove.PhoneLorantNerger).Str("success")).To(Equal("true"))
		id2, token2 := c.unifyStart(mockprove.PhoneLorantNerger, "none")
		Expect(c.runKey(token2, k).Done()).To(BeTrue())
		for _, cid := range []string{id, id2} {
			resp, err := (&http.Client{Transport: tr}).Get(memBase + "/_mock/sessions/" + cid)
			Expect(err).NotTo(HaveOccurred(), "the control API answer must conform to its spec")
			var sess mockprove.Session
			Expect(json.NewDecoder(resp.Body).Decode(&sess)).To(Succeed())
			resp.Body.Close()
			Expect(sess.Product).To(Equal(mockprove.ProductUnify))
			Expect(sess.FlowType).To(Equal("none"))
		}
		resp, err := (&http.Client{Transport: tr}).Get(memBase + "/_mock/keys?client=" + unifyID)
		Expect(err).NotTo(HaveOccurred(), "the control API answer must conform to its spec")
		var keys []mockprove.ProveKey
		Expect(json.NewDecoder(resp.Body).Decode(&keys)).To(Succeed())
		resp.Body.Close()
		Expect(keys).To(HaveLen(1))
		Expect(keys[0].DeviceID).To(Equal(k.DeviceID))
		Expect(keys[0].Phone).To(Equal(mockprove.PhoneLorantNerger))
		Expect(keys[0].Active).To(BeTrue())
		Expect(c.srv.ProveKeys("other-client")).To(BeEmpty())
		second, _ := c.srv.Session(id2)
		Expect(second.Possession.Method).To(Equal(mockprove.MethodProveKey))
		Expect(second.Possession.Attempts[len(second.Possession.Attempts)-1].Kind).To(Equal("key-verified"))
	})

	It("keeps Unify sessions and /v3/start flows apart", func() {
		id, _ := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
		expectError(c.validate(id), http.StatusForbidden, mockprove.CodeOutOfOrder, "Unify session")
		p := c.as(prefillID, prefillSecret)
		flow := p.start(mockprove.PhoneMarciaLongo)
		expectError(c.unifyStatus(flow), 400, mockprove.CodeInvalidCorrelation, "not a Unify session")
	})

	It("unregisters a key with a request signed by it (no authToken), as the SDK's unregisterDevice() does", func() {
		k := newKey()
		c.mobileWithOTP(mockprove.PhoneLaneyDyball, k)
		dev := c.deviceAs("")
		unsigned := dev.post("/v1/client/device/unregister", map[string]any{"deviceId": k.DeviceID})
		Expect(unsigned.Map("error")).To(HaveKeyWithValue("code", 10000.0))
		ch := dev.post("/v1/client/challenge", map[string]any{"deviceId": k.DeviceID})
		Expect(ch.Status).To(Equal(http.StatusOK), string(ch.Raw))
		challenge := ch.Str("challenge")
		Expect(challenge).NotTo(BeEmpty())
		Expect(ch.Body).To(HaveKeyWithValue("ttl", 300.0))
		body := `{"deviceId":"` + k.DeviceID + `"}`
		sum := sha256.Sum256([]byte(body))
		sig, err := k.Sign("POST\n/v1/client/device/unregister\n\napplication/json\n" + challenge + "\n" + hex.EncodeToString(sum[:]))
		Expect(err).NotTo(HaveOccurred())
		req := dev.request(http.MethodPost, "/v1/client/device/unregister", "application/json", []byte(body))
		req.Header.Set("PA-Sig-Version", "3")
		req.Header.Set("PA-Challenge", challenge)
		req.Header.Set("PA-KID", k.KeyID)
		req.Header.Set("PA-Signature", sig)
		r := dev.do(req)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		Expect(string(r.Raw)).To(Equal("{}"))
		key, _ := c.srv.ProveKey(k.DeviceID)
		Expect(key.Active).To(BeFalse())
		replay := dev.do(dev.request(http.MethodPost, "/v1/client/device/unregister", "application/json", []byte(body)))
		Expect(replay.Map("error")).NotTo(BeNil())
		Expect(dev.post("/v1/client/challenge", map[string]any{"deviceId": k.DeviceID}).Map("error")).To(HaveKeyWithValue("code", 10006.0))
	})

	It("journals every step and lets faults hit them by step name", func() {
		k := newKey()
		id, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
		c.runKey(token, k)
		_, err := c.srv.AddFault(mockprove.FaultSpec{Step: "/v3/unify-status", Status: 503, Count: 1})
		Expect(err).NotTo(HaveOccurred())
		expectError(c.unifyStatus(id), 503, mockprove.CodeInternal, "")
		Expect(c.unifyStatus(id).Str("success")).To(Equal("pending"))
		_, err = c.srv.AddFault(mockprove.FaultSpec{Step: "/v1/client/device/passive/verify", Status: 500, Count: 1})
		Expect(err).NotTo(HaveOccurred())
		_, err = c.srv.RunProveKey(token, k)
		Expect(err).To(MatchError(ContainSubstring("500")))
		var steps []string
		for _, e := range c.srv.Journal(mockprove.JournalFilter{CorrelationID: id}) {
			steps = append(steps, e.Step)
		}
		Expect(steps).To(Equal([]string{"/v3/unify", "/v1/client/device/passive/register", "/v3/unify-status",
			"/v1/client/device/passive/verify"}))
		var statuses []int
		for _, e := range c.srv.Journal(mockprove.JournalFilter{Step: "/v3/unify-status"}) {
			statuses = append(statuses, e.Status)
		}
		Expect(statuses).To(Equal([]int{503, 200}))
	})
})

// deviceAs is a client of the device API with the authToken as bearer ("":
// none, as the SDK's signed requests).
func (c *client) deviceAs(token string) *client {
	cp := *c
	cp.bearer = token
	return &cp
}

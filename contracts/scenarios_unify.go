package contracts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Scenarios of Unified Authentication (docs/unify.md): /v3/unify,
// /v3/unify-status, /v3/unify-bind, /v3/device/revoke, with the Prove Key
// steps of the web SDK played in Go (an ECDSA P-256 key, as the browser's
// WebCrypto key).

// Unify personas (specs/personas.yaml).
const (
	barbaraanne = "2001004018" // Prove sandbox (Unify): short-term, "true" with no SDK and no key
	lorant      = "2001004014" // Prove sandbox (Unify): desktop Instant Link; none then bind
	laney       = "2001004015" // Prove sandbox (Unify): OTP 1234 on mobile, places a key
	inge        = "2001004016" // Prove sandbox (Unify): Mobile Auth passes silently, places a key
	odile       = "2009990050" // a wrong OTP every time: "false"
	ruben       = "2009990051" // Mobile Auth fails, the OTP fallback passes
	tamsin      = "2009990052" // desktop: never clicks the link

	deviceRegister = "/v1/client/device/passive/register"
	deviceVerify   = "/v1/client/device/passive/verify"
)

// UnifyBody is a /v3/unify body.
func UnifyBody(phone, possessionType string, extra ...any) map[string]any {
	return with(map[string]any{"possessionType": possessionType, "phoneNumber": phone, "clientRequestId": "req-unify-" + phone}, extra)
}

// Unify posts /v3/unify and asserts a session began: 200, success
// "pending" (a string), a correlationId; the flow in hand carries the
// authToken when there is one.
func (x *X) Unify(body map[string]any) *Flow {
	r := x.API(Unify, "/v3/unify", body)
	x.Status(r, http.StatusOK)
	x.Field(r, "success", "pending")
	f := &Flow{Product: Unify, CorrelationID: r.Str("correlationId"), AuthToken: r.Str("authToken")}
	x.Check(f.CorrelationID != "", r, "response body correlationId", "flow.start", "a correlationId", "nothing")
	x.cid = f.CorrelationID
	f.Endp = endpOf(f.AuthToken)
	return f
}

// SDKUnify is Unify for a session the SDK runs: it must carry an authToken
// whose auth.endp names the device API.
func (x *X) SDKUnify(body map[string]any) *Flow {
	f := x.Unify(body)
	x.Check(f.Endp != "", &Resp{Op: "POST /v3/unify"}, "response body authToken", "flow.authToken", "a JWT whose auth.endp names the device API", short(f.AuthToken))
	return f
}

// UnifyStatus posts /v3/unify-status and asserts 200 with success want.
func (x *X) UnifyStatus(f *Flow, want string) *Resp {
	r := x.API(Unify, "/v3/unify-status", map[string]any{"correlationId": f.CorrelationID, "clientRequestId": "req-status"})
	x.Status(r, http.StatusOK)
	x.Field(r, "success", want)
	return r
}

// UnifyBind posts /v3/unify-bind.
func (x *X) UnifyBind(f *Flow, phone string) *Resp {
	return x.API(Unify, "/v3/unify-bind", map[string]any{"correlationId": f.CorrelationID, "phoneNumber": phone})
}

// ProveKey is the device key the web SDK keeps in the browser.
type ProveKey struct {
	ID       string // the SDK's key id
	DeviceID string // what register answered
	priv     *ecdsa.PrivateKey
}

// NewProveKey makes a fresh P-256 key.
func NewProveKey(id string) *ProveKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err) // the system's randomness failed
	}
	return &ProveKey{ID: id, priv: priv}
}

// sign is the browser's signature: ECDSA over SHA-256, DER, base64.
func (k *ProveKey) sign(msg string) string {
	sum := sha256.Sum256([]byte(msg))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func (k *ProveKey) publicPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// chlgOf reads auth.chlg of an authToken, the challenge the key signs.
func chlgOf(authToken string) string {
	var claims struct {
		Auth struct {
			Chlg string `json:"chlg"`
		} `json:"auth"`
	}
	jwtClaims(authToken, &claims)
	return claims.Auth.Chlg
}

// RegisterKey plays the SDK's key registration: the public key and the
// signature of auth.chlg. It asserts the answer's deviceId and next.
func (x *X) RegisterKey(f *Flow, k *ProveKey, next string) {
	r := x.Device(f, deviceRegister, map[string]any{"registrations": []any{map[string]any{
		"publicKey": map[string]any{"id": k.ID, "alg": "ES256", "key": k.publicPEM(), "uvLevel": 0},
		"signature": k.sign(chlgOf(f.AuthToken)),
	}}})
	x.DeviceNext(r, next)
	k.DeviceID = r.Str("data.deviceId")
	x.Check(k.DeviceID != "", r, "response body data.deviceId", "provekey.register", "a deviceId", "nothing")
}

// VerifyKey plays the SDK's key check: the signature of "<deviceId>:<chlg>".
func (x *X) VerifyKey(f *Flow, k *ProveKey) *Resp {
	return x.Device(f, deviceVerify, map[string]any{"deviceId": k.DeviceID, "keyId": k.ID, "signature": k.sign(k.DeviceID + ":" + chlgOf(f.AuthToken))})
}

// otpPasses runs the OTP step with the code from the SMS.
func (x *X) otpPasses(f *Flow) {
	x.DeviceNext(x.Device(f, otpFinish, map[string]any{"otp": x.OTPSent(f)}), "done")
}

// noSMS asserts that the session sent no SMS.
func (x *X) noSMS(f *Flow, rule string) {
	n := len(x.Outbox(f))
	x.Check(n == 0, &Resp{Op: "GET /_mock/sms"}, "response body", rule, "no SMS", fmt.Sprintf("%d SMS", n))
}

// keyPlaced runs a first mobile sign-in of laney: the key is registered,
// OTP passes, the status says "true" with the key's deviceId.
func (x *X) keyPlaced() *ProveKey {
	k := NewProveKey("k-contracts")
	f := x.SDKUnify(UnifyBody(laney, "mobile"))
	x.RegisterKey(f, k, "mobile/otp")
	x.otpPasses(f)
	r := x.UnifyStatus(f, "true")
	x.Field(r, "deviceId", k.DeviceID)
	x.ProveID(r, "proveId")
	return k
}

func init() {
	register(
		Scenario{Area: "unify", Name: "short-term-user", Doc: `a short-term sandbox user: unify "pending", then status "true" with a proveId and no SDK step`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				f := x.Unify(UnifyBody(barbaraanne, "mobile"))
				r := x.UnifyStatus(f, "true")
				x.ProveID(r, "proveId")
				x.Field(r, "clientRequestId", "req-status")
			}},
		Scenario{Area: "unify", Name: "status-before-sdk", Doc: `mobile: unify-status answers "pending" while the SDK has not run`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				f := x.SDKUnify(UnifyBody(laney, "mobile"))
				x.UnifyStatus(f, "pending")
				x.UnifyStatus(f, "pending")
			}},
		Scenario{Area: "unify", Name: "mobile-otp-places-key", Doc: `mobile, no key yet: the SDK registers a Prove Key, OTP passes; status "true" with its deviceId`,
			Needs: []Need{NeedUnify, NeedPhone},
			Body:  func(x *X) { x.keyPlaced() }},
		Scenario{Area: "unify", Name: "key-recognised", Doc: `the next mobile sign-in on the device passes by the Prove Key alone: no SMS, status "true", the same deviceId`,
			Needs: []Need{NeedUnify, NeedPhone},
			Body: func(x *X) {
				k := x.keyPlaced()
				f := x.SDKUnify(UnifyBody(laney, "mobile"))
				x.DeviceNext(x.VerifyKey(f, k), "done")
				x.noSMS(f, "provekey.silent")
				x.Field(x.UnifyStatus(f, "true"), "deviceId", k.DeviceID)
			}},
		Scenario{Area: "unify", Name: "rebind", Doc: `rebind: a recognised key does not pass alone; OTP runs, then status "true" with the same deviceId`,
			Needs: []Need{NeedUnify, NeedPhone},
			Body: func(x *X) {
				k := x.keyPlaced()
				f := x.SDKUnify(UnifyBody(laney, "mobile", "rebind", true))
				x.DeviceNext(x.VerifyKey(f, k), "mobile/otp")
				x.otpPasses(f)
				x.Field(x.UnifyStatus(f, "true"), "deviceId", k.DeviceID)
			}},
		Scenario{Area: "unify", Name: "mobile-auth-fallback", Doc: `Mobile Auth fails: the reported error sends the SDK to OTP, which passes and binds the key`,
			Needs: []Need{NeedUnify, NeedPhone, NeedPersonas},
			Body: func(x *X) {
				k := NewProveKey("k-ruben")
				f := x.SDKUnify(UnifyBody(ruben, "mobile"))
				x.RegisterKey(f, k, "mobile/instant")
				x.Device(f, instStart, map[string]any{"cellularIp": nil, "implementation": "fetch"})
				x.DeviceNext(x.Device(f, instError, map[string]any{"code": 10002, "message": "Web SDK cannot make http request"}), "mobile/otp")
				x.otpPasses(f)
				x.Field(x.UnifyStatus(f, "true"), "deviceId", k.DeviceID)
			}},
		Scenario{Area: "unify", Name: "desktop-link-expired", Doc: `desktop, a link never clicked: status "false" once the 3 minutes of the link are over`,
			Needs: []Need{NeedUnify, NeedPhone, NeedPersonas, NeedClock},
			Body: func(x *X) {
				f := x.SDKUnify(UnifyBody(tamsin, "desktop", "finalTargetUrl", finalTarget))
				x.DeviceNext(x.Device(f, "/v1/client/mobile/instantlink/start", map[string]any{"sourceIp": nil, "isMobile": false}), "")
				x.UnifyStatus(f, "pending")
				x.Advance(5*time.Minute + time.Second) // past the link's 3 minutes, or 5 when configured so
				x.UnifyStatus(f, "false")
			}},
		Scenario{Area: "unify", Name: "mobile-auth", Doc: `mobile with Mobile Auth: the key is registered, Mobile Auth passes silently; status "true" with the deviceId`,
			Needs: []Need{NeedUnify, NeedPhone},
			Body: func(x *X) {
				k := NewProveKey("k-inge")
				f := x.SDKUnify(UnifyBody(inge, "mobile"))
				x.RegisterKey(f, k, "mobile/instant")
				r := x.Device(f, instStart, map[string]any{"cellularIp": nil, "implementation": "fetch"})
				u, err := url.Parse(r.Str("data.redirectUrl"))
				x.Check(err == nil && u.Query().Get("testVfp") != "", r, "response body data.redirectUrl", "mobileauth.redirect", "a URL with testVfp", r.Str("data.redirectUrl"))
				x.DeviceNext(x.Device(f, instFinish, map[string]any{"vfp": u.Query().Get("testVfp")}), "done")
				x.noSMS(f, "mobileauth.silent")
				x.Field(x.UnifyStatus(f, "true"), "deviceId", k.DeviceID)
			}},
		Scenario{Area: "unify", Name: "desktop-instant-link", Doc: `desktop: the Instant Link from the SMS redirects to finalTargetUrl; status "true" with no deviceId`,
			Needs: []Need{NeedUnify, NeedPhone},
			Body: func(x *X) {
				f := x.SDKUnify(UnifyBody(lorant, "desktop", "finalTargetUrl", finalTarget))
				x.DeviceNext(x.Device(f, "/v1/client/mobile/instantlink/start", map[string]any{"sourceIp": nil, "isMobile": false}), "")
				r := x.OpenLink(x.LastSMS(f).Link)
				x.Status(r, http.StatusFound)
				x.Check(strings.HasPrefix(r.Header.Get("Location"), finalTarget), r, "response header Location", "instantlink.redirect", finalTarget+"?…", r.Header.Get("Location"))
				r = x.UnifyStatus(f, "true")
				_, hasDevice := r.Get("deviceId")
				x.Check(!hasDevice, r, "response body deviceId", "flow.field", "no deviceId (desktop places no key)", r.Str("deviceId"))
			}},
		Scenario{Area: "unify", Name: "none-then-bind", Doc: `none: bind before possession_required is refused (403 code 8003); the key is placed, status "possession_required", bind "true" once`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				f := x.SDKUnify(UnifyBody(lorant, "none"))
				x.Error(x.UnifyBind(f, lorant), http.StatusForbidden, 8003)
				k := NewProveKey("k-none")
				x.RegisterKey(f, k, "done")
				x.UnifyStatus(f, "possession_required")
				r := x.UnifyBind(f, lorant)
				x.Status(r, http.StatusOK)
				x.Field(r, "success", "true")
				x.Field(r, "deviceId", k.DeviceID)
				x.ProveID(r, "proveId")
				x.Error(x.UnifyBind(f, lorant), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "unify", Name: "bind-other-number", Doc: `none: a bind with a number that is not the session's: "false"`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				f := x.SDKUnify(UnifyBody(lorant, "none"))
				x.RegisterKey(f, NewProveKey("k-other"), "done")
				x.UnifyStatus(f, "possession_required")
				r := x.UnifyBind(f, laney)
				x.Status(r, http.StatusOK)
				x.Field(r, "success", "false")
			}},
		Scenario{Area: "unify", Name: "revoked-key", Doc: "a revoked Prove Key is not recognised: 10006 with next device/passive; revoke answers a boolean true",
			Needs: []Need{NeedUnify, NeedPhone},
			Body: func(x *X) {
				k := x.keyPlaced()
				r := x.API(Unify, "/v3/device/revoke", map[string]any{"clientRequestId": "req-revoke", "deviceId": k.DeviceID})
				x.Status(r, http.StatusOK)
				x.Field(r, "success", true)
				f := x.SDKUnify(UnifyBody(laney, "mobile"))
				r = x.VerifyKey(f, k)
				x.DeviceNext(r, "device/passive")
				x.Number(r, "error.code", 10006)
				x.UnifyStatus(f, "pending")
			}},
		Scenario{Area: "unify", Name: "revoke-unknown-device", Doc: "revoking a deviceId the client never bound: 404 code 8011",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.NotFound(x.API(Unify, "/v3/device/revoke", map[string]any{"clientRequestId": "req-revoke", "deviceId": unknownProveID}))
			}},
		Scenario{Area: "unify", Name: "otp-fails", Doc: `a wrong OTP ends the check: status "false"`,
			Needs: []Need{NeedUnify, NeedPhone, NeedPersonas},
			Body: func(x *X) {
				f := x.SDKUnify(UnifyBody(odile, "mobile"))
				x.RegisterKey(f, NewProveKey("k-odile"), "mobile/otp")
				x.OTPSent(f)
				x.DeviceTerminal(x.Device(f, otpFinish, map[string]any{"otp": "0000"}), sdkMaxTries)
				x.UnifyStatus(f, "false")
			}},
		Scenario{Area: "unify", Name: "session-expired", Doc: `a session whose SDK never finished: status "false" after 15 minutes`,
			Needs: []Need{NeedUnify, NeedClock},
			Body: func(x *X) {
				f := x.SDKUnify(UnifyBody(laney, "mobile"))
				x.Advance(longWait)
				x.UnifyStatus(f, "false")
			}},
		Scenario{Area: "unify", Name: "unknown-correlation-id", Doc: "unify-status and unify-bind with a correlationId no session has: 400 code 8008",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				f := &Flow{CorrelationID: "00000000-0000-4000-8000-000000000000"}
				x.Error(x.API(Unify, "/v3/unify-status", map[string]any{"correlationId": f.CorrelationID}), http.StatusBadRequest, 8008)
				x.Error(x.UnifyBind(f, lorant), http.StatusBadRequest, 8008)
			}},
		Scenario{Area: "unify", Name: "validate-on-unify", Doc: "/v3/validate with a Unify session's correlationId: 403 code 8003",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				f := x.SDKUnify(UnifyBody(laney, "mobile"))
				x.Error(x.API(Unify, "/v3/validate", map[string]any{"correlationId": f.CorrelationID}), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "unify", Name: "without-client-request-id", Doc: "unify without clientRequestId: 400 code 8001 naming it",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				body := UnifyBody(laney, "mobile")
				delete(body, "clientRequestId")
				x.Error(x.BadAPI(Unify, "/v3/unify", body), http.StatusBadRequest, 8001, "clientRequestId")
			}},
		Scenario{Area: "unify", Name: "wrong-possession-type", Doc: "a possessionType other than mobile, desktop, none: 400 code 8001 naming it",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Error(x.BadAPI(Unify, "/v3/unify", UnifyBody(laney, "tablet")), http.StatusBadRequest, 8001, "possessionType")
			}},
	)
}

package mockprove

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// The Prove Key steps of the web SDK (prove-web-sdk.md §3-§5; the SDK's
// device-passive-*-step.js and web-device-auth.js). With auth.next
// "device/passive" and uvlvl "none" the SDK skips WebAuthn and runs
// device/passive/silent:
//
//   - no key in the browser: it makes a non-extractable ECDSA P-256 key,
//     signs auth.chlg with it and POSTs device/passive/register
//     {registrations:[{publicKey:{id, alg:"ES256", key:<PEM SPKI>}, signature}]};
//     the answer's data.deviceId is stored with the key;
//   - a key: it signs "<deviceId>:<auth.chlg>" and POSTs
//     device/passive/verify {deviceId, keyId, signature}.
//
// Signatures are DER, base64 (btoa). Either way the SDK goes on with the
// answer's next: "done" (the key passed), or the possession step that
// replaces it (mobile/instant or mobile/otp); an error with code 10006
// makes the SDK wipe its key, and next "device/passive" then registers a
// new one. /v1/client/device/unregister and /v1/client/challenge carry no
// authToken: the SDK proves it holds the key by request signing.

const (
	sdkNoDeviceFound = 10006
	// stepDevicePassive is the SDK step that (re)starts the key steps.
	stepDevicePassive = "device/passive"
	// sigVersion is the request-signing scheme the SDK uses (PA-Sig-Version).
	sigVersion = "3"
)

func (s *Server) registerDeviceKeys(r *mux.Router) {
	for path, h := range map[string]handlerFunc{
		"/v1/client/device/passive/register": s.passiveRegister,
		"/v1/client/device/passive/verify":   s.passiveVerify,
		"/v1/client/device/passive/error":    s.passiveError,
	} {
		r.Handle(path, s.serve(endpoint{step: path, auth: authDevice, validate: s.device, h: h})).Methods(http.MethodPost)
	}
	r.Handle("/v1/client/challenge", s.serve(endpoint{step: "/v1/client/challenge", validate: s.device,
		h: s.keyChallenge})).Methods(http.MethodPost)
	r.Handle("/v1/client/device/unregister", s.serve(endpoint{step: "/v1/client/device/unregister", validate: s.device,
		h: s.deviceUnregister})).Methods(http.MethodPost)
}

// keyFallbackLocked is what follows the key steps when the key did not
// pass: for possessionType none, the end of the SDK's part (unify-status
// then answers possession_required); on mobile, the possession check of
// the persona (Mobile Auth with OTP as its fallback, or OTP).
func (s *Server) keyFallbackLocked(f *flow) string {
	if f.u.possessionType == PossessionNone {
		f.u.sdkDone = true
		return stepDone
	}
	if f.d.poss.Method == MethodMobileAuth {
		return "mobile/instant"
	}
	return "mobile/otp"
}

// noKeyStepLocked answers a key step of a flow that has none (a /v3/start
// flow, or a desktop Unify session).
func noKeyStepLocked(c *call, f *flow) *envelope {
	if f.u == nil || f.u.possessionType == PossessionDesktop {
		c.rule = "key.no-key-step"
		return terminal(sdkExternalFailure, "this flow has no Prove Key step (only mobile and none Unify sessions have one)")
	}
	return nil
}

type keyRegistration struct {
	PublicKey *struct {
		ID      string `json:"id"`
		Alg     string `json:"alg"`
		Key     string `json:"key"`
		UVLevel int    `json:"uvLevel"`
	} `json:"publicKey"`
	Signature string `json:"signature"`
}

type passiveRegisterRequest struct {
	DeviceName    string            `json:"deviceName"`
	Registrations []keyRegistration `json:"registrations"`
}

// passiveRegister stores the browser's new ES256 key (pending until the
// session's possession check passes) and answers its deviceId with the
// step that follows.
func (s *Server) passiveRegister(c *call) (any, error) {
	var req passiveRegisterRequest
	return s.possessionStep(c, &req, func(f *flow) (any, error) {
		if env := noKeyStepLocked(c, f); env != nil {
			return env, nil
		}
		var reg *keyRegistration
		for i := range req.Registrations {
			if pk := req.Registrations[i].PublicKey; pk != nil && pk.Alg == "ES256" {
				reg = &req.Registrations[i]
				break
			}
		}
		next := s.keyFallbackLocked(f)
		if reg == nil {
			c.rule = "key.register.no-es256"
			s.noteLocked(f, "key-refused", "no ES256 public key in registrations")
			return &envelope{Error: &sdkError{Code: sdkAuthFailure, Message: "no ES256 public key in registrations"}, Next: next}, nil
		}
		pub, err := parsePEMKey(reg.PublicKey.Key)
		if err != nil {
			c.rule = "key.register.bad-key"
			s.noteLocked(f, "key-refused", err.Error())
			return &envelope{Error: &sdkError{Code: sdkAuthFailure, Message: err.Error()}, Next: next}, nil
		}
		if !verifyDER(pub, []byte(f.u.challenge), reg.Signature) {
			c.rule = "key.register.bad-signature"
			s.noteLocked(f, "key-refused", "the registration signature over auth.chlg is invalid")
			return &envelope{Error: &sdkError{Code: sdkAuthFailure, Message: "the registration signature over auth.chlg is invalid"}, Next: next}, nil
		}
		k := &ProveKey{
			DeviceID: s.newID(), KeyID: clip(reg.PublicKey.ID, 64), Client: f.client.ID, DeviceName: clip(req.DeviceName, 128),
			ClientCustomerID: f.u.clientCustomerID, ClientHumanID: f.u.clientHumanID, pub: pub,
		}
		if f.u.registered != "" { // one pending key per session, however often it registers
			s.st.keys.forgetPending(f.u.registered)
		}
		s.st.keys.add(k, s.clock.Now())
		f.u.deviceID, f.u.registered = k.DeviceID, k.DeviceID
		c.rule = "key.registered"
		s.noteLocked(f, "key-registered", k.DeviceID)
		return &envelope{Data: map[string]any{"deviceId": k.DeviceID}, Next: next}, nil
	})
}

type passiveVerifyRequest struct {
	DeviceID  string `json:"deviceId"`
	KeyID     string `json:"keyId"`
	Signature string `json:"signature"`
}

// passiveVerify checks the signature of "<deviceId>:<auth.chlg>" with the
// stored key. A bound, active key of the session's number passes the
// possession check with no SMS; otherwise the SDK falls back (and the key,
// if sound, is bound once the fallback passes).
func (s *Server) passiveVerify(c *call) (any, error) {
	var req passiveVerifyRequest
	return s.possessionStep(c, &req, func(f *flow) (any, error) {
		if env := noKeyStepLocked(c, f); env != nil {
			return env, nil
		}
		now := s.clock.Now()
		var (
			known, sigOK bool
			state, phone string
		)
		s.st.keys.with(req.DeviceID, func(k *ProveKey) {
			if k == nil || k.Client != f.client.ID {
				return
			}
			known, state, phone = true, k.state(now), k.Phone
			sigOK = k.KeyID == req.KeyID && verifyDER(k.pub, []byte(req.DeviceID+":"+f.u.challenge), req.Signature)
			if sigOK && state == "active" && phone == f.phone() && !f.u.rebind {
				k.LastUsedAt = now
			}
		})
		switch {
		case !known || state == "inactive":
			c.rule = "key.verify.no-device"
			why := "no device found: " + req.DeviceID + " is not a Prove Key of this client"
			if known {
				c.rule = "key.verify.inactive"
				why = "no device found: the Prove Key " + req.DeviceID + " is revoked or inactive"
			}
			s.noteLocked(f, "key-unknown", why)
			return &envelope{Error: &sdkError{Code: sdkNoDeviceFound, Message: why}, Next: stepDevicePassive}, nil
		case !sigOK:
			c.rule = "key.verify.bad-signature"
			s.noteLocked(f, "key-bad-signature", req.DeviceID)
			return &envelope{Error: &sdkError{Code: sdkAuthFailure, Message: "the Prove Key signature is invalid"}, Next: s.keyFallbackLocked(f)}, nil
		}
		f.u.deviceID = req.DeviceID
		switch {
		case state == "pending":
			c.rule = "key.verify.unbound"
			s.noteLocked(f, "key-unbound", req.DeviceID)
		case f.u.rebind:
			c.rule = "key.verify.rebind"
			s.noteLocked(f, "key-rebind", req.DeviceID)
		case phone != f.phone():
			c.rule = "key.verify.other-phone"
			s.noteLocked(f, "key-other-phone", req.DeviceID)
		default:
			c.rule = "key.verify.pass"
			f.u.keyPassed = true
			f.d.poss.Method = MethodProveKey
			s.passLocked(f, "key-verified")
			return &envelope{Next: stepDone}, nil
		}
		return &envelope{Next: s.keyFallbackLocked(f)}, nil
	})
}

// passiveError is the SDK reporting a client-side failure of its key steps
// (WebCrypto, IndexedDB): the session goes on as if there were no key.
func (s *Server) passiveError(c *call) (any, error) {
	var req reportedErrorRequest
	return s.possessionStep(c, &req, func(f *flow) (any, error) {
		if env := noKeyStepLocked(c, f); env != nil {
			return env, nil
		}
		c.rule = "key.reported-error"
		s.noteLocked(f, "key-error", req.Message)
		return &envelope{Next: s.keyFallbackLocked(f)}, nil
	})
}

type deviceIDRequest struct {
	DeviceID string `json:"deviceId"`
}

// keyChallenge is POST /v1/client/challenge: a challenge for request
// signing, valid keyChallengeTTL, for a known active or pending key.
func (s *Server) keyChallenge(c *call) (any, error) {
	var req deviceIDRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	s.keyCaller(c, req.DeviceID)
	challenge := hex.EncodeToString(s.st.ids.bytes(16))
	if !s.st.keys.newChallenge(req.DeviceID, challenge, s.clock.Now()) {
		c.rule = "key.challenge.no-device"
		return &envelope{Error: &sdkError{Code: sdkNoDeviceFound, Message: "no device found: " + req.DeviceID}}, nil
	}
	c.rule = "key.challenge"
	return map[string]any{"challenge": challenge, "ttl": int(keyChallengeTTL.Seconds())}, nil
}

// deviceUnregister is POST /v1/client/device/unregister (the SDK's
// unregisterDevice()): a request signed with the key deactivates it, as
// /v3/device/revoke does.
func (s *Server) deviceUnregister(c *call) (any, error) {
	var req deviceIDRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	s.keyCaller(c, req.DeviceID)
	h := c.r.Header
	now := s.clock.Now()
	why := ""
	s.st.keys.with(req.DeviceID, func(k *ProveKey) {
		switch {
		case k == nil:
			why = "no device found: " + req.DeviceID
		case h.Get("PA-Sig-Version") != sigVersion || h.Get("PA-Challenge") == "" || h.Get("PA-Signature") == "":
			why = "the request is not signed with the Prove Key (PA-Sig-Version 3, PA-Challenge, PA-KID, PA-Signature)"
		case h.Get("PA-KID") != k.KeyID:
			why = "PA-KID is not the key id of " + req.DeviceID
		case !k.takeChallenge(h.Get("PA-Challenge"), now):
			why = "PA-Challenge is not a live challenge of /v1/client/challenge for this device"
		case !verifyDER(k.pub, []byte(signedRequest(c, h.Get("PA-Challenge"))), h.Get("PA-Signature")):
			why = "PA-Signature is invalid"
		default:
			if k.RevokedAt == nil {
				k.RevokedAt = &now
			}
		}
	})
	if why != "" {
		c.rule = "key.unregister.refused"
		code := sdkAuthFailure
		if strings.HasPrefix(why, "no device") {
			code = sdkNoDeviceFound
		}
		return &envelope{Error: &sdkError{Code: code, Message: why}}, nil
	}
	c.rule = "key.unregistered"
	return &envelope{}, nil
}

// signedRequest is what the SDK's RequestSignerV3 signs:
// method, path, query, content type, challenge and the body's SHA-256 in hex.
func signedRequest(c *call, challenge string) string {
	sum := sha256.Sum256(c.body)
	return strings.Join([]string{c.r.Method, c.r.URL.Path, c.r.URL.RawQuery, "application/json", challenge, hex.EncodeToString(sum[:])}, "\n")
}

// keyCaller notes the client and persona of a key for the journal and for
// faults scoped to them.
func (s *Server) keyCaller(c *call, deviceID string) {
	if k, ok := s.st.keys.get(deviceID, s.clock.Now()); ok {
		if cl := s.clients[k.Client]; cl != nil {
			c.client = *cl
		}
		c.persona = k.Phone
	}
}

// parsePEMKey reads the SDK's public key: "-----BEGIN PUBLIC KEY-----\n<base64
// SPKI>\n-----END PUBLIC KEY-----", a P-256 ECDSA key.
func parsePEMKey(s string) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("publicKey.key is not a PEM public key")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, errors.New("publicKey.key is not a SubjectPublicKeyInfo")
	}
	ec, ok := k.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("publicKey.key is not an ECDSA P-256 key (alg ES256)")
	}
	return ec, nil
}

// verifyDER checks a base64 DER ECDSA signature of SHA-256(msg).
func verifyDER(pub *ecdsa.PublicKey, msg []byte, sigB64 string) bool {
	if pub == nil {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(msg)
	return ecdsa.VerifyASN1(pub, sum[:], sig)
}

// clip cuts s to at most n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return truncateUTF8(s, n)
}

// registerKeyControls serves the Prove Key registry on the control API.
func (s *Server) registerKeyControls(r *mux.Router) {
	r.Handle("/_mock/keys", s.serve(endpoint{step: "/_mock/keys", auth: authControl, internal: true, h: s.ctlKeys})).Methods(http.MethodGet)
}

// ctlKeys is GET /_mock/keys[?client=<id>]: the registered Prove Keys,
// oldest first, in pages like the other control listings (?limit=,
// ?cursor=, X-Next-Cursor).
func (s *Server) ctlKeys(c *call) (any, error) {
	limit, cursor, err := pageParams(c, maxPageLimit)
	if err != nil {
		return nil, err
	}
	after, err := seqCursor(cursor)
	if err != nil {
		return nil, err
	}
	out, next := s.st.keys.page(c.r.URL.Query().Get("client"), after, limit, s.clock.Now())
	return page(out, seqNext(next)), nil
}

package mockprove

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The client side, from Go: what Prove's web SDK does in the end user's
// browser and what the user does on the phone, for a backend test that has
// no browser. Each helper takes the authToken that the backend got from
// /v3/start (and would hand to its page), calls the device API through the
// server's own handler exactly as the SDK does, and reads the SMS from the
// virtual phone. Faults, personas, the journal and the clock apply as they
// do to the real SDK.

// DeviceAnswer is the device API's answer to one step, as the web SDK reads
// it: Next is the SDK's next step ("done" ends the possession check), Data a
// retryable user error or step data, Error a terminal failure.
type DeviceAnswer struct {
	Next  string         `json:"next,omitempty"`
	Data  map[string]any `json:"data,omitempty"`
	Error *DeviceError   `json:"error,omitempty"`
	// CorrelationID is the flow the authToken belongs to (from the
	// X-Mockprove-Correlation-Id header).
	CorrelationID string `json:"-"`
}

// DeviceError is the error object of a device API answer.
type DeviceError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Done reports whether the answer ends the possession check successfully
// for the SDK: next is "done" and there is no error.
func (a DeviceAnswer) Done() bool { return a.Next == "done" && a.Error == nil }

// SendOTP asks for the OTP SMS, as the SDK's OTP step does (otp/start).
// phone is the number the user typed, or "" to use the flow's number (a
// second call with "" is a resend).
func (s *Server) SendOTP(authToken, phone string) (DeviceAnswer, error) {
	body := map[string]any{}
	if phone != "" {
		body["mobileNumber"] = phone
	}
	return s.deviceCall(authToken, "/v1/client/mobile/otp/start", body)
}

// EnterOTP submits a code, as the user typing it does (otp/finish).
func (s *Server) EnterOTP(authToken, code string) (DeviceAnswer, error) {
	return s.deviceCall(authToken, "/v1/client/mobile/otp/finish", map[string]any{"otp": code})
}

// PassOTP passes the OTP possession check of the flow: it sends the SMS,
// reads the code on the virtual phone and enters it. It fails unless the
// device API answers "done" (for example for a persona that types the wrong
// code first, or after an injected fault).
func (s *Server) PassOTP(authToken string) error {
	code, cid, err := s.sentOTP(authToken)
	if err != nil {
		return err
	}
	a, err := s.EnterOTP(authToken, code)
	if err != nil {
		return err
	}
	if !a.Done() {
		return fmt.Errorf("mockprove: flow %s: the OTP %s was not accepted: %s", cid, code, a)
	}
	return nil
}

// FailOTP fails the OTP possession check of the flow: it sends the SMS and
// enters wrong codes until the device API ends the check. It returns the
// last answer (Next "done" with an Error, or Data with the wrong-code error
// when the attempts never run out).
func (s *Server) FailOTP(authToken string) (DeviceAnswer, error) {
	code, _, err := s.sentOTP(authToken)
	if err != nil {
		return DeviceAnswer{}, err
	}
	wrong := wrongCode(code)
	var a DeviceAnswer
	for range otpMaxAttemptsRetry + 1 {
		if a, err = s.EnterOTP(authToken, wrong); err != nil || a.Next == "done" {
			return a, err
		}
	}
	return a, nil
}

// PassInstantLink passes the Instant Link possession check of a desktop
// flow: it asks for the SMS (instantlink/start) and opens the link as the
// phone's browser would. It returns where the phone is redirected.
func (s *Server) PassInstantLink(authToken string) (string, error) {
	a, err := s.deviceCall(authToken, "/v1/client/mobile/instantlink/start", map[string]any{"sourceIp": nil, "isMobile": false})
	if err != nil {
		return "", err
	}
	if a.Error != nil || a.Data == nil {
		return "", fmt.Errorf("mockprove: flow %s: the Instant Link was not sent: %s", a.CorrelationID, a)
	}
	sms, ok := s.lastSMSOfKind(a.CorrelationID, SMSKindInstantLink)
	if !ok {
		return "", fmt.Errorf("mockprove: flow %s: no Instant Link SMS on the virtual phone", a.CorrelationID)
	}
	resp, err := s.noRedirectClient().Get(sms.Link)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("mockprove: flow %s: opening the Instant Link answered %d: %s", a.CorrelationID, resp.StatusCode, bytes.TrimSpace(b))
	}
	return resp.Header.Get("Location"), nil
}

// PassMobileAuth runs the Mobile Auth step of a mobile flow as the SDK
// does. It returns nil when the carrier recognised the phone (the check
// passed), and otherwise the answer to the SDK's error report, whose Next is
// "mobile/otp" (the OTP fallback) and the error ErrMobileAuthUnavailable.
func (s *Server) PassMobileAuth(authToken string) (DeviceAnswer, error) {
	a, err := s.deviceCall(authToken, "/v1/client/mobile/instant/start", map[string]any{})
	if err != nil {
		return a, err
	}
	redirect, _ := a.Data["redirectUrl"].(string)
	vfp := ""
	if u, perr := url.Parse(redirect); perr == nil && u.Scheme == "https" {
		vfp = u.Query().Get("testVfp")
	}
	if vfp == "" {
		// The SDK refuses a non-https redirect and reports the failure.
		fallback, err := s.deviceCall(authToken, "/v1/client/mobile/instant/error",
			map[string]any{"code": 10002, "message": "mobile auth unavailable"})
		if err != nil {
			return fallback, err
		}
		return fallback, ErrMobileAuthUnavailable
	}
	fin, err := s.deviceCall(authToken, "/v1/client/mobile/instant/finish", map[string]any{"vfp": vfp})
	if err == nil && !fin.Done() {
		err = fmt.Errorf("mockprove: flow %s: Mobile Auth did not pass: %s", fin.CorrelationID, fin)
	}
	return fin, err
}

// ErrMobileAuthUnavailable says that the carrier did not recognise the
// phone: the SDK falls back to OTP.
var ErrMobileAuthUnavailable = fmt.Errorf("mockprove: Mobile Auth is unavailable for this phone: the SDK falls back to OTP")

// LastSMSOfFlow returns the newest SMS sent in a flow.
func (s *Server) LastSMSOfFlow(correlationID string) (SMS, bool) {
	return s.lastSMSOfKind(correlationID, "")
}

func (s *Server) lastSMSOfKind(correlationID, kind string) (SMS, bool) {
	if correlationID == "" {
		return SMS{}, false
	}
	msgs := s.Outbox(SMSFilter{CorrelationID: correlationID, Kind: kind})
	if len(msgs) == 0 {
		return SMS{}, false
	}
	return msgs[len(msgs)-1], true
}

// sentOTP sends the OTP SMS of the flow and returns the code it carries.
func (s *Server) sentOTP(authToken string) (code, correlationID string, err error) {
	a, err := s.SendOTP(authToken, "")
	if err != nil {
		return "", "", err
	}
	if a.Error != nil || a.Data != nil {
		return "", a.CorrelationID, fmt.Errorf("mockprove: flow %s: the OTP was not sent: %s", a.CorrelationID, a)
	}
	sms, ok := s.lastSMSOfKind(a.CorrelationID, SMSKindOTP)
	if !ok {
		return "", a.CorrelationID, fmt.Errorf("mockprove: flow %s: no OTP SMS on the virtual phone", a.CorrelationID)
	}
	return sms.Code, a.CorrelationID, nil
}

// wrongCode returns a code of the same length that differs from code in
// every digit.
func wrongCode(code string) string {
	b := []byte(code)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '0' + (c-'0'+5)%10
		}
	}
	if len(b) == 0 {
		return "0000"
	}
	return string(b)
}

// deviceCall posts one device API step as the web SDK does. A status other
// than 200 is an error (the SDK rejects it too).
func (s *Server) deviceCall(authToken, path string, body any) (DeviceAnswer, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return DeviceAnswer{}, err
	}
	req, err := http.NewRequest(http.MethodPost, s.localURL()+path, bytes.NewReader(raw))
	if err != nil {
		return DeviceAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+authToken)
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return DeviceAnswer{}, fmt.Errorf("mockprove: %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return DeviceAnswer{}, err
	}
	a := DeviceAnswer{CorrelationID: resp.Header.Get("X-Mockprove-Correlation-Id")}
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("mockprove: %s answered %d: %s", path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("mockprove: %s: %w", path, err)
	}
	return a, nil
}

// localURL is a base URL the in-memory client can use (the host is not
// looked at).
func (s *Server) localURL() string {
	if u := s.URL(); u != "" {
		return strings.TrimSuffix(u, "/")
	}
	return "http://mockprove.local"
}

func (s *Server) noRedirectClient() *http.Client {
	c := s.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// String is a one-line form of the answer, for error messages.
func (a DeviceAnswer) String() string {
	b, _ := json.Marshal(a)
	return string(b)
}

// DeviceKey is a browser's Prove Key, for a Go test that plays the web SDK's
// key steps: an ECDSA P-256 key, the key id the SDK makes, and the deviceId
// mockprove gave it (empty until registered). Use one per simulated browser.
type DeviceKey struct {
	KeyID    string
	DeviceID string
	priv     *ecdsa.PrivateKey
}

// NewDeviceKey makes a fresh key, as the SDK does on a browser without one.
func NewDeviceKey() (*DeviceKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return &DeviceKey{KeyID: hex.EncodeToString(id), priv: priv}, nil
}

// Sign returns the SDK's signature of msg: ECDSA SHA-256, DER, base64.
func (k *DeviceKey) Sign(msg string) (string, error) {
	sum := sha256.Sum256([]byte(msg))
	der, err := ecdsa.SignASN1(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// PublicKeyPEM is the public key as the SDK sends it: PEM SPKI, the base64
// on one line.
func (k *DeviceKey) PublicKeyPEM() (string, error) {
	der, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err != nil {
		return "", err
	}
	return "-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----", nil
}

// RunProveKey runs the SDK's device/passive/silent step of a Unify session
// with this key: device/passive/verify when the key has a deviceId, else
// device/passive/register (which gives it one). An answer with error 10006
// makes the key forget its deviceId and register again, as the SDK wipes
// its key. The answer's Next is "done" when the key passed alone, else the
// step that follows (mobile/otp, mobile/instant, or "done" for none).
func (s *Server) RunProveKey(authToken string, k *DeviceKey) (DeviceAnswer, error) {
	chlg, err := tokenChallenge(authToken)
	if err != nil {
		return DeviceAnswer{}, err
	}
	if k.DeviceID != "" {
		sig, err := k.Sign(k.DeviceID + ":" + chlg)
		if err != nil {
			return DeviceAnswer{}, err
		}
		a, err := s.deviceCall(authToken, "/v1/client/device/passive/verify",
			map[string]any{"deviceId": k.DeviceID, "keyId": k.KeyID, "signature": sig, "signals": map[string]any{}})
		if err != nil || a.Error == nil || a.Error.Code != sdkNoDeviceFound {
			return a, err
		}
		fresh, err := NewDeviceKey() // the SDK wipes its key and makes a new one
		if err != nil {
			return a, err
		}
		*k = *fresh
	}
	pem, err := k.PublicKeyPEM()
	if err != nil {
		return DeviceAnswer{}, err
	}
	sig, err := k.Sign(chlg)
	if err != nil {
		return DeviceAnswer{}, err
	}
	a, err := s.deviceCall(authToken, "/v1/client/device/passive/register", map[string]any{
		"deviceName": "Go test", "deviceCapabilities": []string{},
		"registrations": []any{map[string]any{
			"publicKey": map[string]any{"id": k.KeyID, "alg": "ES256", "key": pem, "uvLevel": 0}, "signature": sig}},
		"signals": map[string]any{},
	})
	if err == nil && a.Error == nil {
		if id, ok := a.Data["deviceId"].(string); ok {
			k.DeviceID = id
		}
	}
	return a, err
}

// tokenChallenge reads auth.chlg from an authToken, as the SDK does (no
// signature check).
func tokenChallenge(authToken string) (string, error) {
	parts := strings.Split(authToken, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("mockprove: the authToken is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("mockprove: the authToken's payload: %w", err)
	}
	var claims struct {
		Auth struct {
			Challenge string `json:"chlg"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		return "", fmt.Errorf("mockprove: the authToken's payload: %w", err)
	}
	return claims.Auth.Challenge, nil
}

package mockprove

import (
	"bytes"
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

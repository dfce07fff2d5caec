package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/mockprove/mockprove/mockprove"
)

// Personas the scenarios use (specs/personas.yaml).
const (
	// DesktopPersona is Martina Goodram: Prove Identity, short-term (no
	// possession check), passes validate and complete (README's curl walk).
	DesktopPersona = "2001004000"
	// OTPPersona is Jordan Ellis: an ordinary user who needs the possession
	// check and passes OTP 1234.
	OTPPersona = "2009990039"
	// OTPCode is the code Jordan's SMS carries (Prove's sandbox code).
	OTPCode = "1234"
	// finalTarget is the desktop flow's finalTargetUrl.
	finalTarget = "https://app.example/done"
)

// The built-in client the scenarios use (mockprove.DefaultClients).
const (
	clientID     = "identity-client"
	clientSecret = "identity-secret"
)

// Paths of the APIs.
const (
	pathToken     = "/token"
	pathStart     = "/v3/start"
	pathValidate  = "/v3/validate"
	pathComplete  = "/v3/complete"
	pathOTPStart  = "/v1/client/mobile/otp/start"
	pathOTPFinish = "/v1/client/mobile/otp/finish"
)

// startBody is the request of the /v3/start scenario and of held flows.
var startBody = []byte(`{"flowType":"mobile","phoneNumber":"` + DesktopPersona + `"}`)

// fetchToken gets an access token with the client credentials grant.
func fetchToken(c *conn) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}}
	st, body, err := c.do("POST", pathToken, []header{{"Content-Type", "application/x-www-form-urlencoded"}}, []byte(form.Encode()))
	if err := expect(pathToken, st, body, err, 200); err != nil {
		return "", err
	}
	tok, ok := jsonString(body, "access_token")
	if !ok {
		return "", fmt.Errorf("%s: no access_token in %s", pathToken, body)
	}
	return tok, nil
}

// jsonString finds the string value of the first "key" in a JSON document
// (no escapes in the value): enough for the IDs and tokens of mockprove's
// answers, and much cheaper for the load generator than decoding.
func jsonString(doc []byte, key string) (string, bool) {
	pat := `"` + key + `":"`
	i := bytes.Index(doc, []byte(pat))
	if i < 0 {
		return "", false
	}
	rest := doc[i+len(pat):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// succeeded reports whether a flow answer says "success": true.
func succeeded(doc []byte) bool {
	return bytes.Contains(doc, []byte(`"success":true`))
}

// startOp is one POST /v3/start.
func startOp(token string) op {
	return func(c *conn) error {
		st, body, err := c.postJSON(pathStart, token, startBody)
		return expect(pathStart, st, body, err, 200)
	}
}

// flowDriver runs whole flows as a customer's server (and, for OTP, Prove's
// web SDK) would.
type flowDriver struct {
	tok      atomic.Pointer[string] // the access token; the soak renews it
	complete map[string][]byte      // phone → the "individual" JSON that passes /v3/complete
}

// newFlowDriver prepares the /v3/complete bodies from the default personas.
func newFlowDriver(token string) (*flowDriver, error) {
	ps, err := mockprove.DefaultPersonas()
	if err != nil {
		return nil, err
	}
	d := &flowDriver{complete: map[string][]byte{}}
	d.setToken(token)
	for _, phone := range []string{DesktopPersona, OTPPersona} {
		var ind *mockprove.Individual
		for i := range ps {
			if ps[i].Phone == phone {
				ind = &ps[i].Individual
			}
		}
		if ind == nil {
			return nil, fmt.Errorf("no default persona %s", phone)
		}
		b, err := json.Marshal(map[string]string{"firstName": ind.FirstName, "lastName": ind.LastName, "ssn": ind.SSN, "dob": ind.DOB})
		if err != nil {
			return nil, err
		}
		d.complete[phone] = b
	}
	return d, nil
}

// setToken changes the access token the flows use.
func (d *flowDriver) setToken(t string) { d.tok.Store(&t) }

// token is the access token the flows use.
func (d *flowDriver) token() string { return *d.tok.Load() }

// validateAndComplete finishes a flow whose possession check is done.
func (d *flowDriver) validateAndComplete(c *conn, phone, id string) error {
	st, body, err := c.postJSON(pathValidate, d.token(), []byte(`{"correlationId":"`+id+`"}`))
	if err := expect(pathValidate, st, body, err, 200); err != nil {
		return err
	}
	if !succeeded(body) || !bytes.Contains(body, []byte(`"phoneNumber":"`+phone+`"`)) {
		return fmt.Errorf("%s: not a success for %s: %s", pathValidate, phone, body)
	}
	req := append(append([]byte(`{"correlationId":"`+id+`","individual":`), d.complete[phone]...), '}')
	st, body, err = c.postJSON(pathComplete, d.token(), req)
	if err := expect(pathComplete, st, body, err, 200); err != nil {
		return err
	}
	if !succeeded(body) {
		return fmt.Errorf("%s: not a success: %s", pathComplete, body)
	}
	return nil
}

// desktop is the desktop Prove Identity flow of a short-term persona:
// start, validate, complete.
func (d *flowDriver) desktop(c *conn) error {
	st, body, err := c.postJSON(pathStart, d.token(),
		[]byte(`{"flowType":"desktop","phoneNumber":"`+DesktopPersona+`","finalTargetUrl":"`+finalTarget+`"}`))
	if err := expect(pathStart, st, body, err, 200); err != nil {
		return err
	}
	id, ok := jsonString(body, "correlationId")
	if !ok {
		return fmt.Errorf("%s: no correlationId in %s", pathStart, body)
	}
	return d.validateAndComplete(c, DesktopPersona, id)
}

// mobileOTP is the mobile flow with the OTP possession check as the web SDK
// runs it: start, otp/start and otp/finish with the authToken, validate,
// complete.
func (d *flowDriver) mobileOTP(c *conn) error {
	st, body, err := c.postJSON(pathStart, d.token(), []byte(`{"flowType":"mobile","phoneNumber":"`+OTPPersona+`"}`))
	if err := expect(pathStart, st, body, err, 200); err != nil {
		return err
	}
	id, ok1 := jsonString(body, "correlationId")
	auth, ok2 := jsonString(body, "authToken")
	if !ok1 || !ok2 {
		return fmt.Errorf("%s: no correlationId or authToken in %s", pathStart, body)
	}
	st, body, err = c.postJSON(pathOTPStart, auth, []byte(`{}`))
	if err := expect(pathOTPStart, st, body, err, 200); err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) != "{}" {
		return fmt.Errorf("%s: the SMS was not sent: %s", pathOTPStart, body)
	}
	st, body, err = c.postJSON(pathOTPFinish, auth, []byte(`{"otp":"`+OTPCode+`"}`))
	if err := expect(pathOTPFinish, st, body, err, 200); err != nil {
		return err
	}
	if next, _ := jsonString(body, "next"); next != "done" || bytes.Contains(body, []byte(`"error"`)) {
		return fmt.Errorf("%s: the code was not accepted: %s", pathOTPFinish, body)
	}
	return d.validateAndComplete(c, OTPPersona, id)
}

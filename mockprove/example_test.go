package mockprove_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mockprove/mockprove/mockprove"
)

// A backend test of a Prove Identity integration, with mockprove playing
// Prove, the web SDK and the phone. Your backend would make the /token,
// /v3/start and /v3/validate calls; here a few lines of Go do.
func ExampleServer_PassOTP() {
	s, err := mockprove.RunOptions(mockprove.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	token := accessToken(s, "identity-client", "identity-secret")
	start := call(s, token, "/v3/start", `{"flowType":"mobile","phoneNumber":"`+mockprove.PhoneJordanEllis+`"}`)
	// The backend hands start["authToken"] to its page; the SDK and the user
	// do the rest. In a Go test, mockprove does it:
	if err := s.PassOTP(start["authToken"].(string)); err != nil {
		panic(err)
	}
	validate := call(s, token, "/v3/validate", `{"correlationId":"`+start["correlationId"].(string)+`"}`)
	fmt.Println(validate["success"], validate["next"])
	// Output: true map[v3-complete:/v3/complete]
}

// A desktop flow: the phone opens the Instant Link from its SMS.
func ExampleServer_PassInstantLink() {
	s, err := mockprove.RunOptions(mockprove.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	token := accessToken(s, "identity-client", "identity-secret")
	start := call(s, token, "/v3/start", `{"flowType":"desktop","phoneNumber":"`+mockprove.PhoneJordanEllis+
		`","finalTargetUrl":"https://app.example.com/done"}`)
	landing, err := s.PassInstantLink(start["authToken"].(string))
	if err != nil {
		panic(err)
	}
	u, _ := url.Parse(landing)
	fmt.Println(u.Host, u.Path, u.Query().Get("asc"))
	// Output: app.example.com /done true
}

// Mobile Auth: the carrier recognises the phone, or the SDK falls back to OTP.
func ExampleServer_PassMobileAuth() {
	s, err := mockprove.RunOptions(mockprove.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	token := accessToken(s, "identity-client", "identity-secret")
	for _, phone := range []string{mockprove.PhoneRashidKarimi, mockprove.PhoneColleenBrennan} {
		start := call(s, token, "/v3/start", `{"flowType":"mobile","phoneNumber":"`+phone+`"}`)
		answer, err := s.PassMobileAuth(start["authToken"].(string))
		fmt.Println(phone, answer.Next, err == mockprove.ErrMobileAuthUnavailable)
	}
	// Output:
	// 2009990037 done false
	// 2009990038 mobile/otp true
}

// The user waits too long: the virtual clock moves past the OTP's two
// minutes, and the code in the SMS no longer works.
func ExampleServer_FastForward() {
	s, err := mockprove.RunOptions(mockprove.Options{Clock: mockprove.NewFrozenClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	token := accessToken(s, "identity-client", "identity-secret")
	start := call(s, token, "/v3/start", `{"flowType":"mobile","phoneNumber":"`+mockprove.PhoneJordanEllis+`"}`)
	authToken := start["authToken"].(string)
	if _, err := s.SendOTP(authToken, ""); err != nil {
		panic(err)
	}
	sms, _ := s.LastSMSOfFlow(start["correlationId"].(string))
	s.FastForward(2*time.Minute + time.Second)
	answer, err := s.EnterOTP(authToken, sms.Code)
	fmt.Println(sms.Code, answer.Next, answer.Error.Code, err)
	// Output: 1234 done 10000 <nil>
}

// TestSignup is the README's Go example, verbatim (internal/readme checks
// that every Go block of the documentation stands in a Go file).
func TestSignup(t *testing.T) {
	s := mockprove.RunT(t)
	token := accessToken(s, "identity-client", "identity-secret") // your backend's /token call
	start := call(s, token, "/v3/start", `{"flowType":"mobile","phoneNumber":"`+mockprove.PhoneJordanEllis+`"}`)

	if err := s.PassOTP(start["authToken"].(string)); err != nil { // the web SDK and the user
		t.Fatal(err)
	}
	id := start["correlationId"].(string)
	call(s, token, "/v3/validate", `{"correlationId":"`+id+`"}`)
	s.CheckSessionState(t, id, mockprove.StateValidated)
	s.CheckPossession(t, id, true)
}

// accessToken gets an OAuth token as the backend does.
func accessToken(s *mockprove.Server, id, secret string) string {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	resp, err := s.HTTPClient().PostForm(s.URL()+"/token", form)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		panic(err)
	}
	return body.AccessToken
}

// call posts a JSON body to the server API as the backend does.
func call(s *mockprove.Server, token, path, body string) map[string]any {
	req, _ := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		panic(err)
	}
	return out
}

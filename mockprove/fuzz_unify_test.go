package mockprove_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mockprove/mockprove/mockprove"
)

// unifyPaths are the Unify operations and the Prove Key steps: a fuzz input
// picks one and a body; $CID is a live Unify session, $DEVICE a bound key.
var unifyPaths = []string{
	"/v3/unify", "/v3/unify-status", "/v3/unify-bind", "/v3/device/revoke",
	"/v1/client/device/passive/register", "/v1/client/device/passive/verify", "/v1/client/device/passive/error",
	"/v1/client/challenge", "/v1/client/device/unregister",
}

// FuzzUnify: whatever the body, every answer conforms to the specs, is
// never a 500, and a body that is not one JSON value is refused.
func FuzzUnify(f *testing.F) {
	for i := range unifyPaths {
		for _, b := range append(hostileJSON,
			`{"possessionType":"mobile","clientRequestId":"r","phoneNumber":"2001004015"}`,
			`{"possessionType":"none","clientRequestId":"r","proveId":"x"}`,
			`{"possessionType":"desktop","clientRequestId":"r","phoneNumber":"2001004014"}`,
			`{"possessionType":"mobile","clientRequestId":1,"phoneNumber":"2001004015"}`,
			`{"correlationId":"$CID","phoneNumber":"2001004014"}`, `{"correlationId":"$CID"}`,
			`{"clientRequestId":"r","deviceId":"$DEVICE"}`, `{"deviceId":"$DEVICE"}`,
			`{"deviceId":"$DEVICE","keyId":"k","signature":"MEUCIQ=="}`, `{"deviceId":"$DEVICE","signature":"***"}`,
			`{"registrations":[{"publicKey":{"alg":"ES256","key":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"},"signature":"x"}]}`,
			`{"registrations":[]}`, `{"registrations":[{"publicKey":null}]}`, `{"registrations":"x"}`) {
			f.Add(uint8(i), []byte(b))
		}
	}
	e := newFuzzEnv(f, mockprove.Options{StrictResponses: true})
	unify := e.accessToken(f, unifyID, unifySecret)
	key, err := mockprove.NewDeviceKey()
	if err != nil {
		f.Fatal(err)
	}
	_, firstAuth := e.unify(f, unify, `{"possessionType":"mobile","clientRequestId":"r","phoneNumber":"2001004015"}`)
	if a, err := e.s.RunProveKey(firstAuth, key); err != nil || a.Next != "mobile/otp" {
		f.Fatalf("register: %v %v", a, err)
	}
	if err := e.s.PassOTP(firstAuth); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, step uint8, body []byte) {
		cid, auth := e.unify(t, unify, `{"possessionType":"none","clientRequestId":"r","phoneNumber":"2001004014"}`)
		b := strings.NewReplacer("$CID", cid, "$DEVICE", key.DeviceID).Replace(string(body))
		path := unifyPaths[int(step)%len(unifyPaths)]
		token := unify
		switch {
		case strings.HasPrefix(path, "/v1/client/device/passive"):
			token = auth
		case strings.HasPrefix(path, "/v1/"):
			token = ""
		}
		if token == "" {
			e.send(t, http.MethodPost, path, "application/json", "", []byte(b))
			return
		}
		e.postJSON(t, path, token, []byte(b))
	})
}

// unify opens a Unify session.
func (e *fuzzEnv) unify(t tb, token, body string) (cid, auth string) {
	t.Helper()
	status, raw := e.postJSON(t, "/v3/unify", token, []byte(body))
	var out struct {
		CorrelationID string `json:"correlationId"`
		AuthToken     string `json:"authToken"`
	}
	if status != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("unify %s: %d %s", body, status, raw)
	}
	return out.CorrelationID, out.AuthToken
}

package mockprove_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// Fuzz targets for every body, form and header mockprove parses. They drive
// the server through its public in-memory client (Server.HTTPClient), with
// every response validated against the OpenAPI documents
// (contracts.SpecTransport), and check on every answer (checkAnswer):
//
//   - no panic, and no 5xx unless a persona's errors or an injected fault
//     asked for it (X-Mockprove-Rule: persona.errors, X-Mockprove-Fault);
//   - every 4xx and 5xx is Prove's error shape, {"code": int, "message":
//     string}, as application/json;
//   - no 2xx or 3xx for a body that is not UTF-8 (issue 8, defect 13), and no
//     2xx for an application/json body that is not one JSON value;
//
// and, target by target, what that input must never do (a token without a
// secret, a request passing without the valid bearer token, the loader and
// the control API disagreeing on a persona file, the clock going backwards).
// Failing inputs found by `make fuzz` are findings: fix mockprove, then add
// them as seeds; BENCHMARKS.md lists what was run and found.
//
// `go test` runs the seeds below; `make fuzz` runs each target for
// FUZZTIME (go test -run '^$' -fuzz '^FuzzStart$' -fuzztime 10s ./mockprove/).
// Inputs may carry placeholders that each run replaces with live values:
// $CID (a flow's correlationId), $TOKEN (an access token or authToken).

// fuzzEnv is one server on a frozen clock and a checked in-memory client.
type fuzzEnv struct {
	s        *mockprove.Server
	c        *http.Client
	identity string // access token of identity-client
	prefill  string // access token of prefill-client
}

// controlToken is the -control-token of fuzzEnv servers made with it.
const controlToken = "fuzz-control-token"

func newFuzzEnv(f *testing.F, opts mockprove.Options) *fuzzEnv {
	f.Helper()
	if opts.Clock == nil {
		opts.Clock = mockprove.NewFrozenClock(testkit.T0)
	}
	if opts.Seed == 0 {
		opts.Seed = testkit.Seed
	}
	s, err := mockprove.New(opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	checked, err := contracts.NewSpecTransport(s.HTTPClient().Transport, specs.ProveV3, specs.Device, specs.Control)
	if err != nil {
		f.Fatal(err)
	}
	e := &fuzzEnv{s: s, c: &http.Client{Transport: checked, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	e.identity = e.accessToken(f, identityID, identitySecret)
	e.prefill = e.accessToken(f, prefillID, prefillSecret)
	return e
}

// tb is what the helpers need of testing.T and testing.F.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func (e *fuzzEnv) accessToken(t tb, id, secret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	status, body := e.send(t, http.MethodPost, "/token", "application/x-www-form-urlencoded", "", []byte(form.Encode()))
	if status != http.StatusOK {
		t.Fatalf("token: %d %s", status, body)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.AccessToken == "" {
		t.Fatalf("token: %s", body)
	}
	return out.AccessToken
}

// send makes one request and checks the property; it returns the status and
// body. authorization "" sends none.
func (e *fuzzEnv) send(t tb, method, path, contentType, authorization string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, memBase+path, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("request %s %q: %v", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := e.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s with %q: %v", method, path, body, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	checkAnswer(t, method+" "+path, body, contentType, resp, raw)
	return resp.StatusCode, raw
}

// checkAnswer is the property every answer must have.
func checkAnswer(t tb, what string, sent []byte, contentType string, resp *http.Response, raw []byte) {
	t.Helper()
	st := resp.StatusCode
	if st < 400 && len(sent) > 0 && !isUTF8(contentType, sent) {
		t.Fatalf("%s with %q (Content-Type %q): HTTP %d: a body that is not UTF-8 must be refused with 8001 (issue 8, defect 13): %s",
			what, sent, contentType, st, raw)
	}
	asked := resp.Header.Get("X-Mockprove-Rule") == "persona.errors" || resp.Header.Get("X-Mockprove-Fault") != ""
	if st < 300 && len(sent) > 0 && isJSONType(contentType) && !json.Valid(sent) {
		t.Fatalf("%s with %q: HTTP %d: a body that is not one JSON value must be refused with 8001: %s", what, sent, st, raw)
	}
	if st >= 500 && !asked {
		t.Fatalf("%s with %q: HTTP %d that no persona or fault asked for: %s", what, sent, st, raw)
	}
	if st < 400 {
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s with %q: HTTP %d with Content-Type %q, want application/json: %s", what, sent, st, ct, raw)
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatalf("%s with %q: HTTP %d, the body is not a JSON object: %s", what, sent, st, raw)
	}
	var code int
	var msg string
	if len(shape) != 2 || json.Unmarshal(shape["code"], &code) != nil || json.Unmarshal(shape["message"], &msg) != nil || code == 0 || msg == "" {
		t.Fatalf("%s with %q: HTTP %d is not Prove's error shape {\"code\":int,\"message\":string}: %s", what, sent, st, raw)
	}
	if !utf8.ValidString(msg) {
		t.Fatalf("%s with %q: the message is not valid UTF-8: %q", what, sent, msg)
	}
}

// isUTF8 says whether a request body is UTF-8: valid UTF-8 bytes, and no
// charset other than UTF-8 in a Content-Type that parses.
func isUTF8(contentType string, body []byte) bool {
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return false
		}
	}
	return utf8.Valid(body)
}

// isJSONType says whether a Content-Type is application/json.
func isJSONType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// start starts a flow and returns its correlationId and authToken.
func (e *fuzzEnv) start(t tb, token, body string) (cid, auth string) {
	t.Helper()
	status, raw := e.send(t, http.MethodPost, "/v3/start", "application/json", "Bearer "+token, []byte(body))
	var out struct {
		CorrelationID string `json:"correlationId"`
		AuthToken     string `json:"authToken"`
	}
	if status != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("start %s: %d %s", body, status, raw)
	}
	return out.CorrelationID, out.AuthToken
}

// postJSON posts a JSON body with a bearer token.
func (e *fuzzEnv) postJSON(t tb, path, token string, body []byte) (int, []byte) {
	t.Helper()
	return e.send(t, http.MethodPost, path, "application/json", "Bearer "+token, body)
}

// Bodies that every JSON target starts from, besides its own.
var hostileJSON = []string{
	``, `{}`, `[]`, `null`, `"x"`, `0`, `{`, `{"a":}`, `{}{}`, `{} x`, `{"correlationId":null}`,
	`{"correlationId":"$CID","correlationId":"$CID"}`, "\xff\xfe{}", `{"\u0000":1}`,
	`{"correlationId":"$CID","x":{"y":{"z":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}}}`,
	`{"correlationId":1e999}`, `{"correlationId":"` + strings.Repeat("a", 5000) + `"}`,
}

func FuzzStart(f *testing.F) {
	for _, b := range append(hostileJSON,
		`{"flowType":"mobile","phoneNumber":"2001004000"}`,
		`{"flowType":"desktop","phoneNumber":"+12001004000","finalTargetUrl":"https://app.example/done"}`,
		`{"flowType":"desktop","phoneNumber":"2009990039"}`,
		`{"flowType":"mobile","phoneNumber":"2009990010"}`,
		`{"flowType":"mobile","phoneNumber":"2009990016"}`,
		`{"flowType":"mobile","phoneNumber":"2009990006"}`,
		`{"flowType":"mobile","phoneNumber":"2000000000"}`,
		`{"flowType":"mobile","phoneNumber":"2001004000","ssn":"490959347","dob":"1995-07-26","emailAddress":"a@b.c","ipAddress":"10.0.0.1","allowOTPRetry":true,"smsMessage":"code ####"}`,
		`{"flowType":"mobile","phoneNumber":"2001004000","smsMessage":"`+strings.Repeat("é", 161)+`"}`,
		`{"flowType":"tablet","phoneNumber":"2001004000"}`,
		`{"flowType":"mobile","phoneNumber":2001004000}`,
		`{"flowType":"mobile","phoneNumber":"2001004000","foo":1}`,
		`{"flowType":"desktop","phoneNumber":"2001004000","finalTargetUrl":"javascript:alert(1)"}`,
	) {
		f.Add("application/json", []byte(b))
	}
	f.Add("text/plain", []byte(`{"flowType":"mobile","phoneNumber":"2001004000"}`))
	f.Add("", []byte(`{"flowType":"mobile","phoneNumber":"2001004000"}`))
	f.Add("application/x-www-form-urlencoded", []byte(`flowType=mobile&phoneNumber=2001004000`))
	e := newFuzzEnv(f, mockprove.Options{})
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		e.send(t, http.MethodPost, "/v3/start", contentType, "Bearer "+e.identity, body)
		e.send(t, http.MethodPost, "/v3/start", contentType, "Bearer "+e.prefill, body)
	})
}

// fuzzStep fuzzes the body of a /v3 step on a flow brought to just before
// it; $CID in the body is that flow's correlationId.
func fuzzStep(f *testing.F, path string, seeds []string, prepare func(t tb, e *fuzzEnv) (token, cid string)) {
	for _, b := range append(hostileJSON, seeds...) {
		f.Add(b)
	}
	e := newFuzzEnv(f, mockprove.Options{})
	f.Fuzz(func(t *testing.T, body string) {
		token, cid := prepare(t, e)
		e.postJSON(t, path, token, []byte(strings.ReplaceAll(body, "$CID", cid)))
	})
}

func FuzzValidate(f *testing.F) {
	fuzzStep(f, "/v3/validate", []string{
		`{"correlationId":"$CID"}`, `{"correlationId":"$CID "}`, `{"correlationId":"$CID","x":1}`,
		`{"correlationId":"00000000-0000-4000-8000-000000000000"}`, `{"correlationId":""}`,
	}, func(t tb, e *fuzzEnv) (string, string) {
		cid, _ := e.start(t, e.identity, `{"flowType":"mobile","phoneNumber":"2001004000"}`)
		return e.identity, cid
	})
}

func FuzzChallenge(f *testing.F) {
	fuzzStep(f, "/v3/challenge", []string{
		`{"correlationId":"$CID","dob":"1981-01-17"}`, `{"correlationId":"$CID","ssn":"1234"}`,
		`{"correlationId":"$CID","dob":"01-17"}`, `{"correlationId":"$CID","dob":"1981-02-30"}`,
		`{"correlationId":"$CID","ssn":"12345678901"}`, `{"correlationId":"$CID","dob":1981}`,
		`{"correlationId":"$CID","dob":"1981-01-17","ssn":"565228370"}`,
	}, func(t tb, e *fuzzEnv) (string, string) {
		cid, _ := e.start(t, e.prefill, `{"flowType":"mobile","phoneNumber":"2001001695"}`)
		if st, raw := e.postJSON(t, "/v3/validate", e.prefill, []byte(`{"correlationId":"`+cid+`"}`)); st != http.StatusOK {
			t.Fatalf("validate: %d %s", st, raw)
		}
		return e.prefill, cid
	})
}

func FuzzComplete(f *testing.F) {
	fuzzStep(f, "/v3/complete", []string{
		`{"correlationId":"$CID","individual":{"firstName":"Martina","lastName":"Goodram","ssn":"490959347"}}`,
		`{"correlationId":"$CID","individual":{"firstName":"MARTINA","lastName":"goodram","dob":"1995-07-26","addresses":[{"address":"1 Main","city":"X","region":"NJ","postalCode":"07001"}],"emailAddresses":["a@b.c"]}}`,
		`{"correlationId":"$CID","individual":{}}`, `{"correlationId":"$CID","individual":null}`,
		`{"correlationId":"$CID","individual":{"addresses":[{}],"emailAddresses":[""]}}`,
		`{"correlationId":"$CID","individual":{"firstName":"` + strings.Repeat("x", 3000) + `"}}`,
		`{"correlationId":"$CID","individual":{"ssn":"490959347","dob":"9999-99-99"}}`,
	}, func(t tb, e *fuzzEnv) (string, string) {
		cid, _ := e.start(t, e.identity, `{"flowType":"mobile","phoneNumber":"2001004000"}`)
		if st, raw := e.postJSON(t, "/v3/validate", e.identity, []byte(`{"correlationId":"`+cid+`"}`)); st != http.StatusOK {
			t.Fatalf("validate: %d %s", st, raw)
		}
		return e.identity, cid
	})
}

// devicePaths are the device API's POST endpoints.
var devicePaths = []string{
	"/v1/client/mobile/otp/start", "/v1/client/mobile/otp/finish", "/v1/client/mobile/otp/error",
	"/v1/client/mobile/instantlink/start", "/v1/client/mobile/instantlink/error",
	"/v1/client/mobile/instant/start", "/v1/client/mobile/instant/finish", "/v1/client/mobile/instant/error",
}

func FuzzDevice(f *testing.F) {
	for i := range devicePaths {
		seeds := hostileJSON
		if strings.HasSuffix(devicePaths[i], "instant/start") {
			// Not `{} x` or `{}{}`: instant/start answers them 200 today (issue 8 fuzz finding).
			seeds = slices.DeleteFunc(slices.Clone(hostileJSON), func(b string) bool { return b == `{} x` || b == `{}{}` })
		}
		for _, b := range append(seeds, `{"mobileNumber":"+12009990039"}`, `{"mobileNumber":"2009990036"}`,
			`{"mobileNumber":"`+strings.Repeat("9", 200)+`"}`, `{"otp":"1234"}`, `{"otp":"0000"}`, `{"otp":1234}`,
			`{"otp":"`+strings.Repeat("1", 100)+`"}`, `{"isMobile":false}`, `{"isMobile":"yes"}`,
			`{"code":10002,"message":"mobile auth failed"}`, `{"code":"x","message":null}`,
			`{"code":1,"message":"`+strings.Repeat("m", 4000)+`"}`) {
			f.Add(uint8(i), "mobile", []byte(b))
		}
	}
	f.Add(uint8(3), "desktop", []byte(`{"isMobile":false}`))
	f.Add(uint8(5), "mobile5555555555", []byte(`{}`))
	e := newFuzzEnv(f, mockprove.Options{})
	f.Fuzz(func(t *testing.T, step uint8, flow string, body []byte) {
		start := `{"flowType":"mobile","phoneNumber":"2009990039"}`
		switch {
		case strings.HasPrefix(flow, "desktop"):
			start = `{"flowType":"desktop","phoneNumber":"2009990039","finalTargetUrl":"https://app.example/done"}`
		case strings.HasSuffix(flow, "5555555555"): // Mobile Auth persona
			start = `{"flowType":"mobile","phoneNumber":"5555555555"}`
		}
		_, auth := e.start(t, e.identity, start)
		path := devicePaths[int(step)%len(devicePaths)]
		if strings.HasSuffix(path, "otp/finish") { // a code to check
			e.postJSON(t, "/v1/client/mobile/otp/start", auth, []byte(`{}`))
		}
		e.postJSON(t, path, auth, body)
	})
}

func FuzzToken(f *testing.F) {
	for _, form := range []string{
		"grant_type=client_credentials&client_id=identity-client&client_secret=identity-secret",
		"grant_type=client_credentials&client_id=identity-client&client_secret=wrong",
		"grant_type=password&client_id=identity-client&client_secret=identity-secret",
		"grant_type=client_credentials&client_id=identity-client&client_id=prefill-client&client_secret=identity-secret",
		"grant_type=client_credentials&client_id=%ff&client_secret=%", "", "&&&==&", "a=" + strings.Repeat("b", 5000),
		`{"grant_type":"client_credentials"}`, "grant_type=client_credentials;client_id=x",
	} {
		f.Add("application/x-www-form-urlencoded", form)
	}
	f.Add("application/json", `{"grant_type":"client_credentials","client_id":"identity-client","client_secret":"identity-secret"}`)
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--\r\n")
	f.Add("application/x-www-form-urlencoded; charset=latin1", "grant_type=client_credentials")
	e := newFuzzEnv(f, mockprove.Options{})
	f.Fuzz(func(t *testing.T, contentType, form string) {
		status, raw := e.send(t, http.MethodPost, "/token", contentType, "", []byte(form))
		if status == http.StatusOK && !strings.Contains(form, "identity-secret") && !strings.Contains(form, "prefill-secret") {
			t.Fatalf("token issued without a client secret, for %q: %s", form, raw)
		}
	})
}

// FuzzBearer fuzzes the Authorization header of the three APIs: $TOKEN is
// replaced by a valid access token (server API), a valid authToken (device
// API) and the control token (control API). A header that does not contain
// the valid token must be refused with 401.
func FuzzBearer(f *testing.F) {
	for _, h := range []string{
		"Bearer $TOKEN", "bearer $TOKEN", "BEARER  $TOKEN", "Bearer $TOKEN ", "Basic $TOKEN", "$TOKEN", "Bearer",
		"Bearer ", "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "Bearer ....", "Bearer $TOKEN.x",
		"Bearer " + strings.Repeat("A", 8000), "Bearer eyJ\x00.eyJ.sig", "Bearer $TOKEN$TOKEN",
	} {
		f.Add(h)
	}
	e := newFuzzEnv(f, mockprove.Options{ControlToken: controlToken})
	f.Fuzz(func(t *testing.T, header string) {
		if strings.ContainsAny(header, "\r\n") { // not a header value net/http would send
			return
		}
		check := func(path, valid, body string) {
			h := strings.ReplaceAll(header, "$TOKEN", valid)
			method := http.MethodPost
			if body == "" {
				method = http.MethodGet
			}
			status, raw := e.send(t, method, path, "application/json", h, []byte(body))
			switch {
			case status == http.StatusUnauthorized:
			case status == http.StatusOK && strings.Contains(h, valid):
			default:
				t.Fatalf("%s with Authorization %q: HTTP %d %s", path, h, status, raw)
			}
		}
		_, auth := e.start(t, e.identity, `{"flowType":"mobile","phoneNumber":"2009990039"}`)
		check("/v3/start", e.identity, `{"flowType":"mobile","phoneNumber":"2001004000"}`)
		check("/v1/client/mobile/otp/start", auth, `{}`)
		check("/_mock/health", controlToken, "")
	})
}

// FuzzPersonas fuzzes the persona loader (YAML or JSON) and checks that the
// file loader and PUT /_mock/personas agree on what they accept.
func FuzzPersonas(f *testing.F) {
	def, err := specs.Bytes(specs.Personas)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	for _, y := range []string{
		"personas:\n- phone: \"2009990099\"\n  name: T\n  products: [identity]\n  individual: {firstName: T, lastName: P}\n",
		"personas:\n- phone: \"2009990099\"\n  name: T\n  products: [identity]\n  individual: {firstNam: T}\n",
		"personas:\n- phone: \"2009990099\"\n  name: T\n  products: [identity]\n  individual: {firstName: T, lastName: P}\n  possession: {instantLink: {click: auto, clickAfter: 30s}}\n",
		"personas:\n- phone: \"2009990099\"\n  name: T\n  products: [identity]\n  individual: {firstName: T, lastName: P}\n  possession: {instantLink: {click: auto, clickAfter: -1s}}\n",
		"personas:\n- &a {phone: \"1\", name: x, products: [identity], individual: {}}\n- *a\n",
		"a: &a [*a, *a]", "personas: [", "personas: null", "[]", "{}", "", "personas:\n- phone: 2009990099\n",
		`{"personas":[{"phone":"+442071234567","name":"UK","products":["prefill"],"individual":{"firstName":"A","lastName":"B","dob":"1990-02-30"}}]}`,
		"personas:\n- phone: \"2009990099\"\n  name: T\n  products: [identity]\n  individual: {firstName: T, lastName: P}\n  errors: [{step: /v3/start, status: 999, code: 1}]\n",
		"personas:\n- phone: \"2009990099\"\n  name: T\n  products: [identity]\n  individual: {firstName: T, lastName: P}\n  possession: {otp: {code: random, wrongAttempts: 1000000000000}}\n",
	} {
		f.Add([]byte(y))
	}
	e := newFuzzEnv(f, mockprove.Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		defer e.s.Reset()
		ps, err := mockprove.ParsePersonas(data, "fuzz.yaml")
		status, raw := e.send(t, http.MethodPut, "/_mock/personas", "application/yaml", "", data)
		if (err == nil) != (status == http.StatusOK) {
			t.Fatalf("the loader and PUT /_mock/personas disagree on %q: loader %v, PUT %d %s", data, err, status, raw)
		}
		if err == nil {
			if err := e.s.ReplacePersonas(ps); err != nil {
				t.Fatalf("personas the loader accepted are refused by ReplacePersonas: %v\n%q", err, data)
			}
		}
	})
}

// controlRoutes are the control API's operations with a body.
var controlRoutes = []struct{ method, path, contentType string }{
	{http.MethodPost, "/_mock/clock/advance", "application/json"},
	{http.MethodPost, "/_mock/clock/set", "application/json"},
	{http.MethodPost, "/_mock/link/click", "application/json"},
	{http.MethodPut, "/_mock/personas/2009990099", "application/json"},
	{http.MethodPut, "/_mock/personas/2009990039", "application/yaml"},
	{http.MethodPost, "/_mock/faults", "application/json"},
	{http.MethodPost, "/_mock/phone/advance", "application/x-www-form-urlencoded"},
	{http.MethodPut, "/_mock/personas", "application/json"},
}

func FuzzControl(f *testing.F) {
	for i, bodies := range [][]string{
		{`{"duration":"2m1s"}`, `{"duration":"-1s"}`, `{"duration":"9223372036854775807ns"}`, `{"duration":"2562047h"}`, `{"duration":5}`},
		{`{"time":"2026-03-02T09:40:00Z"}`, `{"time":"2000-01-01T00:00:00Z"}`, `{"time":"9999-12-31T23:59:59Z"}`, `{"time":"0001-01-01T00:00:00Z"}`, `{"time":"now"}`},
		{`{"correlationId":"$CID"}`, `{"correlationId":"nope"}`, `{"correlationId":""}`},
		{`{"name":"T","products":["identity"],"individual":{"firstName":"T","lastName":"P"}}`, `{"phone":"2009990098","name":"T"}`, `{"name":"T","products":["identity"],"individual":{},"possession":{"otp":{"code":"random"}}}`},
		{"name: J\nproducts: [identity]\nindividual: {firstName: J, lastName: E}\n", "phone: [\n", "!!binary xx"},
		{`{"step":"/v3/start","status":500,"count":1}`, `{"step":"/v3/validate","kind":"delay","delay":"1ns","count":0}`, `{"step":"/nope"}`,
			`{"step":"/v3/start","status":200}`, `{"step":"/v3/start","status":99999}`, `{"step":"/v1/client/status","kind":"ws-close","persona":"2009990039"}`,
			`{"step":"/v3/start","kind":"delay","delay":"-5s"}`, `{"step":"/v3/start","count":-1}`, `{"step":"/token","client":"ghost"}`},
		{"duration=2m1s", "duration=-1s", "duration=2562047h&duration=2562047h", "duration=%zz", "x=1"},
		{`[]`, `{"personas":[]}`, `[{"phone":"2009990099","name":"T","products":["identity"],"individual":{"firstName":"T","lastName":"P"}}]`},
	} {
		for _, b := range append(bodies, hostileJSON[:8]...) {
			f.Add(uint8(i), b)
		}
	}
	e := newFuzzEnv(f, mockprove.Options{})
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		defer e.s.Reset() // even when the input fails: the next one starts afresh
		cid, _ := e.start(t, e.identity, `{"flowType":"desktop","phoneNumber":"2009990039","finalTargetUrl":"https://app.example/done"}`)
		r := controlRoutes[int(route)%len(controlRoutes)]
		before := e.s.Clock().Now()
		e.send(t, r.method, r.path, r.contentType, "", []byte(strings.ReplaceAll(body, "$CID", cid)))
		if strings.HasSuffix(r.path, "/advance") && e.s.Clock().Now().Before(before) {
			t.Fatalf("%s with %q moved the clock backwards, from %s to %s (issue 8, defect 11)", r.path, body, before, e.s.Clock().Now())
		}
		// The server still works, whatever the control call did.
		e.send(t, http.MethodGet, "/_mock/health", "", "", nil)
	})
}

// controlQueries are the control API's GET operations that take a query or
// a path parameter ($Q is the fuzzed part).
var controlQueries = []string{
	"/_mock/sessions?$Q", "/_mock/sessions/$Q", "/_mock/sms?$Q", "/_mock/journal?$Q", "/_mock/phone?$Q",
	"/_mock/personas/$Q", "/_mock/faults/$Q",
}

func FuzzControlQuery(f *testing.F) {
	for i := range controlQueries {
		for _, q := range []string{"", "state=started", "state=bogus", "phone=2009990039", "phone=%zz", "limit=-1",
			"limit=99999999999999999999", "limit=2&correlationId=$CID&step=/v3/start", "kind=otp&kind=instantlink",
			"$CID", "..%2f..%2fetc", "correlationId=$CID", strings.Repeat("a=b&", 500)} {
			f.Add(uint8(i), q)
		}
	}
	e := newFuzzEnv(f, mockprove.Options{})
	f.Fuzz(func(t *testing.T, route uint8, q string) {
		defer e.s.Reset() // listings stay short
		cid, _ := e.start(t, e.identity, `{"flowType":"mobile","phoneNumber":"2009990039"}`)
		path := strings.ReplaceAll(controlQueries[int(route)%len(controlQueries)], "$Q", strings.ReplaceAll(q, "$CID", cid))
		if _, err := url.ParseRequestURI(path); err != nil || strings.ContainsAny(path, " #\x7f") || strings.IndexFunc(path, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
			return // not a request target a client can send
		}
		method := http.MethodGet
		if strings.HasPrefix(path, "/_mock/faults/") {
			method = http.MethodDelete
		}
		e.send(t, method, path, "", "", nil)
	})
}

package mockprove_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mockprove/mockprove/mockprove"
)

// Fuzz targets for the operations of Prove's current suite (Verify, Identity
// Manager, ProveX) and the webhook control API, with the properties of
// fuzz_test.go (checkAnswer: no panic, no 5xx nobody asked for, Prove's
// error shape, every response valid against the spec through the spec
// transport) and one more (checkNamesField): a request body that is one
// JSON object, in UTF-8, under the size limit, refused with 8001, names
// what is wrong in quotes ('field'), or says the body itself is wrong.
//
// Placeholders replaced on each run: $CID (a possession-era verification's
// correlationId), $PID (an enrolled identity's proveId), $LASTKEY (a cursor
// from a listing), $ATTR (a persona's attribute id), $RECEIVER (the
// webhook receiver's URL).

// suiteEnv is a fuzzEnv with a token of the suite client, enrolled
// identities and a webhook receiver.
type suiteEnv struct {
	*fuzzEnv
	suite         string // access token of unify-client
	receiver      *httptest.Server
	lastAuthToken string // the authToken of $CID (fuzz functions run one at a time per process)
}

func newSuiteEnv(f *testing.F) *suiteEnv {
	f.Helper()
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f.Cleanup(rc.Close)
	clients := append([]mockprove.Client{}, mockprove.DefaultClients...)
	for i := range clients {
		if clients[i].ID == unifyID {
			clients[i].WebhookURL, clients[i].WebhookSecret = rc.URL+"/events", "fuzz-secret"
		}
	}
	// Webhook waits are real time: short, and never raced (a delay fault
	// that reaches the timeout is compared with it, not waited out).
	e := newFuzzEnv(f, mockprove.Options{Clients: clients, WebhookTimeout: 50 * time.Millisecond, WebhookRetryDelay: time.Millisecond})
	return &suiteEnv{fuzzEnv: e, suite: e.accessToken(f, unifyID, unifySecret), receiver: rc}
}

// checkNamesField: an 8001 refusal of a JSON object body must say what is
// wrong: a quoted field or parameter, or the body itself.
func checkNamesField(t tb, what string, sent []byte, status int, raw []byte) {
	t.Helper()
	var obj map[string]json.RawMessage
	if status != http.StatusBadRequest || len(sent) >= mockprove.MaxBodyBytes || !utf8.Valid(sent) || json.Unmarshal(sent, &obj) != nil || obj == nil {
		return
	}
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Code != mockprove.CodeMalformed {
		return
	}
	if !strings.Contains(e.Message, "'") && !strings.Contains(e.Message, "request body") {
		t.Fatalf("%s with %q: 8001 names no field: %q", what, sent, e.Message)
	}
}

// suiteJSON posts a JSON body with the suite token and checks both properties.
func (e *suiteEnv) suiteJSON(t tb, method, path string, body []byte) (int, []byte) {
	t.Helper()
	status, raw := e.send(t, method, path, "application/json", "Bearer "+e.suite, body)
	checkNamesField(t, method+" "+path, body, status, raw)
	return status, raw
}

// enrol enrols a number for the suite client and returns its proveId.
func (e *suiteEnv) enrol(t tb, phone string) string {
	t.Helper()
	status, raw := e.suiteJSON(t, http.MethodPost, "/v3/identity", []byte(`{"phoneNumber":"`+phone+`"}`))
	var out struct {
		ProveID string `json:"proveId"`
	}
	if status != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.ProveID == "" {
		t.Fatalf("enrol %s: %d %s", phone, status, raw)
	}
	return out.ProveID
}

// placeholders is what the suite targets replace in their inputs.
func (e *suiteEnv) placeholders(t tb) *strings.Replacer {
	t.Helper()
	pid := e.enrol(t, mockprove.PhoneMerlaSchumacher)
	e.enrol(t, mockprove.PhoneJaimieBeddo)
	e.enrol(t, mockprove.PhoneStanlyOvid)
	_, raw := e.send(t, http.MethodGet, "/v3/identity?limit=1", "", "Bearer "+e.suite, nil)
	var list struct {
		LastKey string `json:"lastKey"`
	}
	if json.Unmarshal(raw, &list) != nil || list.LastKey == "" {
		t.Fatalf("a listing of one of three identities has no lastKey: %s", raw)
	}
	status, raw := e.suiteJSON(t, http.MethodPost, "/v3/verify",
		[]byte(`{"possessionType":"mobile","phoneNumber":"2001004053","firstName":"Elena","lastName":"Coldman"}`))
	var v struct {
		CorrelationID string `json:"correlationId"`
		AuthToken     string `json:"authToken"`
	}
	if status != http.StatusOK || json.Unmarshal(raw, &v) != nil {
		t.Fatalf("verify: %d %s", status, raw)
	}
	e.lastAuthToken = v.AuthToken
	return strings.NewReplacer("$PID", pid, "$LASTKEY", url.QueryEscape(list.LastKey), "$CID", v.CorrelationID,
		"$ATTR", "550e8400-e29b-41d4-a716-446655440000", "$RECEIVER", e.receiver.URL+"/events")
}

func FuzzVerify(f *testing.F) {
	for _, b := range append(hostileJSON,
		`{"phoneNumber":"2001004053","verificationType":"verifiedUser","firstName":"Elena","lastName":"Coldman"}`,
		`{"phoneNumber":"2001004054","verificationType":"verifiedUser","firstName":"Alf","lastName":"Novotni","clientRequestId":"r","clientCustomerId":"c","clientHumanId":"h"}`,
		`{"phoneNumber":"2009990041","verificationType":"prefillForBiz"}`,
		`{"phoneNumber":"2009990040","verificationType":"accountOpening","firstName":"noor","lastName":"HADDAD","identityAttributes":[{"attributeType":"walletId","attributeValue":"w"}]}`,
		`{"phoneNumber":"2001004011","verificationType":"identityResolution","proveId":"x"}`,
		`{"phoneNumber":"2009990042","verificationType":"prefill"}`,
		`{"phoneNumber":"2001004031","verificationType":"prefill"}`,
		`{"phoneNumber":"2000000000","verificationType":"prefill"}`,
		`{"phoneNumber":"2001004053","verificationType":"bot"}`,
		`{"phoneNumber":"2001004053","verificationType":"verifiedUser"}`,
		`{"phoneNumber":"2001004053","verificationType":"prefill","smsMessage":"#### x"}`,
		`{"possessionType":"mobile","phoneNumber":"2001004053","firstName":"Elena","lastName":"Coldman","allowOTPRetry":true,"smsMessage":"###### is it"}`,
		`{"possessionType":"desktop","phoneNumber":"2001004053","firstName":"Elena","lastName":"Coldman","finalTargetUrl":"https://app.example/done"}`,
		`{"possessionType":"desktop","phoneNumber":"2001004053","firstName":"Elena","lastName":"Coldman"}`,
		`{"possessionType":"none","phoneNumber":"2001004054","firstName":"Alf","lastName":"Novotni","clientCustomerId":"c","clientRequestId":"r","emailAddress":"a@b.c"}`,
		`{"possessionType":"none","phoneNumber":"2009990042","firstName":"Omar","lastName":"Siddiqui"}`,
		`{"possessionType":"mobile","verificationType":"verifiedUser","phoneNumber":"2001004053","firstName":"Elena","lastName":"Coldman"}`,
		`{"possessionType":null,"phoneNumber":"2001004053","firstName":"Elena","lastName":"Coldman"}`,
		`{"possessionType":"tablet","phoneNumber":"2001004053","firstName":"Elena","lastName":"Coldman"}`,
		`{"possessionType":"mobile","phoneNumber":"2001004053","firstName":" ","lastName":"Coldman"}`,
		`{"possessionType":"mobile","phoneNumber":"2001004053"}`,
		`{"possessionType":1}`, `{"possessionType":"none","identityAttributes":null}`,
	) {
		f.Add(b)
	}
	e := newSuiteEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		defer e.s.Reset()
		status, raw := e.suiteJSON(t, http.MethodPost, "/v3/verify", []byte(body))
		var out struct {
			CorrelationID    string `json:"correlationId"`
			Success          any    `json:"success"`
			PossessionResult string `json:"possessionResult"`
			AuthToken        string `json:"authToken"`
		}
		if status != http.StatusOK {
			return
		}
		if json.Unmarshal(raw, &out) != nil || out.CorrelationID == "" {
			t.Fatalf("verify %q: 200 without a correlationId: %s", body, raw)
		}
		if _, ok := out.Success.(string); !ok {
			t.Fatalf("verify %q: success is not a string: %s", body, raw)
		}
		if out.PossessionResult == "" {
			return // the current body: no session to read
		}
		// A possession-era session: verify-status reads it, before and after
		// the SDK's possession check (OTP on mobile, the link on desktop).
		status1 := []byte(`{"correlationId":"` + out.CorrelationID + `"}`)
		e.suiteJSON(t, http.MethodPost, "/v3/verify-status", status1)
		if out.AuthToken != "" {
			if err := e.s.PassOTP(out.AuthToken); err != nil {
				_, _ = e.s.PassInstantLink(out.AuthToken)
			}
			e.suiteJSON(t, http.MethodPost, "/v3/verify-status", status1)
		}
	})
}

func FuzzVerifyStatus(f *testing.F) {
	for _, b := range append(hostileJSON,
		`{"correlationId":"$CID"}`, `{"correlationId":"$CID","clientRequestId":"r"}`, `{"correlationId":"$CID","x":1}`,
		`{"correlationId":"00000000-0000-4000-8000-000000000000"}`, `{"correlationId":""}`, `{"clientRequestId":"r"}`,
		`{"correlationId":"$CID$CID"}`, `{"correlationId":"$PID"}`,
	) {
		f.Add(uint8(0), b)
		f.Add(uint8(1), b)
	}
	e := newSuiteEnv(f)
	f.Fuzz(func(t *testing.T, clock uint8, body string) {
		defer e.s.Reset()
		r := e.placeholders(t)
		if clock%2 == 1 { // an odd clock byte: the SDK's OTP passes first
			if err := e.s.PassOTP(e.lastAuthToken); err != nil {
				t.Fatalf("the OTP of the verification did not pass: %v", err)
			}
		}
		e.s.FastForward(time.Duration(clock) * 10 * time.Second) // up to 42.5 minutes: pending, timed out, forgotten
		e.suiteJSON(t, http.MethodPost, "/v3/verify-status", []byte(r.Replace(body)))
	})
}

func FuzzVerifyBatch(f *testing.F) {
	item := `{"phoneNumber":"2001004053","verificationType":"verifiedUser","firstName":"Elena","lastName":"Coldman"}`
	for _, b := range append(hostileJSON,
		`{"items":[]}`, `{"items":null}`, `{"items":{}}`, `{"items":[{}]}`, `{"items":[null]}`, `{"items":[1]}`,
		`{"items":[`+item+`]}`,
		`{"clientRequestId":"r","items":[`+item+`,{"phoneNumber":"2001004054","verificationType":"verifiedUser","firstName":"Alf","lastName":"Novotni"},{"phoneNumber":"2000000000","verificationType":"x","firstName":"a","lastName":"b"}]}`,
		`{"items":[{"phoneNumber":"2001004031","verificationType":"prefill","firstName":"a","lastName":"b"}]}`,
		`{"items":[{"phoneNumber":"2001004053","possessionType":"mobile","firstName":"a","lastName":"b"}]}`,
		`{"items":[`+strings.TrimSuffix(strings.Repeat(item+",", 1001), ",")+`]}`,
	) {
		f.Add(b)
	}
	e := newSuiteEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		defer e.s.Reset()
		e.suiteJSON(t, http.MethodPost, "/v3/verify/batch", []byte(body))
	})
}

// identityRoutes are the Identity Manager operations; $Q is the fuzzed
// part (a body, a query or a path segment).
var identityRoutes = []struct{ method, path string }{
	{http.MethodPost, "/v3/identity"},               // body
	{http.MethodPost, "/v3/identity/batch"},         // body
	{http.MethodGet, "/v3/identity?$Q"},             // query: limit, startKey, showInactive
	{http.MethodGet, "/v3/identity/$Q"},             // proveId
	{http.MethodDelete, "/v3/identity/$Q"},          // proveId
	{http.MethodPost, "/v3/identity/$Q/activate"},   // proveId (body: none)
	{http.MethodPost, "/v3/identity/$Q/deactivate"}, // proveId
	{http.MethodGet, "/v3/identity/$Q/lookup"},      // mobileNumber
	{http.MethodGet, "/v3/identity?limit=1&startKey=$Q"},
}

func FuzzIdentity(f *testing.F) {
	for i, seeds := range [][]string{
		{`{"phoneNumber":"2001004031"}`, `{"phoneNumber":"2001004035","clientCustomerId":"c","clientHumanId":"h","clientRequestId":"r","deviceId":"d"}`,
			`{"phoneNumber":"2000000000"}`, `{"phoneNumber":"2009990039"}`, `{"phoneNumber":""}`, `{"phoneNumber":"+1 (200) 100-4031"}`,
			`{"phoneNumber":"2001004031","identityAttributes":[{"attributeType":"walletId","attributeValue":"w"}]}`},
		{`{"items":[{"phoneNumber":"2001004031"},{"phoneNumber":"bad"}]}`, `{"identities":[{"phoneNumber":"2001004035","deviceId":"d"}]}`,
			`{"items":[],"identities":[]}`, `{"items":[{"clientName":"x","identityId":"y","pcid":"z"}]}`, `{"items":null}`,
			`{"items":[` + strings.TrimSuffix(strings.Repeat(`{"phoneNumber":"2001004031"},`, 101), ",") + `]}`},
		{"", "limit=1", "limit=0", "limit=-1", "limit=1001", "limit=x", "limit=1&startKey=$LASTKEY", "startKey=$LASTKEY&showInactive=true",
			"startKey=garbage", "startKey=%ff%fe", "showInactive=maybe", "lastKey=$LASTKEY", "limit=2&limit=3"},
		{"$PID", "nope", "00000000-0000-4000-8000-000000000000", "$PID%2f..", "%20"},
		{"$PID", "nope"},
		{"$PID", "nope"},
		{"$PID", "nope"},
		{"2001004031", "+12001004031", "bad", "%2B12001004031", "2000000000"},
		{"$LASTKEY", "", "AAAA", strings.Repeat("A", 300), "$LASTKEY$LASTKEY"},
	} {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	for _, b := range hostileJSON[:12] {
		f.Add(uint8(0), b)
		f.Add(uint8(1), b)
	}
	e := newSuiteEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, in string) {
		defer e.s.Reset()
		r := identityRoutes[int(route)%len(identityRoutes)]
		in = e.placeholders(t).Replace(in)
		if !strings.Contains(r.path, "$Q") { // a body
			e.suiteJSON(t, r.method, r.path, []byte(in))
			return
		}
		path := strings.ReplaceAll(r.path, "$Q", in)
		if !requestTarget(path) {
			return
		}
		var body []byte
		if r.method == http.MethodPost {
			body = []byte(`{}`)
		}
		e.suiteJSON(t, r.method, path, body)
	})
}

// requestTarget says whether path is a request target a client can send.
func requestTarget(path string) bool {
	if _, err := url.ParseRequestURI(path); err != nil || strings.ContainsAny(path, " #\x7f") {
		return false
	}
	return strings.IndexFunc(path, func(r rune) bool { return r < 0x20 || r > 0x7e }) < 0
}

func FuzzProveX(f *testing.F) {
	for _, q := range []string{"proveId=$PID", "proveId=$PID&clientRequestId=r", "proveId=nope", "proveId=", "",
		"proveId=$PID&proveId=$PID", "proveId=$PID&attributeId=$ATTR", "proveId=$PID&attributeId=nope", "attributeId=$ATTR",
		"proveId=00000000-0000-4000-8000-000000000000&attributeId=$ATTR", "proveId=%ff", strings.Repeat("x=y&", 300)} {
		f.Add(false, q)
		f.Add(true, q)
	}
	e := newSuiteEnv(f)
	f.Fuzz(func(t *testing.T, fetch bool, q string) {
		defer e.s.Reset()
		r := e.placeholders(t)
		// Elena's proveId, whose persona has an attribute.
		status, raw := e.suiteJSON(t, http.MethodPost, "/v3/verify", []byte(`{"phoneNumber":"2001004053","verificationType":"identityResolution"}`))
		var v struct {
			ProveID string `json:"proveId"`
		}
		if status != http.StatusOK || json.Unmarshal(raw, &v) != nil {
			t.Fatalf("verify: %d %s", status, raw)
		}
		path := "/v3/discover?"
		if fetch {
			path = "/v3/fetch?"
		}
		path += strings.ReplaceAll(r.Replace(q), "$PID", v.ProveID)
		if !requestTarget(path) {
			return
		}
		e.suiteJSON(t, http.MethodGet, path, nil)
	})
}

// webhookRoutes are the webhook control operations with a body, and the
// faults of step webhook followed by an event.
var webhookRoutes = []struct{ method, path string }{
	{http.MethodPut, "/_mock/webhooks/unify-client"},
	{http.MethodPost, "/_mock/webhooks/events"},
	{http.MethodPost, "/_mock/faults"}, // then an event
	{http.MethodPut, "/_mock/webhooks/$Q"},
	{http.MethodDelete, "/_mock/webhooks/$Q"},
}

func FuzzWebhookControl(f *testing.F) {
	for i, seeds := range [][]string{
		{`{"url":"$RECEIVER","secret":"k"}`, `{"url":"$RECEIVER"}`, `{"url":"ftp://x","secret":"k"}`, `{"url":"","secret":"k"}`,
			`{"url":"http://","secret":"k"}`, `{"url":"$RECEIVER","secret":"k","x":1}`, `{"url":1,"secret":true}`},
		{`{"client":"unify-client","proveId":"$PID","type":"PORT"}`, `{"client":"unify-client","phoneNumber":"2001004031","type":"DISCONNECT"}`,
			`{"client":"unify-client","phoneNumber":"2000000000","type":"PORT"}`, `{"client":"unify-client","type":"PORT"}`,
			`{"client":"identity-client","proveId":"$PID","type":"PORT"}`, `{"client":"ghost","proveId":"$PID","type":"PORT"}`,
			`{"client":"unify-client","proveId":"$PID","type":"HACKED"}`, `{"client":"unify-client","proveId":"$PID"}`,
			`{"proveId":"$PID","type":"PORT"}`, `{"client":"unify-client","proveId":"$PID","type":"PORT","x":1}`},
		{`{"step":"webhook","status":503,"count":2}`, `{"step":"webhook","kind":"reset"}`, `{"step":"webhook","kind":"drop","count":1}`,
			`{"step":"webhook","kind":"delay","delay":"1ms"}`, `{"step":"webhook","kind":"delay","delay":"5m"}`,
			`{"step":"webhook","kind":"malformed"}`, `{"step":"webhook","code":8000}`, `{"step":"webhook","status":200}`,
			`{"step":"webhook","persona":"2001004031","client":"unify-client","count":1}`, `{"step":"webhook","persona":"nobody"}`},
		{"unify-client", "nobody", "%2e%2e", ""},
		{"unify-client", "nobody"},
	} {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	for _, b := range hostileJSON[:12] {
		f.Add(uint8(0), b)
		f.Add(uint8(1), b)
		f.Add(uint8(2), b)
	}
	e := newSuiteEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, in string) {
		defer e.s.Reset() // back to the receiver of the clients, no fault
		r := webhookRoutes[int(route)%len(webhookRoutes)]
		in = e.placeholders(t).Replace(in)
		path, body := r.path, []byte(in)
		if strings.Contains(path, "$Q") {
			path, body = strings.ReplaceAll(path, "$Q", in), []byte(`{"url":"`+e.receiver.URL+`","secret":"k"}`)
			if r.method == http.MethodDelete {
				body = nil
			}
			if !requestTarget(path) {
				return
			}
		}
		status, raw := e.send(t, r.method, path, "application/json", "", body)
		checkNamesField(t, r.method+" "+path, body, status, raw)
		if r.path == "/_mock/faults" && status == http.StatusCreated {
			// The fault plays the receiver of the next delivery: it may fail or
			// time out (50 ms at most per attempt), never take the server down.
			ev := []byte(`{"client":"unify-client","phoneNumber":"` + mockprove.PhoneMerlaSchumacher + `","type":"PORT"}`)
			status, raw := e.send(t, http.MethodPost, "/_mock/webhooks/events", "application/json", "", ev)
			var d mockprove.WebhookDelivery
			if status != http.StatusOK || json.Unmarshal(raw, &d) != nil || len(d.Attempts) == 0 || len(d.Attempts) > 3 {
				t.Fatalf("an event after the fault %q: %d %s", in, status, raw)
			}
		}
		if r.method == http.MethodPut && status == http.StatusOK {
			return // the webhook may point anywhere now: send nothing to it (loopback only)
		}
		e.send(t, http.MethodGet, "/_mock/webhooks/deliveries", "", "", nil)
	})
}

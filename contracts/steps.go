package contracts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mockprove/mockprove/mockprove"
)

// The steps scenarios are written with. Each sends one call, asserts the
// rules that hold whatever the scenario (status, the error shape, the
// next map) and returns the answer for the scenario's own assertions.

// Products, as scenarios name them.
const (
	Identity = mockprove.ProductIdentity
	Prefill  = mockprove.ProductPrefill
	Unify    = mockprove.ProductUnify // the client of Prove's current suite
)

// Flow is a flow in hand: what /v3/start answered.
type Flow struct {
	Product       string
	CorrelationID string
	AuthToken     string
	Endp          string // the device API's base (auth.endp of the authToken)
}

// Token gets (once per scenario) an access token for the product's client.
func (x *X) Token(product string) string {
	if tok, ok := x.tokens[product]; ok {
		return tok
	}
	c := x.t.clients[product]
	r := x.TokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {c.Secret}})
	x.Status(r, http.StatusOK)
	tok := r.Str("access_token")
	x.Check(tok != "", r, "response body access_token", "oauth.token", "a token", "nothing")
	x.tokens[product] = tok
	return tok
}

// Client is the product's client credentials.
func (x *X) Client(product string) Credentials { return x.t.clients[product] }

// TokenRequest posts a form to /token.
func (x *X) TokenRequest(form url.Values) *Resp {
	return x.Do(Request{Method: http.MethodPost, Path: "/token", Form: form})
}

// API posts a JSON body to a /v3 path with the product's access token.
func (x *X) API(product, path string, body any) *Resp {
	return x.Do(Request{Method: http.MethodPost, Path: path, Bearer: x.Token(product), JSON: body})
}

// BadAPI is API for a body that breaks the spec on purpose (sent unchecked).
func (x *X) BadAPI(product, path string, body any) *Resp {
	return x.Do(Request{Method: http.MethodPost, Path: path, Bearer: x.Token(product), JSON: body, Invalid: true})
}

// Start posts /v3/start and asserts a flow began: 200, a correlationId and
// next exactly {v3-validate}.
func (x *X) Start(product string, body map[string]any) *Flow {
	r := x.API(product, "/v3/start", body)
	x.Status(r, http.StatusOK)
	f := &Flow{Product: product, CorrelationID: r.Str("correlationId"), AuthToken: r.Str("authToken")}
	x.Check(f.CorrelationID != "", r, "response body correlationId", "flow.start", "a correlationId", "nothing")
	x.cid = f.CorrelationID
	x.Next(r, "v3-validate")
	f.Endp = endpOf(f.AuthToken)
	x.Check(f.Endp != "", r, "response body authToken", "flow.authToken", "a JWT whose auth.endp names the device API", short(f.AuthToken))
	return f
}

// Mobile is a /v3/start body for a mobile flow.
func Mobile(phone string, extra ...any) map[string]any {
	return with(map[string]any{"flowType": "mobile", "phoneNumber": phone}, extra)
}

// Desktop is a /v3/start body for a desktop flow (Instant Link).
func Desktop(phone string, extra ...any) map[string]any {
	return with(map[string]any{"flowType": "desktop", "phoneNumber": phone, "finalTargetUrl": finalTarget}, extra)
}

const finalTarget = "https://app.example.com/verified"

// with adds key, value pairs to m.
func with(m map[string]any, kv []any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// Validate posts /v3/validate for the flow.
func (x *X) Validate(f *Flow) *Resp {
	return x.API(f.Product, "/v3/validate", map[string]any{"correlationId": f.CorrelationID})
}

// Challenge posts /v3/challenge with the flow's correlationId and extra fields.
func (x *X) Challenge(f *Flow, extra ...any) *Resp {
	return x.API(f.Product, "/v3/challenge", with(map[string]any{"correlationId": f.CorrelationID}, extra))
}

// Complete posts /v3/complete with an individual.
func (x *X) Complete(f *Flow, individual map[string]any) *Resp {
	return x.API(f.Product, "/v3/complete", map[string]any{"correlationId": f.CorrelationID, "individual": individual})
}

// Person is an individual for /v3/complete.
func Person(first, last string, extra ...any) map[string]any {
	return with(map[string]any{"firstName": first, "lastName": last}, extra)
}

// Validated asserts a successful validate: 200, success true and the next
// map given.
func (x *X) Validated(f *Flow, challengeMissing bool, next ...string) *Resp {
	r := x.Validate(f)
	x.Status(r, http.StatusOK)
	x.Field(r, "success", true)
	x.Field(r, "challengeMissing", challengeMissing)
	x.Next(r, next...)
	return r
}

// NotValidated asserts a business failure of validate: 200, success false,
// next done.
func (x *X) NotValidated(f *Flow) *Resp {
	r := x.Validate(f)
	x.BusinessFailure(r)
	return r
}

// Completed asserts a successful complete: 200, success true, next done.
func (x *X) Completed(f *Flow, individual map[string]any) *Resp {
	r := x.Complete(f, individual)
	x.Status(r, http.StatusOK)
	x.Field(r, "success", true)
	x.Next(r, "done")
	return r
}

// BusinessFailure asserts Prove's way of saying no: HTTP 200 with
// success false and next done.
func (x *X) BusinessFailure(r *Resp) {
	x.Status(r, http.StatusOK)
	x.Field(r, "success", false)
	x.Next(r, "done")
}

// Device posts to the device API (at the authToken's auth.endp) as Prove's
// web SDK does.
func (x *X) Device(f *Flow, path string, body any) *Resp {
	return x.Do(Request{Method: http.MethodPost, Base: f.Endp, Path: path, Bearer: f.AuthToken, JSON: body})
}

// DeviceNext asserts a device answer: 200 and the envelope's next (""
// for no next).
func (x *X) DeviceNext(r *Resp, next string) {
	x.Status(r, http.StatusOK)
	got := r.Str("next")
	x.Check(got == next, r, "response body next", "device.next", quoteOrNone(next), quoteOrNone(got))
}

// DeviceData asserts a retryable user error: 200, data.code, no next.
func (x *X) DeviceData(r *Resp, code int) {
	x.Status(r, http.StatusOK)
	x.Number(r, "data.code", code)
	_, hasNext := r.Get("next")
	x.Check(!hasNext, r, "response body next", "device.next", "no next (the SDK asks the user again)", r.Str("next"))
}

// DeviceTerminal asserts a terminal failure: 200, error.code, next done.
func (x *X) DeviceTerminal(r *Resp, code int) {
	x.Status(r, http.StatusOK)
	x.Number(r, "error.code", code)
	x.DeviceNext(r, "done")
}

func quoteOrNone(s string) string {
	if s == "" {
		return "no next"
	}
	return strconv.Quote(s)
}

// OTPSent starts the OTP step and returns the code the phone got.
func (x *X) OTPSent(f *Flow) string {
	r := x.Device(f, "/v1/client/mobile/otp/start", map[string]any{})
	x.DeviceNext(r, "")
	_, hasData := r.Get("data")
	x.Check(!hasData, r, "response body data", "device.data", "no data (the SMS was sent)", short(r.JSON["data"]))
	sms := x.LastSMS(f)
	x.Check(sms.Code != "", r, "GET /_mock/sms code", "phone.otp", "an OTP in the flow's newest SMS", short(sms))
	return sms.Code
}

// ---- assertions ----------------------------------------------------------

// Status asserts the HTTP status.
func (x *X) Status(r *Resp, want int) {
	if r.Status != want {
		got := strconv.Itoa(r.Status)
		if c, ok := r.Get("code"); ok {
			got += fmt.Sprintf(" (code %v: %s)", c, r.Str("message"))
		}
		x.Fail(r.Op, "status", "status", strconv.Itoa(want), got)
	}
}

// Field asserts that a JSON field has a value (compared as JSON).
func (x *X) Field(r *Resp, path string, want any) {
	got, ok := r.Get(path)
	if !ok || short(got) != short(want) {
		rule := "flow.field"
		if path == "success" {
			rule = "flow.success"
		}
		gs := "nothing"
		if ok {
			gs = short(got)
		}
		x.Fail(r.Op, "response body "+path, rule, short(want), gs)
	}
}

// Number asserts a numeric JSON field.
func (x *X) Number(r *Resp, path string, want int) {
	got, ok := r.Get(path)
	f, isNum := got.(float64)
	if !ok || !isNum || f != float64(want) {
		gs := "nothing"
		if ok {
			gs = short(got)
		}
		x.Fail(r.Op, "response body "+path, "code", strconv.Itoa(want), gs)
	}
}

// Contains asserts that a string field contains each of the parts.
func (x *X) Contains(r *Resp, path string, parts ...string) {
	got := r.Str(path)
	for _, p := range parts {
		if !strings.Contains(strings.ToLower(got), strings.ToLower(p)) {
			x.Fail(r.Op, "response body "+path, "error.message", "a text naming "+strconv.Quote(p), strconv.Quote(got))
		}
	}
}

// Next asserts Prove's next map: exactly these steps, each with its path
// ("v3-complete": "/v3/complete", "done": "done").
func (x *X) Next(r *Resp, steps ...string) {
	want := map[string]string{}
	for _, s := range steps {
		if s == "done" {
			want[s] = "done"
		} else {
			want[s] = "/" + strings.Replace(s, "-", "/", 1)
		}
	}
	got, _ := r.Get("next")
	gm, _ := got.(map[string]any)
	ok := gm != nil && len(gm) == len(want)
	for k, v := range want {
		if gv, has := gm[k]; !has || gv != v {
			ok = false
		}
	}
	if !ok {
		x.Fail(r.Op, "response body next", "flow.next", short(want), short(got))
	}
}

// Error asserts an error answer in Prove's shape: the status, the code,
// a message, and that the message names each of the fields.
func (x *X) Error(r *Resp, status, code int, fields ...string) {
	x.Status(r, status)
	x.Number(r, "code", code)
	x.Check(r.Str("message") != "", r, "response body message", "error.message", "a message", "nothing")
	x.Contains(r, "message", fields...)
}

// ---- the control API -------------------------------------------------------

// SMS is one message on the virtual phone.
type SMS struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	Phone         string    `json:"phone"`
	Body          string    `json:"body"`
	Code          string    `json:"code"`
	Link          string    `json:"link"`
	CorrelationID string    `json:"correlationId"`
	SentAt        time.Time `json:"sentAt"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

// Outbox reads the flow's SMS from GET /_mock/sms, newest first. It reads
// either a JSON array or a page object holding one ({"items": [...]} or
// similar), whatever the order, so that paging of the listing does not
// break it.
func (x *X) Outbox(f *Flow) []SMS {
	r := x.Do(Request{Method: http.MethodGet, Path: "/_mock/sms?correlationId=" + url.QueryEscape(f.CorrelationID), Control: true})
	x.Status(r, http.StatusOK)
	var list []SMS
	if json.Unmarshal(r.Body, &list) != nil {
		var page map[string]json.RawMessage
		if json.Unmarshal(r.Body, &page) == nil {
			for _, raw := range page {
				if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
					break
				}
			}
		}
	}
	var out []SMS
	for _, m := range list {
		if m.CorrelationID == f.CorrelationID {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].SentAt.Equal(out[j].SentAt) {
			return out[i].SentAt.After(out[j].SentAt)
		}
		return seq(out[i].ID) > seq(out[j].ID)
	})
	return out
}

// seq is the number at the end of an SMS id ("sms12" -> 12).
func seq(id string) int {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	n, _ := strconv.Atoi(id[i:])
	return n
}

// LastSMS is the flow's newest SMS; the scenario fails when there is none.
func (x *X) LastSMS(f *Flow) SMS {
	box := x.Outbox(f)
	if len(box) == 0 {
		x.Fail("GET /_mock/sms", "response body", "phone.sms", "an SMS of flow "+f.CorrelationID, "none")
	}
	return box[0]
}

// Advance moves the virtual clock.
func (x *X) Advance(d time.Duration) {
	r := x.Do(Request{Method: http.MethodPost, Path: "/_mock/clock/advance", JSON: map[string]any{"duration": d.String()}, Control: true})
	x.Status(r, http.StatusOK)
}

// Fault arms a fault and removes it when the scenario ends.
func (x *X) Fault(body map[string]any) {
	r := x.Do(Request{Method: http.MethodPost, Path: "/_mock/faults", JSON: body, Control: true})
	x.Status(r, http.StatusCreated)
	if id := r.Str("id"); id != "" {
		x.Cleanup(func() {
			x.Do(Request{Method: http.MethodDelete, Path: "/_mock/faults/" + url.PathEscape(id), Control: true})
		})
	}
}

// OpenLink opens an Instant Link as the phone's browser does (no redirect
// followed).
func (x *X) OpenLink(link string) *Resp {
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		x.Fail("GET /_mock/sms", "response body link", "phone.link", "an absolute URL", strconv.Quote(link))
	}
	return x.Do(Request{Method: http.MethodGet, Base: u.Scheme + "://" + u.Host, Path: u.RequestURI()})
}

package contracts

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Resp is one answer the platform gave, as a scenario sees it.
type Resp struct {
	Op     string // "POST /v3/start"
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any // the body when it is a JSON object, else nil
}

// Get reads a dotted path ("next.v3-complete", "error.code",
// "results.0.proveId": a number indexes an array) of the JSON body; ok is
// false when it is absent.
func (r *Resp) Get(path string) (any, bool) {
	var cur any = r.JSON
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			var ok bool
			if cur, ok = c[k]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// List is Get for an array (nil when absent or not an array).
func (r *Resp) List(path string) []any {
	v, _ := r.Get(path)
	l, _ := v.([]any)
	return l
}

// Str is Get for a string ("" when absent or not a string).
func (r *Resp) Str(path string) string {
	v, _ := r.Get(path)
	s, _ := v.(string)
	return s
}

// stop is what a broken rule panics with to end its scenario.
type stop struct{}

// X is a scenario's handle on the target: it sends requests, validates
// every answer against specs/ (schema violations are recorded and the
// scenario goes on) and asserts the flow rules (the first broken rule is
// recorded and ends the scenario).
type X struct {
	ctx    context.Context
	t      *target
	tokens map[string]string // product -> access token
	cid    string            // the correlationId of the flow in hand, for violations

	violations []Violation
	shapes     map[string]map[string]string
	cleanups   []func()
}

// Request is one call a scenario makes.
type Request struct {
	Method string
	Base   string // default the target's base URL (the device API uses auth.endp)
	Path   string // may carry a query
	Bearer string
	JSON   any    // marshalled as the body, Content-Type application/json
	Raw    []byte // sent as is (malformed or oversized bodies), with ContentType
	Form   url.Values
	// ContentType overrides the Content-Type header.
	ContentType string
	Control     bool // a /_mock/ call: carries the control token
	// Invalid says the request breaks the spec on purpose (bad input
	// scenarios): it is sent unchecked. Every other request is checked,
	// so that the suite itself keeps the contract it checks.
	Invalid bool
}

// Do sends a request, validates the answer and records its shape. A
// request that gets no answer at all ends the scenario.
func (x *X) Do(rq Request) *Resp {
	base := rq.Base
	if base == "" {
		base = x.t.base
	}
	var body []byte
	ctype := rq.ContentType
	switch {
	case rq.Raw != nil:
		body = rq.Raw
		if ctype == "" {
			ctype = "application/json"
		}
	case rq.Form != nil:
		body = []byte(rq.Form.Encode())
		if ctype == "" {
			ctype = "application/x-www-form-urlencoded"
		}
	case rq.JSON != nil:
		b, err := json.Marshal(rq.JSON)
		if err != nil {
			panic(err) // scenario code bug
		}
		body = b
		if ctype == "" {
			ctype = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(x.ctx, rq.Method, strings.TrimSuffix(base, "/")+rq.Path, bytes.NewReader(body))
	if err != nil {
		x.Fail(rq.Method+" "+rq.Path, "request", "transport", "a request that can be built", err.Error())
	}
	op := x.t.operationOf(req)
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	switch {
	case rq.Bearer != "":
		req.Header.Set("Authorization", "Bearer "+rq.Bearer)
	case rq.Control && x.t.controlToken != "":
		req.Header.Set("Authorization", "Bearer "+x.t.controlToken)
	}
	resp, vs, err := x.t.verifyExchange(req, body, !rq.Invalid)
	if err != nil {
		x.Fail(op, "response", "transport", "an HTTP answer", err.Error())
	}
	for _, v := range vs {
		v.CorrelationID = x.cid
		x.violations = append(x.violations, v)
	}
	x.recordShape(resp)
	return resp
}

// Fail records a broken rule of the platform and ends the scenario.
func (x *X) Fail(op, where, rule, expected, got string) {
	x.violations = append(x.violations, Violation{Side: SidePlatform, Operation: op, Where: where, Rule: rule,
		Expected: expected, Got: got, CorrelationID: x.cid})
	panic(stop{})
}

// Check fails with the rule unless ok.
func (x *X) Check(ok bool, r *Resp, where, rule, expected, got string) {
	if !ok {
		x.Fail(r.Op, where, rule, expected, got)
	}
}

// Cleanup runs f when the scenario ends, whatever its verdict.
func (x *X) Cleanup(f func()) { x.cleanups = append(x.cleanups, f) }

// ---- the schema check -------------------------------------------------

// verifyExchange sends req and checks the exchange with the kit's Checker:
// the answer against its response in specs/ (platform violations) and,
// unless the request breaks the spec on purpose, the request too (a client
// violation there is a bug of the scenario, not of the platform). It is
// the one place where verify meets the schema check.
func (t *target) verifyExchange(req *http.Request, reqBody []byte, checkRequest bool) (*Resp, []Violation, error) {
	var vs []Violation
	if checkRequest {
		vs = t.checker.CheckRequest(req, reqBody)
	}
	t.pace(req.Context())
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	vs = append(vs, t.checker.CheckResponse(req, reqBody, resp, body)...)
	out := &Resp{Op: t.operationOf(req), Status: resp.StatusCode, Header: resp.Header, Body: body}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		out.JSON = m
	}
	return out, vs, nil
}

// operationOf names a request after the spec's path template
// ("GET /v1/link/{token}"), or its raw path when no document has it.
func (t *target) operationOf(req *http.Request) string {
	if r := t.checker.Find(req); r != nil {
		return r.Operation
	}
	return req.Method + " " + req.URL.Path
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// ---- shapes ----------------------------------------------------------------

func (x *X) recordShape(r *Resp) {
	key := fmt.Sprintf("%s %d", r.Op, r.Status)
	m := x.shapes[key]
	if m == nil {
		m = map[string]string{}
		x.shapes[key] = m
	}
	var v any
	if json.Unmarshal(r.Body, &v) != nil {
		if len(r.Body) > 0 {
			m["(body)"] = "non-json"
		}
		return
	}
	walkShape("", v, m)
}

func walkShape(path string, v any, out map[string]string) {
	name := path
	if name == "" {
		name = "(body)"
	}
	switch t := v.(type) {
	case map[string]any:
		out[name] = "object"
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkShape(p, t[k], out)
		}
	case []any:
		out[name] = "array"
		for _, e := range t {
			walkShape(path+"[]", e, out)
		}
	case string:
		out[name] = "string"
	case float64:
		out[name] = "number"
	case bool:
		out[name] = "boolean"
	case nil:
		out[name] = "null"
	}
}

// FlowLifetime is Prove's: a correlationId and its authToken live 15
// minutes from /v3/start.
const FlowLifetime = 15 * time.Minute

// jwtClaims decodes the claims of a JWT without checking its signature,
// as the web SDK does with the authToken.
func jwtClaims(token string, v any) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	return err == nil && json.Unmarshal(raw, v) == nil
}

// endpOf reads auth.endp from an authToken, the base URL of the device
// API, as the SDK does.
func endpOf(authToken string) string {
	var claims struct {
		Auth struct {
			Endp string `json:"endp"`
		} `json:"auth"`
	}
	if !jwtClaims(authToken, &claims) {
		return ""
	}
	return claims.Auth.Endp
}

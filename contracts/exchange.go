package contracts

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/mockprove/mockprove/specs"
)

// Resp is one answer the platform gave, as a scenario sees it.
type Resp struct {
	Op     string // "POST /v3/start"
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any // the body when it is a JSON object, else nil
}

// Get reads a dotted path ("next.v3-complete", "error.code") of the JSON
// body; ok is false when it is absent.
func (r *Resp) Get(path string) (any, bool) {
	var cur any = r.JSON
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
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
	op := operationOf(rq.Method, rq.Path)
	req, err := http.NewRequestWithContext(x.ctx, rq.Method, strings.TrimSuffix(base, "/")+rq.Path, bytes.NewReader(body))
	if err != nil {
		x.Fail(op, "request", "transport", "a request that can be built", err.Error())
	}
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
	resp, vs, err := x.t.verifyExchange(req)
	if err != nil {
		x.Fail(op, "response", "transport", "an HTTP answer", err.Error())
	}
	for _, v := range vs {
		v.CorrelationID = x.cid
		x.violations = append(x.violations, v)
	}
	resp.Op = op
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

// captured is what the platform answered, kept by captureTransport even
// when SpecTransport refuses the answer.
type captured struct {
	status int
	header http.Header
	body   []byte
}

type captureKey struct{}

// captureTransport keeps a copy of every answer in the slot that the
// request's context carries.
type captureTransport struct{ base http.RoundTripper }

func (c captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if rerr != nil {
		return nil, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if slot, ok := r.Context().Value(captureKey{}).(*captured); ok {
		slot.status, slot.header, slot.body = resp.StatusCode, resp.Header.Clone(), body
	}
	return resp, nil
}

// verifyExchange sends req and checks the answer against specs/ with
// SpecTransport, turning its refusal into Violations. It is the one place
// where verify meets the schema check.
func (t *target) verifyExchange(req *http.Request) (*Resp, []Violation, error) {
	slot := &captured{}
	req = req.WithContext(context.WithValue(req.Context(), captureKey{}, slot))
	resp, err := t.client.Do(req)
	if resp != nil {
		_ = resp.Body.Close()
	}
	if slot.header == nil { // no answer at all
		if err == nil {
			err = errors.New("no answer")
		}
		return nil, nil, err
	}
	out := &Resp{Status: slot.status, Header: slot.header, Body: slot.body}
	var m map[string]any
	if json.Unmarshal(slot.body, &m) == nil {
		out.JSON = m
	}
	if err == nil {
		return out, nil, nil
	}
	return out, []Violation{specViolation(operationOf(req.Method, req.URL.Path), slot.status, err)}, nil
}

// specViolation words one SpecTransport error as one Violation.
func specViolation(op string, status int, err error) Violation {
	v := Violation{Side: SidePlatform, Operation: op, Where: fmt.Sprintf("response %d", status), Rule: "schema"}
	var se *openapi3.SchemaError
	var re *openapi3filter.ResponseError
	switch {
	case errors.As(err, &se):
		path := se.JSONPointer() // for "required", it ends with the missing field
		v.Where = fmt.Sprintf("response %d body", status)
		if len(path) > 0 {
			v.Where += " " + strings.Join(path, ".")
		}
		v.Rule = "schema." + se.SchemaField
		v.Expected, v.Got = schemaExpectation(se)
	case errors.As(err, &re):
		v.Expected, v.Got = re.Reason, "a body that does not match"
	default:
		v.Expected, v.Got = "an answer that conforms to the spec", err.Error()
	}
	return v
}

func schemaExpectation(se *openapi3.SchemaError) (expected, got string) {
	got = short(se.Value)
	switch se.SchemaField {
	case "required":
		return "the field (required)", "nothing"
	case "type":
		if se.Schema != nil && se.Schema.Type != nil {
			return strings.Join(se.Schema.Type.Slice(), " or "), got
		}
	case "pattern":
		if se.Schema != nil {
			return "a value matching " + se.Schema.Pattern, got
		}
	case "enum":
		if se.Schema != nil {
			return "one of " + short(se.Schema.Enum), got
		}
	case "additionalProperties":
		return "no other field", se.Reason
	}
	return se.Reason, got
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// ---- operations and shapes ---------------------------------------------

type opTemplate struct {
	method, path string
	re           *regexp.Regexp
}

var (
	opsOnce sync.Once
	ops     []opTemplate
)

// operationOf names a request after the spec's path template
// ("GET /v1/link/{token}"), or the raw path when no document has it.
func operationOf(method, rawPath string) string {
	opsOnce.Do(func() {
		for _, name := range []string{specs.ProveV3, specs.Device, specs.Control} {
			doc, err := specs.Load(name)
			if err != nil {
				continue
			}
			for _, p := range doc.Paths.InMatchingOrder() {
				pat := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$"
				ops = append(ops, opTemplate{path: p, re: regexp.MustCompile(pat)})
			}
		}
	})
	path, _, _ := strings.Cut(rawPath, "?")
	for _, o := range ops {
		if o.re.MatchString(path) {
			return method + " " + o.path
		}
	}
	return method + " " + path
}

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

// endpOf reads auth.endp from an authToken (a JWT whose signature the web
// SDK never checks), the base URL of the device API, as the SDK does.
func endpOf(authToken string) string {
	parts := strings.Split(authToken, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Auth struct {
			Endp string `json:"endp"`
		} `json:"auth"`
	}
	if json.Unmarshal(raw, &claims) != nil {
		return ""
	}
	return claims.Auth.Endp
}

package mockprove

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/specs"
)

// The fastBody must never accept a body kin-openapi refuses: these tests
// put the same inputs through both, for every operation of the Prove and
// device documents whose JSON body it compiles.

// fastOp is one operation with a compiled fastBody.
type fastOp struct {
	name  string // "POST /v3/start"
	route *routers.Route
	fb    *fastBody
}

var (
	fastOpsOnce sync.Once
	fastOpsList []fastOp
)

func fastOps(t testing.TB) []fastOp {
	fastOpsOnce.Do(func() {
		for _, name := range []string{specs.ProveV3, specs.Device} {
			doc, err := specs.Load(name)
			if err != nil {
				panic(err)
			}
			for _, path := range doc.Paths.InMatchingOrder() {
				item := doc.Paths.Value(path)
				for method, op := range item.Operations() {
					fb := compileFastBody(op)
					if fb == nil {
						continue
					}
					fastOpsList = append(fastOpsList, fastOp{name: method + " " + path, fb: fb,
						route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}})
				}
			}
		}
		slices.SortFunc(fastOpsList, func(a, b fastOp) int { return strings.Compare(a.name, b.name) })
	})
	if len(fastOpsList) == 0 {
		t.Fatal("no operation has a fastBody")
	}
	return fastOpsList
}

// kinAccepts is kin-openapi's verdict on a body, with mockprove's options.
func kinAccepts(op fastOp, contentType string, body []byte) error {
	r, _ := http.NewRequest(op.route.Method, "http://mockprove.test"+op.route.Path, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	in := &openapi3filter.RequestValidationInput{Request: r, Route: op.route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true}}
	return openapi3filter.ValidateRequestBody(context.Background(), in, op.route.Operation.RequestBody.Value)
}

// examples are the request examples the document gives for an operation.
func examples(op fastOp) [][]byte {
	media := op.fb.media
	var vals []any
	if media.Example != nil {
		vals = append(vals, media.Example)
	}
	for _, ex := range media.Examples {
		if ex != nil && ex.Value != nil && ex.Value.Value != nil {
			vals = append(vals, ex.Value.Value)
		}
	}
	if s := media.Schema.Value; s.Example != nil {
		vals = append(vals, s.Example)
	}
	var out [][]byte
	for _, v := range vals {
		if b, err := json.Marshal(v); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// mutations derives bodies from a valid one: each field dropped, retyped,
// emptied, lengthened, escaped, duplicated; unknown fields; other framings.
func mutations(body []byte) [][]byte {
	out := [][]byte{body}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return out
	}
	add := func(v any) {
		if b, err := json.Marshal(v); err == nil {
			out = append(out, b)
		}
	}
	values := []any{nil, 1, 1.5, -0, true, false, "", "x", strings.Repeat("9", 300), "é", "😀",
		"2001004000", "+12001004000", "mobile", "desktop", "https://a.example/x", "1995-07-26", "1234",
		map[string]any{}, []any{}, []any{"a"}, map[string]any{"firstName": "A"}}
	for k, v := range m {
		c := clone(m)
		delete(c, k)
		add(c)
		for _, nv := range values {
			c := clone(m)
			c[k] = nv
			add(c)
		}
		if s, ok := v.(string); ok && len(s) > 0 {
			for _, nv := range []string{s + s, s[:len(s)-1], " " + s, s + "\n", strings.ToUpper(s), s + "é"} {
				c := clone(m)
				c[k] = nv
				add(c)
			}
		}
		if sub, ok := v.(map[string]any); ok {
			sb, _ := json.Marshal(sub)
			for _, ms := range mutations(sb)[1:] {
				var nv any
				if json.Unmarshal(ms, &nv) == nil {
					c := clone(m)
					c[k] = nv
					add(c)
				}
			}
		}
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			for _, nv := range [][]any{{}, append(slices.Clone(arr), arr...), {nil}, {1}} {
				c := clone(m)
				c[k] = nv
				add(c)
			}
			if first, ok := arr[0].(map[string]any); ok {
				fb, _ := json.Marshal(first)
				for _, ms := range mutations(fb)[1:] {
					var nv any
					if json.Unmarshal(ms, &nv) == nil {
						c := clone(m)
						c[k] = []any{nv}
						add(c)
					}
				}
			}
		}
		// A duplicate key, the other value first or last; an escaped value.
		kb, _ := json.Marshal(k)
		inner := bytes.TrimSuffix(bytes.TrimPrefix(body, []byte("{")), []byte("}"))
		out = append(out,
			[]byte(`{`+string(kb)+`:"dup",`+string(inner)+`}`),
			[]byte(`{`+string(inner)+`,`+string(kb)+`:"dup"}`))
		if s, ok := v.(string); ok && s != "" {
			c := clone(m)
			c[k] = "\u0000" + s
			add(c)
			out = append(out, bytes.Replace(body, []byte(`"`+s+`"`), []byte(`"\u00`+fmt.Sprintf("%02x", s[0])+s[1:]+`"`), 1))
		}
	}
	c := clone(m)
	c["unknownField"] = "x"
	add(c)
	c = clone(m)
	c["unknownField"] = nil
	add(c)
	c = clone(m)
	c["unknownField"] = map[string]any{"a": []any{1, "b", nil}}
	add(c)
	out = append(out,
		append(slices.Clone(body), " x"...), append(slices.Clone(body), body...), append([]byte("  \n"), body...),
		append(slices.Clone(body), "\n"...), []byte("["+string(body)+"]"), []byte("null"), []byte(""), []byte("{}"),
		[]byte(`"`+string(body)+`"`), body[:len(body)/2], append([]byte("\xef\xbb\xbf"), body...))
	return out
}

func clone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

var fastContentTypes = []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain", "", "application/json-patch+json"}

func TestFastBodyNeverAcceptsWhatKinRefuses(t *testing.T) {
	g := NewWithT(t)
	accepted := map[string]int{}
	inputs := 0
	for _, op := range fastOps(t) {
		for _, ex := range examples(op) {
			for _, body := range mutations(ex) {
				for _, ct := range fastContentTypes {
					inputs++
					if !op.fb.accepts(ct, body) {
						continue
					}
					accepted[op.name]++
					g.Expect(kinAccepts(op, ct, body)).To(Succeed(), "%s accepted by the fast path: %s %q", op.name, ct, body)
				}
			}
		}
	}
	t.Logf("%d operations, %d inputs, accepted by the fast path: %v", len(fastOps(t)), inputs, accepted)
	// The fast path must actually take the hot operations' ordinary bodies.
	for _, name := range []string{"POST /v3/start", "POST /v3/validate", "POST /v3/complete", "POST /v3/challenge",
		"POST /v1/client/mobile/otp/start", "POST /v1/client/mobile/otp/finish"} {
		g.Expect(accepted[name]).To(BeNumerically(">", 0), "the fast path accepts no body of %s", name)
	}
}

func TestFastBodyTakesTheBenchmarkBodies(t *testing.T) {
	g := NewWithT(t)
	byName := map[string]fastOp{}
	for _, op := range fastOps(t) {
		byName[op.name] = op
	}
	for name, body := range map[string]string{
		"POST /v3/start":                    `{"flowType":"mobile","phoneNumber":"2001004000"}`,
		"POST /v3/validate":                 `{"correlationId":"713189b8-5555-4b08-83ba-75d08780aebd"}`,
		"POST /v1/client/mobile/otp/finish": `{"otp":"1234"}`,
	} {
		op, ok := byName[name]
		g.Expect(ok).To(BeTrue(), name)
		g.Expect(op.fb.accepts("application/json", []byte(body))).To(BeTrue(), name)
		g.Expect(kinAccepts(op, "application/json", []byte(body))).To(Succeed(), name)
	}
	// And refuses what kin-openapi refuses, leaving the words to it.
	start := byName["POST /v3/start"]
	for _, body := range []string{`{"flowType":"tablet","phoneNumber":"2001004000"}`, `{"flowType":"mobile"}`,
		`{"flowType":"mobile","phoneNumber":"2001004000","foo":1}`, `{"flowType":"mobile","phoneNumber":"20"}`} {
		g.Expect(start.fb.accepts("application/json", []byte(body))).To(BeFalse(), body)
		g.Expect(kinAccepts(start, "application/json", []byte(body))).NotTo(Succeed(), body)
	}
}

// FuzzFastBody: whatever the body and Content-Type, the fast path accepts
// only what kin-openapi accepts. The first byte picks the operation.
func FuzzFastBody(f *testing.F) {
	ops := fastOps(f)
	for i, op := range ops {
		for _, ex := range examples(op) {
			for j, body := range mutations(ex) {
				if j%7 == 0 { // a sample: the differential test runs them all
					f.Add(byte(i), fastContentTypes[j%len(fastContentTypes)], body)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, which byte, contentType string, body []byte) {
		op := ops[int(which)%len(ops)]
		if op.fb.accepts(contentType, body) {
			if err := kinAccepts(op, contentType, body); err != nil {
				t.Fatalf("%s: the fast path accepts %q (%s), kin-openapi refuses: %v", op.name, body, contentType, err)
			}
		}
	})
}

// startBodies are /v3/start bodies: the document's examples mutated, and
// some written by hand.
func startBodies(t testing.TB) [][]byte {
	var out [][]byte
	for _, op := range fastOps(t) {
		if op.name == "POST /v3/start" {
			for _, ex := range examples(op) {
				out = append(out, mutations(ex)...)
			}
		}
	}
	for _, b := range []string{`{"flowType":"mobile","phoneNumber":"2001004000"}`, `{}`, ` { } `, `{"FlowType":"desktop"}`,
		`{"flowtype":"desktop","flowType":"mobile"}`, `{"flowType":"a","flowType":"b"}`, `{"allowOTPRetry":true,"allowOTPRetry":false}`,
		`{"allowOTPRetry":null}`, `{"phoneNumber":null}`, `{"phoneNumber":"\u0032"}`, `{"smsMessage":"é ####"}`, `{"x":1}`,
		`{"flowType":"mobile"} x`, `[]`, `"s"`, `{"ssn":"1","dob":"2","emailAddress":"3","ipAddress":"4","finalTargetUrl":"5"}`} {
		out = append(out, []byte(b))
	}
	return out
}

func TestDecodeStartAsUnmarshal(t *testing.T) {
	g := NewWithT(t)
	fast := 0
	for _, body := range startBodies(t) {
		checkDecodeStart(t, body)
		var r startRequest
		if decodeStart(body, &r) {
			fast++
		}
	}
	// It must take the ordinary bodies, or it is no fast path.
	var r startRequest
	g.Expect(decodeStart([]byte(`{"flowType":"mobile","phoneNumber":"2001004000"}`), &r)).To(BeTrue())
	g.Expect(r).To(Equal(startRequest{FlowType: "mobile", PhoneNumber: "2001004000"}))
	g.Expect(fast).To(BeNumerically(">", 50))
}

// checkDecodeStart fails when decodeStart takes a body and decodes it
// otherwise than json.Unmarshal.
func checkDecodeStart(t testing.TB, body []byte) {
	t.Helper()
	got := startRequest{FlowType: "left over"}
	if !decodeStart(body, &got) {
		if got != (startRequest{FlowType: "left over"}) {
			t.Fatalf("decodeStart(%q) refused the body but changed the request: %+v", body, got)
		}
		return
	}
	var want startRequest
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("decodeStart(%q) took a body json.Unmarshal refuses: %v", body, err)
	}
	if got != want {
		t.Fatalf("decodeStart(%q) = %+v, json.Unmarshal: %+v", body, got, want)
	}
}

func FuzzDecodeStart(f *testing.F) {
	for i, b := range startBodies(f) {
		if i%5 == 0 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkDecodeStart(t, body) })
}

package contracts

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Exchange is one HTTP call as the kit sees it: the request, its response
// and both bodies. Response is nil when the call got no answer.
type Exchange struct {
	Request      *http.Request
	RequestBody  []byte
	Response     *http.Response
	ResponseBody []byte
}

// FlowOptions configure Flows.
type FlowOptions struct {
	// Now is the clock token lifetimes and Retry-After are judged on;
	// default time.Now. Point it at mockprove's clock when the platform's
	// time is virtual.
	Now func() time.Time
	// MaxFlows bounds the flows tracked at once (default 10000); beyond,
	// the oldest is forgotten.
	MaxFlows int
	// FlowTTL is how long a flow is tracked after its /v3/start (default
	// 30 minutes: Prove's flows live 15).
	FlowTTL time.Duration
}

// Default bounds of Flows.
const (
	DefaultMaxFlows = 10000
	DefaultFlowTTL  = 30 * time.Minute
	maxRemembered   = 10000 // failed requests, Retry-After waits, tokens
)

// Flows checks the rules only a stateful observer sees, per correlationId
// and per caller: each step is one the previous answer's next allowed, no
// step after done, /v3/complete only after a successful /v3/validate,
// Unify's status and bind only on the caller's own sessions and a bind
// only after "possession_required" (flows_unify.go), one
// OAuth token reused until it expires, Retry-After honoured after 429, no
// retry of a 4xx with the same body, SSN and DOB only where the spec
// allows them, and (a warning) no Instant Link from a mobile browser. It
// is safe for concurrent use; its memory is bounded (FlowOptions).
type Flows struct {
	opts FlowOptions

	mu      sync.Mutex
	flows   map[string]*flowState // by correlationId
	order   []string              // correlationIds, oldest first
	byAuth  map[string]string     // authToken → correlationId
	tokens  map[string]*tokenState
	access  map[string]string    // access token → client_id
	waits   map[string]time.Time // caller → no request before
	failed  map[[32]byte]int     // caller+operation+body → status of its 4xx
	failedQ [][32]byte

	unify      map[string]*unifyState // Unify sessions by correlationId
	unifyOrder []string               // their correlationIds, oldest first
}

type flowState struct {
	id        string
	started   time.Time
	authToken string
	next      map[string]string
	done      bool
	validated bool
	validates int // validate answers, successful or not
	version   int // answers that moved the flow on: a 4xx before one may be retried
	otpStarts int
	ilStarts  int
}

type tokenState struct {
	token   string
	expires time.Time
	refused bool      // an API call with it answered 401
	at      time.Time // when it was issued
}

// NewFlows returns an empty tracker.
func NewFlows(opts FlowOptions) *Flows {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxFlows <= 0 {
		opts.MaxFlows = DefaultMaxFlows
	}
	if opts.FlowTTL <= 0 {
		opts.FlowTTL = DefaultFlowTTL
	}
	return &Flows{
		opts:   opts,
		flows:  map[string]*flowState{},
		byAuth: map[string]string{},
		tokens: map[string]*tokenState{},
		access: map[string]string{},
		waits:  map[string]time.Time{},
		failed: map[[32]byte]int{},
		unify:  map[string]*unifyState{},
	}
}

// Tracked is the number of flows (and Unify sessions) tracked now.
func (f *Flows) Tracked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.flows) + len(f.unify)
}

// steps maps the server API's step paths to their keys in next.
var steps = map[string]string{
	"/v3/validate":  "v3-validate",
	"/v3/challenge": "v3-challenge",
	"/v3/complete":  "v3-complete",
}

// Observation is what Flows.Observe found in one exchange.
type Observation struct {
	// Violations are always the client's: the platform's answers are the
	// Checker's to judge.
	Violations []Violation
	// Warnings are advice (an Instant Link from a mobile browser).
	Warnings []Violation
	// CorrelationID is the flow of the exchange, when known.
	CorrelationID string
	// Sends is how many OTP or Instant Link SMS the flow asked for so far,
	// this call included (on otp/start and instantlink/start).
	Sends int
}

// Observe checks one exchange against the flow rules and records what it
// teaches (next, tokens, 429s, 4xx).
func (f *Flows) Observe(ex Exchange) Observation {
	var violations, warnings []Violation
	var correlationID string
	req := ex.Request
	path := req.URL.Path
	now := f.opts.Now()
	op := req.Method + " " + path
	if strings.HasPrefix(path, "/v1/link/") {
		op = req.Method + " /v1/link/{token}"
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.expire(now)
	f.expireUnify(now)
	caller := f.callerKey(req, ex.RequestBody)

	fl := f.flowOf(req, ex.RequestBody)
	if fl != nil {
		correlationID = fl.id
	}
	us, unifyID := f.unifyOf(req, ex.RequestBody)
	if us != nil {
		correlationID = unifyID
	}
	add := func(where, rule, expected, got string) {
		violations = append(violations, Violation{Side: SideClient, Operation: op, Where: where, Rule: rule,
			Expected: expected, Got: got, CorrelationID: correlationID})
	}

	// Retry-After after a 429.
	if until, ok := f.waits[caller]; ok {
		if now.Before(until) {
			add("request", "rate.retry-after", fmt.Sprintf("no request before %s (Retry-After)", until.UTC().Format(time.RFC3339)),
				fmt.Sprintf("a request %s early", until.Sub(now).Round(time.Millisecond)))
		} else {
			delete(f.waits, caller)
		}
	}
	// The same request again after a 4xx.
	version := 0
	if fl != nil {
		version = fl.version
	}
	if us != nil {
		version = us.version
	}
	key := requestKey(caller, fmt.Sprintf("%s %s %d", req.Method, req.URL.RequestURI(), version), ex.RequestBody)
	if status, ok := f.failed[key]; ok && req.Method == http.MethodPost {
		add("request body", "retry.same-4xx", fmt.Sprintf("a corrected request after the %d answer", status), "the same request again")
	}
	// One OAuth token per client until it expires.
	if path == "/token" && req.Method == http.MethodPost {
		id := formValues(ex.RequestBody).Get("client_id")
		if t, ok := f.tokens[id]; ok && id != "" && !t.refused && now.Before(t.expires) {
			add("request", "token.reuse", "one access token per client, reused until it expires (or is refused with 401)",
				fmt.Sprintf("a new token for %s %s after the last one, which is valid until %s", id, now.Sub(t.at).Round(time.Millisecond), t.expires.UTC().Format(time.RFC3339)))
		}
	}
	// The order of the steps.
	if stepKey, ok := steps[path]; ok && fl != nil && req.Method == http.MethodPost {
		switch {
		case fl.done:
			add("flow", "flow.after-done", `no call after next {"done":"done"}`, op)
		case stepKey == "v3-complete" && !fl.validated:
			got := "no /v3/validate"
			if fl.validates > 0 {
				got = `/v3/validate answered "success": false`
			}
			add("flow", "flow.validate-first", "a successful /v3/validate before /v3/complete", got)
		case fl.next != nil && fl.next[stepKey] == "":
			add("flow", "flow.next", "a step in next: "+nextKeys(fl.next), stepKey)
		}
	}
	// The order of Unify's steps, and whose session it is.
	checkUnify(req, us, caller, add)
	if req.Method == http.MethodPost {
		f.checkSessionKind(req, ex.RequestBody, fl, add)
	}
	// SSN and DOB only where the spec allows them.
	for _, where := range piiPlacement(req, ex.RequestBody) {
		add(where, "pii.placement", "SSN and DOB only in the bodies of /v3/start, /v3/challenge and /v3/complete (individual)", "field "+where[strings.LastIndex(where, " ")+1:])
	}
	// Instant Link is not supported on mobile web.
	if path == "/v1/client/mobile/instantlink/start" {
		var body struct {
			IsMobile bool `json:"isMobile"`
		}
		_ = json.Unmarshal(ex.RequestBody, &body)
		ua := req.Header.Get("User-Agent")
		if body.IsMobile || isMobileUA(ua) {
			where, got := "request body isMobile", `"isMobile": true`
			if !body.IsMobile {
				where, got = "request header User-Agent", ua
			}
			warnings = append(warnings, Violation{Side: SideClient, Operation: op, Where: where, Rule: "instantlink.mobile-web",
				Expected: "Instant Link from a desktop browser (Prove: Instant Link for mobile web isn't supported)", Got: got, CorrelationID: correlationID})
		}
	}

	if id := f.learn(ex, fl, us, caller, key, now); id != "" {
		correlationID = id
		for i := range violations {
			violations[i].CorrelationID = id
		}
	}
	obs := Observation{Violations: violations, Warnings: warnings, CorrelationID: correlationID}
	if fl != nil {
		switch path {
		case "/v1/client/mobile/otp/start":
			obs.Sends = fl.otpStarts
		case "/v1/client/mobile/instantlink/start":
			obs.Sends = fl.ilStarts
		}
	}
	return obs
}

// learn records what the answer teaches; it returns the correlationId of
// a flow the answer started.
func (f *Flows) learn(ex Exchange, fl *flowState, us *unifyState, caller string, key [32]byte, now time.Time) string {
	resp := ex.Response
	if resp == nil {
		return ""
	}
	req := ex.Request
	path := req.URL.Path
	status := resp.StatusCode
	switch {
	case status == http.StatusTooManyRequests:
		secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
		if err != nil || secs < 0 {
			secs = 1
		}
		if len(f.waits) >= maxRemembered {
			clear(f.waits) // a bound, not an eviction policy: the waits are seconds long
		}
		f.waits[caller] = now.Add(time.Duration(secs) * time.Second)
	case status == http.StatusUnauthorized:
		// Prove's SDKs drop a refused token and retry with a new one.
		if id, ok := f.access[bearer(req)]; ok {
			if t := f.tokens[id]; t != nil {
				t.refused = true
			}
		}
	case status >= 400 && status < 500 && req.Method == http.MethodPost:
		if _, ok := f.failed[key]; !ok {
			if len(f.failedQ) >= maxRemembered {
				delete(f.failed, f.failedQ[0])
				f.failedQ = f.failedQ[1:]
			}
			f.failedQ = append(f.failedQ, key)
		}
		f.failed[key] = status
	}
	if status != http.StatusOK {
		return ""
	}
	var body map[string]any
	_ = json.Unmarshal(ex.ResponseBody, &body)
	switch {
	case req.Method == http.MethodPost && (path == pathUnify || path == pathUnifyStatus || path == pathUnifyBind):
		return f.learnUnify(req, us, caller, body, now)
	case path == "/token":
		id := formValues(ex.RequestBody).Get("client_id")
		tok, _ := body["access_token"].(string)
		secs, _ := body["expires_in"].(float64)
		if id == "" || tok == "" {
			return ""
		}
		t := f.tokens[id]
		if t == nil {
			if len(f.tokens) >= maxRemembered {
				clear(f.tokens)
				clear(f.access)
			}
			t = &tokenState{}
			f.tokens[id] = t
		}
		delete(f.access, t.token)
		t.token, t.at, t.expires, t.refused = tok, now, now.Add(time.Duration(secs)*time.Second), false
		f.access[tok] = id
	case path == "/v3/start":
		id, _ := body["correlationId"].(string)
		if id == "" {
			return ""
		}
		nf := &flowState{id: id, started: now, next: stringMap(body["next"])}
		nf.authToken, _ = body["authToken"].(string)
		f.add(nf)
		return id
	case fl != nil && steps[path] != "":
		fl.version++
		if next := stringMap(body["next"]); next != nil {
			fl.next = next
			if _, done := next["done"]; done {
				fl.done = true
			}
		}
		if path == "/v3/validate" {
			fl.validates++
			if ok, _ := body["success"].(bool); ok {
				fl.validated = true
			}
		}
	case fl != nil && path == "/v1/client/mobile/otp/start":
		fl.otpStarts++
		fl.version++
	case fl != nil && path == "/v1/client/mobile/instantlink/start":
		fl.ilStarts++
		fl.version++
	case fl != nil:
		fl.version++
	}
	return ""
}

// flowOf finds the flow a request belongs to: its body's correlationId
// (server API) or its authToken (device API).
func (f *Flows) flowOf(req *http.Request, body []byte) *flowState {
	if strings.HasPrefix(req.URL.Path, "/v3/") {
		var b struct {
			CorrelationID string `json:"correlationId"`
		}
		if json.Unmarshal(body, &b) == nil && b.CorrelationID != "" {
			return f.flows[b.CorrelationID]
		}
		return nil
	}
	if strings.HasPrefix(req.URL.Path, "/v1/client/") {
		tok := bearer(req)
		if tok == "" {
			tok = req.URL.Query().Get("token")
		}
		if id, ok := f.byAuth[tok]; ok {
			return f.flows[id]
		}
	}
	return nil
}

// add tracks a new flow, forgetting the oldest beyond MaxFlows.
func (f *Flows) add(fl *flowState) {
	if old, ok := f.flows[fl.id]; ok {
		delete(f.byAuth, old.authToken)
	} else {
		f.order = append(f.order, fl.id)
	}
	f.flows[fl.id] = fl
	if fl.authToken != "" {
		f.byAuth[fl.authToken] = fl.id
	}
	for len(f.flows) > f.opts.MaxFlows && len(f.order) > 0 {
		f.forget(f.order[0])
		f.order = f.order[1:]
	}
}

func (f *Flows) forget(id string) {
	if fl, ok := f.flows[id]; ok {
		delete(f.byAuth, fl.authToken)
		delete(f.flows, id)
	}
}

// expire forgets the flows older than FlowTTL.
func (f *Flows) expire(now time.Time) {
	n := 0
	for _, id := range f.order {
		fl, ok := f.flows[id]
		if !ok {
			n++
			continue
		}
		if now.Sub(fl.started) < f.opts.FlowTTL {
			break
		}
		f.forget(id)
		n++
	}
	f.order = f.order[n:]
}

// callerKey identifies who sent a request: the OAuth client whose access
// token it carries (or whose client_id a /token request names), else its
// bearer token (an authToken), else its address. The client, not the
// token: a client that takes a new token per call is still one caller.
func (f *Flows) callerKey(req *http.Request, body []byte) string {
	if t := bearer(req); t != "" {
		if id, ok := f.access[t]; ok {
			return "client " + id
		}
		return "bearer " + t
	}
	if req.URL.Path == "/token" {
		if id := formValues(body).Get("client_id"); id != "" {
			return "client " + id
		}
	}
	host := req.RemoteAddr
	if i := strings.LastIndex(host, ":"); i > 0 {
		host = host[:i]
	}
	return "addr " + host
}

func bearer(req *http.Request) string {
	scheme, tok, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func requestKey(caller, op string, body []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(caller))
	h.Write([]byte{0})
	h.Write([]byte(op))
	h.Write([]byte{0})
	h.Write(body)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		s, _ := x.(string)
		out[k] = s
	}
	return out
}

func nextKeys(next map[string]string) string {
	keys := make([]string, 0, len(next))
	for k := range next {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "nothing"
	}
	return strings.Join(keys, ", ")
}

// piiPlacement lists where a request carries an SSN or a DOB that the
// spec does not allow there: any query parameter, any body but those of
// /v3/start and /v3/challenge (top level) and /v3/complete (individual).
func piiPlacement(req *http.Request, body []byte) []string {
	var out []string
	for k := range req.URL.Query() {
		if sensitive[strings.ToLower(k)] {
			out = append(out, "request query "+k)
		}
	}
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return out
	}
	allowed := map[string]string{"/v3/start": "", "/v3/challenge": "", "/v3/complete": "individual"}
	at, ok := allowed[req.URL.Path]
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				if sensitive[strings.ToLower(k)] && !(ok && path == at) {
					out = append(out, "request body "+p)
				}
				walk(c, p)
			}
		case []any:
			for i, c := range x {
				walk(c, fmt.Sprintf("%s.%d", path, i))
			}
		}
	}
	walk(doc, "")
	sort.Strings(out)
	return out
}

// isMobileUA tells a phone's or tablet's browser by its User-Agent.
func isMobileUA(ua string) bool {
	return strings.Contains(ua, "Mobile") || strings.Contains(ua, "Android") || strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad")
}

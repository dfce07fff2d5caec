package contracts

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/mockprove/mockprove/specs"
)

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	// Checker chooses the documents; default specs.ProveV3 and specs.Device.
	Checker CheckerOptions
	// Flows bounds the flow state and sets its clock.
	Flows FlowOptions
	// MaxBody is the largest body (request or response) buffered and
	// checked, in bytes (default 1 MiB). A larger body passes through
	// unchanged and unchecked.
	MaxBody int64
	// MaxViolations bounds the violations and warnings kept (default
	// 10000 each); beyond, they are only counted (Report.Dropped).
	MaxViolations int
	// NoFlowRules checks the documents only: no Flows, no Prove body
	// limit. For an API that is not Prove's, such as flowapp's.
	NoFlowRules bool
}

// Defaults of RecorderOptions.
const (
	DefaultMaxBody       = 1 << 20
	DefaultMaxViolations = 10000
	// ProveMaxBody is Prove's limit: requests must be "under 4 KB".
	ProveMaxBody = 4096
)

// Recorder is an http.RoundTripper that checks every exchange it carries
// (Checker: both sides against the specs; Flows: the flow rules) and
// records violations, warnings and coverage. Unlike SpecTransport it never
// fails a call: read Violations or Report at the end. The proxy is a
// Recorder behind a reverse proxy; both share this one implementation.
type Recorder struct {
	// Base carries the requests; default http.DefaultTransport.
	Base http.RoundTripper

	opts    RecorderOptions
	checker *Checker
	flows   *Flows
	cov     *coverage

	mu         sync.Mutex
	violations []Violation
	warnings   []Violation
	dropped    int
	exchanges  int
}

// NewRecorder returns a Recorder over base (nil: http.DefaultTransport).
func NewRecorder(base http.RoundTripper, opts ...RecorderOptions) (*Recorder, error) {
	var o RecorderOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxViolations <= 0 {
		o.MaxViolations = DefaultMaxViolations
	}
	if base == nil {
		base = http.DefaultTransport
	}
	c, err := NewChecker(o.Checker)
	if err != nil {
		return nil, err
	}
	return &Recorder{Base: base, opts: o, checker: c, flows: NewFlows(o.Flows), cov: newCoverage(c)}, nil
}

// Checker is the recorder's checker.
func (r *Recorder) Checker() *Checker { return r.checker }

// Flows is the recorder's flow tracker.
func (r *Recorder) Flows() *Flows { return r.flows }

// RoundTrip implements http.RoundTripper. The base transport gets a clone
// of req with the same body bytes; the caller gets the response with the
// same body bytes. Transport errors are returned as they are.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if isUpgrade(req) {
		// A WebSocket (the Instant Link status socket): passed through,
		// counted, not validated.
		resp, err := r.Base.RoundTrip(req)
		r.count(req, resp)
		return resp, err
	}
	reqBody, reqRest, reqWhole, err := readBounded(req.Body, r.opts.MaxBody)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		out.Body = req.Body
	case reqWhole:
		b := reqBody
		out.Body = io.NopCloser(bytes.NewReader(b))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	default:
		out.Body = reqRest
		out.GetBody = nil
	}
	resp, err := r.Base.RoundTrip(out)
	if err != nil {
		if reqWhole {
			r.Observe(Exchange{Request: req, RequestBody: reqBody})
		}
		return nil, err
	}
	respBody, respRest, respWhole, err := readBounded(resp.Body, r.opts.MaxBody)
	if err != nil {
		return nil, err
	}
	if respWhole {
		resp.Body = io.NopCloser(bytes.NewReader(respBody))
	} else {
		resp.Body = respRest
	}
	switch {
	case reqWhole && respWhole:
		r.Observe(Exchange{Request: req, RequestBody: reqBody, Response: resp, ResponseBody: respBody})
	case !reqWhole:
		r.tooLarge(req, "request")
		r.count(req, resp)
	default:
		r.tooLarge(req, "response")
		r.count(req, resp)
	}
	return resp, nil
}

// Observe checks one exchange and records what it found; it returns the
// violations of this exchange (warnings are only recorded). The proxy and
// RoundTrip call it; call it yourself with exchanges captured elsewhere.
func (r *Recorder) Observe(ex Exchange) []Violation {
	route := r.checker.Find(ex.Request)
	var vs []Violation
	if route != nil {
		vs = r.checker.checkExchange(route, ex)
		if !r.opts.NoFlowRules && route.Spec == specs.ProveV3 && len(ex.RequestBody) >= ProveMaxBody {
			vs = append(vs, Violation{Side: SideClient, Operation: route.Operation, Where: "request body", Rule: "limit.body-size",
				Expected: fmt.Sprintf("under %d bytes (Prove answers 8001)", ProveMaxBody), Got: fmt.Sprintf("%d bytes", len(ex.RequestBody))})
		}
	}
	var obs Observation
	if !r.opts.NoFlowRules {
		obs = r.flows.Observe(ex)
	}
	// A misplaced SSN or DOB is one violation (pii.placement), not also an
	// unknown field.
	pii := map[string]bool{}
	for _, v := range obs.Violations {
		if v.Rule == "pii.placement" {
			pii[v.Where] = true
		}
	}
	kept := vs[:0]
	for _, v := range vs {
		if v.Rule == "schema.unknown-field" && pii[v.Where] {
			continue
		}
		v.CorrelationID = obs.CorrelationID
		kept = append(kept, v)
	}
	vs = append(kept, obs.Violations...)
	op := ""
	if route != nil {
		op = route.Operation
	}
	r.cov.observe(op, ex, obs.Sends)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges++
	r.violations, r.dropped = appendBounded(r.violations, vs, r.opts.MaxViolations, r.dropped)
	r.warnings, r.dropped = appendBounded(r.warnings, obs.Warnings, r.opts.MaxViolations, r.dropped)
	return vs
}

func appendBounded(to, vs []Violation, max, dropped int) ([]Violation, int) {
	for _, v := range vs {
		if len(to) >= max {
			dropped++
			continue
		}
		to = append(to, v)
	}
	return to, dropped
}

// count records an exchange that was not checked (a WebSocket, a body too
// large to buffer).
func (r *Recorder) count(req *http.Request, resp *http.Response) {
	op := ""
	if route := r.checker.Find(req); route != nil {
		op = route.Operation
	}
	ex := Exchange{Request: req}
	if resp != nil {
		ex.Response = resp
	}
	r.cov.observe(op, ex, 0)
	r.mu.Lock()
	r.exchanges++
	r.mu.Unlock()
}

// tooLarge records a body over MaxBody: it passed unchecked.
func (r *Recorder) tooLarge(req *http.Request, part string) {
	route := r.checker.Find(req)
	if route == nil {
		return
	}
	side := SideClient
	if part == "response" {
		side = SidePlatform
	}
	v := Violation{Side: side, Operation: route.Operation, Where: part + " body", Rule: "limit.body-size",
		Expected: fmt.Sprintf("at most %d bytes (the kit's buffer; Prove's requests must be under %d)", r.opts.MaxBody, ProveMaxBody),
		Got:      "more, passed through unchecked"}
	r.mu.Lock()
	r.violations, r.dropped = appendBounded(r.violations, []Violation{v}, r.opts.MaxViolations, r.dropped)
	r.mu.Unlock()
}

// Violations are the violations recorded so far, oldest first.
func (r *Recorder) Violations() []Violation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Violation(nil), r.violations...)
}

// Warnings are the warnings recorded so far, oldest first.
func (r *Recorder) Warnings() []Violation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Violation(nil), r.warnings...)
}

// Coverage is what the exchanges so far exercised.
func (r *Recorder) Coverage() Coverage { return r.cov.snapshot() }

// Report is everything recorded so far.
func (r *Recorder) Report() Report {
	r.mu.Lock()
	rep := Report{
		Exchanges:  r.exchanges,
		Violations: append([]Violation{}, r.violations...),
		Warnings:   append([]Violation{}, r.warnings...),
		Dropped:    r.dropped,
	}
	r.mu.Unlock()
	rep.Coverage = r.cov.snapshot()
	return rep
}

// Reset forgets the violations, warnings and coverage (not the flows).
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.violations, r.warnings, r.dropped, r.exchanges = nil, nil, 0, 0
	r.mu.Unlock()
	r.cov.reset()
}

// readBounded reads up to max bytes of rc. When rc holds no more, whole
// is true, data is everything and rc is closed. Otherwise rest reads the
// whole stream (data, then what was left) and closes rc.
func readBounded(rc io.ReadCloser, max int64) (data []byte, rest io.ReadCloser, whole bool, err error) {
	if rc == nil || rc == http.NoBody {
		return nil, rc, true, nil
	}
	data, err = io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		_ = rc.Close()
		return nil, nil, false, err
	}
	if int64(len(data)) <= max {
		_ = rc.Close()
		return data, nil, true, nil
	}
	return data, struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), rc), rc}, false, nil
}

func isUpgrade(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket") ||
		strings.Contains(strings.ToLower(req.Header.Get("Connection")), "upgrade")
}

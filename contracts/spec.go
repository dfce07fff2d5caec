// Package contracts is mockprove's conformance kit: it checks an HTTP
// conversation with a Prove-like service (mockprove, flowapp, or Prove's
// real sandbox) against the OpenAPI documents in specs/.
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

// SpecTransport is an http.RoundTripper that validates every response (and,
// with CheckRequests, every request) against OpenAPI documents. A response
// that does not conform makes RoundTrip fail, so that any test using the
// client fails with the violations named, one line each. Requests to paths
// no document describes pass through unchecked. It checks schemas only (no
// flow rules, no Authorization header): Recorder checks everything and
// never fails a call.
type SpecTransport struct {
	Base          http.RoundTripper
	CheckRequests bool

	checker *Checker
	mu      sync.Mutex
	checked int
}

// NewSpecTransport validates against the named embedded documents
// (specs.ProveV3, specs.Device, ...); with no names, against specs.ProveV3.
func NewSpecTransport(base http.RoundTripper, names ...string) (*SpecTransport, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	if len(names) == 0 {
		names = []string{specs.ProveV3}
	}
	c, err := NewChecker(CheckerOptions{Specs: names, NoAuth: true})
	if err != nil {
		return nil, err
	}
	return &SpecTransport{Base: base, checker: c}, nil
}

// Checked is the number of responses validated so far.
func (t *SpecTransport) Checked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checked
}

// RoundTrip implements http.RoundTripper. It does not modify req: the base
// transport gets a clone carrying a copy of the body, and req.Body is read
// and closed (as a RoundTripper must, even on error).
func (t *SpecTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out, reqBody, err := cloneWithBody(req)
	if err != nil {
		return nil, err
	}
	route := t.checker.Find(req)
	if route != nil && t.CheckRequests {
		if vs := t.checker.checkRequest(route, req, reqBody); len(vs) > 0 {
			return nil, fmt.Errorf("request %s does not conform to the spec: %s", route.Operation, joinViolations(vs))
		}
	}
	resp, err := t.Base.RoundTrip(out)
	if resp != nil {
		resp.Request = req
	}
	if err != nil || route == nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if vs := t.checker.checkResponse(route, req, reqBody, resp, body); len(vs) > 0 {
		return nil, fmt.Errorf("response %d to %s does not conform to the spec: %s", resp.StatusCode, route.Operation, joinViolations(vs))
	}
	t.mu.Lock()
	t.checked++
	t.mu.Unlock()
	return resp, nil
}

// cloneWithBody reads and closes req.Body and returns a clone of req that
// carries a copy of it, and the bytes.
func cloneWithBody(req *http.Request) (*http.Request, []byte, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, nil, err
		}
		body = b
	}
	out := req.Clone(req.Context())
	switch {
	case req.Body == nil:
	case len(body) == 0:
		out.Body, out.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	default:
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return out, body, nil
}

// joinViolations is violations on one line, separated by "; ".
func joinViolations(vs []Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return strings.Join(parts, "; ")
}

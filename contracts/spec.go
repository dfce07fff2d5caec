// Package contracts is mockprove's conformance kit: it checks an HTTP
// conversation with a Prove-like service (mockprove, flowapp, or Prove's
// real sandbox) against the OpenAPI documents in specs/.
package contracts

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mockprove/mockprove/specs"
)

// SpecTransport is an http.RoundTripper that validates every response (and,
// with CheckRequests, every request) against OpenAPI documents. A response
// that does not conform makes RoundTrip fail, so that any test using the
// client fails with the violation named. Requests to paths no document
// describes pass through unchecked.
type SpecTransport struct {
	Base          http.RoundTripper
	CheckRequests bool

	routers []routers.Router
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
	t := &SpecTransport{Base: base}
	for _, n := range names {
		doc, err := specs.Load(n)
		if err != nil {
			return nil, err
		}
		cp := *doc
		cp.Servers = openapi3.Servers{{URL: "/"}}
		r, err := gorillamux.NewRouter(&cp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		t.routers = append(t.routers, r)
	}
	return t, nil
}

// Checked is the number of responses validated so far.
func (t *SpecTransport) Checked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checked
}

var checkOpts = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
	SkipSettingDefaults:   true,
}

// RoundTrip implements http.RoundTripper. It does not modify req: the base
// transport gets a clone carrying a copy of the body, and req.Body is read
// and closed (as a RoundTripper must, even on error).
func (t *SpecTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
	}
	out := req.Clone(req.Context())
	switch {
	case req.Body == nil:
	case len(reqBody) == 0:
		out.Body, out.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	default:
		out.Body = io.NopCloser(bytes.NewReader(reqBody))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	route, params := t.find(req)
	if route != nil && t.CheckRequests {
		check := req.Clone(context.Background())
		check.Body = io.NopCloser(bytes.NewReader(reqBody))
		in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: checkOpts}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return nil, fmt.Errorf("request %s %s does not conform to the spec: %w", req.Method, req.URL.Path, err)
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
	check := req.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: checkOpts},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                checkOpts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return nil, fmt.Errorf("response %d to %s %s does not conform to the spec: %w\nbody: %s", resp.StatusCode, req.Method, req.URL.Path, err, body)
	}
	t.mu.Lock()
	t.checked++
	t.mu.Unlock()
	return resp, nil
}

func (t *SpecTransport) find(req *http.Request) (*routers.Route, map[string]string) {
	for _, r := range t.routers {
		if route, params, err := r.FindRoute(req); err == nil {
			return route, params
		}
	}
	return nil, nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mockprove/mockprove/specs"
)

// Reference servers, run by this program in a child process
// (bench -serve bare|kin -addr host:port) so that they are measured exactly
// as mockprove is.
const (
	refBare = "bare" // net/http: decode the start body, encode a fixed answer
	refKin  = "kin"  // the same behind kin-openapi's router and request validation
)

// startAnswer is the reference servers' fixed /v3/start answer.
type startAnswer struct {
	AuthToken     string            `json:"authToken"`
	CorrelationID string            `json:"correlationId"`
	Next          map[string]string `json:"next"`
}

var fixedAnswer = startAnswer{
	AuthToken:     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl",
	CorrelationID: "713189b8-5555-4b08-83ba-75d08780aebd",
	Next:          map[string]string{"v3-validate": "/v3/validate"},
}

// startRequest is what the bare reference decodes.
type startRequest struct {
	FlowType       string `json:"flowType"`
	PhoneNumber    string `json:"phoneNumber"`
	FinalTargetURL string `json:"finalTargetUrl,omitempty"`
}

// bareHandler is the floor: what any Go JSON endpoint must do for /v3/start.
func bareHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/start", func(w http.ResponseWriter, r *http.Request) {
		var req startRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
			http.Error(w, `{"code":8001,"message":"malformed"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(fixedAnswer)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"bench","token_type":"Bearer","expires_in":3600}`))
	})
	return mux
}

// kinHandler is bareHandler behind kin-openapi's gorillamux router and
// openapi3filter.ValidateRequest on specs/prove-v3.yaml: the cost of request
// validation with a trivial handler.
func kinHandler() (http.Handler, error) {
	doc, err := specs.Load(specs.ProveV3)
	if err != nil {
		return nil, err
	}
	cp := *doc
	cp.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(&cp)
	if err != nil {
		return nil, err
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true}
	next := bareHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, err := router.FindRoute(r)
		if err != nil {
			http.Error(w, `{"code":8001,"message":"no route"}`, http.StatusNotFound)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			http.Error(w, `{"code":8001,"message":"invalid"}`, http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// serveRef runs a reference server until SIGTERM (the child process mode).
func serveRef(kind, addr string) error {
	var h http.Handler
	switch kind {
	case refBare:
		h = bareHandler()
	case refKin:
		var err error
		if h, err = kinHandler(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-serve: %q is not %q or %q", kind, refBare, refKin)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return http.Serve(l, h)
}

// proc is a server running in a child process.
type proc struct {
	name    string
	cmd     *exec.Cmd
	addr    string
	ready   time.Duration // from exec to the first successful answer
	done    chan error
	exited  error
	stopped bool
}

// Pid is the child's process id.
func (p *proc) Pid() int { return p.cmd.Process.Pid }

// probe is the request that proves a server is ready: it must answer 200.
type probe struct{ method, path, contentType, body string }

var (
	mockproveProbe = probe{"POST", pathToken, "application/x-www-form-urlencoded",
		"grant_type=client_credentials&client_id=" + clientID + "&client_secret=" + clientSecret}
	refProbe = probe{"POST", pathStart, "application/json", string(startBody)}
)

// launch starts argv with addr appended as the last argument's value, and
// waits until pr answers 200 (at most 20 s).
func launch(name string, argv []string, addr string, pr probe) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = nil, nil // /dev/null: request logs are not measured
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, addr: addr, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	c := newConn(addr, time.Second)
	defer c.close()
	for {
		st, _, err := c.do(pr.method, pr.path, []header{{"Content-Type", pr.contentType}}, []byte(pr.body))
		if err == nil && st == 200 {
			p.ready = time.Since(t0)
			return p, nil
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("%s exited before answering: %v", name, err)
		default:
		}
		if time.Since(t0) > 20*time.Second {
			p.stop()
			return nil, fmt.Errorf("%s did not answer %s %s within 20s (last: %d %v)", name, pr.method, pr.path, st, err)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// stop sends SIGTERM and waits (SIGKILL after 5 s).
func (p *proc) stop() {
	if p.stopped {
		return
	}
	p.stopped = true
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case p.exited = <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		p.exited = <-p.done
	}
}

// ports hands out listen addresses: a free port from the kernel, or the
// next free one of a range.
type ports struct {
	lo, hi, next int
}

// addr returns a loopback address with a port that was free a moment ago.
func (ps *ports) addr() (string, error) {
	if ps.lo == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer l.Close()
		return l.Addr().String(), nil
	}
	for range ps.hi - ps.lo + 1 {
		p := ps.lo + ps.next%(ps.hi-ps.lo+1)
		ps.next++
		a := fmt.Sprintf("127.0.0.1:%d", p)
		if l, err := net.Listen("tcp", a); err == nil {
			l.Close()
			return a, nil
		}
	}
	return "", fmt.Errorf("no free port in %d-%d", ps.lo, ps.hi)
}

// buildMockprove builds ./mockprove/cmd/mockprove into dir.
func buildMockprove(ctx context.Context, dir string) (string, error) {
	out := dir + "/mockprove"
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./mockprove/cmd/mockprove")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./mockprove/cmd/mockprove (run from the repository root): %w", err)
	}
	return out, nil
}

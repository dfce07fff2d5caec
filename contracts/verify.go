package contracts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// Targets of verify, besides a URL.
const (
	TargetInProcess = "inprocess"
	TargetSandbox   = "sandbox"
)

// Credentials are an OAuth client's.
type Credentials struct {
	ID, Secret string
}

// VerifyOptions configure a verify run. The zero value verifies a fresh
// in-process mockprove with its built-in clients.
type VerifyOptions struct {
	// Target is "inprocess" (default), "sandbox" or the base URL of a
	// running mockprove.
	Target string
	// ControlToken is sent on /_mock/ calls (a mockprove with -control-token).
	ControlToken string
	// Identity and Prefill are the clients of each product, Unify the
	// client of Prove's current suite (Unify, Verify, Identity Manager,
	// ProveX); default the built-in ones of mockprove. The sandbox target
	// reads its one client from the environment instead.
	Identity, Prefill, Unify Credentials
	// Run selects scenarios by "area/name"; nil runs all.
	Run *regexp.Regexp
	// Getenv reads PROVE_BASE_URL, PROVE_CLIENT_ID, PROVE_CLIENT_SECRET and
	// PROVE_PRODUCT (identity, prefill or unify) for the sandbox target;
	// default none set.
	Getenv func(string) string
	// Wrap, for the in-process target, wraps mockprove's handler: the way
	// tests put a deliberately broken platform in front of verify.
	Wrap func(http.Handler) http.Handler
	// Timeout bounds each request (default 10s).
	Timeout time.Duration
	// Rate caps the requests per second (0: no cap; the sandbox target
	// defaults to 20, under Prove's 25 per second).
	Rate int
	// Progress, when set, gets each result as soon as it is known.
	Progress func(Result)
}

// ErrNoSandboxCredentials is what Verify returns for the sandbox target
// when the environment does not name one.
var ErrNoSandboxCredentials = errors.New("contracts verify: -target sandbox needs PROVE_BASE_URL, PROVE_CLIENT_ID and PROVE_CLIENT_SECRET; nothing was run")

// target is a platform under test and what it offers.
type target struct {
	name         string
	base         string
	controlToken string
	clients      map[string]Credentials // product -> client
	has          map[Need]bool
	client       *http.Client
	checker      *Checker
	close        func()

	gap  time.Duration // at least this between two requests (Rate)
	last time.Time
}

// pace waits, when a rate is set, until the next request may go.
func (t *target) pace(ctx context.Context) {
	if t.gap <= 0 {
		return
	}
	if wait := time.Until(t.last.Add(t.gap)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	t.last = time.Now()
}

// Verify runs the scenarios against the target and reports.
func Verify(ctx context.Context, opts VerifyOptions) (*VerifyReport, error) {
	t, err := openTarget(opts)
	if err != nil {
		return nil, err
	}
	defer t.close()
	rep := &VerifyReport{Target: t.name, StartedAt: time.Now().UTC(), Results: []Result{}, Violations: []Violation{}}
	for _, sc := range Select(Scenarios(), opts.Run) {
		if ctx.Err() != nil { // interrupted: report what ran
			break
		}
		res := t.run(ctx, sc)
		rep.add(res)
		if opts.Progress != nil {
			opts.Progress(res)
		}
	}
	rep.DurationMs = ms(time.Since(rep.StartedAt))
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (t *target) run(ctx context.Context, sc Scenario) (res Result) {
	res = Result{Name: sc.Name, Area: sc.Area, Violations: []Violation{}, Shapes: map[string]map[string]string{}}
	if miss := missing(sc.Needs, t.has); len(miss) > 0 {
		res.Verdict, res.Skipped = VerdictSkip, skipReason(miss)
		return res
	}
	start := time.Now()
	x := &X{ctx: ctx, t: t, tokens: map[string]string{}, shapes: res.Shapes}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(stop); !ok {
					x.violations = append(x.violations, Violation{Side: SidePlatform, Operation: "scenario", Where: sc.ID(),
						Rule: "scenario.panic", Expected: "no panic", Got: fmt.Sprint(p), CorrelationID: x.cid})
				}
			}
		}()
		sc.Body(x)
	}()
	for i := len(x.cleanups) - 1; i >= 0; i-- {
		func() {
			defer func() { _ = recover() }() // a cleanup that breaks a rule is already recorded
			x.cleanups[i]()
		}()
	}
	res.DurationMs = ms(time.Since(start))
	res.Violations = append(res.Violations, x.violations...)
	res.Verdict = VerdictPass
	if len(res.Violations) > 0 {
		res.Verdict = VerdictFail
	}
	return res
}

func openTarget(opts VerifyOptions) (*target, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	checker, err := NewChecker(CheckerOptions{Specs: []string{specs.ProveV3, specs.Device, specs.Control}, NoAuth: true})
	if err != nil {
		return nil, err
	}
	t := &target{
		controlToken: opts.ControlToken,
		checker:      checker,
		client: &http.Client{Timeout: timeout,
			// An Instant Link answers 302 to the customer's page: verify looks
			// at the redirect, it does not follow it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		close: func() {},
		clients: map[string]Credentials{
			mockprove.ProductIdentity: orDefault(opts.Identity, Credentials{"identity-client", "identity-secret"}),
			mockprove.ProductPrefill:  orDefault(opts.Prefill, Credentials{"prefill-client", "prefill-secret"}),
			mockprove.ProductUnify:    orDefault(opts.Unify, Credentials{"unify-client", "unify-secret"}),
		},
		has: map[Need]bool{NeedPhone: true, NeedClock: true, NeedFaults: true, NeedControl: true, NeedPersonas: true,
			NeedIdentity: true, NeedPrefill: true, NeedUnify: true, NeedWebhooks: true, NeedPossessionEra: true},
	}
	if opts.Rate > 0 {
		t.gap = time.Second / time.Duration(opts.Rate)
	}
	switch target := opts.Target; {
	case target == "" || target == TargetInProcess:
		return t, t.startInProcess(opts.Wrap)
	case target == TargetSandbox:
		getenv := opts.Getenv
		if getenv == nil {
			getenv = func(string) string { return "" }
		}
		base, id, secret := getenv("PROVE_BASE_URL"), getenv("PROVE_CLIENT_ID"), getenv("PROVE_CLIENT_SECRET")
		if base == "" || id == "" || secret == "" {
			return nil, ErrNoSandboxCredentials
		}
		product := getenv("PROVE_PRODUCT")
		if product == "" {
			product = mockprove.ProductIdentity
		}
		if product != mockprove.ProductIdentity && product != mockprove.ProductPrefill && product != mockprove.ProductUnify {
			return nil, fmt.Errorf("contracts verify: PROVE_PRODUCT must be %s, %s or %s, not %q",
				mockprove.ProductIdentity, mockprove.ProductPrefill, mockprove.ProductUnify, product)
		}
		t.name, t.base = "sandbox "+base, strings.TrimSuffix(base, "/")
		t.clients = map[string]Credentials{product: {id, secret}}
		t.has = map[Need]bool{Need(product + "-client"): true}
		if opts.Rate == 0 {
			t.gap = time.Second / sandboxRate
		}
		return t, nil
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		t.name, t.base = target, strings.TrimSuffix(target, "/")
		t.probeControl()
		t.has[NeedWebhooks] = t.has[NeedControl] && onLoopback(t.base)
		return t, nil
	default:
		return nil, fmt.Errorf("contracts verify: -target must be inprocess, sandbox or an http(s) URL, not %q", target)
	}
}

func orDefault(c, def Credentials) Credentials {
	if c.ID == "" {
		return def
	}
	return c
}

// probeControl asks a URL target whether its control API answers; without
// it, the scenarios that need the phone, clock, faults or control skip.
func (t *target) probeControl() {
	req, err := http.NewRequest(http.MethodGet, t.base+"/_mock/health", nil)
	if err != nil {
		return
	}
	if t.controlToken != "" {
		req.Header.Set("Authorization", "Bearer "+t.controlToken)
	}
	resp, err := (&http.Client{Timeout: t.client.Timeout}).Do(req)
	ok := err == nil && resp.StatusCode == http.StatusOK
	if resp != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	if !ok {
		for _, n := range []Need{NeedPhone, NeedClock, NeedFaults, NeedControl} {
			t.has[n] = false
		}
	}
}

// onLoopback reports whether a base URL names this machine, so that the
// platform there can reach a webhook receiver the kit listens with on
// 127.0.0.1.
func onLoopback(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// sandboxRate is the default cap of requests per second on Prove's sandbox.
const sandboxRate = 20

// inProcessStart is the frozen time an in-process mockprove starts at.
var inProcessStart = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// startInProcess runs a fresh mockprove on a loopback port, on a frozen
// clock, through wrap when given.
func (t *target) startInProcess(wrap func(http.Handler) http.Handler) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("contracts verify: %w", err)
	}
	base := "http://" + l.Addr().String()
	s, err := mockprove.New(mockprove.Options{PublicURL: base, Clock: mockprove.NewFrozenClock(inProcessStart), Seed: 1,
		WebhookRetryDelay: 10 * time.Millisecond})
	if err != nil {
		_ = l.Close()
		return err
	}
	h := s.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.name, t.base = TargetInProcess, base
	t.close = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = s.Close()
	}
	return nil
}

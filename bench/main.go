// Command bench measures a running mockprove against reference servers, and
// soaks it.
//
//	go run ./bench                     # the benchmark (make bench): BENCHMARKS.md and a bench: line
//	go run ./bench -soak -duration 30s # steady real-time load; fails if RSS grows past its bound
//
// mockprove runs as a separate process (built from ./mockprove/cmd/mockprove
// unless -bin is given), and so do the reference servers (this program
// started again with -serve). One built-in load generator, on the same
// machine, drives them all alternately with the same concurrency. Server CPU
// comes from /proc/PID/stat, memory from /proc/PID/status (Linux only).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config holds the flags.
type config struct {
	bin         string
	duration    time.Duration
	oneConn     time.Duration
	flowDur     time.Duration
	conns       int
	flowWorkers int
	rounds      int
	held        int
	readyRuns   int
	kin         bool
	pin         bool
	out         string
	label       string
	note        string
	ports       ports
	soak        soakConfig
	soakMode    bool
	serve       string
	serveAddr   string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.bin, "bin", "", "mockprove binary to measure (default: build ./mockprove/cmd/mockprove into a temporary folder)")
	fs.DurationVar(&c.duration, "duration", 4*time.Second, "load per server and round in the /v3/start scenario; with -soak: the soak's length (default 10m)")
	fs.DurationVar(&c.oneConn, "one-conn-duration", time.Second, "load at one connection (p50) per server and round")
	fs.DurationVar(&c.flowDur, "flow-duration", 5*time.Second, "load of each flow scenario")
	fs.IntVar(&c.conns, "conns", 64, "connections in the /v3/start scenario")
	fs.IntVar(&c.flowWorkers, "flow-workers", 32, "parallel workers (connections) in the flow scenarios and the soak")
	fs.IntVar(&c.rounds, "rounds", 2, "rounds of the /v3/start scenario (each server started fresh each round)")
	fs.IntVar(&c.held, "held", 100000, "flows started and never finished for bytes per held flow (1000000 for the issue's target)")
	fs.IntVar(&c.readyRuns, "ready-runs", 3, "extra starts of mockprove for the ready time (each scenario's start counts too)")
	fs.BoolVar(&c.pin, "pin", true, "also measure the p50 at one connection with the server and the load generator pinned to the same CPU and to two different CPUs (Linux)")
	fs.BoolVar(&c.kin, "kin", true, "measure the kin-openapi trivial-handler reference too")
	fs.StringVar(&c.out, "out", "BENCHMARKS.md", "Markdown file the run is added to (\"\" for none)")
	fs.StringVar(&c.label, "label", "run", "label of the run in BENCHMARKS.md (e.g. before, after store)")
	fs.StringVar(&c.note, "note", "", "a sentence about the conditions, written with the run")
	portRange := fs.String("ports", "", "listen ports to use, as LO-HI (default: free ports from the kernel)")
	fs.BoolVar(&c.soakMode, "soak", false, "soak mode: steady real-time load, RSS checked against a bound")
	fs.IntVar(&c.soak.rate, "soak-rate", 500, "soak: flows started per second")
	fs.IntVar(&c.soak.unfinishedEvery, "soak-unfinished-every", 10, "soak: one flow in N is started and never finished")
	fs.Float64Var(&c.soak.slackMB, "soak-slack-mb", 32, "soak: RSS growth allowed whatever the flows (heap headroom, buffers)")
	fs.IntVar(&c.soak.heldBytes, "soak-held-bytes", 2048, "soak: RSS allowed per unfinished flow (the issue's target per held flow)")
	fs.IntVar(&c.soak.finishedBytes, "soak-finished-bytes", 512, "soak: RSS allowed per finished flow still inside its 15 minutes (a small tombstone)")
	fs.DurationVar(&c.soak.sample, "soak-sample", 5*time.Second, "soak: RSS sampling interval")
	fs.StringVar(&c.serve, "serve", "", "internal: run a reference server (bare or kin) on -serve-addr")
	fs.StringVar(&c.serveAddr, "serve-addr", "", "internal: the reference server's address")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	c.soak.duration = c.duration
	if c.soakMode && !durationSet {
		c.soak.duration = 10 * time.Minute
	}
	if *portRange != "" {
		lo, hi, ok := strings.Cut(*portRange, "-")
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || l <= 0 || h < l || h > 65535 {
			return nil, fmt.Errorf("-ports %q: want LO-HI, e.g. 18500-18599", *portRange)
		}
		c.ports = ports{lo: l, hi: h}
	}
	for name, v := range map[string]int{"conns": c.conns, "flow-workers": c.flowWorkers, "rounds": c.rounds, "held": c.held, "soak-rate": c.soak.rate} {
		if v <= 0 {
			return nil, fmt.Errorf("-%s must be positive, not %d", name, v)
		}
	}
	if c.duration <= 0 || c.oneConn <= 0 || c.flowDur <= 0 {
		return nil, fmt.Errorf("durations must be positive")
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.serve != "" {
		return serveRef(c.serve, c.serveAddr)
	}
	if c.bin == "" {
		dir, err := os.MkdirTemp("", "bench-mockprove-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if c.bin, err = buildMockprove(ctx, dir); err != nil {
			return err
		}
	}
	if c.soakMode {
		return runSoak(ctx, c, stdout)
	}
	r, err := runBench(ctx, c, stdout)
	if err != nil {
		return err
	}
	if c.out != "" {
		if err := r.writeRecord(c.out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added to %s\n", c.out)
	}
	fmt.Fprintln(stdout, r.benchLine())
	return nil
}

// runner starts servers for the scenarios.
type runner struct {
	c     *config
	self  string
	ready map[string][]time.Duration
}

// launch starts a server: "mockprove" or a reference.
func (rn *runner) launch(name string) (*proc, error) {
	addr, err := rn.c.ports.addr()
	if err != nil {
		return nil, err
	}
	var p *proc
	if name == "mockprove" {
		p, err = launch(name, []string{rn.c.bin, "-addr", addr}, addr, mockproveProbe)
	} else {
		p, err = launch(name, []string{rn.self, "-serve", name, "-serve-addr", addr}, addr, refProbe)
	}
	if err != nil {
		return nil, err
	}
	rn.ready[name] = append(rn.ready[name], p.ready)
	return p, nil
}

// token is an access token of the server (the references accept anything).
func (rn *runner) token(p *proc) (string, error) {
	if p.name != "mockprove" {
		return "bench", nil
	}
	c := newConn(p.addr, 10*time.Second)
	defer c.close()
	return fetchToken(c)
}

// settle lets a fresh server finish starting up before it is measured.
func settle(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(300 * time.Millisecond):
		return nil
	}
}

func runBench(ctx context.Context, c *config, stdout io.Writer) (*results, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	r := &results{Date: t0, Label: c.label, Note: c.note, Conns: c.conns, Duration: c.duration, HeldN: c.held,
		Ready: map[string]time.Duration{}, Machine: machineInfo()}
	rn := &runner{c: c, self: self, ready: map[string][]time.Duration{}}
	var idle []uint64

	servers := []string{refBare}
	if c.kin {
		servers = append(servers, refKin)
	}
	servers = append(servers, "mockprove")
	for round := 1; round <= c.rounds; round++ {
		order := servers
		if round%2 == 0 { // alternate the order between rounds
			order = make([]string, len(servers))
			for i, s := range servers {
				order[len(servers)-1-i] = s
			}
		}
		for _, name := range order {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			sr, err := rn.startScenario(ctx, name, round)
			if err != nil {
				return nil, err
			}
			if name == "mockprove" {
				idle = append(idle, sr.RSSIdle)
			}
			r.Start = append(r.Start, sr)
			fmt.Fprintf(stdout, "start  %-9s round %d: %7.0f req/s  p50 %6.2f ms  p99 %6.2f ms  p99.9 %6.2f ms  p50@1 %.3f ms (same CPU %.3f, other CPU %.3f)  cpu %4.0f µs/req  rss %5.1f→%5.1f MB  errors %d\n",
				name, round, sr.RPS, ms(sr.P50), ms(sr.P99), ms(sr.P999), ms(sr.P50One), ms(sr.P50Same), ms(sr.P50Other), sr.CPUus, mb(sr.RSSIdle), mb(sr.RSSAfter), sr.Errors)
		}
	}

	for i, name := range []string{"desktop Identity flow", "mobile OTP flow"} {
		fr, err := rn.flowScenario(ctx, name, i == 1)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			r.Desktop = fr
		} else {
			r.OTP = fr
		}
		fmt.Fprintf(stdout, "flow   %-22s %6.0f flows/s  p50 %6.2f ms  p99 %6.2f ms  cpu %5.0f µs/flow  errors %d\n",
			name, fr.PerSec, ms(fr.P50), ms(fr.P99), fr.CPUus, fr.Errors)
	}

	held, heldRPS, rssIdle, err := rn.heldScenario(ctx)
	if err != nil {
		return nil, err
	}
	r.HeldBytes, r.HeldRPS = held, heldRPS
	idle = append(idle, rssIdle)
	fmt.Fprintf(stdout, "held   %d flows: %.0f bytes RSS each\n", c.held, held)

	for range c.readyRuns {
		p, err := rn.launch("mockprove")
		if err != nil {
			return nil, err
		}
		if err := settle(ctx); err == nil {
			if v, err := rss(p.Pid()); err == nil {
				idle = append(idle, v)
			}
		}
		p.stop()
	}
	for name, ds := range rn.ready {
		r.Ready[name] = median(ds)
	}
	ds := make([]time.Duration, len(idle))
	for i, v := range idle {
		ds[i] = time.Duration(v)
	}
	r.RSSIdle = uint64(median(ds))
	r.Wall = time.Since(t0)
	fmt.Fprintf(stdout, "ready  mockprove %.1f ms, bare %.1f ms (median of %d and %d starts); RSS idle %.1f MB; wall %s\n",
		ms(r.Ready["mockprove"]), ms(r.Ready[refBare]), len(rn.ready["mockprove"]), len(rn.ready[refBare]), mb(r.RSSIdle), r.Wall.Round(time.Second))
	for _, e := range r.errors() {
		fmt.Fprintln(stdout, "ERROR", e)
	}
	return r, nil
}

// startScenario measures POST /v3/start on a fresh server.
func (rn *runner) startScenario(ctx context.Context, name string, round int) (serverRun, error) {
	sr := serverRun{Server: name, Round: round}
	p, err := rn.launch(name)
	if err != nil {
		return sr, err
	}
	defer p.stop()
	sr.Ready = p.ready
	tok, err := rn.token(p)
	if err != nil {
		return sr, err
	}
	if err := settle(ctx); err != nil {
		return sr, err
	}
	if sr.RSSIdle, err = rss(p.Pid()); err != nil {
		return sr, err
	}
	one := runLoad(loadSpec{Addr: p.addr, Conns: 1, Duration: rn.c.oneConn, Op: startOp(tok)})
	sr.P50One = one.Quantile(0.5)
	if rn.c.pin {
		var errs int
		sr.P50Same, sr.P50Other, errs = rn.pinnedOneConn(p, tok)
		sr.Errors += errs
	}
	cpu0, err := cpuTicks(p.Pid())
	if err != nil {
		return sr, err
	}
	res := runLoad(loadSpec{Addr: p.addr, Conns: rn.c.conns, Duration: rn.c.duration, Op: startOp(tok)})
	cpu1, err := cpuTicks(p.Pid())
	if err != nil {
		return sr, err
	}
	if sr.RSSAfter, err = rss(p.Pid()); err != nil {
		return sr, err
	}
	sr.RPS, sr.Requests, sr.Errors = res.PerSecond(), res.Ops, res.Errors+one.Errors
	sr.P50, sr.P99, sr.P999 = res.Quantile(0.5), res.Quantile(0.99), res.Quantile(0.999)
	sr.CPUus = cpuMicrosPerOp(cpu0, cpu1, res.Ops+res.Errors)
	if e := firstErr(res, one); e != nil {
		sr.FirstErr = e.Error()
	}
	return sr, nil
}

// pinnedOneConn measures the p50 at one connection again with the server
// and this program pinned to the same CPU, then to two different CPUs, for
// half of -one-conn-duration each (0 when the CPUs cannot be pinned). On a
// virtual machine a wake-up across CPUs costs tens of microseconds each
// way, so where the kernel happens to put the two processes decides the
// unpinned figure (see BENCHMARKS.md); the pinned ones compare across runs.
func (rn *runner) pinnedOneConn(p *proc, tok string) (same, other time.Duration, errs int) {
	self, err := affinity(0)
	cpus := self.cpus()
	if err != nil || len(cpus) < 2 {
		return 0, 0, 0
	}
	defer func() {
		_ = setProcessAffinity(p.Pid(), self)
		_ = setProcessAffinity(os.Getpid(), self)
	}()
	measure := func(serverCPU, clientCPU int) time.Duration {
		if setProcessAffinity(p.Pid(), only(serverCPU)) != nil || setProcessAffinity(os.Getpid(), only(clientCPU)) != nil {
			return 0
		}
		res := runLoad(loadSpec{Addr: p.addr, Conns: 1, Duration: rn.c.oneConn / 2, Op: startOp(tok)})
		errs += res.Errors
		return res.Quantile(0.5)
	}
	return measure(cpus[0], cpus[0]), measure(cpus[0], cpus[1]), errs
}

func firstErr(rs ...loadResult) error {
	for _, r := range rs {
		if r.FirstErr != nil {
			return r.FirstErr
		}
	}
	return nil
}

// flowScenario runs whole flows against a fresh mockprove.
func (rn *runner) flowScenario(ctx context.Context, name string, otp bool) (flowRun, error) {
	fr := flowRun{Name: name, Workers: rn.c.flowWorkers}
	p, err := rn.launch("mockprove")
	if err != nil {
		return fr, err
	}
	defer p.stop()
	tok, err := rn.token(p)
	if err != nil {
		return fr, err
	}
	d, err := newFlowDriver(tok)
	if err != nil {
		return fr, err
	}
	if err := settle(ctx); err != nil {
		return fr, err
	}
	o := d.desktop
	if otp {
		o = d.mobileOTP
	}
	cpu0, err := cpuTicks(p.Pid())
	if err != nil {
		return fr, err
	}
	res := runLoad(loadSpec{Addr: p.addr, Conns: rn.c.flowWorkers, Duration: rn.c.flowDur, Op: o})
	cpu1, err := cpuTicks(p.Pid())
	if err != nil {
		return fr, err
	}
	fr.PerSec, fr.Flows, fr.Errors = res.PerSecond(), res.Ops, res.Errors
	fr.P50, fr.P99 = res.Quantile(0.5), res.Quantile(0.99)
	fr.CPUus = cpuMicrosPerOp(cpu0, cpu1, res.Ops+res.Errors)
	if res.FirstErr != nil {
		fr.FirstErr = res.FirstErr.Error()
	}
	return fr, nil
}

// heldScenario starts -held flows that are never finished and returns the
// RSS they added per flow, the rate they were started at and the idle RSS.
func (rn *runner) heldScenario(ctx context.Context) (perFlow, rate float64, idle uint64, err error) {
	p, err := rn.launch("mockprove")
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.stop()
	tok, err := rn.token(p)
	if err != nil {
		return 0, 0, 0, err
	}
	if err := settle(ctx); err != nil {
		return 0, 0, 0, err
	}
	before, err := rss(p.Pid())
	if err != nil {
		return 0, 0, 0, err
	}
	res := runLoad(loadSpec{Addr: p.addr, Conns: rn.c.conns, Total: rn.c.held, Op: startOp(tok)})
	if res.Errors > 0 {
		return 0, 0, 0, fmt.Errorf("held flows: %d of %d starts failed, first: %v", res.Errors, rn.c.held, res.FirstErr)
	}
	if err := settle(ctx); err != nil {
		return 0, 0, 0, err
	}
	after, err := rss(p.Pid())
	if err != nil {
		return 0, 0, 0, err
	}
	return (float64(after) - float64(before)) / float64(res.Ops), res.PerSecond(), before, nil
}

// machineInfo describes this machine and the code measured.
func machineInfo() machine {
	m := machine{NProc: runtime.NumCPU(), CPU: cpuModel(), Go: runtime.Version(), Commit: "unknown", LoadAvg: "unknown"}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
			m.Commit += "+changes"
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

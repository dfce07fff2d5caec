package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// serverRun is one server measured in the /v3/start scenario.
type serverRun struct {
	Server   string
	Round    int
	RPS      float64
	P50      time.Duration // at Conns connections
	P99      time.Duration
	P999     time.Duration
	P50One   time.Duration // at one connection
	P50Same  time.Duration // at one connection, server and load generator on one CPU (0: not measured)
	P50Other time.Duration // at one connection, on two different CPUs (0: not measured)
	CPUus    float64       // server CPU per request
	RSSIdle  uint64
	RSSAfter uint64
	Ready    time.Duration
	Requests int
	Errors   int
	FirstErr string
}

// flowRun is one flow scenario.
type flowRun struct {
	Name     string
	Workers  int
	PerSec   float64
	P50, P99 time.Duration
	CPUus    float64 // server CPU per flow
	Flows    int
	Errors   int
	FirstErr string
}

// machine describes where the run happened.
type machine struct {
	NProc   int
	CPU     string
	Go      string
	Commit  string
	LoadAvg string
}

// results is a whole bench run.
type results struct {
	Date      time.Time
	Label     string
	Note      string
	Machine   machine
	Conns     int
	Duration  time.Duration
	Start     []serverRun
	Desktop   flowRun
	OTP       flowRun
	HeldN     int
	HeldBytes float64
	HeldRPS   float64
	Ready     map[string]time.Duration // median per server
	RSSIdle   uint64                   // mockprove, median
	Wall      time.Duration
}

// mean of f over the runs of server.
func (r *results) mean(server string, f func(serverRun) float64) float64 {
	var sum float64
	n := 0
	for _, s := range r.Start {
		if s.Server == server {
			sum += f(s)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(b uint64) float64        { return float64(b) / (1 << 20) }

// median of durations (0 for none).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchLine is the summary line that ends every run, in the format.
func (r *results) benchLine() string {
	start := r.mean("mockprove", func(s serverRun) float64 { return s.RPS })
	base := r.mean(refBare, func(s serverRun) float64 { return s.RPS })
	ratio := 0.0
	if base > 0 {
		ratio = start / base
	}
	return fmt.Sprintf("bench: start_rps=%.0f baseline_rps=%.0f ratio=%.2f flow_per_s=%.0f otp_flow_per_s=%.0f "+
		"cpu_us_per_req=%.0f p99_ms=%.2f baseline_p99_ms=%.2f ready_ms=%.1f rss_mb=%.1f held_flow_bytes=%.0f",
		start, base, ratio, r.Desktop.PerSec, r.OTP.PerSec,
		r.mean("mockprove", func(s serverRun) float64 { return s.CPUus }),
		r.mean("mockprove", func(s serverRun) float64 { return ms(s.P99) }),
		r.mean(refBare, func(s serverRun) float64 { return ms(s.P99) }),
		ms(r.Ready["mockprove"]), mb(r.RSSIdle), r.HeldBytes)
}

// summaryMarker ends the before/after table of BENCHMARKS.md: each run adds
// its row just above it.
const summaryMarker = "<!-- bench:summary -->"

// summaryHeader starts a new BENCHMARKS.md.
const summaryHeader = `# Benchmarks

Written by ` + "`make bench`" + ` (` + "`go run ./bench`" + `): each run adds a row to the table below and a
section at the end of this file. See the bottom of the file for the runs in detail.

## Summary: before and after

| date (UTC) | label | commit | start req/s | × bare | CPU µs/req | p99 ms (bare) | p50 1 conn ms | desktop flows/s | OTP flows/s | ready ms | RSS idle MB | bytes/held flow |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
` + summaryMarker + `

## Runs
`

// summaryRow is this run's row of the before/after table.
func (r *results) summaryRow() string {
	start := r.mean("mockprove", func(s serverRun) float64 { return s.RPS })
	base := r.mean(refBare, func(s serverRun) float64 { return s.RPS })
	ratio := 0.0
	if base > 0 {
		ratio = start / base
	}
	p50 := fmt.Sprintf("%.3f", r.mean("mockprove", func(s serverRun) float64 { return ms(s.P50One) }))
	if same := r.mean("mockprove", func(s serverRun) float64 { return ms(s.P50Same) }); same > 0 {
		p50 += fmt.Sprintf(" (one CPU %.3f, bare %.3f)", same, r.mean(refBare, func(s serverRun) float64 { return ms(s.P50Same) }))
	}
	return fmt.Sprintf("| %s | %s | %s | %.0f | %.2f | %.0f | %.1f (%.1f) | %s | %.0f | %.0f | %.1f | %.1f | %.0f |",
		r.Date.UTC().Format("2006-01-02 15:04"), r.Label, r.Machine.Commit, start, ratio,
		r.mean("mockprove", func(s serverRun) float64 { return s.CPUus }),
		r.mean("mockprove", func(s serverRun) float64 { return ms(s.P99) }),
		r.mean(refBare, func(s serverRun) float64 { return ms(s.P99) }),
		p50, r.Desktop.PerSec, r.OTP.PerSec, ms(r.Ready["mockprove"]), mb(r.RSSIdle), r.HeldBytes)
}

// section is this run in detail, in Markdown.
func (r *results) section() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### %s UTC · %s\n\n", r.Date.UTC().Format("2006-01-02 15:04"), r.Label)
	fmt.Fprintf(&b, "Machine: %d cores (`nproc`), %s, %s; mockprove at %s; load average at start %s. "+
		"Load generator: this program, keep-alive HTTP/1.1, on the same cores; %d connections, %s per server and round; wall time %s.\n",
		r.Machine.NProc, r.Machine.CPU, r.Machine.Go, r.Machine.Commit, r.Machine.LoadAvg, r.Conns, r.Duration, r.Wall.Round(time.Second))
	if r.Note != "" {
		fmt.Fprintf(&b, "\n%s\n", r.Note)
	}
	b.WriteString("\n`POST /v3/start` with a valid token, each server started fresh for each round " +
		"(p50 at one connection: unpinned, then with the server and the load generator pinned to the same CPU and to different CPUs):\n\n")
	b.WriteString("| server | round | req/s | × bare | CPU µs/req | p50 ms | p99 ms | p99.9 ms | p50 1 conn ms | same CPU | other CPUs | ready ms | RSS idle MB | RSS after MB | errors |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	base := map[int]float64{}
	for _, s := range r.Start {
		if s.Server == refBare {
			base[s.Round] = s.RPS
		}
	}
	for _, s := range r.Start {
		ratio := 0.0
		if base[s.Round] > 0 {
			ratio = s.RPS / base[s.Round]
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.2f | %.0f | %.2f | %.2f | %.2f | %.3f | %.3f | %.3f | %.1f | %.1f | %.1f | %d |\n",
			s.Server, s.Round, s.RPS, ratio, s.CPUus, ms(s.P50), ms(s.P99), ms(s.P999), ms(s.P50One), ms(s.P50Same), ms(s.P50Other),
			ms(s.Ready), mb(s.RSSIdle), mb(s.RSSAfter), s.Errors)
	}
	b.WriteString("\nFlows and memory (mockprove, started fresh for each):\n\n")
	b.WriteString("| scenario | result |\n|---|---|\n")
	for _, f := range []flowRun{r.Desktop, r.OTP} {
		fmt.Fprintf(&b, "| %s, %d workers | %.0f flows/s, p50 %.2f ms, p99 %.2f ms, %.0f µs server CPU per flow, %d flows, %d errors |\n",
			f.Name, f.Workers, f.PerSec, ms(f.P50), ms(f.P99), f.CPUus, f.Flows, f.Errors)
	}
	fmt.Fprintf(&b, "| held flows: %d started, never finished | %.0f bytes RSS per flow (started at %.0f/s) |\n", r.HeldN, r.HeldBytes, r.HeldRPS)
	fmt.Fprintf(&b, "| ready (exec to first 200), median | mockprove %.1f ms, bare %.1f ms |\n", ms(r.Ready["mockprove"]), ms(r.Ready[refBare]))
	fmt.Fprintf(&b, "| RSS idle, median | %.1f MB |\n", mb(r.RSSIdle))
	for _, e := range r.errors() {
		fmt.Fprintf(&b, "\nFirst error: %s\n", e)
	}
	fmt.Fprintf(&b, "\n```\n%s\n```\n", r.benchLine())
	return b.String()
}

// errors lists the first failure of each scenario that had failures.
func (r *results) errors() []string {
	var out []string
	for _, s := range r.Start {
		if s.Errors > 0 {
			out = append(out, fmt.Sprintf("%s round %d: %d errors, first: %s", s.Server, s.Round, s.Errors, s.FirstErr))
		}
	}
	for _, f := range []flowRun{r.Desktop, r.OTP} {
		if f.Errors > 0 {
			out = append(out, fmt.Sprintf("%s: %d errors, first: %s", f.Name, f.Errors, f.FirstErr))
		}
	}
	return out
}

// record adds the run to the Markdown document doc (empty: a new one): a row
// above the summary marker and a section at the end.
func (r *results) record(doc []byte) []byte {
	if len(bytes.TrimSpace(doc)) == 0 || !bytes.Contains(doc, []byte(summaryMarker)) {
		if len(bytes.TrimSpace(doc)) > 0 {
			doc = append([]byte(summaryHeader+"\n"), doc...) // keep what was there, under the table
		} else {
			doc = []byte(summaryHeader)
		}
	}
	i := bytes.Index(doc, []byte(summaryMarker))
	out := make([]byte, 0, len(doc)+4096)
	out = append(out, doc[:i]...)
	out = append(out, r.summaryRow()+"\n"...)
	out = append(out, doc[i:]...)
	out = bytes.TrimRight(out, "\n")
	out = append(out, '\n')
	out = append(out, r.section()...)
	return out
}

// writeRecord updates the file at path.
func (r *results) writeRecord(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(path, r.record(doc), 0o644)
}

package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("quantile", func() {
	ds := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m) * time.Millisecond
		}
		return out
	}
	It("is the nearest rank of sorted values", func() {
		hundred := make([]time.Duration, 100)
		for i := range hundred {
			hundred[i] = time.Duration(i+1) * time.Millisecond
		}
		Expect(quantile(hundred, 0.5)).To(Equal(50 * time.Millisecond))
		Expect(quantile(hundred, 0.99)).To(Equal(99 * time.Millisecond))
		Expect(quantile(hundred, 0.999)).To(Equal(100 * time.Millisecond))
		Expect(quantile(hundred, 1)).To(Equal(100 * time.Millisecond))
		Expect(quantile(ds(7), 0.5)).To(Equal(7 * time.Millisecond))
		Expect(quantile(ds(1, 2, 3), 0.5)).To(Equal(2 * time.Millisecond))
	})
	It("is 0 for no values", func() {
		Expect(quantile(nil, 0.99)).To(BeZero())
	})
	It("takes the median of unsorted values", func() {
		Expect(median(ds(9, 1, 5))).To(Equal(5 * time.Millisecond))
		Expect(median(ds(4, 1, 3, 2))).To(Equal(2500 * time.Microsecond))
		Expect(median(nil)).To(BeZero())
	})
})

var _ = Describe("/proc parsing", func() {
	It("reads utime+stime after a command name with spaces and parentheses", func() {
		stat := "4242 (mock (prove) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 37 0 0 20 0 9 0 100 1000000 2000 18446744073709551615\n"
		Expect(parseStatCPU([]byte(stat))).To(Equal(uint64(187)))
	})
	It("refuses a truncated stat line", func() {
		_, err := parseStatCPU([]byte("4242 (x) S 1 2 3"))
		Expect(err).To(MatchError(ContainSubstring("fields after the command name")))
		_, err = parseStatCPU([]byte("no parenthesis"))
		Expect(err).To(HaveOccurred())
		_, err = parseStatCPU([]byte("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 3 0"))
		Expect(err).To(MatchError(ContainSubstring("utime")))
	})
	It("reads VmRSS in bytes", func() {
		status := "Name:\tmockprove\nVmPeak:\t  999 kB\nVmRSS:\t   20480 kB\nThreads:\t7\n"
		Expect(parseStatusRSS([]byte(status))).To(Equal(uint64(20480 * 1024)))
		_, err := parseStatusRSS([]byte("Name:\tx\n"))
		Expect(err).To(MatchError(ContainSubstring("no VmRSS")))
		_, err = parseStatusRSS([]byte("VmRSS:\t12 MB\n"))
		Expect(err).To(HaveOccurred())
	})
	It("reads this very process", func() {
		v, err := rss(os.Getpid())
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(BeNumerically(">", 1<<20))
		_, err = cpuTicks(os.Getpid())
		Expect(err).NotTo(HaveOccurred())
	})
	It("turns ticks into microseconds per operation", func() {
		Expect(cpuMicrosPerOp(100, 150, 1000)).To(Equal(500.0)) // 0.5 s over 1000 ops
		Expect(cpuMicrosPerOp(100, 150, 0)).To(BeZero())
	})
})

// sample is a run with round numbers.
func sample() *results {
	return &results{
		Date:    time.Date(2026, 11, 30, 16, 5, 0, 0, time.UTC),
		Label:   "before",
		Machine: machine{NProc: 2, CPU: "Test CPU", Go: "go1.26.8", Commit: "abc1234", LoadAvg: "1.00 1.00 1.00"},
		Conns:   64, Duration: 4 * time.Second, HeldN: 1000, HeldBytes: 2835.4,
		Start: []serverRun{
			{Server: refBare, Round: 1, RPS: 40000, P99: 7 * time.Millisecond, CPUus: 26},
			{Server: "mockprove", Round: 1, RPS: 10000, P99: 120 * time.Millisecond, CPUus: 140, P50One: 150 * time.Microsecond},
			{Server: refBare, Round: 2, RPS: 38000, P99: 9 * time.Millisecond, CPUus: 30},
			{Server: "mockprove", Round: 2, RPS: 10400, P99: 118 * time.Millisecond, CPUus: 150, P50One: 160 * time.Microsecond,
				P50Same: 70 * time.Microsecond, P50Other: 140 * time.Microsecond},
		},
		Desktop: flowRun{Name: "desktop Identity flow", Workers: 32, PerSec: 2886.4},
		OTP:     flowRun{Name: "mobile OTP flow", Workers: 32, PerSec: 1699.2},
		Ready:   map[string]time.Duration{"mockprove": 150 * time.Millisecond, refBare: 55 * time.Millisecond},
		RSSIdle: 20 << 20,
	}
}

var _ = Describe("the report", func() {
	It("ends with the issue's bench line, means over the rounds", func() {
		Expect(sample().benchLine()).To(Equal("bench: start_rps=10200 baseline_rps=39000 ratio=0.26 flow_per_s=2886 otp_flow_per_s=1699 " +
			"cpu_us_per_req=145 p99_ms=119.00 baseline_p99_ms=8.00 ready_ms=150.0 rss_mb=20.0 held_flow_bytes=2835"))
		Expect(sample().benchLine()).To(MatchRegexp(`^bench: start_rps=\d+ baseline_rps=\d+ ratio=[\d.]+ flow_per_s=\d+ otp_flow_per_s=\d+ ` +
			`cpu_us_per_req=\d+ p99_ms=[\d.]+ baseline_p99_ms=[\d.]+ ready_ms=[\d.]+ rss_mb=[\d.]+ held_flow_bytes=\d+$`))
	})
	It("starts BENCHMARKS.md with the before/after table and adds each run as a row and a section", func() {
		first := sample()
		doc := first.record(nil)
		Expect(string(doc)).To(HavePrefix("# Benchmarks"))
		second := sample()
		second.Label = "after store"
		second.Date = second.Date.Add(time.Hour)
		doc = second.record(doc)
		s := string(doc)
		rowBefore := strings.Index(s, "| 2026-11-30 16:05 | before |")
		rowAfter := strings.Index(s, "| 2026-11-30 17:05 | after store |")
		marker := strings.Index(s, summaryMarker)
		Expect(rowBefore).To(BeNumerically(">", 0))
		Expect(rowAfter).To(BeNumerically(">", rowBefore))
		Expect(marker).To(BeNumerically(">", rowAfter))
		Expect(strings.Count(s, "### 2026-11-30")).To(Equal(2))
		Expect(strings.Index(s, "### 2026-11-30 17:05 UTC · after store")).To(BeNumerically(">", strings.Index(s, "### 2026-11-30 16:05 UTC · before")))
		Expect(s).To(ContainSubstring("| mockprove | 2 | 10400 | 0.27 | 150 |"))
		Expect(s).To(ContainSubstring("| 0.160 | 0.070 | 0.140 |")) // unpinned, same CPU, other CPUs
		Expect(s).To(ContainSubstring("| 0.155 (one CPU 0.035, bare 0.000) |"))
		Expect(s).To(HaveSuffix("held_flow_bytes=2835\n```\n"))
	})
	It("keeps what a hand-written BENCHMARKS.md had, under the table", func() {
		doc := sample().record([]byte("## Hostile input\n\nfuzzed for hours\n"))
		s := string(doc)
		Expect(s).To(ContainSubstring("fuzzed for hours"))
		Expect(strings.Index(s, summaryMarker)).To(BeNumerically("<", strings.Index(s, "fuzzed for hours")))
	})
})

var _ = Describe("jsonString", func() {
	It("finds a string value without decoding", func() {
		doc := []byte(`{"authToken":"eyJ.a.b","correlationId":"713189b8","next":{"v3-validate":"/v3/validate"}}`)
		v, ok := jsonString(doc, "correlationId")
		Expect(ok).To(BeTrue())
		Expect(v).To(Equal("713189b8"))
		_, ok = jsonString(doc, "missing")
		Expect(ok).To(BeFalse())
		_, ok = jsonString([]byte(`{"a":"x\"y"}`), "a")
		Expect(ok).To(BeFalse(), "escaped values are refused, not cut")
	})
})

var _ = Describe("flags", func() {
	It("has defaults that finish quickly, and a ten-minute soak", func() {
		c, err := parseFlags(nil, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.conns).To(Equal(64))
		Expect(c.flowWorkers).To(Equal(32))
		// rounds × servers × (duration + one connection) + two flows + held, plus start-ups
		Expect(time.Duration(c.rounds)*3*(c.duration+c.oneConn+time.Second) + 2*c.flowDur).To(BeNumerically("<", 60*time.Second))
		c, err = parseFlags([]string{"-soak"}, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.soak.duration).To(Equal(10 * time.Minute))
		c, err = parseFlags([]string{"-soak", "-duration", "30s"}, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.soak.duration).To(Equal(30 * time.Second))
	})
	It("refuses bad values", func() {
		for _, args := range [][]string{{"-ports", "18599-18500"}, {"-ports", "x"}, {"-conns", "0"}, {"-duration", "-1s"}, {"extra"}} {
			_, err := parseFlags(args, GinkgoWriter)
			Expect(err).To(HaveOccurred(), "%q", args)
		}
	})
	It("hands out ports from a range", func() {
		ps := ports{lo: 18590, hi: 18599}
		a, err := ps.addr()
		Expect(err).NotTo(HaveOccurred())
		Expect(a).To(MatchRegexp(`^127\.0\.0\.1:185\d\d$`))
	})
})

var _ = Describe("the soak's bound", func() {
	It("allows a slack, the held flows and a tombstone per finished flow", func() {
		s := soakConfig{slackMB: 1, heldBytes: 2048, finishedBytes: 512}
		Expect(s.soakBound(10<<20, 100, 1000)).To(Equal(uint64(10<<20 + 1<<20 + 100*2048 + 1000*512)))
	})
	It("counts only the flows of the last FlowTTL and a minute", func() {
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		counts := []soakCount{{at: t0}, {at: t0.Add(5 * time.Minute), unfinished: 10, finished: 90}, {at: t0.Add(20 * time.Minute), unfinished: 40, finished: 360}}
		u, f := inWindow(counts, t0.Add(20*time.Minute))
		Expect([]int{u, f}).To(Equal([]int{40, 360}), "flows started up to 5 minutes in may be 15 minutes old: they count")
		u, f = inWindow(counts, t0.Add(25*time.Minute))
		Expect([]int{u, f}).To(Equal([]int{30, 270}), "what was started in the first 5 minutes is over")
		u, f = inWindow(counts[:2], t0.Add(5*time.Minute))
		Expect([]int{u, f}).To(Equal([]int{10, 90}))
	})
})

var _ = Describe("the load generator", func() {
	It("drives the bare reference over keep-alive connections", func() {
		srv := httptest.NewServer(bareHandler())
		DeferCleanup(srv.Close)
		res := runLoad(loadSpec{Addr: strings.TrimPrefix(srv.URL, "http://"), Conns: 4, Duration: 200 * time.Millisecond, Op: startOp("t")})
		Expect(res.Errors).To(BeZero(), "%v", res.FirstErr)
		Expect(res.Ops).To(BeNumerically(">", 10))
		Expect(res.Latencies).To(HaveLen(res.Ops))
		Expect(res.Quantile(0.5)).To(BeNumerically("<=", res.Quantile(0.99)))
	})
	It("stops after a total and counts failures", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"code":8000,"message":"no"}`, 500)
		}))
		DeferCleanup(srv.Close)
		res := runLoad(loadSpec{Addr: strings.TrimPrefix(srv.URL, "http://"), Conns: 3, Total: 10, Op: startOp("t")})
		Expect(res.Ops).To(BeZero())
		Expect(res.Errors).To(Equal(10))
		Expect(res.FirstErr).To(MatchError(ContainSubstring("HTTP 500")))
	})
	It("has a kin-openapi reference that validates the request", func() {
		h, err := kinHandler()
		Expect(err).NotTo(HaveOccurred())
		post := func(body string) int {
			req := httptest.NewRequest("POST", "/v3/start", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer x")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code
		}
		Expect(post(string(startBody))).To(Equal(200))
		Expect(post(`{"flowType":"mobile","phoneNumber":"2001004000","nope":1}`)).To(Equal(400))
	})
})

var _ = Describe("the flow drivers, against mockprove in process", func() {
	var d *flowDriver
	var c *conn
	var s *mockprove.Server
	BeforeEach(func() {
		s = mockprove.RunT(GinkgoT(), mockprove.Options{Seed: 3})
		c = newConn(s.Addr(), 5*time.Second)
		DeferCleanup(c.close)
		tok, err := fetchToken(c)
		Expect(err).NotTo(HaveOccurred())
		d, err = newFlowDriver(tok)
		Expect(err).NotTo(HaveOccurred())
	})
	It("completes the desktop flow: start, validate, complete", func() {
		Expect(d.desktop(c)).To(Succeed())
		Expect(d.desktop(c)).To(Succeed(), "twice on one connection")
		ss := s.Sessions()
		Expect(ss).To(HaveLen(2))
		Expect(ss[0].State).To(Equal(mockprove.StateCompleted))
		Expect(ss[0].FlowType).To(Equal("desktop"))
	})
	It("completes the mobile OTP flow as the web SDK does", func() {
		Expect(d.mobileOTP(c)).To(Succeed())
		ss := s.Sessions()
		Expect(ss).To(HaveLen(1))
		Expect(ss[0].State).To(Equal(mockprove.StateCompleted))
		Expect(ss[0].PossessionPassed).To(BeTrue())
		Expect(s.Outbox(mockprove.SMSFilter{Phone: OTPPersona})).To(HaveLen(1))
	})
	It("reports a flow that does not end in success", func() {
		p, ok := s.Persona(DesktopPersona)
		Expect(ok).To(BeTrue())
		p.Outcomes.Complete = "fail"
		_, err := s.SetPersona(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.desktop(c)).To(MatchError(ContainSubstring("/v3/complete: not a success")))
		j, ok := s.Persona(OTPPersona)
		Expect(ok).To(BeTrue())
		j.Possession.OTP.Code = "654321"
		_, err = s.SetPersona(j)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.mobileOTP(c)).To(MatchError(ContainSubstring("otp/finish: the code was not accepted")))
	})
	It("runs a short load of starts (smoke)", func() {
		res := runLoad(loadSpec{Addr: s.Addr(), Conns: 4, Duration: 300 * time.Millisecond, Op: startOp(d.token())})
		Expect(res.Errors).To(BeZero(), "%v", res.FirstErr)
		Expect(res.Ops).To(BeNumerically(">", 10))
	})
})

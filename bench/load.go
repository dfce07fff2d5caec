package main

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// op is one unit of load on one connection: a request or a whole flow.
type op func(c *conn) error

// loadResult is what one load run measured.
type loadResult struct {
	Ops       int             // operations that succeeded
	Errors    int             // operations that failed
	FirstErr  error           // the first failure, for the report
	Elapsed   time.Duration   // wall time of the run
	Latencies []time.Duration // one per successful operation, sorted
}

// PerSecond is successful operations per second.
func (r loadResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// Quantile is the latency at quantile q of the successful operations.
func (r loadResult) Quantile(q float64) time.Duration { return quantile(r.Latencies, q) }

// quantile is the nearest-rank quantile q (0 < q ≤ 1) of sorted values; 0
// when there are none.
func quantile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(n))) - 1
	i = max(0, min(i, n-1))
	return sorted[i]
}

// loadSpec says how to drive a server.
type loadSpec struct {
	Addr     string        // host:port
	Conns    int           // parallel connections, one worker each
	Duration time.Duration // run for this long, or
	Total    int           // stop after this many operations (when > 0)
	Timeout  time.Duration // per request
	Op       op
}

// runLoad runs spec.Op on spec.Conns connections in parallel, each worker
// one operation after the other (closed loop), until the duration is over or
// the total reached.
func runLoad(spec loadSpec) loadResult {
	if spec.Timeout == 0 {
		spec.Timeout = 30 * time.Second
	}
	type worker struct {
		lat      []time.Duration
		errs     int
		firstErr error
	}
	workers := make([]worker, spec.Conns)
	var issued atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(spec.Duration)
	for i := range workers {
		w := &workers[i]
		w.lat = make([]time.Duration, 0, 4096)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newConn(spec.Addr, spec.Timeout)
			defer c.close()
			for !stop.Load() {
				if spec.Total > 0 {
					if issued.Add(1) > int64(spec.Total) {
						return
					}
				} else if !time.Now().Before(deadline) {
					return
				}
				t0 := time.Now()
				err := spec.Op(c)
				d := time.Since(t0)
				if err != nil {
					if w.errs++; w.firstErr == nil {
						w.firstErr = err
					}
					if w.errs > 1000 && len(w.lat) == 0 { // nothing works: give up
						stop.Store(true)
					}
					continue
				}
				w.lat = append(w.lat, d)
			}
		}()
	}
	wg.Wait()
	res := loadResult{Elapsed: time.Since(start)}
	for _, w := range workers {
		res.Ops += len(w.lat)
		res.Errors += w.errs
		if res.FirstErr == nil {
			res.FirstErr = w.firstErr
		}
		res.Latencies = append(res.Latencies, w.lat...)
	}
	slices.Sort(res.Latencies)
	return res
}

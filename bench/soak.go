package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockprove/mockprove/mockprove"
)

// soakConfig configures the soak (-soak).
type soakConfig struct {
	duration        time.Duration
	sample          time.Duration
	rate            int     // flows started per second
	unfinishedEvery int     // one flow in N is started and never finished
	slackMB         float64 // growth allowed whatever the flows
	heldBytes       int     // per unfinished flow
	finishedBytes   int     // per finished flow inside its lifetime
}

// soakWindow is how long a flow may legitimately cost memory: its lifetime
// (mockprove.FlowTTL; a finished flow keeps a tombstone that answers 8003
// until then) plus a minute for the expiry structure to get to it.
const soakWindow = mockprove.FlowTTL + time.Minute

// soakBound is the RSS a server that meets issue 8's memory targets may
// reach: the RSS at the start, a fixed slack, heldBytes per unfinished flow
// and finishedBytes per finished flow still inside soakWindow. Finished flows
// beyond that cost nothing: memory does not grow with their number.
func (s soakConfig) soakBound(start uint64, unfinished, finished int) uint64 {
	return start + uint64(s.slackMB*(1<<20)) + uint64(unfinished)*uint64(s.heldBytes) + uint64(finished)*uint64(s.finishedBytes)
}

// soakCount is how many flows had been started by a time.
type soakCount struct {
	at                   time.Time
	unfinished, finished int
}

// inWindow is the flows started within soakWindow before now, from the
// counts sampled so far (oldest first; the last is now's).
func inWindow(counts []soakCount, now time.Time) (unfinished, finished int) {
	last := counts[len(counts)-1]
	unfinished, finished = last.unfinished, last.finished
	for i := len(counts) - 1; i >= 0; i-- {
		if now.Sub(counts[i].at) > soakWindow {
			// counts[i] is older than the window: what was started by then no longer counts.
			return unfinished - counts[i].unfinished, finished - counts[i].finished
		}
	}
	return unfinished, finished
}

// runSoak starts mockprove and drives flows at a steady rate on the real
// clock, one in unfinishedEvery left unfinished, sampling RSS; it fails when
// RSS passes its bound or a flow goes wrong.
func runSoak(ctx context.Context, c *config, out io.Writer) error {
	rn := &runner{c: c, ready: map[string][]time.Duration{}}
	p, err := rn.launch("mockprove")
	if err != nil {
		return err
	}
	defer p.stop()
	tok, err := rn.token(p)
	if err != nil {
		return err
	}
	d, err := newFlowDriver(tok)
	if err != nil {
		return err
	}
	if err := settle(ctx); err != nil {
		return err
	}
	start, err := rss(p.Pid())
	if err != nil {
		return err
	}
	s := c.soak
	fmt.Fprintf(out, "soak: %s at %d flows/s (one in %d never finished), %d workers; RSS at start %.1f MB\n",
		s.duration, s.rate, s.unfinishedEvery, c.flowWorkers, mb(start))

	ctx, cancel := context.WithTimeout(ctx, s.duration)
	defer cancel()
	work := make(chan struct{}, s.rate) // at most a second of backlog
	var seq, unfinished, finished, failed, behind atomic.Int64
	var firstErr atomic.Pointer[string]
	var wg sync.WaitGroup
	for range c.flowWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cn := newConn(p.addr, 30*time.Second)
			defer cn.close()
			for {
				select {
				case <-ctx.Done():
					return
				case <-work:
				}
				var err error
				if seq.Add(1)%int64(s.unfinishedEvery) == 0 {
					st, body, e := cn.postJSON(pathStart, d.token(), startBody)
					if err = expect(pathStart, st, body, e, 200); err == nil {
						unfinished.Add(1)
					}
				} else if err = d.desktop(cn); err == nil {
					finished.Add(1)
				}
				if err != nil && ctx.Err() == nil {
					failed.Add(1)
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
				}
			}
		}()
	}
	// The pacer: rate flows per second, in 10 ms slices.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		began := time.Now()
		sent := 0
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				due := int(now.Sub(began).Seconds() * float64(s.rate))
				for ; sent < due; sent++ {
					select {
					case work <- struct{}{}:
					default:
						behind.Add(1) // the server (or the workers) cannot keep up
					}
				}
			}
		}
	}()
	// Renew the access token well before its hour ends.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(30 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if tok, err := rn.token(p); err == nil {
					d.setToken(tok)
				}
			}
		}
	}()

	began := time.Now()
	counts := []soakCount{{at: began}}
	maxRSS, endRSS, bound := start, start, s.soakBound(start, 0, 0)
	verdict := ""
	tick := time.NewTicker(s.sample)
	defer tick.Stop()
	sample := func(now time.Time) {
		counts = append(counts, soakCount{at: now, unfinished: int(unfinished.Load()), finished: int(finished.Load())})
		u, f := inWindow(counts, now)
		bound = s.soakBound(start, u, f)
		v, err := rss(p.Pid())
		if err != nil {
			verdict = "mockprove is gone: " + err.Error()
			cancel()
			return
		}
		endRSS, maxRSS = v, max(maxRSS, v)
		fmt.Fprintf(out, "soak: %4.0fs  flows %d finished, %d unfinished, %d failed, %d behind  RSS %.1f MB (bound %.1f MB)\n",
			now.Sub(began).Seconds(), finished.Load(), unfinished.Load(), failed.Load(), behind.Load(), mb(v), mb(bound))
		if v > bound && verdict == "" {
			verdict = fmt.Sprintf("RSS %.1f MB passed its bound %.1f MB (start %.1f MB + %.0f MB slack + %d B × %d unfinished + %d B × %d finished flows of the last %s)",
				mb(v), mb(bound), mb(start), s.slackMB, s.heldBytes, u, s.finishedBytes, f, soakWindow)
			cancel()
		}
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case now := <-tick.C:
			sample(now)
		}
	}
	wg.Wait()
	if verdict == "" {
		sample(time.Now())
	}
	if verdict == "" && failed.Load() > 0 {
		verdict = fmt.Sprintf("%d flows failed, first: %s", failed.Load(), *firstErr.Load())
	}
	status := "ok"
	if verdict != "" {
		status = "FAIL"
	}
	fmt.Fprintf(out, "soak: %s duration=%s flows=%d unfinished=%d failed=%d behind=%d rss_start_mb=%.1f rss_end_mb=%.1f rss_max_mb=%.1f bound_mb=%.1f\n",
		status, time.Since(began).Round(time.Second), finished.Load()+unfinished.Load(), unfinished.Load(), failed.Load(), behind.Load(),
		mb(start), mb(endRSS), mb(maxRSS), mb(bound))
	if verdict != "" {
		return fmt.Errorf("soak failed: %s", verdict)
	}
	return nil
}

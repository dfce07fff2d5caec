package mockprove

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is mockprove's one notion of business time: token, flow, OTP and
// Instant Link lifetimes are all measured on it. It runs with real time by
// default (plus any offset added by Advance); a frozen clock only moves when
// told to. Network deadlines (WebSocket keep-alive, HTTP timeouts) stay on
// real time.
//
// Timers created with AfterFunc fire when the clock reaches their deadline,
// whether it got there by real time passing or by Advance/Set.
type Clock struct {
	mu      sync.Mutex
	frozen  bool
	base    time.Time // frozen: the current time
	offset  time.Duration
	timers  timerHeap
	seq     uint64
	wake    *time.Timer // real-time wake-up for the earliest timer (running clocks)
	nowReal func() time.Time
	// view mirrors frozen, base and offset for Now, which every request
	// calls several times: a lock-free read. Writers update it under mu.
	view atomic.Pointer[clockReading]
}

// clockReading is what Now needs, replaced (never changed) on every move.
type clockReading struct {
	frozen bool
	base   time.Time
	offset time.Duration
}

// publishLocked refreshes the view after a move. The caller holds c.mu.
func (c *Clock) publishLocked() {
	c.view.Store(&clockReading{frozen: c.frozen, base: c.base, offset: c.offset})
}

// NewClock returns a clock that follows real time.
func NewClock() *Clock {
	c := &Clock{nowReal: time.Now}
	c.publishLocked()
	return c
}

// NewFrozenClock returns a clock stopped at t; it moves only with Advance or Set.
func NewFrozenClock(t time.Time) *Clock {
	c := &Clock{frozen: true, base: t, nowReal: time.Now}
	c.publishLocked()
	return c
}

// Now returns the current business time.
func (c *Clock) Now() time.Time {
	v := c.view.Load()
	if v.frozen {
		return v.base
	}
	return c.nowReal().Add(v.offset)
}

func (c *Clock) nowLocked() time.Time {
	if c.frozen {
		return c.base
	}
	return c.nowReal().Add(c.offset)
}

// Frozen reports whether the clock only moves when told to.
func (c *Clock) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}

// Advance moves the clock forward by d (d must not be negative) and fires
// every timer that is then due, in deadline order, before it returns.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		d = 0
	}
	c.mu.Lock()
	if c.frozen {
		c.base = c.base.Add(d)
	} else {
		c.offset += d
	}
	c.publishLocked()
	c.mu.Unlock()
	c.fireDue()
}

// Set moves the clock to t. Moving backwards is allowed; timers then fire
// only once the clock reaches their deadline again.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	if c.frozen {
		c.base = t
	} else {
		c.offset = t.Sub(c.nowReal())
	}
	c.publishLocked()
	c.mu.Unlock()
	c.fireDue()
}

// Timer is a pending call made by AfterFunc.
type Timer struct {
	c        *Clock
	deadline time.Time
	f        func()
	seq      uint64
	index    int // in the heap; -1 when not pending
}

// AfterFunc calls f once the clock has moved d past now: from the goroutine
// that called Advance or Set, or from a real-time wake-up on a running clock.
// f must not call back into Advance or Set.
func (c *Clock) AfterFunc(d time.Duration, f func()) *Timer {
	c.mu.Lock()
	c.seq++
	t := &Timer{c: c, deadline: c.nowLocked().Add(d), f: f, seq: c.seq}
	heap.Push(&c.timers, t)
	c.armLocked()
	due := d <= 0
	c.mu.Unlock()
	if due {
		go c.fireDue() // never call f from inside the caller's locks
	}
	return t
}

// Stop cancels the timer. It reports whether the call was still pending.
func (t *Timer) Stop() bool {
	if t == nil {
		return false
	}
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	c.armLocked()
	return true
}

// Pending returns how many timers wait to fire (for tests that must know a
// timer is armed before they advance the clock).
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// fireDue runs every timer whose deadline has been reached.
func (c *Clock) fireDue() {
	c.mu.Lock()
	var due []*Timer
	now := c.nowLocked()
	for len(c.timers) > 0 && !c.timers[0].deadline.After(now) {
		due = append(due, heap.Pop(&c.timers).(*Timer))
	}
	c.armLocked()
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

// armLocked makes a running clock wake up in real time for its earliest timer.
func (c *Clock) armLocked() {
	if c.wake != nil {
		c.wake.Stop()
		c.wake = nil
	}
	if c.frozen || len(c.timers) == 0 {
		return
	}
	wait := c.timers[0].deadline.Sub(c.nowLocked())
	if wait < 0 {
		wait = 0
	}
	c.wake = time.AfterFunc(wait, c.fireDue)
}

type timerHeap []*Timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].deadline.Equal(h[j].deadline) {
		return h[i].seq < h[j].seq
	}
	return h[i].deadline.Before(h[j].deadline)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*Timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}

// reset puts a frozen clock back at t and a running clock back on real time.
func (c *Clock) reset(t time.Time) {
	c.mu.Lock()
	if c.frozen {
		c.base = t
	} else {
		c.offset = 0
	}
	c.publishLocked()
	c.mu.Unlock()
	c.fireDue()
}

// Offset is how far a running clock is ahead of real time (0 for a frozen clock).
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return 0
	}
	return c.offset
}

package flowapp

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of the start throttles (SMS-pumping defence: every accepted
// /initialize makes Prove text the number).
var (
	// DefaultStartsPerPhone: a customer may need a second try (a typo in
	// the code, a link that expired) and a third; more than 3 texts to one
	// number in 10 minutes is not a customer but someone paying with our
	// SMS bill.
	DefaultStartsPerPhone = Limit{N: 3, Per: 10 * time.Minute}
	// DefaultStartsPerIP: one address may be an office or a carrier NAT
	// with many customers, so it gets more room than one phone: 20 a
	// minute, far above a person and far below a pumping script (which got
	// 58,567 starts through in 45 s without it).
	DefaultStartsPerIP = Limit{N: 20, Per: time.Minute}
)

// DefaultThrottleKeys is how many phone numbers, and how many client
// addresses, the throttles remember at most.
const DefaultThrottleKeys = 100_000

// Bounds of a Limit: they bound the memory of one key (N times 8 bytes).
const (
	maxLimitN   = 10_000
	maxLimitPer = 24 * time.Hour
)

// Limit is "at most N in any window of Per". The zero value means the
// default; Off disables the limit.
type Limit struct {
	N   int
	Per time.Duration
	Off bool
}

func (l Limit) String() string {
	if l.Off {
		return "off"
	}
	return strconv.Itoa(l.N) + "/" + shortDuration(l.Per)
}

// shortDuration writes 10m rather than 10m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ParseLimit reads "N/duration" (3/10m, 20/1m) or "off".
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Limit{Off: true}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return Limit{}, fmt.Errorf("%q must be N/duration, such as 3/10m, or off", s)
	}
	var l Limit
	var err error
	if l.N, err = strconv.Atoi(strings.TrimSpace(n)); err != nil {
		return Limit{}, fmt.Errorf("%q must be N/duration, such as 3/10m, or off: N is not a whole number", s)
	}
	if l.Per, err = time.ParseDuration(strings.TrimSpace(per)); err != nil {
		return Limit{}, fmt.Errorf("%q must be N/duration, such as 3/10m, or off: %v", s, err)
	}
	return l, l.check()
}

func (l Limit) check() error {
	switch {
	case l.Off:
		return nil
	case l.N < 1 || l.N > maxLimitN:
		return fmt.Errorf("limit %s: N must be between 1 and %d", l, maxLimitN)
	case l.Per < time.Second || l.Per > maxLimitPer:
		return fmt.Errorf("limit %s: the window must be between 1s and %s", l, maxLimitPer)
	}
	return nil
}

// ParseProxies reads a comma-separated list of IP addresses and CIDR
// prefixes (10.0.0.0/8, 127.0.0.1, ::1).
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR prefix", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR prefix", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// throttle limits /initialize per phone number and per client address. Each
// table remembers, per key, the times of the starts it accepted within the
// window (at most N), and forgets a key once its newest start leaves the
// window (expiring: no walk over the keys). A refused start is not counted.
type throttle struct {
	now     func() time.Time
	epoch   time.Time // start times are kept as offsets from it: 8 bytes each
	proxies []netip.Prefix

	mu    sync.Mutex
	phone *window
	ip    *window
}

// window is one limit's table: the accepted start times by key (offsets
// from the throttle's epoch), oldest first.
type window struct {
	limit Limit
	t     *expiring[[]time.Duration]
}

func newWindow(l Limit, keys int) *window {
	if l.Off {
		return nil
	}
	return &window{limit: l, t: newExpiring[[]time.Duration](l.Per, keys)}
}

func newThrottle(perPhone, perIP Limit, keys int, proxies []netip.Prefix, now func() time.Time) *throttle {
	return &throttle{now: now, epoch: now(), proxies: proxies, phone: newWindow(perPhone, keys), ip: newWindow(perIP, keys)}
}

// wait is how long key must wait before one more start fits, 0 if it fits
// now (at offset at from the epoch).
func (w *window) wait(key string, now time.Time, at time.Duration) time.Duration {
	if w == nil {
		return 0
	}
	w.t.expire(now)
	e := w.t.get(key, now)
	if e == nil {
		return 0
	}
	hits := e.val
	i := 0
	for i < len(hits) && at >= hits[i]+w.limit.Per {
		i++
	}
	hits = append(hits[:0], hits[i:]...)
	e.val = hits
	if len(hits) < w.limit.N {
		return 0
	}
	return hits[len(hits)-w.limit.N] + w.limit.Per - at
}

// record counts a start of key (wait said it fits).
func (w *window) record(key string, now time.Time, at time.Duration) {
	if w == nil {
		return
	}
	if e := w.t.get(key, now); e != nil {
		if len(e.val) == cap(e.val) { // grow up to N, never past it
			grown := make([]time.Duration, len(e.val), min(2*cap(e.val), w.limit.N))
			copy(grown, e.val)
			e.val = grown
		}
		e.val = append(e.val, at)
		w.t.touch(e, now)
		return
	}
	hits := make([]time.Duration, 1, min(w.limit.N, 4))
	hits[0] = at
	w.t.put(key, hits, now)
}

// refusal is a start the throttle refused.
type refusal struct {
	which string // "phone" or "ip"
	who   string // for the log: the masked number or the address
	limit Limit
	wait  time.Duration
}

// allow counts a start for phone from the request's client, or says which
// limit refuses it and for how long. Both limits must allow a start for it
// to be counted.
func (t *throttle) allow(r *http.Request, phone string) *refusal {
	ip, pk := t.clientKey(r), phoneKey(phone)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now() // under the lock: start times are recorded in order
	at := now.Sub(t.epoch)
	wIP, wPhone := t.ip.wait(ip, now, at), t.phone.wait(pk, now, at)
	switch {
	case wPhone > 0 && wPhone >= wIP:
		return &refusal{which: "phone", who: maskPhone(pk), limit: t.phone.limit, wait: wPhone}
	case wIP > 0:
		return &refusal{which: "ip", who: ip, limit: t.ip.limit, wait: wIP}
	}
	t.ip.record(ip, now, at)
	t.phone.record(pk, now, at)
	return nil
}

// phoneKey is one key per number however it was written: 2001001695,
// 12001001695 and +12001001695 are the same US number.
func phoneKey(phone string) string {
	digits := strings.TrimPrefix(phone, "+")
	if len(digits) == 10 {
		return "1" + digits
	}
	return digits
}

// clientKey is the throttle's key for the request's client: its address,
// or for IPv6 its /64 (one customer's network usually gets a whole /64).
func (t *throttle) clientKey(r *http.Request) string {
	a, ok := t.clientIP(r)
	if !ok {
		return r.RemoteAddr
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// clientIP is the address of the client: the peer's, unless the peer is a
// trusted proxy; then X-Forwarded-For is read from the right (each proxy
// appends the address it got the request from), skipping trusted proxies,
// and the first address not trusted is the client. Entries left of it are
// whatever the client wrote and are never believed.
func (t *throttle) clientIP(r *http.Request) (netip.Addr, bool) {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok || !t.trusted(peer) {
		return peer, ok
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHost(strings.TrimSpace(hops[i]))
		if !ok {
			break // a trusted proxy wrote something unreadable: stop at that proxy
		}
		client = a
		if !t.trusted(a) {
			break
		}
	}
	return client, true
}

func (t *throttle) trusted(a netip.Addr) bool {
	for _, p := range t.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHost reads "1.2.3.4", "1.2.3.4:5678", "::1" or "[::1]:5678".
func parseHost(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// errThrottled is the answer to a refused start: 429 with Retry-After, in
// flowapp's words.
func errThrottled(rf *refusal) *apiError {
	msg := "Too many verification attempts for this phone number. Please try again in " + inWords(rf.wait) + "."
	if rf.which == "ip" {
		msg = "Too many verification attempts from your network. Please try again in " + inWords(rf.wait) + "."
	}
	return &apiError{
		Status: http.StatusTooManyRequests, Code: codeRateLimited, Message: msg,
		retryAfter: rf.wait,
		note:       fmt.Sprintf("start throttle per %s (%s) refused a start for %s", rf.which, rf.limit, rf.who),
	}
}

// retryAfterSeconds is the Retry-After value for a wait: whole seconds,
// rounded up, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// inWords says a wait as the customer reads it: "45 seconds", "7 minutes"
// (rounded up).
func inWords(d time.Duration) string {
	s := retryAfterSeconds(d)
	switch {
	case s == 1:
		return "1 second"
	case s < 60:
		return strconv.Itoa(s) + " seconds"
	}
	m := (s + 59) / 60
	if m == 1 {
		return "1 minute"
	}
	return strconv.Itoa(m) + " minutes"
}

package mockprove

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The store is mockprove's run-time state, apart from HTTP: flows and their
// possession checks, Instant Link tokens, the SMS outbox, personas and the
// ID generator. Handlers translate a request into store operations; the
// store never sees an *http.Request. It is the place for more tables (a Prove
// Key registry, an Identity Manager), each with its own locking.
//
// Flows are sharded by correlationId: a shard has its own mutex, its flows
// in creation order (a queue that is also the expiry index, since every
// flow lives FlowTTL) and a map from correlationId to queue position. No
// operation on the request path locks more than one shard, and none does
// work that grows with the number of flows:
//
//   - a flow is removed flowForgetAfter past its expiry, from the head of
//     its shard's queue, a few at a time each time a flow is started in the
//     shard (no walk over all flows);
//   - once a flow is finished it keeps its full record (steps, possession
//     attempts) only while it is among the last finishedKept of its shard;
//     then it is a tombstone of a few words (state, persona pointer, times),
//     which is what later calls need: a replay answers 8003 until the
//     flow's 15 minutes end;
//   - personas are immutable snapshots shared by every flow that uses them.

const (
	storeShards = 64 // a power of two
	// flowForgetAfter is how long an expired flow is still known (a call
	// then answers "the flow expired at …"); after it, the correlationId is
	// unknown.
	flowForgetAfter = time.Minute
	// finishedKept is how many finished flows per shard keep their full
	// record (steps and possession attempts) for Session; older finished
	// flows are tombstones.
	finishedKept = 32
	// reapBudget is how many flows a start may remove from its shard.
	reapBudget = 4
)

// Per-flow bounds: everything a caller can make a flow accumulate.
const (
	// MaxSMSPerFlow is how many SMS (OTP codes and Instant Links, first
	// sends and resends together) one flow may send; the next send answers
	// the SDK error 10005 and fails the possession check.
	MaxSMSPerFlow = 10
	// maxAttemptsKept is how many possession attempts a flow records (the newest).
	maxAttemptsKept = 32
	// maxStepsKept is how many API steps a flow records (the newest).
	maxStepsKept = 16
	// maxDetailBytes bounds a message the SDK reports (instant/error, otp/error).
	maxDetailBytes = 256
)

// flowKey is a correlationId (a UUID) in binary.
type flowKey [16]byte

const hexDigits = "0123456789abcdef"

// String formats the key as a lower-case UUID.
func (k flowKey) String() string {
	var b [36]byte
	j := 0
	for i, c := range k {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&15]
		j += 2
	}
	return string(b[:])
}

// parseKey reads a lower-case UUID as mockprove formats them.
func parseKey(s string) (flowKey, bool) {
	var k flowKey
	if len(s) != 36 {
		return k, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return k, false
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[j] = hi<<4 | lo
		j++
		i += 2
	}
	return k, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (k flowKey) shard() int { return int(k[0]) & (storeShards - 1) }

// linkKey is an Instant Link token in binary. Its first byte names the shard
// of its flow, so that a link is found under the flow's own lock.
type linkKey [16]byte

func (k linkKey) String() string {
	var b [32]byte
	for i, c := range k {
		b[2*i], b[2*i+1] = hexDigits[c>>4], hexDigits[c&15]
	}
	return string(b[:])
}

func parseLinkKey(s string) (linkKey, bool) {
	var k linkKey
	if len(s) != 32 {
		return k, false
	}
	for i := range k {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[i] = hi<<4 | lo
	}
	return k, true
}

func (k linkKey) shard() int { return int(k[0]) & (storeShards - 1) }

type store struct {
	clock    *Clock
	ids      *idGen
	seq      atomic.Uint64
	shards   [storeShards]shard
	outbox   outbox
	personas personaTable
	// identities are the clients' Identity Manager enrolments
	// (identities.go), under their own lock.
	identities *identityStore
	// keys is the Prove Key registry (store_keys.go), under its own lock.
	keys *keyStore
}

type shard struct {
	mu    sync.Mutex
	q     []flow             // creation order; q[head:] are the known flows
	head  int                // first known flow in q
	base  uint64             // position of q[0]
	idx   map[flowKey]uint64 // correlationId → position
	links map[linkKey]flowKey
	fin   [finishedKept]uint64 // positions of the last finished flows (a ring)
	finN  int
}

func newStore(clock *Clock, ids *idGen) *store {
	st := &store{clock: clock, ids: ids, identities: newIdentityStore(), keys: newKeyStore()}
	st.personas.ready = make(chan struct{})
	for i := range st.shards {
		st.shards[i].init()
	}
	return st
}

func (sh *shard) init() {
	sh.q, sh.head, sh.base, sh.finN = nil, 0, 0, 0
	sh.idx = map[flowKey]uint64{}
	sh.links = map[linkKey]flowKey{}
}

// reset forgets every flow and link and empties the outbox. It returns the
// Instant Link states whose timers the caller stops (outside the locks).
func (st *store) reset() []*LinkState {
	var links []*LinkState
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		for j := sh.head; j < len(sh.q); j++ {
			if d := sh.q[j].d; d != nil && d.poss.Link != nil {
				links = append(links, d.poss.Link)
			}
		}
		sh.init()
		sh.mu.Unlock()
	}
	st.outbox.reset()
	st.identities.reset()
	st.keys.reset()
	return links
}

// linkStates returns the Instant Link states of the known flows, whose
// timers Close stops (outside the locks); nothing is forgotten.
func (st *store) linkStates() []*LinkState {
	var links []*LinkState
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		for j := sh.head; j < len(sh.q); j++ {
			if d := sh.q[j].d; d != nil && d.poss.Link != nil {
				links = append(links, d.poss.Link)
			}
		}
		sh.mu.Unlock()
	}
	return links
}

// at returns the flow at position pos, or nil.
func (sh *shard) at(pos uint64) *flow {
	if pos < sh.base+uint64(sh.head) || pos >= sh.base+uint64(len(sh.q)) {
		return nil
	}
	return &sh.q[pos-sh.base]
}

// find returns the known flow with key k (nil if unknown or forgotten at now).
func (sh *shard) find(k flowKey, now time.Time) *flow {
	pos, ok := sh.idx[k]
	if !ok {
		return nil
	}
	f := sh.at(pos)
	if f == nil || !now.Before(f.forgetAt()) {
		return nil
	}
	return f
}

// insert adds a flow built by the caller. Its seq
// (creation order) is taken under the shard lock, so that each shard's queue
// stays sorted by it.
func (st *store) insert(f flow, now time.Time) {
	sh := &st.shards[f.key.shard()]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.reapLocked(now, reapBudget)
	f.seq = st.seq.Add(1)
	sh.idx[f.key] = sh.base + uint64(len(sh.q))
	sh.q = append(sh.q, f)
}

// reapLocked removes up to budget flows whose time is over from the head of
// the queue.
func (sh *shard) reapLocked(now time.Time, budget int) {
	for ; budget > 0 && sh.head < len(sh.q); budget-- {
		f := &sh.q[sh.head]
		if now.Before(f.forgetAt()) {
			break
		}
		if cur, ok := sh.idx[f.key]; ok && cur == sh.base+uint64(sh.head) {
			delete(sh.idx, f.key)
		}
		sh.dropDetailLocked(f)
		*f = flow{}
		sh.head++
	}
	if sh.head >= 1024 && 2*sh.head >= len(sh.q) {
		n := len(sh.q) - sh.head
		if c := cap(sh.q); c > 4*n && c > 4096 {
			q := make([]flow, n, 2*n+1024) // give memory back after a burst
			copy(q, sh.q[sh.head:])
			sh.q = q
		} else {
			copy(sh.q, sh.q[sh.head:])
			clear(sh.q[n:])
			sh.q = sh.q[:n]
		}
		sh.base += uint64(sh.head)
		sh.head = 0
	}
}

// dropDetailLocked turns a flow into a tombstone: its links are forgotten
// and its full record released.
func (sh *shard) dropDetailLocked(f *flow) {
	d := f.d
	if d == nil {
		return
	}
	for _, l := range d.links {
		delete(sh.links, l)
	}
	if d.poss.Link != nil {
		d.poss.Link.stopTimers()
	}
	f.d = nil
}

// finishedLocked notes that the flow at pos has finished; the oldest of the
// shard's last finishedKept finished flows becomes a tombstone.
func (sh *shard) finishedLocked(pos uint64) {
	slot := sh.finN % finishedKept
	if sh.finN >= finishedKept {
		if old := sh.at(sh.fin[slot]); old != nil && old.state >= stateCompleted {
			sh.dropDetailLocked(old)
		}
	}
	sh.fin[slot] = pos
	sh.finN++
}

// update runs fn on the flow with correlationId id under its shard's lock.
// fn gets nil when the flow is unknown (or forgotten).
func (st *store) update(id string, fn func(f *flow, sh *shard, pos uint64)) {
	k, ok := parseKey(id)
	if !ok {
		fn(nil, nil, 0)
		return
	}
	st.updateKey(k, fn)
}

func (st *store) updateKey(k flowKey, fn func(f *flow, sh *shard, pos uint64)) {
	sh := &st.shards[k.shard()]
	now := st.clock.Now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	f := sh.find(k, now)
	fn(f, sh, sh.idx[k])
}

// view runs fn on the flow (nil when unknown) under its shard's lock; fn
// must not keep the pointer.
func (st *store) view(id string, fn func(f *flow)) {
	st.update(id, func(f *flow, _ *shard, _ uint64) { fn(f) })
}

// updateLink finds the flow an Instant Link token belongs to and runs fn
// on it under the shard's lock (nil when unknown).
func (st *store) updateLink(token string, fn func(f *flow, sh *shard, pos uint64)) {
	lk, ok := parseLinkKey(token)
	if !ok {
		fn(nil, nil, 0)
		return
	}
	sh := &st.shards[lk.shard()]
	now := st.clock.Now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	k, ok := sh.links[lk]
	if !ok {
		fn(nil, sh, 0)
		return
	}
	f := sh.find(k, now)
	fn(f, sh, sh.idx[k])
}

// newLinkKey makes an Instant Link token that routes to the flow's shard.
func (st *store) newLinkKey(k flowKey) linkKey {
	var lk linkKey
	copy(lk[:], st.ids.bytes(16))
	lk[0] = lk[0]&^(storeShards-1) | byte(k.shard())
	return lk
}

// count returns how many flows are known and how many of them keep a full
// record (for tests and the bench: tombstones are the others).
func (st *store) count() (known, full int) {
	now := st.clock.Now()
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		for j := sh.head; j < len(sh.q); j++ {
			f := &sh.q[j]
			if now.Before(f.forgetAt()) {
				known++
				if f.d != nil {
					full++
				}
			}
		}
		sh.mu.Unlock()
	}
	return known, full
}

// sessionQuery selects flows for a listing page.
type sessionQuery struct {
	after uint64 // seq of the last flow of the previous page (0: from the first)
	limit int
	match func(f *flow) bool
}

// listScanBudget bounds how many flows one page looks at per shard, so that
// a filter that matches nothing stays cheap: such a page may come back with
// fewer than limit entries (even none) and a cursor to go on from.
const listScanBudget = 256

// sessions returns up to q.limit matching flows after q.after in creation
// order, and the seq to continue from (0 when there is nothing more). Each
// shard is locked on its own, for at most limit+listScanBudget flows.
func (st *store) sessions(q sessionQuery) ([]SessionSummary, uint64) {
	type hit struct {
		seq uint64
		s   SessionSummary
	}
	now := st.clock.Now()
	var hits []hit
	horizon := uint64(1<<64 - 1) // no shard stopped early before this seq
	more := false
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		live := sh.q[sh.head:]
		j, _ := slices.BinarySearchFunc(live, q.after+1, func(f flow, seq uint64) int {
			switch {
			case f.seq < seq:
				return -1
			case f.seq > seq:
				return 1
			}
			return 0
		})
		taken, scanned := 0, 0
		for ; j < len(live); j++ {
			f := &live[j]
			if taken >= q.limit || scanned >= q.limit+listScanBudget {
				if f.seq-1 < horizon {
					horizon = f.seq - 1 // flows from here on were not looked at
				}
				more = true
				break
			}
			scanned++
			if !now.Before(f.forgetAt()) || (q.match != nil && !q.match(f)) {
				continue
			}
			hits = append(hits, hit{f.seq, f.summary()})
			taken++
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(hits, func(a, b hit) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	out := make([]SessionSummary, 0, min(len(hits), q.limit))
	var last uint64
	for _, h := range hits {
		if h.seq > horizon || len(out) == q.limit {
			more = true
			break
		}
		out = append(out, h.s)
		last = h.seq
	}
	if !more {
		return out, 0
	}
	if len(out) < q.limit && horizon != 1<<64-1 && horizon > last {
		last = horizon // an unfinished scan: go on after what was looked at
	}
	if last <= q.after {
		last = q.after // cannot happen: every page advances
	}
	return out, last
}

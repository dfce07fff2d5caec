package mockprove

import (
	"strconv"
	"sync"
)

// outbox is the virtual phone's SMS outbox: a ring of the last maxOutbox
// messages under its own lock. Sending is O(1); a listing looks at most at
// the whole ring, which is bounded.
type outbox struct {
	mu   sync.Mutex
	seq  uint64   // ids go on across resets, so that a cursor stays valid
	ring []smsRec // grows to maxOutbox, then wraps at head
	head int      // index of the oldest message once full
}

type smsRec struct {
	seq uint64
	m   SMS
}

func (o *outbox) reset() {
	o.mu.Lock()
	o.ring, o.head = nil, 0
	o.mu.Unlock()
}

// send stores a message and gives it its id.
func (o *outbox) send(m SMS) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	m.ID = "sms" + strconv.FormatUint(o.seq, 10)
	r := smsRec{o.seq, m}
	if len(o.ring) < maxOutbox {
		o.ring = append(o.ring, r)
		return
	}
	o.ring[o.head] = r
	o.head = (o.head + 1) % len(o.ring)
}

// list returns, oldest first, up to limit messages that match f and come
// after the message numbered after (0: from the oldest), and the number to
// go on after when more match (0: none). limit <= 0 means all.
func (o *outbox) list(f SMSFilter, after uint64, limit int) (out []SMS, next uint64) {
	phone := normalizePhone(f.Phone)
	o.mu.Lock()
	defer o.mu.Unlock()
	out = []SMS{}
	n := len(o.ring)
	var last uint64
	for i := range n {
		r := &o.ring[(o.head+i)%n]
		m := &r.m
		if r.seq <= after || (phone != "" && m.Phone != phone) || (f.CorrelationID != "" && m.CorrelationID != f.CorrelationID) ||
			(f.Kind != "" && m.Kind != f.Kind) {
			continue
		}
		if limit > 0 && len(out) == limit {
			return out, last
		}
		out = append(out, *m)
		last = r.seq
	}
	return out, 0
}

// last returns the newest message that matches f.
func (o *outbox) last(f SMSFilter) (SMS, bool) {
	phone := normalizePhone(f.Phone)
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(o.ring)
	for i := n - 1; i >= 0; i-- {
		m := &o.ring[(o.head+i)%n].m
		if (phone == "" || m.Phone == phone) && (f.CorrelationID == "" || m.CorrelationID == f.CorrelationID) &&
			(f.Kind == "" || m.Kind == f.Kind) {
			return *m, true
		}
	}
	return SMS{}, false
}

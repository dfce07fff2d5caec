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
	seq  int
	ring []SMS // grows to maxOutbox, then wraps at head
	head int   // index of the oldest message once full
}

func (o *outbox) reset() {
	o.mu.Lock()
	o.seq, o.ring, o.head = 0, nil, 0
	o.mu.Unlock()
}

// send stores a message and gives it its id.
func (o *outbox) send(m SMS) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	m.ID = "sms" + strconv.Itoa(o.seq)
	if len(o.ring) < maxOutbox {
		o.ring = append(o.ring, m)
		return
	}
	o.ring[o.head] = m
	o.head = (o.head + 1) % len(o.ring)
}

// smsSeq is the number in an SMS id ("sms12" → 12).
func smsSeq(m SMS) int {
	n, _ := strconv.Atoi(m.ID[3:])
	return n
}

// list returns, oldest first, up to limit messages that match f and come
// after the message numbered after (0: from the oldest), and whether more
// match. limit <= 0 means all.
func (o *outbox) list(f SMSFilter, after, limit int) (out []SMS, more bool) {
	phone := normalizePhone(f.Phone)
	o.mu.Lock()
	defer o.mu.Unlock()
	out = []SMS{}
	n := len(o.ring)
	for i := range n {
		m := &o.ring[(o.head+i)%n]
		if (phone != "" && m.Phone != phone) || (f.CorrelationID != "" && m.CorrelationID != f.CorrelationID) ||
			(f.Kind != "" && m.Kind != f.Kind) || (after > 0 && smsSeq(*m) <= after) {
			continue
		}
		if limit > 0 && len(out) == limit {
			return out, true
		}
		out = append(out, *m)
	}
	return out, false
}

// last returns the newest message that matches f.
func (o *outbox) last(f SMSFilter) (SMS, bool) {
	phone := normalizePhone(f.Phone)
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(o.ring)
	for i := n - 1; i >= 0; i-- {
		m := &o.ring[(o.head+i)%n]
		if (phone == "" || m.Phone == phone) && (f.CorrelationID == "" || m.CorrelationID == f.CorrelationID) &&
			(f.Kind == "" || m.Kind == f.Kind) {
			return *m, true
		}
	}
	return SMS{}, false
}

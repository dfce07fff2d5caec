package flowapp

import "time"

// expiring is a map whose entries expire a fixed time (ttl) after they were
// stored or last touched, with at most max entries. It is the timer
// structure of the session store and of the start throttles: nothing ever
// walks all entries.
//
// Every entry's deadline is now+ttl with one ttl per table and a clock that
// does not go back, so entries stored or touched later expire later: a queue
// kept in the order of the last store or touch is already sorted by
// deadline. That queue (a doubly linked list, soonest deadline first) gives
// what a heap would in O(1) instead of O(log n): store and touch append at
// the back, removal unlinks, expiry pops from the front while the front is
// due, and a full table drops the front (the entry closest to its end).
//
// Not safe for concurrent use: its owner locks.
type expiring[V any] struct {
	ttl time.Duration
	max int

	m          map[string]*entry[V]
	head, tail *entry[V] // soonest deadline first

	// looked counts the entries expire examined: a test's measure of the
	// work done (one more than the entries removed per call, at most).
	looked int
}

type entry[V any] struct {
	key        string
	deadline   time.Time
	prev, next *entry[V]
	val        V
}

func newExpiring[V any](ttl time.Duration, max int) *expiring[V] {
	return &expiring[V]{ttl: ttl, max: max, m: map[string]*entry[V]{}}
}

// len is the number of entries stored (due ones included until the next
// expire).
func (x *expiring[V]) len() int { return len(x.m) }

// expire removes the entries whose deadline has come, soonest first, and
// stops at the first one still alive.
func (x *expiring[V]) expire(now time.Time) {
	for x.head != nil {
		x.looked++
		if now.Before(x.head.deadline) {
			return
		}
		x.remove(x.head)
	}
}

// get returns the live entry stored under key, or nil; a due entry is
// removed.
func (x *expiring[V]) get(key string, now time.Time) *entry[V] {
	e := x.m[key]
	if e == nil {
		return nil
	}
	if !now.Before(e.deadline) {
		x.remove(e)
		return nil
	}
	return e
}

// put stores val under key (replacing what was there) with the deadline
// now+ttl. When the table is full it first drops the entry closest to its
// deadline, and returns it.
func (x *expiring[V]) put(key string, val V, now time.Time) (e, dropped *entry[V]) {
	if old := x.m[key]; old != nil {
		x.remove(old)
	}
	if x.max > 0 && len(x.m) >= x.max && x.head != nil {
		dropped = x.head
		x.remove(dropped)
	}
	e = &entry[V]{key: key, deadline: now.Add(x.ttl), val: val}
	x.m[key] = e
	x.append(e)
	return e, dropped
}

// touch moves e's deadline to now+ttl.
func (x *expiring[V]) touch(e *entry[V], now time.Time) {
	e.deadline = now.Add(x.ttl)
	x.unlink(e)
	x.append(e)
}

// remove forgets e, if it is still stored.
func (x *expiring[V]) remove(e *entry[V]) {
	if x.m[e.key] != e {
		return
	}
	delete(x.m, e.key)
	x.unlink(e)
}

func (x *expiring[V]) append(e *entry[V]) {
	e.prev, e.next = x.tail, nil
	if x.tail != nil {
		x.tail.next = e
	} else {
		x.head = e
	}
	x.tail = e
}

func (x *expiring[V]) unlink(e *entry[V]) {
	if e.prev != nil {
		e.prev.next = e.next
	} else if x.head == e {
		x.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if x.tail == e {
		x.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

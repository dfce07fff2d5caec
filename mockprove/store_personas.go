package mockprove

import (
	"sort"
	"sync"
	"sync/atomic"
)

// personaTable holds the personas as an immutable map replaced on every
// change (copy on write): the request path reads it without a lock, and a
// flow keeps a pointer to the persona snapshot it started with, which no
// later edit changes.
type personaTable struct {
	mu  sync.Mutex // serialises writers
	cur atomic.Pointer[map[string]*Persona]
}

func (t *personaTable) get(phone string) *Persona {
	m := t.cur.Load()
	if m == nil {
		return nil
	}
	return (*m)[phone]
}

// replace installs deep copies of ps.
func (t *personaTable) replace(ps []Persona) {
	m := indexPersonas(ps)
	t.mu.Lock()
	t.cur.Store(&m)
	t.mu.Unlock()
}

// set adds or replaces one persona (a deep copy); it reports whether it is new.
func (t *personaTable) set(p Persona) bool {
	cp := p.clone()
	key := normalizePhone(p.Phone)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.cur.Load()
	_, exists := old[key]
	m := make(map[string]*Persona, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[key] = &cp
	t.cur.Store(&m)
	return !exists
}

// delete removes a persona; it reports whether it existed.
func (t *personaTable) delete(phone string) bool {
	key := normalizePhone(phone)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.cur.Load()
	if _, ok := old[key]; !ok {
		return false
	}
	m := make(map[string]*Persona, len(old))
	for k, v := range old {
		if k != key {
			m[k] = v
		}
	}
	t.cur.Store(&m)
	return true
}

// list returns deep copies, sorted by phone.
func (t *personaTable) list() []Persona {
	m := *t.cur.Load()
	out := make([]Persona, 0, len(m))
	for _, p := range m {
		out = append(out, p.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Phone < out[j].Phone })
	return out
}

// page returns deep copies of up to limit personas whose phone sorts after
// after, sorted by phone, and the phone to go on after ("" when no more).
func (t *personaTable) page(after string, limit int) ([]Persona, string) {
	m := *t.cur.Load()
	keys := make([]string, 0, len(m))
	for k := range m {
		if k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	next := ""
	if len(keys) > limit {
		keys = keys[:limit]
		next = keys[limit-1]
	}
	out := make([]Persona, len(keys))
	for i, k := range keys {
		out[i] = m[k].clone()
	}
	return out, next
}

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
	// ready is closed once the first set is installed (New loads the
	// embedded personas in the background); nil means ready.
	ready chan struct{}
}

// load returns the current map, waiting for the first one.
func (t *personaTable) load() map[string]*Persona {
	m := t.cur.Load()
	if m == nil {
		<-t.ready
		m = t.cur.Load()
	}
	return *m
}

func (t *personaTable) get(phone string) *Persona { return t.load()[phone] }

// replace installs deep copies of ps.
func (t *personaTable) replace(ps []Persona) { t.replaceOwned(clonePersonas(ps)) }

// replaceOwned installs ps, which nobody else holds or changes: the table
// keeps pointers to its elements.
func (t *personaTable) replaceOwned(ps []Persona) {
	m := make(map[string]*Persona, len(ps))
	for i := range ps {
		m[normalizePhone(ps[i].Phone)] = &ps[i]
	}
	t.mu.Lock()
	first := t.cur.Load() == nil
	t.cur.Store(&m)
	if first && t.ready != nil {
		close(t.ready)
	}
	t.mu.Unlock()
}

// clonePersonas deep-copies a list of personas.
func clonePersonas(ps []Persona) []Persona {
	out := make([]Persona, len(ps))
	for i, p := range ps {
		out[i] = p.clone()
	}
	return out
}

// set adds or replaces one persona (a deep copy); it reports whether it is new.
func (t *personaTable) set(p Persona) bool {
	cp := p.clone()
	key := normalizePhone(p.Phone)
	old := t.load()
	t.mu.Lock()
	defer t.mu.Unlock()
	old = *t.cur.Load()
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
	t.load()
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
	m := t.load()
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
	m := t.load()
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

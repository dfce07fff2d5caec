package mockprove

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// The store's bookkeeping, seen from inside: tombstones, removal by the
// expiry queue, pages over many shards. HTTP behaviour is tested in
// devicetest; these check what HTTP cannot see (how much is kept).

var storeT0 = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)

func storeServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(Options{Clock: NewFrozenClock(storeT0), Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// startFlows opens n flows for Martina (identity-client) through the
// store, as /v3/start does, and returns their correlationIds.
func startFlows(s *Server, n int) []string {
	p := s.st.personas.get("2001004000")
	ids := make([]string, n)
	for i := range ids {
		f := flow{key: s.st.ids.key(), created: s.clock.Now(), persona: p, client: s.clients["identity-client"],
			flowType: FlowTypeMobile, next: nextValidate, d: &flowDetail{authKey: s.st.ids.key()}}
		f.d.steps = append(f.d.steps, StepRecord{Step: "/v3/start"})
		ids[i] = f.key.String()
		s.st.insert(f, s.clock.Now())
	}
	return ids
}

// finish ends a flow the way /v3/validate does when it fails.
func finish(t *testing.T, s *Server, id string) {
	t.Helper()
	c := &call{client: *s.clients["identity-client"], step: "/v3/validate"}
	if _, err := s.flowStep(c, id, stepValidate, func(f *flow, done func(uint8)) (any, error) {
		done(stateFailed)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// queued is how many flows the shards' queues hold (known or not yet removed).
func queued(s *Server) int {
	n := 0
	for i := range s.st.shards {
		sh := &s.st.shards[i]
		sh.mu.Lock()
		n += len(sh.q) - sh.head
		sh.mu.Unlock()
	}
	return n
}

func TestFinishedFlowsBecomeTombstonesAndGo(t *testing.T) {
	g := NewWithT(t)
	s := storeServer(t)
	ids := startFlows(s, 5000)
	for _, id := range ids {
		finish(t, s, id)
	}
	known, full := s.st.count()
	g.Expect(known).To(Equal(5000), "finished flows are known until their 15 minutes end")
	g.Expect(full).To(BeNumerically("<=", storeShards*finishedKept), "only the last finished flows of each shard keep their record")
	sess, ok := s.Session(ids[0])
	g.Expect(ok).To(BeTrue())
	g.Expect(sess.State).To(Equal(StateFailed))
	g.Expect(sess.Steps).To(BeEmpty(), "a tombstone has no steps left")
	sess, _ = s.Session(ids[len(ids)-1])
	g.Expect(sess.Steps).To(HaveLen(1), "the newest finished flow keeps its record")

	s.FastForward(FlowTTL + flowForgetAfter)
	known, _ = s.st.count()
	g.Expect(known).To(BeZero(), "forgotten a minute after expiry")
	startFlows(s, 5000) // each start removes a few expired flows from its shard
	g.Expect(queued(s)).To(Equal(5000), "the old flows are gone from memory, not only hidden")
}

func TestSessionPagesAcrossShardsWithSparseMatches(t *testing.T) {
	g := NewWithT(t)
	s := storeServer(t)
	ids := startFlows(s, 64*400) // more than listScanBudget per shard
	want := map[string]bool{}
	for i, id := range ids {
		if i%997 == 0 {
			finish(t, s, id)
			want[id] = true
		}
	}
	match := func(f *flow) bool { return f.state == stateFailed }
	var got []string
	var after uint64
	pages := 0
	for {
		page, next := s.st.sessions(sessionQuery{after: after, limit: 5, match: match})
		pages++
		g.Expect(len(page)).To(BeNumerically("<=", 5))
		for _, p := range page {
			got = append(got, p.CorrelationID)
		}
		if next == 0 {
			break
		}
		g.Expect(next).To(BeNumerically(">", after), "every page moves on")
		after = next
	}
	g.Expect(got).To(HaveLen(len(want)))
	for i, id := range got {
		g.Expect(want).To(HaveKey(id))
		if i > 0 {
			g.Expect(indexOf(ids, id)).To(BeNumerically(">", indexOf(ids, got[i-1])), "creation order")
		}
	}

	// A filter that matches nothing: every page looks at a bounded number of flows.
	none := func(*flow) bool { return false }
	after, pages = 0, 0
	for {
		page, next := s.st.sessions(sessionQuery{after: after, limit: 100, match: none})
		g.Expect(page).To(BeEmpty())
		pages++
		if next == 0 {
			break
		}
		after = next
	}
	g.Expect(pages).To(BeNumerically(">", 1), "the scan is cut into pages")
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestFlowKeyRoundTrip(t *testing.T) {
	g := NewWithT(t)
	ids, _ := newIDGen(1)
	for range 100 {
		k := ids.key()
		back, ok := parseKey(k.String())
		g.Expect(ok).To(BeTrue())
		g.Expect(back).To(Equal(k))
	}
	for _, bad := range []string{"", "713189b8-5555-4b08-83ba-75d08780aeb", "713189B8-5555-4b08-83ba-75d08780aebd", "713189b8x5555-4b08-83ba-75d08780aebd"} {
		_, ok := parseKey(bad)
		g.Expect(ok).To(BeFalse(), bad)
	}
}

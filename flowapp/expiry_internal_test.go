package flowapp

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
)

// These specs look inside: they count the entries the expiry looked at
// (expiring.looked) to show that no operation walks the stored entries. The
// clock is a plain variable moved by the test.

var _ = Describe("expiring (the deadline-ordered table)", func() {
	It("expires entries in deadline order, a touch moving an entry to the back", func() {
		now := testkit.T0
		x := newExpiring[int](time.Minute, 0)
		for i, k := range []string{"a", "b", "c"} {
			x.put(k, i, now)
			now = now.Add(10 * time.Second)
		}
		x.touch(x.get("a", now), now) // a: deadline T0+30s+1m
		now = testkit.T0.Add(time.Minute + 10*time.Second)
		x.expire(now) // b (T0+1m10s) is due; c (T0+1m20s) is not
		Expect(x.get("b", now)).To(BeNil())
		Expect(x.get("a", now)).NotTo(BeNil())
		Expect(x.get("c", now)).NotTo(BeNil())
		Expect(x.len()).To(Equal(2))
		Expect(x.head.key).To(Equal("c"))
		Expect(x.tail.key).To(Equal("a"))

		x.remove(x.get("c", now))
		Expect(x.head.key).To(Equal("a"))
		Expect(x.tail.key).To(Equal("a"))
		x.expire(now.Add(time.Hour))
		Expect(x.len()).To(Equal(0))
		Expect(x.head).To(BeNil())
		Expect(x.tail).To(BeNil())
	})

	It("when full, drops the entry closest to its deadline to store a new one", func() {
		now := testkit.T0
		x := newExpiring[int](time.Minute, 2)
		x.put("a", 1, now)
		x.put("b", 2, now.Add(time.Second))
		x.touch(x.get("a", now), now.Add(2*time.Second))
		_, dropped := x.put("c", 3, now.Add(3*time.Second))
		Expect(dropped.key).To(Equal("b"))
		Expect(x.len()).To(Equal(2))
		_, dropped = x.put("a", 4, now.Add(4*time.Second))
		Expect(dropped).To(BeNil(), "replacing a key does not make the table grow")
		Expect(x.get("a", now.Add(4*time.Second)).val).To(Equal(4))
	})
})

var _ = Describe("the session store", func() {
	var (
		now   time.Time
		clock = func() time.Time { return now }
	)
	BeforeEach(func() { now = testkit.T0 })

	It("creates a session in O(1): with 100,000 sessions stored, one more looks at one", func() {
		st := newSessionStore([]byte("0123456789abcdef"), 30*time.Minute, 1_000_000, clock, false)
		for i := 0; i < 100_000; i++ {
			if i%1000 == 0 {
				now = now.Add(time.Second) // spread over 100 s, all alive
			}
			_, _, err := st.create(fmt.Sprint(i), "2001004000", "mobile", nil)
			Expect(err).NotTo(HaveOccurred())
		}
		before := st.m.looked
		s, dropped, err := st.create("one-more", "2001004000", "mobile", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(dropped).To(BeNil())
		Expect(st.m.looked-before).To(Equal(1), "only the oldest session is looked at, and it is alive")
		Expect(st.count()).To(Equal(100_001))
		Expect(st.alive(s)).To(BeTrue())

		By("once the clock passes their deadline, the expired sessions are gone")
		now = now.Add(30 * time.Minute) // 30 minutes after the last one was created
		fresh, _, err := st.create("fresh", "2001004000", "mobile", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.count()).To(Equal(1))
		Expect(st.alive(s)).To(BeFalse())
		Expect(st.alive(fresh)).To(BeTrue())
	})

	It("forgets a session at its deadline even before the next create", func() {
		st := newSessionStore([]byte("0123456789abcdef"), 30*time.Minute, 10, clock, false)
		s, _, err := st.create("c", "2001004000", "mobile", nil)
		Expect(err).NotTo(HaveOccurred())
		r := httptest.NewRequest("POST", "/verify", nil)
		r.AddCookie(st.cookie(s, r))
		now = now.Add(30*time.Minute - time.Nanosecond)
		Expect(st.fromRequest(r)).To(BeIdenticalTo(s))
		now = now.Add(time.Nanosecond)
		Expect(st.fromRequest(r)).To(BeNil())
		Expect(st.count()).To(Equal(0))
	})

	It("keeps at most its cap, dropping the oldest session", func() {
		st := newSessionStore([]byte("0123456789abcdef"), 30*time.Minute, 3, clock, false)
		var all []*session
		for i := 0; i < 3; i++ {
			s, dropped, err := st.create(fmt.Sprint(i), "2001004000", "mobile", nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(dropped).To(BeNil())
			all = append(all, s)
			now = now.Add(time.Second)
		}
		st.end(all[1])
		s, dropped, err := st.create("3", "2001004000", "mobile", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(dropped).To(BeNil(), "ending a session made room")
		s4, dropped, err := st.create("4", "2001004000", "mobile", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(dropped).To(BeIdenticalTo(all[0]), "the oldest goes")
		Expect(st.count()).To(Equal(3))
		Expect(st.alive(all[0])).To(BeFalse())
		Expect(st.alive(all[2])).To(BeTrue())
		Expect(st.alive(s)).To(BeTrue())
		Expect(st.alive(s4)).To(BeTrue())
	})
})

var _ = Describe("the start throttle's tables", func() {
	var (
		now   time.Time
		clock = func() time.Time { return now }
	)
	BeforeEach(func() { now = testkit.T0 })

	request := func(ip string) *http.Request {
		r := httptest.NewRequest("POST", "/initialize", nil)
		r.RemoteAddr = ip + ":40000"
		return r
	}

	It("keeps at most its size per table, forgetting the key closest to leaving its window", func() {
		t := newThrottle(DefaultStartsPerPhone, DefaultStartsPerIP, 100, nil, clock)
		for i := 0; i < 1000; i++ {
			Expect(t.allow(request(fmt.Sprintf("10.0.%d.%d", i/250, i%250)), fmt.Sprintf("200100%04d", i))).To(BeNil())
		}
		Expect(t.ip.t.len()).To(Equal(100))
		Expect(t.phone.t.len()).To(Equal(100))
		before := t.ip.t.looked + t.phone.t.looked
		Expect(t.allow(request("10.9.9.9"), "2009990039")).To(BeNil())
		Expect(t.ip.t.looked+t.phone.t.looked-before).To(Equal(2), "one look at the head of each table")
	})

	It("forgets a key once its newest start has left the window", func() {
		t := newThrottle(DefaultStartsPerPhone, DefaultStartsPerIP, 100, nil, clock)
		for i := 0; i < 50; i++ {
			Expect(t.allow(request(fmt.Sprintf("10.0.0.%d", i)), fmt.Sprintf("200100%04d", i))).To(BeNil())
		}
		now = now.Add(time.Minute)
		Expect(t.allow(request("10.9.9.9"), "2009990039")).To(BeNil())
		Expect(t.ip.t.len()).To(Equal(1), "every address but the new one left its 1-minute window")
		Expect(t.phone.t.len()).To(Equal(51))
		now = now.Add(9 * time.Minute)
		Expect(t.allow(request("10.9.9.8"), "2009990038")).To(BeNil())
		Expect(t.phone.t.len()).To(Equal(2), "the 50 first numbers left their 10-minute window")
	})

	It("keeps at most N start times per key", func() {
		t := newThrottle(Limit{N: 3, Per: time.Minute}, Limit{Off: true}, 100, nil, clock)
		for i := 0; i < 100; i++ {
			t.allow(request("10.0.0.1"), "2001004000")
			now = now.Add(time.Second)
		}
		Expect(len(t.phone.t.get("12001004000", now).val)).To(BeNumerically("<=", 3))
	})
})

// BenchmarkSessionCreate100k creates sessions with 100,000 already stored
// (issue 8: creation walked them all).
func BenchmarkSessionCreate100k(b *testing.B) {
	now := testkit.T0
	st := newSessionStore([]byte("0123456789abcdef"), 30*time.Minute, 10_000_000, func() time.Time { return now }, false)
	for i := 0; i < 100_000; i++ {
		st.create("c", "2001004000", "mobile", nil)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st.create("c", "2001004000", "mobile", nil)
	}
}

package flowapp_test

import (
	"fmt"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// The start throttles: every accepted /initialize makes Prove text a phone,
// so flowapp limits starts per phone number and per client address (SMS
// pumping). The clock is mockprove's frozen one: windows move only when the
// test moves it.
var _ = Describe("throttling /initialize (SMS pumping)", func() {
	// start posts /initialize for phone from the world's browser, with
	// X-Forwarded-For when xff is not empty.
	start := func(w *world, phone, xff string) result {
		GinkgoHelper()
		body := fmt.Sprintf(`{"phoneNumber":%q,"flowType":"mobile"}`, phone)
		if xff == "" {
			return w.send("/initialize", "application/json", body)
		}
		return w.do(w.c, w.request("/initialize", "application/json", body, "X-Forwarded-For", xff))
	}
	starts := func(w *world) int { return len(w.s.Journal(mockprove.JournalFilter{Step: "/v3/start"})) }

	It("refuses a 4th start for one phone within 10 minutes with 429 rate_limited and Retry-After, without calling Prove", func() {
		w := newWorld(worldOptions{})
		for i := 0; i < 3; i++ {
			w.initialize(testkit.Martina, "mobile")
		}
		r := start(w, testkit.Martina, "")
		expectError(r, 429, "rate_limited")
		Expect(r.Message()).To(Equal("Too many verification attempts for this phone number. Please try again in 10 minutes."))
		Expect(r.Header.Get("Retry-After")).To(Equal("600"))
		Expect(r.Header.Get("Set-Cookie")).To(BeEmpty())
		Expect(starts(w)).To(Equal(3), "the refused start never reached Prove")
		Expect(w.logs.String()).To(ContainSubstring(`level=WARN msg="request failed" path=/initialize status=429 code=rate_limited hint="start throttle per phone (3/10m) refused a start for ******4000"`))

		By("the same number written another way is the same phone")
		expectError(start(w, "+1"+testkit.Martina, ""), 429, "rate_limited")
		expectError(start(w, "1"+testkit.Martina, ""), 429, "rate_limited")

		By("another number is not throttled")
		w.initialize(testkit.Jordan, "mobile")

		By("the window slides with the clock: the first start leaves it after 10 minutes")
		w.s.FastForward(10*time.Minute - time.Second)
		r = start(w, testkit.Martina, "")
		expectError(r, 429, "rate_limited")
		Expect(r.Header.Get("Retry-After")).To(Equal("1"))
		Expect(r.Message()).To(HaveSuffix("Please try again in 1 second."))
		w.s.FastForward(time.Second)
		w.initialize(testkit.Martina, "mobile")
		Expect(starts(w)).To(Equal(5))
	})

	It("counts starts from one address whatever the phone, and refuses the 21st in a minute", func() {
		w := newWorld(worldOptions{})
		for i := 0; i < 20; i++ {
			// Unknown numbers: Prove refuses them (8007), but each start
			// was a call to Prove, so each counts.
			r := start(w, fmt.Sprintf("20055500%02d", i), "")
			expectError(r, 400, "prove_rejected")
		}
		w.s.FastForward(30 * time.Second)
		r := start(w, testkit.Martina, "")
		expectError(r, 429, "rate_limited")
		Expect(r.Message()).To(Equal("Too many verification attempts from your network. Please try again in 30 seconds."))
		Expect(r.Header.Get("Retry-After")).To(Equal("30"))
		Expect(starts(w)).To(Equal(20))
		Expect(w.logs.String()).To(ContainSubstring(`hint="start throttle per ip (20/1m) refused a start for 127.0.0.1"`))

		w.s.FastForward(30 * time.Second)
		w.initialize(testkit.Martina, "mobile")
	})

	It("does not count a refused start: it cannot push the window further", func() {
		w := newWorld(worldOptions{startsPerPhone: flowapp.Limit{N: 1, Per: time.Minute}})
		w.initialize(testkit.Martina, "mobile")
		for i := 0; i < 5; i++ {
			w.s.FastForward(10 * time.Second)
			expectError(start(w, testkit.Martina, ""), 429, "rate_limited")
		}
		w.s.FastForward(10 * time.Second) // one minute after the only accepted start
		w.initialize(testkit.Martina, "mobile")
	})

	It("does not count a start refused for its input", func() {
		w := newWorld(worldOptions{startsPerIP: flowapp.Limit{N: 1, Per: time.Minute}})
		expectError(w.post("/initialize", map[string]any{"phoneNumber": "12", "flowType": "mobile"}), 400, "bad_request")
		expectError(w.post("/initialize", map[string]any{"phoneNumber": testkit.Martina}), 400, "bad_request")
		w.initialize(testkit.Martina, "mobile")
	})

	It("ignores X-Forwarded-For unless the peer is a trusted proxy", func() {
		w := newWorld(worldOptions{startsPerIP: flowapp.Limit{N: 1, Per: time.Minute}, startsPerPhone: flowapp.Limit{Off: true}})
		Expect(start(w, testkit.Martina, "198.51.100.7").Status).To(Equal(200))
		r := start(w, testkit.Martina, "198.51.100.8")
		expectError(r, 429, "rate_limited")
		Expect(r.Message()).To(ContainSubstring("from your network"), "both came from 127.0.0.1, whatever they claimed")
	})

	It("behind a trusted proxy, throttles the address the proxy saw, never one the client wrote", func() {
		w := newWorld(worldOptions{
			startsPerIP: flowapp.Limit{N: 1, Per: time.Minute}, startsPerPhone: flowapp.Limit{Off: true},
			trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")},
		})
		Expect(start(w, testkit.Martina, "198.51.100.7").Status).To(Equal(200))
		Expect(start(w, testkit.Martina, "198.51.100.8").Status).To(Equal(200), "another client behind the proxy")
		expectError(start(w, testkit.Martina, "198.51.100.7"), 429, "rate_limited")

		By("entries left of the first untrusted hop are the client's own words")
		expectError(start(w, testkit.Martina, "203.0.113.50, 198.51.100.7"), 429, "rate_limited")
		expectError(start(w, testkit.Martina, "203.0.113.51, 198.51.100.7, 10.1.1.1"), 429, "rate_limited")

		By("a chain of trusted proxies is walked back to the client")
		Expect(start(w, testkit.Martina, "198.51.100.9, 10.1.1.1, 10.2.2.2").Status).To(Equal(200))
		expectError(start(w, testkit.Martina, "198.51.100.9"), 429, "rate_limited")

		By("IPv6 clients are counted per /64")
		Expect(start(w, testkit.Martina, "2001:db8:1:2::1").Status).To(Equal(200))
		expectError(start(w, testkit.Martina, "2001:db8:1:2:ffff::9"), 429, "rate_limited")
		Expect(start(w, testkit.Martina, "2001:db8:1:3::1").Status).To(Equal(200))
	})

	It("can be turned off", func() {
		w := newWorld(worldOptions{startsPerPhone: flowapp.Limit{Off: true}, startsPerIP: flowapp.Limit{Off: true}})
		for i := 0; i < 25; i++ {
			w.initialize(testkit.Martina, "mobile")
		}
	})

	It("refuses invalid limits when the app is built", func() {
		_, err := flowapp.New(flowapp.Options{StartsPerPhone: flowapp.Limit{N: 0, Per: time.Minute}})
		Expect(err).To(MatchError("flowapp: starts per phone: limit 0/1m: N must be between 1 and 10000"))
		_, err = flowapp.New(flowapp.Options{StartsPerIP: flowapp.Limit{N: 5}})
		Expect(err).To(MatchError("flowapp: starts per IP: limit 5/0s: the window must be between 1s and 24h0m0s"))
		_, err = flowapp.New(flowapp.Options{MaxSessions: -1})
		Expect(err).To(MatchError(ContainSubstring("session cap -1 must not be negative")))
	})

	It("reads and writes limits as N/duration", func() {
		for in, want := range map[string]flowapp.Limit{
			"3/10m": {N: 3, Per: 10 * time.Minute}, " 20 / 1m ": {N: 20, Per: time.Minute}, "off": {Off: true},
			"100/1h": {N: 100, Per: time.Hour},
		} {
			l, err := flowapp.ParseLimit(in)
			Expect(err).NotTo(HaveOccurred(), in)
			Expect(l).To(Equal(want), in)
		}
		Expect(flowapp.DefaultStartsPerPhone.String()).To(Equal("3/10m"))
		Expect(flowapp.DefaultStartsPerIP.String()).To(Equal("20/1m"))
		Expect(flowapp.Limit{N: 5, Per: 2 * time.Hour}.String()).To(Equal("5/2h"))
		Expect(flowapp.Limit{N: 5, Per: 90 * time.Second}.String()).To(Equal("5/1m30s"))
	})
})

package mockprove_test

import (
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("Clock", func() {
	Describe("a frozen clock", func() {
		var clock *mockprove.Clock

		BeforeEach(func() {
			clock = mockprove.NewFrozenClock(testkit.T0)
		})

		It("stands still until told to move", func() {
			Expect(clock.Frozen()).To(BeTrue())
			Expect(clock.Now()).To(Equal(testkit.T0))
			Expect(clock.Now()).To(Equal(testkit.T0))
		})

		It("moves forward with Advance", func() {
			clock.Advance(90 * time.Second)
			Expect(clock.Now()).To(Equal(testkit.T0.Add(90 * time.Second)))
			clock.Advance(time.Hour)
			Expect(clock.Now()).To(Equal(testkit.T0.Add(time.Hour + 90*time.Second)))
		})

		It("ignores a negative Advance", func() {
			clock.Advance(-time.Hour)
			Expect(clock.Now()).To(Equal(testkit.T0))
		})

		It("jumps with Set, backwards too", func() {
			clock.Set(testkit.T0.Add(48 * time.Hour))
			Expect(clock.Now()).To(Equal(testkit.T0.Add(48 * time.Hour)))
			clock.Set(testkit.T0.Add(-time.Hour))
			Expect(clock.Now()).To(Equal(testkit.T0.Add(-time.Hour)))
		})

		Describe("AfterFunc", func() {
			var fired []string
			var mu sync.Mutex

			record := func(name string) func() {
				return func() {
					mu.Lock()
					defer mu.Unlock()
					fired = append(fired, name)
				}
			}
			firedNow := func() []string {
				mu.Lock()
				defer mu.Unlock()
				return append([]string(nil), fired...)
			}

			BeforeEach(func() {
				fired = nil
			})

			It("fires once Advance reaches the deadline, not before", func() {
				clock.AfterFunc(time.Minute, record("a"))
				Expect(clock.Pending()).To(Equal(1))

				clock.Advance(59 * time.Second)
				Expect(firedNow()).To(BeEmpty())
				Expect(clock.Pending()).To(Equal(1))

				clock.Advance(time.Second)
				Expect(firedNow()).To(Equal([]string{"a"}), "Advance fires due timers before it returns")
				Expect(clock.Pending()).To(BeZero())

				clock.Advance(time.Hour)
				Expect(firedNow()).To(Equal([]string{"a"}), "a timer fires once")
			})

			It("fires every due timer in deadline order, ties in creation order", func() {
				clock.AfterFunc(3*time.Minute, record("3m"))
				clock.AfterFunc(time.Minute, record("1m-first"))
				clock.AfterFunc(2*time.Minute, record("2m"))
				clock.AfterFunc(time.Minute, record("1m-second"))
				clock.AfterFunc(time.Hour, record("1h"))

				clock.Advance(5 * time.Minute)
				Expect(firedNow()).To(Equal([]string{"1m-first", "1m-second", "2m", "3m"}))
				Expect(clock.Pending()).To(Equal(1))
			})

			It("does not fire a stopped timer", func() {
				t := clock.AfterFunc(time.Minute, record("stopped"))
				clock.AfterFunc(time.Minute, record("kept"))
				Expect(t.Stop()).To(BeTrue())
				Expect(t.Stop()).To(BeFalse(), "a second Stop finds nothing pending")
				Expect(clock.Pending()).To(Equal(1))

				clock.Advance(time.Hour)
				Expect(firedNow()).To(Equal([]string{"kept"}))
			})

			It("reports false when stopping a timer that already fired", func() {
				t := clock.AfterFunc(time.Second, record("a"))
				clock.Advance(time.Second)
				Expect(firedNow()).To(HaveLen(1))
				Expect(t.Stop()).To(BeFalse())
			})

			It("fires on Set past the deadline, and not on Set backwards", func() {
				clock.AfterFunc(10*time.Minute, record("a"))
				clock.Set(testkit.T0.Add(-time.Hour))
				Expect(firedNow()).To(BeEmpty())

				clock.Set(testkit.T0.Add(9 * time.Minute))
				Expect(firedNow()).To(BeEmpty())

				clock.Set(testkit.T0.Add(10 * time.Minute))
				Expect(firedNow()).To(Equal([]string{"a"}))
			})

			It("measures the delay from the clock's now, not from t0", func() {
				clock.Advance(time.Hour)
				clock.AfterFunc(time.Minute, record("a"))
				clock.Set(testkit.T0.Add(time.Minute))
				Expect(firedNow()).To(BeEmpty())
				clock.Set(testkit.T0.Add(time.Hour + time.Minute))
				Expect(firedNow()).To(Equal([]string{"a"}))
			})

			It("fires a timer that is already due without the clock moving", func() {
				clock.AfterFunc(0, record("now"))
				clock.AfterFunc(-time.Second, record("past"))
				Eventually(firedNow).Should(ConsistOf("now", "past"))
				Expect(clock.Now()).To(Equal(testkit.T0))
				Expect(clock.Pending()).To(BeZero())
			})

			It("lets a firing timer arm another one", func() {
				clock.AfterFunc(time.Minute, func() {
					record("first")()
					clock.AfterFunc(time.Minute, record("second"))
				})
				clock.Advance(time.Minute)
				Expect(firedNow()).To(Equal([]string{"first"}))
				Expect(clock.Pending()).To(Equal(1))
				clock.Advance(time.Minute)
				Expect(firedNow()).To(Equal([]string{"first", "second"}))
			})
		})

		It("treats a nil *Timer's Stop as a no-op", func() {
			var t *mockprove.Timer
			Expect(t.Stop()).To(BeFalse())
		})

		It("is safe for concurrent use", func() {
			var n atomic.Int32
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 50 {
						t := clock.AfterFunc(time.Second, func() { n.Add(1) })
						clock.Advance(time.Millisecond)
						_ = clock.Now()
						if n.Load()%2 == 0 {
							t.Stop()
						}
					}
				}()
			}
			wg.Wait()
			clock.Advance(time.Hour)
			Expect(clock.Pending()).To(BeZero())
			Expect(clock.Now()).To(Equal(testkit.T0.Add(400*time.Millisecond + time.Hour)))
		})
	})

	Describe("a running clock", func() {
		It("follows real time plus what Advance and Set added", func() {
			clock := mockprove.NewClock()
			Expect(clock.Frozen()).To(BeFalse())
			expectRealTime(clock.Now, 0)

			clock.Advance(time.Hour)
			expectRealTime(clock.Now, time.Hour)

			setAt := time.Now()
			clock.Set(testkit.T0)
			got := clock.Now()
			Expect(got).To(BeTemporally(">=", testkit.T0))
			Expect(got).To(BeTemporally("<=", testkit.T0.Add(time.Since(setAt))))
		})

		It("fires a far timer at once when Advance reaches it", func() {
			clock := mockprove.NewClock()
			var fired atomic.Bool
			t := clock.AfterFunc(24*time.Hour, func() { fired.Store(true) })
			DeferCleanup(func() { t.Stop() })
			Expect(fired.Load()).To(BeFalse())
			clock.Advance(24 * time.Hour)
			Expect(fired.Load()).To(BeTrue())
		})
	})

	Describe("the server's clock", func() {
		It("is Options.Clock, moved by FastForward", func() {
			clock := mockprove.NewFrozenClock(testkit.T0)
			s := newServer(mockprove.Options{Clock: clock})
			Expect(s.Clock()).To(BeIdenticalTo(clock))
			s.FastForward(42 * time.Minute)
			Expect(clock.Now()).To(Equal(testkit.T0.Add(42 * time.Minute)))
		})

		It("runs with real time by default", func() {
			s, err := mockprove.New(mockprove.Options{})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(s.Close)
			Expect(s.Clock().Frozen()).To(BeFalse())
			expectRealTime(s.Clock().Now, 0)
		})
	})
})

// expectRealTime checks that now reads the real time plus offset: its value
// falls between two readings of the real time taken around it (no
// tolerance that a loaded machine could exceed).
func expectRealTime(now func() time.Time, offset time.Duration) {
	GinkgoHelper()
	before := time.Now()
	got := now()
	after := time.Now()
	Expect(got).To(BeTemporally(">=", before.Add(offset)))
	Expect(got).To(BeTemporally("<=", after.Add(offset)))
}

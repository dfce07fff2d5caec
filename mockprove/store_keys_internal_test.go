package mockprove

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
)

// The Prove Key registry's bound: when it is full, each new key forgets the
// oldest, and the queue holds no more than the keys.
func TestKeyStoreBound(t *testing.T) {
	g := NewWithT(t)
	ks := newKeyStore()
	for i := range maxProveKeys + 10 {
		ks.add(&ProveKey{DeviceID: fmt.Sprintf("d-%d", i), Client: "c"}, storeT0)
	}
	g.Expect(ks.byID).To(HaveLen(maxProveKeys))
	g.Expect(ks.order).To(HaveLen(maxProveKeys))
	g.Expect(ks.byID).NotTo(HaveKey("d-9"), "the oldest keys went first")
	g.Expect(ks.byID).To(HaveKey("d-10"))
	g.Expect(ks.byID).To(HaveKey(fmt.Sprintf("d-%d", maxProveKeys+9)))
	g.Expect(ks.list("c", storeT0)).To(HaveLen(maxProveKeys))
	ks.reset()
	g.Expect(ks.byID).To(BeEmpty())
	g.Expect(ks.list("", storeT0)).To(BeEmpty())
}

// Keys forgotten before they were bound (a session registering again) do
// not pile up in the registration queue.
func TestKeyStoreForgetPendingKeepsTheQueueBounded(t *testing.T) {
	g := NewWithT(t)
	ks := newKeyStore()
	ks.add(&ProveKey{DeviceID: "bound", Client: "c"}, storeT0)
	g.Expect(ks.bind("bound", "2001004016", "p", "", "", storeT0)).To(BeTrue())
	for i := range 10_000 {
		id := fmt.Sprintf("d-%d", i)
		ks.add(&ProveKey{DeviceID: id, Client: "c"}, storeT0)
		ks.forgetPending(id)
	}
	ks.forgetPending("bound")
	g.Expect(ks.byID).To(HaveLen(1))
	g.Expect(ks.byID).To(HaveKey("bound"), "a bound key is never forgotten this way")
	g.Expect(len(ks.order)).To(BeNumerically("<", 2*1+1024+1))
	out, next := ks.page("", 0, 10, storeT0)
	g.Expect(out).To(HaveLen(1))
	g.Expect(next).To(BeZero())
}

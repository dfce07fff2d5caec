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
	for i := range maxProveKeys + 10 { // many clients, none at its own bound
		ks.add(&ProveKey{DeviceID: fmt.Sprintf("d-%d", i), Client: fmt.Sprintf("c%d", i%10)}, storeT0)
	}
	g.Expect(ks.byID).To(HaveLen(maxProveKeys))
	g.Expect(ks.order).To(HaveLen(maxProveKeys))
	g.Expect(ks.byID).NotTo(HaveKey("d-9"), "the oldest keys went first")
	g.Expect(ks.byID).To(HaveKey("d-10"))
	g.Expect(ks.byID).To(HaveKey(fmt.Sprintf("d-%d", maxProveKeys+9)))
	g.Expect(ks.list("c0", storeT0)).To(HaveLen(maxProveKeys / 10))
	g.Expect(ks.list("", storeT0)).To(HaveLen(maxProveKeys))
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

// One client cannot fill the registry: past maxKeysPerClient its own oldest
// key goes, and the other clients' keys stay.
func TestKeyStorePerClientBound(t *testing.T) {
	g := NewWithT(t)
	ks := newKeyStore()
	ks.add(&ProveKey{DeviceID: "other", Client: "b"}, storeT0)
	g.Expect(ks.bind("other", "2001004016", "p", "", "", storeT0)).To(BeTrue())
	for i := range maxProveKeys + 10 {
		ks.add(&ProveKey{DeviceID: fmt.Sprintf("d-%d", i), Client: "a"}, storeT0)
	}
	g.Expect(ks.byID).To(HaveKey("other"), "another client's key is not evicted by client a's registrations")
	g.Expect(ks.list("a", storeT0)).To(HaveLen(maxKeysPerClient))
	g.Expect(ks.byID).NotTo(HaveKey("d-0"), "client a's oldest keys went first")
	g.Expect(ks.byID).To(HaveKey(fmt.Sprintf("d-%d", maxProveKeys+9)))
	g.Expect(len(ks.order)).To(BeNumerically("<=", 2*(maxKeysPerClient+1)+1024))
	g.Expect(len(ks.clients["a"].order)).To(BeNumerically("<=", 2*maxKeysPerClient+1024))
}

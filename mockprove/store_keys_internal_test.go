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

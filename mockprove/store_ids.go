package mockprove

import (
	"fmt"
	"math/rand/v2"
	"sync"
)

// idGen hands out correlationIds, auth ids, link tokens, OTP codes and
// token ids from one seeded generator, under its own small lock. A Reset
// moves it to the next generation, seeded from the seed and the generation
// number: IDs handed out after a reset never repeat those from before it,
// and a run with a fixed seed is still repeatable from a fresh process.
type idGen struct {
	mu   sync.Mutex
	seed uint64
	gen  uint64
	rng  *rand.Rand
}

// newIDGen starts generation 0 and returns the material of the signing
// keys (the first 64 bytes of the sequence), which never change.
func newIDGen(seed uint64) (*idGen, []byte) {
	g := &idGen{seed: seed}
	g.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return g, g.bytes(64)
}

// next moves to the next generation (Reset).
func (g *idGen) next() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gen++
	mix := g.gen * 0xbf58476d1ce4e5b9
	g.rng = rand.New(rand.NewPCG(g.seed^mix, (g.seed^0x9e3779b97f4a7c15)+mix))
}

func (g *idGen) bytes(n int) []byte {
	b := make([]byte, n)
	g.mu.Lock()
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	g.mu.Unlock()
	return b
}

// key returns a version 4 UUID in binary.
func (g *idGen) key() flowKey {
	var k [1]flowKey
	g.keys(k[:])
	return k[0]
}

// keys fills ks with version 4 UUIDs under one lock (a start needs three).
func (g *idGen) keys(ks []flowKey) {
	g.mu.Lock()
	for j := range ks {
		for i := range ks[j] {
			ks[j][i] = byte(g.rng.Uint32())
		}
	}
	g.mu.Unlock()
	for j := range ks {
		ks[j][6] = ks[j][6]&0x0f | 0x40
		ks[j][8] = ks[j][8]&0x3f | 0x80
	}
}

// uuid returns a version 4 UUID.
func (g *idGen) uuid() string { return g.key().String() }

// digits returns n random decimal digits.
func (g *idGen) digits(n int) string {
	max := 1
	for range n {
		max *= 10
	}
	g.mu.Lock()
	v := g.rng.IntN(max)
	g.mu.Unlock()
	return fmt.Sprintf("%0*d", n, v)
}

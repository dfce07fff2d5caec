package cli

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
)

// gatedWriter blocks every Write until its gate is open.
type gatedWriter struct {
	gate chan struct{}
	mu   sync.Mutex
	b    bytes.Buffer
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	<-g.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.b.Write(p)
}

func (g *gatedWriter) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.b.String()
}

func TestLogWriterKeepsLinesWholeAndInOrder(t *testing.T) {
	g := NewWithT(t)
	out := &gatedWriter{gate: make(chan struct{})}
	close(out.gate)
	l := newLogWriter(out, 1024)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				_, _ = fmt.Fprintf(l, "writer=%d line=%d %s\n", w, i, strings.Repeat("x", i%50))
			}
		})
	}
	wg.Wait()
	g.Expect(l.Close()).To(Succeed())
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	g.Expect(lines).To(HaveLen(1600))
	next := map[int]int{}
	for _, line := range lines {
		var w, i int
		var rest string
		_, err := fmt.Sscanf(line, "writer=%d line=%d %s", &w, &i, &rest)
		if i%50 == 0 {
			_, err = fmt.Sscanf(line, "writer=%d line=%d", &w, &i)
		}
		g.Expect(err).NotTo(HaveOccurred(), line)
		g.Expect(line).To(Equal(fmt.Sprintf("writer=%d line=%d %s", w, i, strings.Repeat("x", i%50))))
		g.Expect(i).To(Equal(next[w]), "writer %d's lines out of order", w)
		next[w]++
	}
	_, err := l.Write([]byte("after close\n")) // straight through
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.String()).To(HaveSuffix("after close\n"))
}

func TestLogWriterBoundsWhatWaits(t *testing.T) {
	g := NewWithT(t)
	out := &gatedWriter{gate: make(chan struct{})}
	const limit = 100
	l := newLogWriter(out, limit)
	line := []byte(strings.Repeat("y", 19) + "\n") // 20 bytes
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 { // 400 bytes: more than the limit and the one batch in the gated Write
			_, _ = l.Write(line)
		}
	}()
	// The writer goroutine is stuck in the gated Write with one batch; the
	// next lines fill the buffer to the limit, then a Write waits.
	g.Eventually(func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.waiting
	}).Should(Equal(1))
	l.mu.Lock()
	queued := len(l.buf)
	l.mu.Unlock()
	g.Expect(queued).To(BeNumerically("<=", limit))
	close(out.gate)
	g.Eventually(done).Should(BeClosed())
	g.Expect(l.Close()).To(Succeed())
	g.Expect(out.String()).To(Equal(strings.Repeat(string(line), 20)))
}

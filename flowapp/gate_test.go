package flowapp_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// gate is a reverse proxy in front of Prove (mockprove) that can hold the
// requests to one path until the test releases them: a slow Prove without
// racing a real-time delay against a timeout. A held request reaches Prove
// only once released; one whose client gave up (a timeout) never does.
type gate struct {
	URL     string
	arrived chan string // the path of each request held, as it arrives

	mu   sync.Mutex
	path string        // held path, "" when open
	open chan struct{} // closed by release
}

func newGate(target string) *gate {
	GinkgoHelper()
	u, err := url.Parse(target)
	Expect(err).NotTo(HaveOccurred())
	g := &gate{arrived: make(chan string, 64)}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		held, open := g.path != "" && r.URL.Path == g.path, g.open
		g.mu.Unlock()
		if held {
			g.arrived <- r.URL.Path
			select {
			case <-open:
			case <-r.Context().Done():
				return // the client gave up: Prove never sees the request
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	DeferCleanup(srv.Close)
	DeferCleanup(g.release) // runs first: Close waits for held requests
	g.URL = srv.URL
	return g
}

// hold makes the requests to path wait until release.
func (g *gate) hold(path string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.path, g.open = path, make(chan struct{})
}

// release lets the held requests through and opens the gate.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.path != "" {
		close(g.open)
		g.path = ""
	}
}

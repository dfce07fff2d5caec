package testkit

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
)

// Gate is a reverse proxy in front of Prove (mockprove) that can hold the
// requests to one path until the test releases them: a slow Prove without
// racing a real-time delay against a timeout. A held request reaches Prove
// only once released; one whose client gave up (a timeout) never does.
type Gate struct {
	URL     string
	Arrived chan string // the path of each request held, as it arrives

	mu   sync.Mutex
	path string        // held path, "" when open
	open chan struct{} // closed by Release
}

// NewGate starts a gate in front of target; it closes when the test ends.
func NewGate(t T, target string) *Gate {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("gate: %v", err)
		return nil
	}
	g := &Gate{Arrived: make(chan string, 64)}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		held, open := g.path != "" && r.URL.Path == g.path, g.open
		g.mu.Unlock()
		if held {
			g.Arrived <- r.URL.Path
			select {
			case <-open:
			case <-r.Context().Done():
				return // the client gave up: Prove never sees the request
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(g.Release) // runs first: Close waits for held requests
	g.URL = srv.URL
	return g
}

// Hold makes the requests to path wait until Release.
func (g *Gate) Hold(path string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.path, g.open = path, make(chan struct{})
}

// Release lets the held requests through and opens the gate.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.path != "" {
		close(g.open)
		g.path = ""
	}
}

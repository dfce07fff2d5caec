package mockprove

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits of the HTTP server (Options), in real time: a client that is slow
// or holds connections must not take the emulator down for everyone else.
const (
	DefaultMaxConns          = 4096             // concurrent connections, status WebSockets included
	DefaultReadHeaderTimeout = 10 * time.Second // a request's header
	DefaultReadTimeout       = 30 * time.Second // a whole request, body included
	DefaultWriteTimeout      = 30 * time.Second // from the end of the header to the end of the answer
	DefaultIdleTimeout       = 2 * time.Minute  // a keep-alive connection between requests
	DefaultMaxHeaderBytes    = 64 << 10         // request line and headers
)

// limitDefaults fills in the zero limits of Options.
func (o *Options) limitDefaults() {
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = min(DefaultReadHeaderTimeout, o.ReadTimeout)
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
}

// newHTTPServer is the http.Server of Serve, with the limits of Options.
// The status WebSocket keeps its own deadlines: the upgrade clears the ones
// net/http set on the connection (gorilla/websocket does), and the socket's
// reader and writer then set theirs (wsIdle, wsWriteWait).
func (s *Server) newHTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    s.opts.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// extendWrite moves the write deadline of a request's connection by d (a
// delay fault holds the answer for up to 5 minutes, past WriteTimeout).
func (s *Server) extendWrite(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d + s.opts.WriteTimeout))
}

// limitListener accepts at most max connections at a time: beyond it,
// Accept waits until one closes, and new connections wait in the kernel's
// listen backlog (they hold no file descriptor of mockprove's).
type limitListener struct {
	net.Listener
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, max), closed: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitConn gives its slot back when it closes (once).
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

package mockprove

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// hub keeps the status WebSockets of each flow, keyed by correlationId, and
// pushes status messages to them. Each connection has one reader and one
// writer goroutine; nothing blocks on a slow client: a pong that does not
// fit its buffer drops the connection, and the final message is dropped if
// the buffer is full (the socket then just closes).
type hub struct {
	mu     sync.Mutex
	subs   map[string]map[*wsConn]struct{}
	closed bool
}

type wsConn struct {
	conn *websocket.Conn
	send chan []byte   // frames for the writer; closed after a final message
	done chan struct{} // closed when the connection is gone
	once sync.Once
}

func newHub() *hub { return &hub{subs: map[string]map[*wsConn]struct{}{}} }

func (h *hub) register(flowID string, c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if h.subs[flowID] == nil {
		h.subs[flowID] = map[*wsConn]struct{}{}
	}
	h.subs[flowID][c] = struct{}{}
	return true
}

func (h *hub) unregister(flowID string, c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.subs[flowID]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(h.subs, flowID)
		}
	}
}

// publish sends a final status message to every socket of a flow; the
// sockets close after it.
func (h *hub) publish(flowID string, msg []byte) {
	h.mu.Lock()
	conns := h.subs[flowID]
	delete(h.subs, flowID)
	h.mu.Unlock()
	for c := range conns {
		c.final(msg)
	}
}

// closeAll ends every socket and refuses new ones (server shutdown).
func (h *hub) closeAll() {
	for _, c := range h.takeAll(true) {
		c.shut()
	}
}

// dropAll ends every socket but keeps the hub open (Reset).
func (h *hub) dropAll() {
	for _, c := range h.takeAll(false) {
		c.shut()
	}
}

// takeAll removes every socket from the hub and returns them.
func (h *hub) takeAll(closeHub bool) []*wsConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = h.closed || closeHub
	var all []*wsConn
	for _, m := range h.subs {
		for c := range m {
			all = append(all, c)
		}
	}
	h.subs = map[string]map[*wsConn]struct{}{}
	return all
}

// Socket timing is real time, not the business clock.
const (
	wsWriteWait = 10 * time.Second
	// DefaultWSCloseGrace is how long a status WebSocket's client gets to
	// close after a final message (Options.WSCloseGrace).
	DefaultWSCloseGrace = 5 * time.Second
)

// queue hands a frame to the writer, or drops the connection when it is slow.
func (c *wsConn) queue(msg []byte) {
	defer func() { _ = recover() }() // send on a closed channel: the socket is finishing
	select {
	case c.send <- msg:
	default:
		c.shut()
	}
}

// final queues the last message; the writer then waits for the client to close.
func (c *wsConn) final(msg []byte) {
	c.once.Do(func() {
		defer func() { _ = recover() }()
		select {
		case c.send <- msg:
		default:
		}
		close(c.send)
	})
}

func (c *wsConn) shut() {
	_ = c.conn.Close()
}

package mockprove

import (
	"context"
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
	live   map[*wsConn]struct{} // every open socket, also after its final message
	closed bool
}

type wsConn struct {
	conn *websocket.Conn
	send chan []byte   // frames for the writer; closed after a final message
	done chan struct{} // closed when the connection is gone
	once sync.Once
}

func newHub() *hub {
	return &hub{subs: map[string]map[*wsConn]struct{}{}, live: map[*wsConn]struct{}{}}
}

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
	h.live[c] = struct{}{}
	return true
}

// forget drops a socket that has ended.
func (h *hub) forget(c *wsConn) {
	h.mu.Lock()
	delete(h.live, c)
	h.mu.Unlock()
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

// closeAll refuses new sockets and ends every open one with a close frame
// 1001 (going away), as a server that shuts down does (server shutdown).
// It waits for each client's answering close frame until ctx ends, then
// closes the connections.
func (h *hub) closeAll(ctx context.Context) {
	h.mu.Lock()
	h.closed = true
	h.subs = map[string]map[*wsConn]struct{}{}
	all := make([]*wsConn, 0, len(h.live))
	for c := range h.live {
		all = append(all, c)
	}
	h.mu.Unlock()
	deadline := time.Now().Add(wsWriteWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d // a client that does not read does not hold the shutdown past its grace
	}
	for _, c := range all {
		// WriteControl may run beside the writer goroutine's writes.
		_ = c.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "mockprove is shutting down"), deadline)
	}
	for _, c := range all {
		select {
		case <-c.done:
		case <-ctx.Done():
		}
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

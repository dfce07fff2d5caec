package mockprove

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/gorilla/websocket"
)

// The status WebSocket (prove-web-sdk.md §6): GET /v1/client/status?token=…
// The desktop SDK opens it while it waits for the Instant Link to be
// clicked. It sits outside the spec validator: a WebSocket upgrade needs the
// raw connection.

// Limits of a status socket, in real time: the SDK sends "ping" every 30 s,
// and nothing else.
const (
	wsReadLimit = 512
	wsIdle      = 90 * time.Second // no frame for this long: the client is gone
)

// upgrader accepts the app's origin (the SDK connects from the app's page)
// when the CORS rules allow it, and answers a failed handshake in Prove's
// error shape.
func (s *Server) upgrader(c *call) *websocket.Upgrader {
	return &websocket.Upgrader{
		CheckOrigin: func(r *http.Request) bool {
			o := r.Header.Get("Origin")
			return o == "" || s.originAllowed(o)
		},
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			c.rule = "ws.handshake"
			_, header, body := s.render(nil, newError(status, CodeMalformed, "WebSocket handshake refused: %v", reason), c)
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			_, _ = w.Write(body)
		},
	}
}

func (s *Server) registerStatus(r *mux.Router) {
	r.HandleFunc("/v1/client/status", s.status).Methods(http.MethodGet)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{r: r, w: w, step: "/v1/client/status"}
	token := r.URL.Query().Get("token")
	var (
		f   tokenFlow
		err error
	)
	if token == "" {
		err = errUnauthorized("not authorized: query parameter 'token' (the authToken) is missing")
	} else {
		f, err = s.flowForAuthToken(token)
	}
	if err == nil {
		c.flow, c.correlationID, c.persona, c.client = f.key, f.id, f.phone, f.client
	}
	var fault *Fault
	if s.faultsArmed() {
		fault = s.takeFault(c)
	}
	if fault != nil && fault.Kind != FaultWSClose && fault.Kind != FaultDelay {
		if perr := s.applyFault(c, fault); perr != nil {
			err = perr
		}
	} else if fault != nil {
		_ = s.applyFault(c, fault) // delay, then go on
	}
	if err == nil && !websocket.IsWebSocketUpgrade(r) {
		c.rule = "ws.not-upgrade"
		err = errMalformed("this endpoint only accepts a WebSocket upgrade")
	}
	if err != nil {
		status, header, body := s.render(nil, err, c)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
		s.finishCall(c, status, time.Since(start), body)
		return
	}
	c.rule = "ws.open"
	if fault != nil {
		c.rule = "fault:" + fault.ID
	}
	h := http.Header{}
	s.setMockHeaders(h, c)
	conn, uerr := s.upgrader(c).Upgrade(w, r, h)
	if uerr != nil { // the upgrader has answered
		s.finishCall(c, http.StatusBadRequest, time.Since(start), nil)
		return
	}
	conn.SetReadLimit(wsReadLimit)
	s.finishCall(c, http.StatusSwitchingProtocols, time.Since(start), nil)
	wc := &wsConn{conn: conn, send: make(chan []byte, 8), done: make(chan struct{})}
	if fault != nil && fault.Kind == FaultWSClose {
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, "closed by mockprove fault "+fault.ID), time.Now().Add(wsWriteWait))
		_ = conn.Close()
		return
	}
	if !s.hub.register(f.id, wc) { // the server is shutting down (Close ran after the upgrade)
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "mockprove is shutting down"), time.Now().Add(wsWriteWait))
		_ = conn.Close()
		return
	}
	go s.wsWriter(f.id, wc)
	go s.wsReader(f.id, wc)
	// A socket does not outlive its flow (15 minutes after start).
	expiry := s.clock.AfterFunc(f.expiresAt.Sub(s.clock.Now()), func() { s.hub.publish(f.id, statusFlowExpired) })
	go func() { <-wc.done; expiry.Stop() }()
	// The outcome may already be known (clicked or expired before the socket opened).
	var msg []byte
	s.st.updateKey(f.key, func(fl *flow, _ *shard, _ uint64) {
		switch {
		case fl == nil:
		case fl.passed:
			msg = statusDone
		case fl.d != nil && fl.d.poss.Link != nil && fl.d.poss.Link.expired:
			msg = statusExpired
		}
	})
	if msg != nil {
		s.hub.unregister(f.id, wc)
		wc.final(msg)
	}
}

// wsReader answers the SDK's "ping" text frames with "pong" and notices the close.
func (s *Server) wsReader(flowID string, c *wsConn) {
	defer func() {
		s.hub.unregister(flowID, c)
		s.hub.forget(c)
		close(c.done)
		c.shut()
	}()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(wsIdle))
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if string(data) == "ping" {
			c.queue([]byte("pong"))
		}
	}
}

// wsWriter is the one writer of the connection. It ends when the client
// hangs up, or after a final message once the client has closed (or has not
// within Options.WSCloseGrace).
func (s *Server) wsWriter(flowID string, c *wsConn) {
	for {
		select {
		case <-c.done:
			return
		case msg, ok := <-c.send:
			if !ok { // a final message was sent
				select {
				case <-c.done:
				case <-time.After(s.opts.WSCloseGrace):
					_ = c.conn.WriteControl(websocket.CloseMessage,
						websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(wsWriteWait))
					c.shut()
				}
				return
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				c.shut()
				return
			}
		}
	}
}

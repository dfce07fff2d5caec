package mockprove

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// call is one request on its way through the pipeline. Handlers read the
// request from it and note what they decided (correlationId, persona, rule),
// which ends up in the log line and the X-Mockprove-* headers.
type call struct {
	r      *http.Request
	w      http.ResponseWriter
	body   []byte
	client Client  // the authenticated OAuth client (API routes)
	flow   flowKey // the authToken's flow (device routes)
	fault  *Fault  // the injected fault that answered, if any

	step          string // e.g. "/v3/start"
	correlationID string
	persona       string // phone of the persona
	rule          string // what produced the answer, e.g. "persona.outcomes.validate"
	warning       string // something Prove would not do that mockprove let pass (X-Mockprove-Warning)
}

// checkEncoding refuses a body that is not UTF-8: a charset other than
// UTF-8 in Content-Type, or bytes that are not valid UTF-8. Go's JSON decoder
// would silently turn them into U+FFFD (and an SMS text into replacement
// characters), so every API refuses them with 8001 instead.
func checkEncoding(contentType string, body []byte) error {
	if contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
				return errMalformed("request body must be UTF-8: charset %s is not supported", cs)
			}
		}
	}
	if !utf8.Valid(body) {
		i := 0
		for i < len(body) {
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return errMalformed("request body is not valid UTF-8 (byte 0x%02x at offset %d)", body[i], i)
	}
	return nil
}

// decode unmarshals the (already validated) JSON body.
func (c *call) decode(v any) error {
	if err := json.Unmarshal(c.body, v); err != nil {
		return errMalformed("request body is not valid JSON")
	}
	return nil
}

// handlerFunc is an endpoint: it returns the body to send with 200 (any
// JSON-marshalable value) or an error (*Error for Prove's error shape).
type handlerFunc func(c *call) (any, error)

// reply is a non-200 success or a reply with extra headers.
type reply struct {
	status int
	header http.Header
	body   any    // marshalled as JSON unless raw is set
	raw    []byte // sent as is
}

// maxControlBodyBytes bounds control API bodies (a persona file can be large).
const maxControlBodyBytes = 1 << 20

type authKind int

const (
	authNone    authKind = iota
	authAccess           // Authorization: Bearer <access_token from /token>
	authDevice           // Authorization: Bearer <authToken from /v3/start>
	authControl          // Options.ControlToken, when set
)

// endpoint describes how a route is handled before its handler runs.
type endpoint struct {
	step     string
	auth     authKind
	validate *specValidator // request (and strict response) validation, or nil
	internal bool           // control API: not journaled, logged at debug level
	maxBody  int64          // body limit when not Prove's 4 KB (batch operations)
	h        handlerFunc
}

// adapt wraps a handler that needs no authentication or validation.
func (s *Server) adapt(step string, h handlerFunc) http.Handler {
	return s.serve(endpoint{step: step, h: h})
}

// serve is the one adapter between handlers and HTTP: it runs the pipeline
// (body limit → UTF-8 → authentication → rate limit → faults → spec validation →
// handler), writes the result, recovers from panics, journals the exchange
// and logs one line per request.
func (s *Server) serve(e endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{r: r, w: w, step: e.step}
		if c.step == "" {
			c.step = r.URL.Path
		}
		var (
			result any
			err    error
			route  *routers.Route
			params map[string]string
		)
		func() {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler { // a dropped connection (fault kind drop or reset)
						s.finishCall(c, 0, time.Since(start), nil) // journaled before the client sees the close
						if c.fault != nil && (c.fault.Kind == FaultDrop || c.fault.Kind == FaultReset) {
							dropConnection(w, c.fault.Kind == FaultDrop)
						}
						panic(p)
					}
					s.log.Error("panic", "step", c.step, "panic", p)
					err = errInternal("error at prove, try again later")
					c.rule = "panic"
				}
			}()
			if e.validate != nil {
				if err = e.validate.loaded(); err != nil {
					return
				}
				route, params = e.validate.findRoute(r)
			}
			result, err = s.pipeline(c, e, route, params)
		}()

		// The answer's headers go straight into w.Header() (a copy is kept
		// in strict mode, where a response that does not conform is
		// rendered again).
		var before http.Header
		if s.opts.StrictResponses {
			before = w.Header().Clone()
		}
		status, header, body := s.renderInto(w.Header(), result, err, c)
		if err == nil && s.opts.StrictResponses && route != nil && status < 300 && c.fault == nil {
			if verr := e.validate.validateResponse(context.Background(), r, route, params, status, header, body); verr != nil {
				// The error text of kin-openapi holds the value: word it without it.
				why := "see the log"
				var se *openapi3.SchemaError
				if errors.As(verr, &se) {
					why = schemaErrorMessage(se)
				}
				s.log.Error("response does not conform to the spec", "step", c.step, "why", why)
				clear(header)
				maps.Copy(header, before)
				status, header, body = s.renderInto(header, nil, errInternal("mockprove produced a response that does not conform to the spec: %s", why), c)
			}
		}
		if c.fault != nil && c.fault.Kind == FaultMalformed {
			status, body = http.StatusOK, []byte(`{"next":"done","data":{"malformed`)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
		if e.internal {
			s.log.Debug("control", "method", r.Method, "path", r.URL.Path, "status", status)
			return
		}
		s.finishCall(c, status, time.Since(start), body)
	})
}

// finishCall journals and logs a call once its answer is written.
func (s *Server) finishCall(c *call, status int, d time.Duration, respBody []byte) {
	rec := journalRecord{
		entry: JournalEntry{
			Time: s.clock.Now(), Method: c.r.Method, Path: c.r.URL.Path, Step: c.step, Status: status,
			DurationMs: float64(d.Microseconds()) / 1000, Client: c.client.ID, CorrelationID: c.correlationID,
			Persona: c.persona, Rule: c.rule, Warning: c.warning,
		},
		contentType: c.r.Header.Get("Content-Type"),
		reqBody:     c.body,
		respBody:    respBody, // render's answers are fresh slices, never changed
	}
	if c.fault != nil {
		rec.entry.Fault = c.fault.ID
	}
	s.journal.add(rec)
	s.logCall(c, status, d)
}

func (s *Server) pipeline(c *call, e endpoint, route *routers.Route, params map[string]string) (any, error) {
	r := c.r
	if r.Body != nil && r.Body != http.NoBody {
		limit := int64(MaxBodyBytes) // Prove's: "under 4 KB"
		if e.internal {
			limit = maxControlBodyBytes
		}
		if e.maxBody > 0 {
			limit = e.maxBody
		}
		body, err := readAllSized(io.LimitReader(r.Body, limit+1), min(r.ContentLength, limit))
		if err != nil {
			return nil, errMalformed("request body could not be read")
		}
		if int64(len(body)) > limit {
			c.rule = "limit.body"
			if e.internal || e.maxBody > 0 {
				return nil, errMalformed("request body must be at most %d bytes", limit)
			}
			return nil, errMalformed("request body must be under 4 KB (at most %d bytes)", MaxBodyBytes)
		}
		c.body = body
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := checkEncoding(r.Header.Get("Content-Type"), body); err != nil {
			c.rule = "encoding"
			return nil, err
		}
	}
	switch e.auth {
	case authAccess:
		client, err := s.authenticate(r)
		if err != nil {
			c.rule = "auth"
			return nil, err
		}
		c.client = client
		if err := s.rateLimit(serverRateKey(client.ID)); err != nil {
			c.rule = "ratelimit"
			return nil, err
		}
	case authControl:
		if err := s.authorizeControl(r); err != nil {
			c.rule = "auth"
			return nil, err
		}
	case authDevice:
		f, err := s.authenticateDevice(r)
		if err != nil {
			c.rule = "auth"
			return nil, err
		}
		c.flow, c.correlationID, c.persona, c.client = f.key, f.id, f.phone, f.client
		if err := s.rateLimit(deviceRateKey(f.client.ID)); err != nil {
			c.rule = "ratelimit"
			return nil, err
		}
	}
	if s.faultsArmed() {
		s.identify(c)
		if f := s.takeFault(c); f != nil {
			if err := s.applyFault(c, f); err != nil {
				return nil, err
			}
		}
	}
	if e.validate != nil {
		if route == nil {
			return nil, errMalformed("no such endpoint: %s %s", r.Method, r.URL.Path)
		}
		if verr := e.validate.validateRequest(r.Context(), r, route, params, c.body); verr != nil {
			c.rule = "spec"
			return nil, verr
		}
		r.Body = io.NopCloser(bytes.NewReader(c.body))
	}
	return e.h(c)
}

// readAllSized is io.ReadAll with a first buffer sized for the request's
// Content-Length (size, when known: not negative) and the read that sees
// EOF, rather than 512 bytes: the journal keeps the body.
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	if size < 0 {
		size = 511
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
	}
}

// identify finds, before the handler runs, the client and persona a request
// is about, so that faults scoped to them can match.
func (s *Server) identify(c *call) {
	if c.client.ID == "" && c.step == "/token" {
		if vals, err := url.ParseQuery(string(c.body)); err == nil {
			if cl := s.clients[vals.Get("client_id")]; cl != nil {
				c.client = *cl
			}
		}
	}
	if c.step == "/v1/link" {
		s.st.updateLink(strings.TrimPrefix(c.r.URL.Path, linkPath), func(f *flow, _ *shard, _ uint64) {
			if f != nil {
				c.correlationID, c.persona, c.client = f.key.String(), f.phone(), *f.client
			}
		})
	}
	if c.persona != "" || len(c.body) == 0 {
		return
	}
	var probe struct {
		PhoneNumber   string `json:"phoneNumber"`
		CorrelationID string `json:"correlationId"`
	}
	if json.Unmarshal(c.body, &probe) != nil {
		return
	}
	if probe.PhoneNumber != "" {
		c.persona = normalizePhone(probe.PhoneNumber)
		return
	}
	s.st.view(probe.CorrelationID, func(f *flow) {
		if f != nil && f.client.ID == c.client.ID {
			c.persona = f.phone()
		}
	})
}

// applyFault waits the fault's delay, then answers as the fault says; a nil
// error means "go on normally" (kind delay, malformed).
func (s *Server) applyFault(c *call, f *Fault) error {
	c.fault = f
	c.rule = "fault:" + f.ID
	if f.delay > 0 {
		s.extendWrite(c.w, f.delay)
		select {
		case <-time.After(f.delay):
		case <-c.r.Context().Done():
		}
	}
	switch f.Kind {
	case FaultDelay, FaultMalformed, FaultWSClose, FaultInstantLinkRetry:
		return nil
	case FaultDrop, FaultReset: // serve journals the call, then dropConnection
		panic(http.ErrAbortHandler)
	}
	return f.err()
}

// partialHead is what kind drop sends before it closes: the status line of
// an answer whose headers never come.
const partialHead = "HTTP/1.1 500 Internal Server Error\r\n"

// dropConnection closes the request's connection without an answer. With
// partial (kind drop) it first sends partialHead: a client that has bytes
// of the answer reports the failure (Chromium sends a POST again, silently,
// only when a reused connection closes before any byte). Without (kind
// reset) it closes before any byte, with a TCP reset. Without a socket
// (HTTPClient's in-memory transport) the http.ErrAbortHandler panic that
// follows is the drop.
func dropConnection(w http.ResponseWriter, partial bool) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, buf, err := hj.Hijack(); err == nil {
			if partial {
				_, _ = buf.WriteString(partialHead)
				_ = buf.Flush()
			} else {
				raw := conn
				if lc, ok := raw.(*limitConn); ok {
					raw = lc.Conn
				}
				if tc, ok := raw.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // Close sends RST
				}
			}
			_ = conn.Close()
		}
	}
}

// render turns a handler result into status, headers and body.
func (s *Server) render(result any, err error, c *call) (int, http.Header, []byte) {
	return s.renderInto(http.Header{}, result, err, c)
}

// renderInto is render, with the headers set in h (and h returned).
func (s *Server) renderInto(h http.Header, result any, err error, c *call) (int, http.Header, []byte) {
	h.Set("Content-Type", "application/json")
	status := http.StatusOK
	var payload any = result
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			s.log.Error("handler error", "step", c.step, "err", err)
			pe = errInternal("error at prove, try again later")
		}
		status = pe.Status
		if pe.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(pe.RetryAfter))
		}
		if pe.Rule != "" && c.rule == "" {
			c.rule = pe.Rule
		}
		if c.rule == "" {
			c.rule = "error"
		}
		payload = pe
	} else if rp, ok := result.(*reply); ok {
		if rp.status != 0 {
			status = rp.status
		}
		for k, v := range rp.header {
			h[k] = v
		}
		payload = rp.body
		if rp.raw != nil {
			s.setMockHeaders(h, c)
			return status, h, rp.raw
		}
	}
	if c.rule == "" {
		c.rule = "ok"
	}
	s.setMockHeaders(h, c)
	var body []byte
	var merr error
	if ja, ok := payload.(jsonAppender); ok {
		body = ja.appendJSON(nil)
	} else {
		body, merr = marshal(payload)
	}
	if merr != nil {
		s.log.Error("marshal response", "step", c.step, "err", merr)
		body, _ = json.Marshal(errInternal("error at prove, try again later"))
		status = http.StatusInternalServerError
	}
	return status, h, body
}

// setMockHeaders says which persona, step and rule produced the response.
func (s *Server) setMockHeaders(h http.Header, c *call) {
	h.Set("X-Mockprove-Step", c.step)
	h.Set("X-Mockprove-Rule", c.rule)
	if c.fault != nil {
		h.Set("X-Mockprove-Fault", c.fault.ID)
	}
	if c.persona != "" {
		h.Set("X-Mockprove-Persona", c.persona)
	}
	if c.correlationID != "" {
		h.Set("X-Mockprove-Correlation-Id", c.correlationID)
	}
	if c.warning != "" {
		h.Set("X-Mockprove-Warning", c.warning)
	}
}

// logCallPC is the program counter a request line carries (its source, for
// a handler with AddSource): logCall's, found once.
var logCallPC atomic.Uintptr

// logCall writes the request's log line. It builds the slog.Record itself
// rather than calling Logger.LogAttrs: the same line through the same
// handler, with the same source (logCall), but without walking the stack
// for every line (runtime.Callers was about a sixth of the line's cost).
// Nothing is built when the level is off.
func (s *Server) logCall(c *call, status int, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	ctx := context.Background()
	h := s.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	pc := logCallPC.Load()
	if pc == 0 {
		var pcs [1]uintptr
		runtime.Callers(1, pcs[:]) // logCall
		pc = pcs[0]
		logCallPC.Store(pc)
	}
	rec := slog.NewRecord(time.Now(), level, "request", pc)
	rec.AddAttrs(
		slog.String("method", c.r.Method),
		slog.String("path", c.r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.String("client", c.client.ID),
		slog.String("correlationId", c.correlationID),
		slog.String("persona", c.persona),
		slog.String("step", c.step),
		slog.String("rule", c.rule),
	)
	_ = h.Handle(ctx, rec)
}

// maxVerifiedTokens bounds the cache of access tokens whose signature was checked.
const maxVerifiedTokens = 4096

// tokenCache remembers the claims of tokens whose signature was checked
// (access tokens, authTokens), lock-free for readers; it is emptied when it
// holds maxVerifiedTokens (a token is then verified again: cheap enough).
type tokenCache[T any] struct {
	m sync.Map // token → T
	n atomic.Int64
}

func (v *tokenCache[T]) get(token string) (T, bool) {
	c, ok := v.m.Load(token)
	if !ok {
		var zero T
		return zero, false
	}
	return c.(T), true
}

func (v *tokenCache[T]) put(token string, c T) {
	if v.n.Add(1) > maxVerifiedTokens {
		v.m.Clear()
		v.n.Store(1)
	}
	v.m.Store(token, c)
}

func (v *tokenCache[T]) reset() {
	v.m.Clear()
	v.n.Store(0)
}

// authTokenClaims are the claims of an authToken the device API needs.
type authTokenClaims struct {
	RequestID string // correlationId
	AuthID    string
	ExpiresAt int64
}

// authenticate checks "Authorization: Bearer <access_token>". Signatures are
// checked once per token; the claims are then cached (expiry is always checked).
func (s *Server) authenticate(r *http.Request) (Client, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Client{}, errUnauthorized("not authorized: Authorization header is missing")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Client{}, errUnauthorized("not authorized: Authorization header must be 'Bearer <access_token>'")
	}
	claims, known := s.verified.get(token)
	if !known {
		if err := s.access.verify(token, &claims); err != nil {
			return Client{}, errUnauthorized("not authorized: access token is invalid")
		}
		s.verified.put(token, claims)
	}
	if s.clock.Now().Unix() >= claims.ExpiresAt {
		return Client{}, errUnauthorized("not authorized: access token has expired")
	}
	client, ok := s.clients[claims.Subject]
	if !ok {
		return Client{}, errUnauthorized("not authorized: unknown client")
	}
	return *client, nil
}

// rateWindow counts one key's requests in one second of the clock.
type rateWindow struct {
	second int64
	count  int
}

// rateLimiter holds the windows of Options.RateLimit under its own lock (it
// is on every API call: never take s.mu here). Keys are configured clients,
// so the map is bounded by the client list.
type rateLimiter struct {
	mu      sync.Mutex
	windows map[string]*rateWindow
}

// reset forgets every window (Reset).
func (l *rateLimiter) reset() {
	l.mu.Lock()
	l.windows = nil
	l.mu.Unlock()
}

// Rate-limit keys: the server API counts per OAuth client; the device API
// (where SMS are sent: otp/start, instantlink/start and their resends)
// counts per client of the flow, in a window of its own so that a busy
// browser does not eat the app's budget.
func serverRateKey(clientID string) string { return "api:" + clientID }
func deviceRateKey(clientID string) string { return "device:" + clientID }

// rateLimit applies Options.RateLimit (requests per second per key).
func (s *Server) rateLimit(key string) error {
	if s.opts.RateLimit <= 0 {
		return nil
	}
	// The one clock: with a frozen clock, a window only ends when the clock
	// is moved, which is what makes the limit testable.
	now := s.clock.Now().Unix()
	l := &s.limiter
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[string]*rateWindow{}
	}
	w := l.windows[key]
	if w == nil {
		w = &rateWindow{}
		l.windows[key] = w
	}
	if w.second != now {
		w.second, w.count = now, 0
	}
	w.count++
	if w.count > s.opts.RateLimit {
		return &Error{Status: http.StatusTooManyRequests, Code: CodeInternal, RetryAfter: 1, Rule: "ratelimit",
			Message: "rate limit of " + strconv.Itoa(s.opts.RateLimit) + " requests per second exceeded"}
	}
	return nil
}

// marshal writes JSON without HTML escaping (links keep their '&').
// The encoder and its buffer are reused; the result is a fresh slice of
// the exact size (the journal keeps it).
func marshal(v any) ([]byte, error) {
	e := encoders.Get().(*pooledEncoder)
	defer func() {
		if e.buf.Cap() <= 64<<10 { // a big listing's buffer is not kept
			encoders.Put(e)
		}
	}()
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.Clone(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))), nil
}

// jsonAppender is a response body that writes its own JSON: exactly the
// bytes marshal would write (a test compares them), without reflection. A
// nil b asks for a buffer of the right size.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// appendJSONStringNoHTML appends s as marshal writes it (encoding/json
// without HTML escaping).
func appendJSONStringNoHTML(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, err := marshal(s)
			if err != nil { // cannot happen: a string always marshals
				q = []byte(`""`)
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONNext appends a "next" map as encoding/json writes it: keys sorted.
func appendJSONNext(b []byte, next map[string]string) []byte {
	if next == nil {
		return append(b, "null"...)
	}
	var arr [4]string
	keys := arr[:0]
	for k := range next {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONStringNoHTML(b, k)
		b = append(b, ':')
		b = appendJSONStringNoHTML(b, next[k])
	}
	return append(b, '}')
}

type pooledEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &pooledEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

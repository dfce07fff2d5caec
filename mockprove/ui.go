package mockprove

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
)

// The dashboard: GET /_mock/ui/ is a page for people (the virtual phone,
// flows, personas, clock and faults), built on the control API only. Its
// assets are embedded (no CDN, no build step) and guarded like the control
// API; a browser passes the control token as ?token=<token>, and the page's
// own fetches send it as "Authorization: Bearer <token>".
//
// GET /_mock/ui/events is a server-sent event stream that tells the page
// when something changed, so that it refetches through the control API
// instead of reloading. The stream does not hook into the server's state:
// one watcher per server compares cheap change indicators (newest journal
// entry, outbox size and newest SMS, clock, and digests of the flows,
// faults, webhook URLs and deliveries and, once a second, personas) every
// uiPollInterval while a stream is open. The Prove Keys and the enrolled
// identities have no topic: they change only with a journaled API call, a
// flow's possession check (flows) or the clock (a key's 12 months).

//go:embed ui/index.html ui/app.js ui/app.css
var uiFiles embed.FS

// Limits and timing of the event stream (real time, not the business clock).
const (
	// MaxUIStreams bounds the event streams open at once on one server;
	// one more is refused with 503 (code 8000).
	MaxUIStreams     = 32
	uiWriteTimeout   = 10 * time.Second
	defaultUIPoll    = 250 * time.Millisecond
	defaultHeartbeat = 15 * time.Second
)

// uiPollInterval and uiHeartbeat are package variables (not Options) so
// that tests can shorten them; atomics, as open streams read them.
var uiPollInterval, uiHeartbeat atomic.Int64

func init() {
	uiPollInterval.Store(int64(defaultUIPoll))
	uiHeartbeat.Store(int64(defaultHeartbeat))
}

// Topics an event names: what the page should fetch again.
const (
	topicClock    = "clock"
	topicSMS      = "sms"
	topicFlows    = "flows"
	topicJournal  = "journal"
	topicPersonas = "personas"
	topicFaults   = "faults"
	topicWebhooks = "webhooks"
)

var allTopics = []string{topicClock, topicSMS, topicFlows, topicJournal, topicPersonas, topicFaults, topicWebhooks}

// registerUI adds the dashboard's routes (called from registerControl).
func (s *Server) registerUI(r *mux.Router) {
	page := func(path string, h handlerFunc) {
		r.Handle(path, withQueryToken(s.serve(endpoint{step: path, auth: authControl, internal: true, h: h}))).Methods(http.MethodGet)
	}
	page("/_mock/ui", func(c *call) (any, error) {
		loc := "/_mock/ui/"
		if c.r.URL.RawQuery != "" {
			loc += "?" + c.r.URL.RawQuery
		}
		return &reply{status: http.StatusMovedPermanently, header: http.Header{"Location": {loc}}, raw: []byte{}}, nil
	})
	page("/_mock/ui/", s.uiIndex)
	page("/_mock/ui/app.js", uiAsset("ui/app.js", "text/javascript; charset=utf-8"))
	page("/_mock/ui/app.css", uiAsset("ui/app.css", "text/css; charset=utf-8"))
	r.Handle("/_mock/ui/events", withQueryToken(http.HandlerFunc(s.uiEvents))).Methods(http.MethodGet)
}

// withQueryToken lets a browser pass the control token as ?token=…: a page
// cannot set headers on its own URL, its stylesheet or an EventSource. An
// Authorization header, when present, wins.
func withQueryToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("token"); tok != "" && r.Header.Get("Authorization") == "" {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		next.ServeHTTP(w, r)
	})
}

// uiHeaders keep the page and its token to itself: no framing, no referrer
// (the token is in the URL), only its own scripts and styles.
func uiHeaders(contentType string) http.Header {
	return http.Header{
		"Content-Type":            {contentType},
		"Cache-Control":           {"no-store"},
		"X-Content-Type-Options":  {"nosniff"},
		"Referrer-Policy":         {"no-referrer"},
		"X-Frame-Options":         {"DENY"},
		"Content-Security-Policy": {"default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
	}
}

var uiIndexTemplate = template.Must(template.ParseFS(uiFiles, "ui/index.html"))

// uiIndex serves the page; its asset URLs carry the token of the request.
func (s *Server) uiIndex(c *call) (any, error) {
	var buf bytes.Buffer
	if err := uiIndexTemplate.Execute(&buf, map[string]string{"Token": c.r.URL.Query().Get("token"), "Version": BuildVersion()}); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, header: uiHeaders("text/html; charset=utf-8"), raw: buf.Bytes()}, nil
}

func uiAsset(name, contentType string) handlerFunc {
	return func(*call) (any, error) {
		b, err := uiFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		return &reply{status: http.StatusOK, header: uiHeaders(contentType), raw: b}, nil
	}
}

// One watcher per server polls for changes, however many streams are open,
// and hands the topics that changed to each stream (uiSub). The registry is
// package-level, so that the Server type does not change; a server's entry
// goes when its last stream ends.
var uiWatchers = struct {
	sync.Mutex
	m map[*Server]*uiWatcher
}{m: map[*Server]*uiWatcher{}}

type uiWatcher struct {
	subs map[*uiSub]struct{} // guarded by uiWatchers
	stop chan struct{}
}

// uiSub is one stream's pending topics; wake says there are some.
type uiSub struct {
	mu     sync.Mutex
	topics map[string]bool
	wake   chan struct{}
}

func (u *uiSub) add(topics []string) {
	u.mu.Lock()
	for _, t := range topics {
		u.topics[t] = true
	}
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// take returns the pending topics (in allTopics order) and clears them.
func (u *uiSub) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for _, t := range allTopics {
		if u.topics[t] {
			out = append(out, t)
		}
	}
	clear(u.topics)
	return out
}

// subscribeUI adds a stream, or reports false when MaxUIStreams are open.
func (s *Server) subscribeUI() (sub *uiSub, leave func(), ok bool) {
	uiWatchers.Lock()
	defer uiWatchers.Unlock()
	w := uiWatchers.m[s]
	if w == nil {
		w = &uiWatcher{subs: map[*uiSub]struct{}{}, stop: make(chan struct{})}
		uiWatchers.m[s] = w
		// The first fingerprint is taken now, before the stream's first event
		// (every topic): nothing that changes after it can be missed.
		go s.watchUI(w, time.Duration(uiPollInterval.Load()), s.uiSnapshot(nil))
	}
	if len(w.subs) >= MaxUIStreams {
		return nil, nil, false
	}
	sub = &uiSub{topics: map[string]bool{}, wake: make(chan struct{}, 1)}
	w.subs[sub] = struct{}{}
	return sub, func() {
		uiWatchers.Lock()
		defer uiWatchers.Unlock()
		delete(w.subs, sub)
		if len(w.subs) == 0 {
			delete(uiWatchers.m, s)
			close(w.stop)
		}
	}, true
}

// personasEvery: the personas are the dearest to fingerprint (a deep copy
// of each), so they are compared on every 4th poll only (once a second).
const personasEvery = 4

// watchUI polls until the last stream of the server ends.
func (s *Server) watchUI(w *uiWatcher, poll time.Duration, prev uiSnapshot) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		var keep *uiSnapshot
		if n%personasEvery != 0 {
			keep = &prev
		}
		cur := s.uiSnapshot(keep)
		if topics := prev.changed(cur); len(topics) > 0 {
			uiWatchers.Lock()
			for sub := range w.subs {
				sub.add(topics)
			}
			uiWatchers.Unlock()
		}
		prev = cur
	}
}

// uiShutdown holds one channel per http.Server that serves event streams,
// closed when that server shuts down. Shutdown waits for active requests,
// and a stream never ends by itself: without this, Close would wait for its
// timeout whenever a dashboard is open.
var uiShutdown = struct {
	sync.Mutex
	done map[*http.Server]chan struct{}
}{done: map[*http.Server]chan struct{}{}}

// shutdownSignal returns a channel closed when the http.Server serving r
// shuts down, or nil when r is not served by one (Handler(), HTTPClient()).
func shutdownSignal(r *http.Request) <-chan struct{} {
	hs, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if hs == nil {
		return nil
	}
	uiShutdown.Lock()
	defer uiShutdown.Unlock()
	ch := uiShutdown.done[hs]
	if ch == nil {
		ch = make(chan struct{})
		uiShutdown.done[hs] = ch
		hs.RegisterOnShutdown(func() { // once per Shutdown call: Close may be called twice
			uiShutdown.Lock()
			defer uiShutdown.Unlock()
			if uiShutdown.done[hs] == ch {
				delete(uiShutdown.done, hs)
				close(ch)
			}
		})
	}
	return ch
}

// uiEvents is GET /_mock/ui/events: "change" events naming the topics that
// changed ({"topics":["sms","flows"]}; the first event names them all), a
// comment line as heartbeat, and a "bye" event when the server shuts down.
func (s *Server) uiEvents(w http.ResponseWriter, r *http.Request) {
	refuse := func(err error) {
		s.serve(endpoint{step: "/_mock/ui/events", internal: true, h: func(*call) (any, error) { return nil, err }}).ServeHTTP(w, r)
	}
	if err := s.authorizeControl(r); err != nil {
		refuse(err)
		return
	}
	sub, leave, ok := s.subscribeUI()
	if !ok {
		refuse(&Error{Status: http.StatusServiceUnavailable, Code: CodeInternal, RetryAfter: 5,
			Message: fmt.Sprintf("too many dashboard event streams are open (at most %d): close a dashboard tab", MaxUIStreams)})
		return
	}
	defer leave()
	s.log.Debug("dashboard stream opened", "remote", r.RemoteAddr)
	defer s.log.Debug("dashboard stream closed", "remote", r.RemoteAddr)

	rc := http.NewResponseController(w)
	h := uiHeaders("text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(http.StatusOK)
	send := func(chunk string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(uiWriteTimeout)) // a stuck client ends its stream
		if _, err := w.Write([]byte(chunk)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	change := func(topics []string) bool {
		data, _ := json.Marshal(map[string][]string{"topics": topics})
		return send("event: change\ndata: " + string(data) + "\n\n")
	}

	closing := shutdownSignal(r)
	if !send("retry: 2000\n\n") || !change(allTopics) {
		return
	}
	beat := time.NewTicker(time.Duration(uiHeartbeat.Load()))
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-closing:
			send("event: bye\ndata: {}\n\n")
			return
		case <-beat.C:
			if !send(": heartbeat\n\n") {
				return
			}
		case <-sub.wake:
			if topics := sub.take(); len(topics) > 0 && !change(topics) {
				return
			}
		}
	}
}

// uiSnapshot is a cheap fingerprint of what the dashboard shows, read
// through the Server's public methods. With keep, the personas are not read
// again: keep's fingerprint of them is used.
type uiSnapshot struct {
	clock    string
	sms      string
	journal  int64
	flows    uint64
	personas uint64
	faults   uint64
	webhooks uint64
}

func (s *Server) uiSnapshot(keep *uiSnapshot) uiSnapshot {
	var snap uiSnapshot
	if s.clock.Frozen() {
		snap.clock = "frozen " + s.clock.Now().Format(time.RFC3339Nano)
	} else {
		snap.clock = "running " + s.clock.Offset().String()
	}
	if msgs := s.Outbox(SMSFilter{}); len(msgs) > 0 {
		snap.sms = strconv.Itoa(len(msgs)) + " " + msgs[len(msgs)-1].ID
	}
	if last := s.Journal(JournalFilter{Limit: 1}); len(last) > 0 {
		snap.journal = last[0].ID
	}
	hf := fnv.New64a()
	for _, f := range s.Sessions() {
		fmt.Fprintf(hf, "%s %s %t %v|", f.CorrelationID, f.State, f.PossessionPassed, f.Next)
	}
	snap.flows = hf.Sum64()
	if keep != nil {
		snap.personas = keep.personas
	} else {
		hp := fnv.New64a()
		_ = json.NewEncoder(hp).Encode(s.Personas())
		snap.personas = hp.Sum64()
	}
	hq := fnv.New64a()
	for _, f := range s.Faults() {
		fmt.Fprintf(hq, "%s %d %d|", f.ID, f.Remaining, f.Hits)
	}
	snap.faults = hq.Sum64()
	snap.webhooks = s.webhooks.fingerprint()
	return snap
}

// fingerprint digests the webhook URLs and the newest delivery (a delivery
// is added once its attempts are over; the oldest go after 100).
func (w *webhooks) fingerprint() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := fnv.New64a()
	for _, id := range slices.Sorted(maps.Keys(w.configs)) {
		fmt.Fprintf(h, "%s=%s|", id, w.configs[id].URL)
	}
	if n := len(w.deliveries); n > 0 {
		fmt.Fprintf(h, "%d %s", n, w.deliveries[n-1].ID)
	}
	return h.Sum64()
}

// changed lists the topics whose fingerprint differs.
func (a uiSnapshot) changed(b uiSnapshot) []string {
	var out []string
	add := func(diff bool, topic string) {
		if diff {
			out = append(out, topic)
		}
	}
	add(a.clock != b.clock, topicClock)
	add(a.sms != b.sms, topicSMS)
	add(a.flows != b.flows, topicFlows)
	add(a.journal != b.journal, topicJournal)
	add(a.personas != b.personas, topicPersonas)
	add(a.faults != b.faults, topicFaults)
	add(a.webhooks != b.webhooks, topicWebhooks)
	return out
}

// uiURL is the dashboard's address for a view ("phone", "phone/2009990039",
// "flows", …), with the control token of r, if any.
func uiURL(r *http.Request, view string) string {
	loc := "/_mock/ui/"
	if tok := r.URL.Query().Get("token"); tok != "" {
		loc += "?token=" + url.QueryEscape(tok)
	}
	return loc + "#/" + view
}

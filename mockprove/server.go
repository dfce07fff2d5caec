package mockprove

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/mockprove/mockprove/specs"
)

// Version is mockprove's version.
const Version = "0.1.0"

// Lifetimes documented by Prove (prove-platform-api.md §11).
const (
	AccessTokenTTL = 60 * time.Minute // OAuth access token
	FlowTTL        = 15 * time.Minute // correlationId and authToken
	MaxBodyBytes   = 4096             // "under 4 KB"
)

// Client is an OAuth client of the emulated platform: a Prove project's
// credentials and the products it is provisioned for (see products.go).
type Client struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
	// Product is the flow product of /v3/start: ProductIdentity or
	// ProductPrefill (empty for a client of the current suite only).
	Product string `json:"product,omitempty"`
	// Products grants further products: ProductUnify, ProductVerify,
	// ProductIdentityManager, ProductProveX (and may repeat Product).
	Products []string `json:"products,omitempty"`
	// WebhookURL receives the client's Identity Manager events, signed with
	// WebhookSecret (see webhooks.go); optional.
	WebhookURL    string `json:"webhookUrl,omitempty"`
	WebhookSecret string `json:"webhookSecret,omitempty"`
}

// DefaultClients are the clients mockprove knows when Options.Clients is empty.
var DefaultClients = []Client{
	{ID: "identity-client", Secret: "identity-secret", Product: ProductIdentity},
	{ID: "prefill-client", Secret: "prefill-secret", Product: ProductPrefill},
	{ID: "unify-client", Secret: "unify-secret", Products: SuiteProducts},
}

// Options configure a Server. The zero value is a working default.
type Options struct {
	// Addr is where Start listens; default 127.0.0.1:0 (a free port).
	Addr string
	// PublicURL is the origin that tokens and SMS links point at
	// (auth.endp); default the listener's URL. It must be a bare origin.
	PublicURL string
	// Personas replace the embedded default personas when not nil.
	Personas []Persona
	// Clients replace DefaultClients when not empty.
	Clients []Client
	// Clock drives every lifetime; default NewClock() (real time).
	Clock *Clock
	// Seed makes correlation IDs, OTP codes and signing keys repeatable; 0
	// picks a random seed.
	Seed uint64
	// RateLimit is the number of API requests per second allowed per client
	// (Prove's is 25), on the server API and, counted apart, on the device
	// API per client of the flow (where SMS are sent); 0 turns rate limiting
	// off.
	RateLimit int
	// Logger receives one line per request; default discards.
	Logger *slog.Logger
	// StrictResponses validates every API response against the spec and
	// answers 500 (code 8000) when one does not conform. For tests and CI.
	StrictResponses bool

	// OTPTTL is how long an OTP can be entered after its SMS (default 2m).
	OTPTTL time.Duration
	// InstantLinkTTL is how long an Instant Link can be clicked after its
	// SMS (default 3m).
	InstantLinkTTL time.Duration
	// AllowedOrigins are the browser origins allowed to call the device and
	// control APIs ("*" for any); default: any loopback origin.
	AllowedOrigins []string
	// ControlDisabled removes the /_mock/ control API.
	ControlDisabled bool
	// ControlToken, when set, is required as "Authorization: Bearer <token>"
	// on every /_mock/ request. When it is empty and the server listens
	// beyond loopback (0.0.0.0, a LAN address), Serve generates one
	// (Server.ControlToken) unless ControlOpen is set.
	ControlToken string
	// ControlOpen serves the control API without a token even beyond
	// loopback: anyone who reaches the port can read OTP codes.
	ControlOpen bool
	// AllowedHosts are host names (no port) the control API answers to in
	// the Host header besides loopback names and IP addresses ("*" for
	// any), and that may name the public origin on a wildcard listener.
	// PublicURL's host is always allowed.
	AllowedHosts []string
	// JournalSize is how many requests the journal keeps (default 1000).
	JournalSize int
	// WebhookTimeout bounds each webhook delivery attempt (default 5s);
	// WebhookRetryDelay is the real-time wait between attempts (default 1s).
	WebhookTimeout, WebhookRetryDelay time.Duration
	// MaxConns caps concurrent connections, status WebSockets included:
	// beyond it new connections wait in the listen backlog until one closes
	// (default 4096; negative: no cap).
	MaxConns int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout bound, in
	// real time, reading a request's header, reading the whole request (a
	// slow body is cut), writing the answer (a delay fault extends it) and a
	// keep-alive connection between requests. Zero picks the defaults: 10s,
	// 30s, 30s, 2m. Status WebSockets keep their own deadlines.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers (default 64 KB);
	// larger ones get 431.
	MaxHeaderBytes int
	// ShutdownGrace is how long Close waits for requests in flight (and for
	// status WebSocket clients to answer the close) before it cuts them
	// (default 5s).
	ShutdownGrace time.Duration
	// WSCloseGrace is how long (real time) a status WebSocket stays open
	// after its final message for the client to close it, before mockprove
	// closes it (default 5s). Tests shorten it.
	WSCloseGrace time.Duration
}

// Server is one emulated Prove platform. Its methods are safe for
// concurrent use.
type Server struct {
	opts    Options
	clock   *Clock
	log     *slog.Logger
	handler http.Handler
	prove   *specValidator
	device  *specValidator
	tokenV  *specValidator // prove-v3.yaml's /token alone: ready long before prove
	access  signer
	auth    signer

	// Run-time state, apart from HTTP: flows, links, SMS, personas, IDs
	// (store.go). Each part below has its own lock; none is taken for work
	// that grows with the number of flows.
	st         *store
	clients    map[string]*Client          // immutable after New
	verified   tokenCache[accessClaims]    // access tokens whose signature was checked
	authTokens tokenCache[authTokenClaims] // authTokens whose signature was checked
	faults     faultTable
	journal    journal
	hub        *hub
	initial    []Persona // the start-up personas, for Reset (set before initialReady is closed)
	startTime  time.Time // the clock at start-up, for Reset

	initialReady chan struct{} // closed once initial is loaded
	specsReady   chan struct{} // closed once prove and device are built
	specsErr     error

	// mu guards the listener and the public origin.
	mu     sync.Mutex
	public string

	webhooks *webhooks // Identity Manager webhooks: where they go, what was sent

	limiter    rateLimiter            // Options.RateLimit, under its own lock
	ctlToken   atomic.Pointer[string] // the control token Serve generated
	publicHost string                 // the host of Options.PublicURL
	publicSet  atomic.Pointer[string] // s.public once set, read without s.mu (publicOrigin)

	httpSrv  *http.Server
	listener net.Listener
}

// New builds a server without starting a listener. Use Handler() to serve
// it yourself, or Start.
func New(opts Options) (*Server, error) {
	s := &Server{opts: opts, clock: opts.Clock, log: opts.Logger}
	if s.clock == nil {
		s.clock = NewClock()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	ids, keys := newIDGen(seed)
	s.st = newStore(s.clock, ids)
	s.access = newSigner(keys[:32])
	s.auth = newSigner(keys[32:])

	clients := opts.Clients
	if len(clients) == 0 {
		clients = DefaultClients
	}
	s.clients = map[string]*Client{}
	for _, c := range clients {
		if err := checkClient(c); err != nil {
			return nil, err
		}
		if _, dup := s.clients[c.ID]; dup {
			return nil, fmt.Errorf("mockprove: client %q is configured twice", c.ID)
		}
		s.clients[c.ID] = &c
	}

	if s.opts.OTPTTL <= 0 {
		s.opts.OTPTTL = DefaultOTPTTL
	}
	if s.opts.InstantLinkTTL <= 0 {
		s.opts.InstantLinkTTL = DefaultInstantLinkTTL
	}
	if s.opts.JournalSize <= 0 {
		s.opts.JournalSize = DefaultJournalSize
	}
	if s.opts.WebhookTimeout <= 0 {
		s.opts.WebhookTimeout = defaultWebhookTimeout
	}
	if s.opts.WebhookRetryDelay <= 0 {
		s.opts.WebhookRetryDelay = defaultWebhookRetryDelay
	}
	s.webhooks = newWebhooks(clients, s.opts.WebhookTimeout, s.opts.WebhookRetryDelay)
	s.opts.limitDefaults()
	if s.opts.ShutdownGrace <= 0 {
		s.opts.ShutdownGrace = DefaultShutdownGrace
	}
	if s.opts.WSCloseGrace <= 0 {
		s.opts.WSCloseGrace = DefaultWSCloseGrace
	}
	if opts.PublicURL != "" {
		origin, err := bareOrigin(opts.PublicURL)
		if err != nil {
			return nil, err
		}
		s.public = origin
		s.publicSet.Store(&origin)
		s.publicHost = splitHost(strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://"))
	}
	s.hub = newHub()
	s.startTime = s.clock.Now()
	s.journal.reset(s.opts.JournalSize)

	// Personas given in Options are checked here (New reports a bad one);
	// the embedded defaults, checked by the tests of specs/, and the
	// OpenAPI documents are loaded in the background, so that the server
	// answers (health, control API) a few milliseconds after exec. A request
	// that needs them waits for them.
	s.initialReady = make(chan struct{})
	s.prove, s.device, s.tokenV = newPendingValidator(), newPendingValidator(), newPendingValidator()
	if opts.Personas != nil {
		if err := checkPersonas(opts.Personas); err != nil {
			return nil, err
		}
		s.initial = clonePersonas(opts.Personas)
		s.st.personas.replaceOwned(s.initial)
		close(s.initialReady)
	} else {
		go func() {
			// After /token's validator (see loadSpecs): a client takes its
			// token before it starts a flow.
			_ = s.tokenV.loaded()
			ps, err := DefaultPersonas()
			if err != nil { // cannot happen with a tested build: the file is embedded
				s.log.Error("the embedded personas do not load", "err", err)
			}
			s.initial = ps
			s.st.personas.replaceOwned(ps)
			close(s.initialReady)
		}()
	}
	s.specsReady = make(chan struct{})
	go s.loadSpecs()
	s.handler = s.routes()
	return s, nil
}

// routes assembles the router: one register function per endpoint group.
func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	s.registerOAuth(r)
	s.registerStart(r)
	s.registerValidate(r)
	s.registerChallenge(r)
	s.registerComplete(r)
	s.registerUnify(r)
	s.registerVerify(r)
	s.registerIdentityManager(r)
	s.registerProveX(r)
	s.registerSpecs(r)
	s.registerHome(r)
	s.registerOTP(r)
	s.registerInstantLink(r)
	s.registerMobileAuth(r)
	s.registerDeviceKeys(r)
	s.registerStatus(r)
	if !s.opts.ControlDisabled {
		s.registerControl(r)
	}
	r.NotFoundHandler = s.adapt("", func(c *call) (any, error) {
		c.rule = "route"
		if strings.HasPrefix(c.r.URL.Path, "/v3/") { // Prove's gateway: 403 for a path it does not know
			return nil, &Error{Status: http.StatusForbidden, Code: CodeMalformed,
				Message: fmt.Sprintf("no such endpoint: %s %s (Prove answers 403 for an unknown path)", c.r.Method, c.r.URL.Path)}
		}
		return nil, &Error{Status: http.StatusNotFound, Code: CodeMalformed,
			Message: fmt.Sprintf("no such endpoint: %s %s", c.r.Method, c.r.URL.Path)}
	})
	r.MethodNotAllowedHandler = s.adapt("", func(c *call) (any, error) {
		c.rule = "route"
		allow := allowedMethods(r, c.r)
		return &reply{status: http.StatusMethodNotAllowed, header: http.Header{"Allow": {strings.Join(allow, ", ")}},
			body: newError(http.StatusMethodNotAllowed, CodeMalformed, "method %s is not allowed on %s (allowed: %s)",
				c.r.Method, c.r.URL.Path, strings.Join(allow, ", "))}, nil
	})
	return s.cors(r)
}

// allowedMethods lists the methods the router serves for the request's path.
func allowedMethods(r *mux.Router, req *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if r.Match(probe, &match) && match.MatchErr == nil {
			allow = append(allow, m)
		}
	}
	return allow
}

// loadSpecs builds the request validator of /token alone (a small
// document, so that a client can take its token while the others load)
// first, with the process's CPU to itself, then those of the Prove and
// device APIs in parallel (the default personas load alongside), and closes
// specsReady.
func (s *Server) loadSpecs() {
	defer close(s.specsReady)
	var wg sync.WaitGroup
	jobs := []struct {
		name string
		v    *specValidator
	}{{specs.ProveV3Token, s.tokenV}, {specs.ProveV3, s.prove}, {specs.Device, s.device}}
	jobs[0].v.load(jobs[0].name) // with the cores to itself
	for _, job := range jobs[1:] {
		wg.Go(func() { job.v.load(job.name) })
	}
	wg.Wait()
	errs := make([]error, len(jobs))
	for i, job := range jobs {
		errs[i] = job.v.loaded()
	}
	if s.specsErr = errors.Join(errs...); s.specsErr != nil {
		s.log.Error("the embedded OpenAPI documents do not load", "err", s.specsErr)
	}
}

// resetStateLocked empties every run-time state. The caller holds s.mu.
func (s *Server) resetStateLocked() {
	for _, l := range s.st.reset() {
		l.stopTimers()
	}
	<-s.initialReady
	s.st.personas.replaceOwned(s.initial)
	s.limiter.reset()
	s.verified.reset()
	s.authTokens.reset()
	s.faults.reset()
	s.journal.reset(s.opts.JournalSize)
	s.webhooks.reset()
}

// Start listens on Options.Addr (default 127.0.0.1:0) and serves.
func (s *Server) Start() error {
	addr := s.opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return s.StartAddr(addr)
}

// StartAddr listens on addr and serves in the background.
func (s *Server) StartAddr(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mockprove: listen %s: %w", addr, err)
	}
	return s.Serve(l)
}

// Serve serves on an existing listener in the background.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.listener != nil {
		s.mu.Unlock()
		return errors.New("mockprove: already started")
	}
	s.listener = l
	if tcp, ok := l.Addr().(*net.TCPAddr); s.public == "" && ok && !tcp.IP.IsUnspecified() {
		s.public = "http://" + l.Addr().String()
		public := s.public
		s.publicSet.Store(&public)
	} // on 0.0.0.0 or [::]: a trusted Host or the connection's local address (requestOrigin)
	if !s.opts.ControlDisabled && !s.opts.ControlOpen && s.opts.ControlToken == "" && !loopbackListener(l) {
		tok := generateControlToken()
		s.ctlToken.Store(&tok)
	}
	s.httpSrv = s.newHTTPServer()
	srv := s.httpSrv
	s.mu.Unlock()
	if s.opts.MaxConns > 0 {
		l = newLimitListener(l, s.opts.MaxConns)
	}
	go func() { _ = srv.Serve(l) }()
	return nil
}

// URL is the base URL of the running server ("http://127.0.0.1:PORT"), or
// the public URL when one was configured.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return "http://" + s.listener.Addr().String()
	}
	return s.public
}

// Addr is the listener's address, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Handler serves the whole emulator; use it with your own http.Server or
// httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPClient returns a client whose requests go straight to the handler,
// with no socket: the in-memory way to talk to mockprove.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: handlerTransport{s.handler}}
}

// Clock returns the server's clock.
func (s *Server) Clock() *Clock { return s.clock }

// FastForward moves the server's clock forward by d.
func (s *Server) FastForward(d time.Duration) { s.clock.Advance(d) }

// DefaultShutdownGrace is how long Close waits for requests in flight.
const DefaultShutdownGrace = 5 * time.Second

// Close shuts the server down gracefully: it stops accepting connections,
// sends every status WebSocket a close frame 1001 (going away), and waits
// up to Options.ShutdownGrace for requests in flight to finish and for the
// sockets' clients to answer; what still runs then is cut.
func (s *Server) Close() error {
	for _, l := range s.st.linkStates() { // the store's timers stop with the server
		l.stopTimers()
	}
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownGrace)
	defer cancel()
	sockets := make(chan struct{})
	go func() { s.hub.closeAll(ctx); close(sockets) }()
	var err error
	if srv != nil {
		if srv.Shutdown(ctx) != nil { // the grace ended: cut what is left
			err = srv.Close()
		}
	}
	<-sockets
	return err
}

// publicOrigin is the origin put in tokens and links.
func (s *Server) publicOrigin(r *http.Request) string {
	if p := s.publicSet.Load(); p != nil { // never changes once set
		return *p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.originLocked(r)
}

// originLocked is publicOrigin for callers holding s.mu.
func (s *Server) originLocked(r *http.Request) string {
	if s.public != "" {
		return s.public
	}
	// A wildcard listener, Handler() or HTTPClient(): never a Host the
	// client chose.
	return s.requestOrigin(r)
}

// bareOrigin checks that u is scheme://host[:port] with nothing else.
func bareOrigin(u string) (string, error) {
	p, err := url.Parse(strings.TrimSuffix(u, "/"))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" ||
		p.Path != "" || p.RawQuery != "" || p.Fragment != "" || p.User != nil {
		return "", fmt.Errorf("mockprove: public URL %q must be a bare origin such as http://127.0.0.1:8080", u)
	}
	return p.Scheme + "://" + p.Host, nil
}

// handlerTransport is an http.RoundTripper that calls a handler in memory.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// A RoundTripper must not change the caller's request and must close its body.
	req := r.Clone(r.Context())
	if r.Body != nil {
		defer r.Body.Close()
	}
	if req.Host == "" {
		req.Host = req.URL.Host
	}
	req.RequestURI = req.URL.RequestURI()
	req.RemoteAddr = "127.0.0.1:0"
	req = inMemory(req)
	rec := httptest.NewRecorder()
	if dropped := serveRecovering(t.h, rec, req); dropped {
		return nil, errors.New("mockprove: connection dropped (injected fault)")
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// serveRecovering serves r and reports whether the handler dropped the
// connection (http.ErrAbortHandler), which has no meaning without a socket.
func serveRecovering(h http.Handler, w http.ResponseWriter, r *http.Request) (dropped bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			dropped = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

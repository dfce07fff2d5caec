// Package flowapp is the Prove Identity integration a Prove customer writes
// by following Prove's implementation guide: a backend that calls Prove's
// server API (/token, /v3/start, /v3/validate, /v3/challenge, /v3/complete)
// for a web page that runs Prove's web SDK. It knows Prove only by a base
// URL and client credentials, so it runs the same against mockprove and
// against Prove's sandbox. Beside that account application it has a second
// journey, "Sign in with Prove" (signin.go, docs/flowapp-signin.md): Unified
// Authentication with a Prove Key (/v3/unify, /v3/unify-status,
// /v3/unify-bind, /v3/device/revoke), with its own Unify credentials.
//
// The library is the product; cmd/flowapp is a thin main:
//
//	app, err := flowapp.New(flowapp.Options{ProveBaseURL: "http://127.0.0.1:8080"})
//	// Against Prove: ProveBaseURL, ClientID, ClientSecret and PublicURL
//	// (where customers' browsers and phones reach flowapp) are required.
//	if err != nil { ... }
//	if err := app.StartAddr("127.0.0.1:3000"); err != nil { ... }
//	defer app.Close()
//
// The HTTP API is described by specs/flowapp.yaml (embedded as
// specs.Flowapp).
package flowapp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/mockprove/mockprove/flowapp/prove"
	"github.com/mockprove/mockprove/flowapp/web"
)

// Defaults of Options (and of the binary's environment).
const (
	DefaultProveBaseURL = "http://127.0.0.1:8080" // a local mockprove
	DefaultClientID     = "identity-client"       // mockprove's built-in Prove Identity client
	DefaultClientSecret = "identity-secret"
	DefaultAddr         = "127.0.0.1:3000" // the binary's listen address
	DefaultSessionTTL   = 30 * time.Minute
	DefaultMaxSessions  = 100_000       // sessions kept at most; the oldest goes first
	DefaultWebDir       = "flowapp/web" // where node_modules (the SDK) lives
	MaxBodyBytes        = 16 << 10      // request body limit of the JSON API
)

// Prove's documented lifetimes the page shows countdowns for (/config).
const (
	OTPTimeout         = 2 * time.Minute
	InstantLinkTimeout = 3 * time.Minute
)

// sdkPath is the SDK bundle inside the web directory, served unmodified.
const sdkPath = "node_modules/@prove-identity/prove-auth/build/bundle/release/prove-auth.js"

// pageFiles must be in Options.WebFS.
var pageFiles = []string{"index.html", "landing.html", "api.js", "app.js", "app.css", "signin.html", "signin.js"}

// Options configure an App. The zero value runs against a local mockprove
// with its built-in Prove Identity client.
type Options struct {
	// ProveBaseURL is Prove's server API; default DefaultProveBaseURL.
	ProveBaseURL string
	// ClientID and ClientSecret are the OAuth client credentials. Both are
	// required unless ProveBaseURL is a loopback URL (a local mockprove),
	// where leaving both empty means mockprove's identity-client /
	// identity-secret.
	ClientID     string
	ClientSecret string
	// ProveTimeout bounds every call to Prove; default 10 s.
	ProveTimeout time.Duration
	// ProveHTTP is the HTTP client for Prove; default one on
	// http.DefaultTransport.
	ProveHTTP *http.Client
	// UnifyClientID and UnifyClientSecret are the OAuth client credentials
	// of a Unified Authentication project, for "Sign in with Prove"
	// (signin.go). Against a local mockprove both empty mean its
	// unify-client / unify-secret; against Prove, both empty turn the
	// sign-in journey off (its calls answer prove_unavailable).
	UnifyClientID     string
	UnifyClientSecret string
	// CodeSender texts flowapp's own possession code (sign-in with
	// possessionType none); default a CodeOutbox that keeps the codes in
	// memory (App.CodeOutbox) and sends nothing.
	CodeSender CodeSender
	// MaxAccounts caps the signed-in customers remembered (phone number →
	// Prove's proveId and the Prove Keys placed); default
	// DefaultMaxAccounts, the one longest without a sign-in is forgotten
	// first.
	MaxAccounts int

	// Addr is where Start listens; default 127.0.0.1:0 (a free port). The
	// binary defaults to DefaultAddr.
	Addr string
	// PublicURL is where customers' browsers and phones reach flowapp, e.g.
	// https://shop.example.com (behind a proxy, the proxy's URL); default
	// http://<listen address>. Required (or FinalTargetURL) when
	// ProveBaseURL is not a loopback URL. An https URL makes the session
	// cookie Secure.
	PublicURL string
	// FinalTargetURL is sent to /v3/start for desktop flows (where the phone
	// lands after the Instant Link); default <PublicURL>/landing.
	FinalTargetURL string
	// DevHints shows developer hints in the page (a link to mockprove's
	// virtual phone, where the text messages are). nil means on exactly
	// when ProveBaseURL is a loopback URL (a local mockprove).
	DevHints *bool

	// SessionSecret signs the session cookie; default 32 random bytes (the
	// sessions then do not survive a restart, which they do not anyway).
	SessionSecret []byte
	// SessionTTL is how long a flow's session lives; default 30 minutes.
	SessionTTL time.Duration
	// MaxSessions caps the sessions kept in memory; default
	// DefaultMaxSessions. When full, a new session drops the oldest one
	// (its customer gets no_session and starts again).
	MaxSessions int

	// StartsPerPhone and StartsPerIP throttle POST /initialize, whose every
	// accepted call makes Prove text a phone (SMS pumping): at most N starts
	// per phone number, and per client address (IPv6: per /64), in any
	// window of Per; a refused start gets 429 rate_limited with
	// Retry-After. Zero values mean DefaultStartsPerPhone and
	// DefaultStartsPerIP; Limit{Off: true} turns a throttle off.
	StartsPerPhone Limit
	StartsPerIP    Limit
	// ThrottleKeys caps how many phone numbers, and how many addresses, the
	// throttles remember; default DefaultThrottleKeys. When a table is full
	// the key closest to leaving its window is forgotten.
	ThrottleKeys int
	// TrustedProxies are the reverse proxies (addresses or CIDR prefixes)
	// whose X-Forwarded-For is believed when finding the client's address.
	// Default none: the peer's address is the client's, and
	// X-Forwarded-For is ignored.
	TrustedProxies []netip.Prefix

	// WebFS holds the page files (pageFiles: index.html, api.js, app.js, …); default
	// web.FS (flowapp/web, embedded).
	WebFS fs.FS
	// WebDir is the directory whose node_modules holds Prove's web SDK;
	// default DefaultWebDir.
	WebDir string

	// Logger receives one line per request; default discards.
	Logger *slog.Logger
	// Now is the clock sessions and the cached Prove access token expire
	// on; default time.Now.
	Now func() time.Time
}

// App is the flowapp backend. Its methods are safe for concurrent use.
type App struct {
	opts         Options
	prove        *prove.Client
	unify        *prove.Client // the Unify project's client; nil: sign-in is off
	accounts     *accountStore
	codeFails    *codeFailures // wrong own codes per phone number
	codes        CodeSender
	outbox       *CodeOutbox // the default CodeSender, or nil
	sessions     *sessionStore
	throttle     *throttle
	log          *slog.Logger
	web          fs.FS
	phoneURL     string // mockprove's virtual phone, when developer hints are on
	publicOrigin string // scheme://host of Options.PublicURL, or ""
	csp          string // the Content-Security-Policy of every answer
	handler      http.Handler

	mu       sync.Mutex
	srv      *http.Server
	listener net.Listener
}

// New checks opts and builds an app without starting a listener: serve
// Handler() yourself, or call Start.
func New(opts Options) (*App, error) {
	if opts.ProveBaseURL == "" {
		opts.ProveBaseURL = DefaultProveBaseURL
	}
	base, err := prove.CheckBaseURL(opts.ProveBaseURL)
	if err != nil {
		return nil, fmt.Errorf("flowapp: %w", err)
	}
	local := isLoopbackURL(base)
	switch {
	case opts.ClientID != "" && opts.ClientSecret != "":
	case !local:
		return nil, fmt.Errorf("flowapp: Prove at %s is not a local mockprove: set its client ID and client secret "+
			"(PROVE_CLIENT_ID and PROVE_CLIENT_SECRET, or -client-id and -client-secret); mockprove's credentials are never used for it", base)
	case opts.ClientID == "" && opts.ClientSecret == "":
		opts.ClientID, opts.ClientSecret = DefaultClientID, DefaultClientSecret
	default:
		return nil, errors.New("flowapp: set both the client ID and the client secret (PROVE_CLIENT_ID and PROVE_CLIENT_SECRET), " +
			"or neither to use mockprove's identity-client")
	}
	switch {
	case opts.UnifyClientID != "" && opts.UnifyClientSecret != "":
	case opts.UnifyClientID != "" || opts.UnifyClientSecret != "":
		return nil, errors.New("flowapp: set both the Unify client ID and the Unify client secret (PROVE_UNIFY_CLIENT_ID and PROVE_UNIFY_CLIENT_SECRET), or neither")
	case local:
		opts.UnifyClientID, opts.UnifyClientSecret = DefaultUnifyClientID, DefaultUnifyClientSecret
	}
	if opts.MaxAccounts < 0 {
		return nil, fmt.Errorf("flowapp: the account cap %d must not be negative", opts.MaxAccounts)
	}
	if opts.MaxAccounts == 0 {
		opts.MaxAccounts = DefaultMaxAccounts
	}
	if opts.PublicURL != "" {
		u, err := checkPublicURL(opts.PublicURL)
		if err != nil {
			return nil, err
		}
		opts.PublicURL = u
	}
	if !local && opts.PublicURL == "" && opts.FinalTargetURL == "" {
		return nil, fmt.Errorf("flowapp: Prove at %s is not a local mockprove, so customers' phones must reach flowapp from outside "+
			"this machine: set the public URL (PUBLIC_URL or -public-url, e.g. https://shop.example.com) "+
			"or the final target URL (FINAL_TARGET_URL or -final-target-url)", base)
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.MaxSessions < 0 {
		return nil, fmt.Errorf("flowapp: the session cap %d must not be negative", opts.MaxSessions)
	}
	if opts.MaxSessions == 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.StartsPerPhone == (Limit{}) {
		opts.StartsPerPhone = DefaultStartsPerPhone
	}
	if opts.StartsPerIP == (Limit{}) {
		opts.StartsPerIP = DefaultStartsPerIP
	}
	if err := opts.StartsPerPhone.check(); err != nil {
		return nil, fmt.Errorf("flowapp: starts per phone: %w", err)
	}
	if err := opts.StartsPerIP.check(); err != nil {
		return nil, fmt.Errorf("flowapp: starts per IP: %w", err)
	}
	if opts.ThrottleKeys < 0 {
		return nil, fmt.Errorf("flowapp: the throttle table size %d must not be negative", opts.ThrottleKeys)
	}
	if opts.ThrottleKeys == 0 {
		opts.ThrottleKeys = DefaultThrottleKeys
	}
	if opts.WebDir == "" {
		opts.WebDir = DefaultWebDir
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &App{opts: opts, log: opts.Logger, web: opts.WebFS}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a.log = slog.New(maskingHandler{a.log.Handler()})
	if a.web == nil {
		a.web = web.FS
	}
	for _, name := range pageFiles {
		if _, err := fs.Stat(a.web, name); err != nil {
			return nil, fmt.Errorf("flowapp: the page files must hold %s: %w", name, err)
		}
	}
	if opts.FinalTargetURL != "" {
		if err := checkFinalTarget(opts.FinalTargetURL); err != nil {
			return nil, err
		}
	}
	if a.opts.PublicURL != "" {
		u, _ := url.Parse(a.opts.PublicURL)
		a.publicOrigin = u.Scheme + "://" + u.Host
	}
	pc, err := prove.New(prove.Config{
		BaseURL: base, ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
		HTTP: opts.ProveHTTP, Timeout: opts.ProveTimeout, Now: opts.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("flowapp: %w", err)
	}
	a.prove = pc
	if opts.UnifyClientID != "" {
		a.unify, err = prove.New(prove.Config{
			BaseURL: base, ClientID: opts.UnifyClientID, ClientSecret: opts.UnifyClientSecret,
			HTTP: opts.ProveHTTP, Timeout: opts.ProveTimeout, Now: opts.Now,
		})
		if err != nil {
			return nil, fmt.Errorf("flowapp: %w", err)
		}
	}
	a.accounts = newAccountStore(opts.MaxAccounts, opts.Now)
	a.codeFails = newCodeFailures(opts.ThrottleKeys, opts.Now)
	a.codes = opts.CodeSender
	if a.codes == nil {
		a.outbox = NewCodeOutbox(0, opts.Now)
		a.codes = a.outbox
	}
	if hints := opts.DevHints; (hints == nil && local) || (hints != nil && *hints) {
		a.phoneURL = pc.BaseURL + "/_mock/phone"
	}
	a.csp = contentSecurityPolicy(pc.BaseURL)
	secret := opts.SessionSecret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("flowapp: session secret: %w", err)
		}
	}
	a.sessions = newSessionStore(secret, opts.SessionTTL, opts.MaxSessions, opts.Now, strings.HasPrefix(a.opts.PublicURL, "https://"))
	a.throttle = newThrottle(opts.StartsPerPhone, opts.StartsPerIP, opts.ThrottleKeys, opts.TrustedProxies, opts.Now)
	a.handler = a.routes()
	return a, nil
}

// routes assembles the router.
func (a *App) routes() http.Handler {
	r := mux.NewRouter()
	a.registerPage(r)
	a.registerFlow(r)
	a.registerSignin(r)
	r.NotFoundHandler = a.api(func(r *http.Request) (*reply, error) {
		return nil, &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: fmt.Sprintf("There is no %s %s.", r.Method, r.URL.Path)}
	})
	r.MethodNotAllowedHandler = a.api(func(r *http.Request) (*reply, error) {
		return nil, &apiError{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed, Message: fmt.Sprintf("%s is not allowed on %s.", r.Method, r.URL.Path)}
	})
	return a.logged(a.secured(r))
}

// secured sets the security headers of every answer: a Content-Security-
// Policy that lets the page load only its own files and talk only to
// flowapp and Prove's device API, no framing, no Referer (the Instant Link
// landing URL carries an authId).
func (a *App) secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", a.csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy is the page's CSP for Prove at base. Prove's web
// SDK calls Prove's device API from the browser (fetch, and a WebSocket
// while it waits for the Instant Link): against Prove that is
// https://*.proveapis.com:* and wss://*.prove-auth.proveapis.com (Prove's
// guide asks for the latter in connect-src); against mockprove (or another
// stand-in) it is the base URL's origin and its ws:// (wss://) form.
func contentSecurityPolicy(base string) string {
	connect := []string{"'self'"}
	u, err := url.Parse(base)
	if err == nil {
		host := strings.ToLower(u.Hostname())
		if host == "proveapis.com" || strings.HasSuffix(host, ".proveapis.com") {
			connect = append(connect, "https://*.proveapis.com:*", "wss://*.prove-auth.proveapis.com")
		} else {
			ws := "ws://"
			if u.Scheme == "https" {
				ws = "wss://"
			}
			connect = append(connect, u.Scheme+"://"+u.Host, ws+u.Host)
		}
	}
	return "default-src 'self'; connect-src " + strings.Join(connect, " ") +
		"; img-src 'self' data:; style-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// Handler serves the whole app.
func (a *App) Handler() http.Handler { return a.handler }

// Start listens on Options.Addr (default 127.0.0.1:0) and serves in the
// background.
func (a *App) Start() error {
	addr := a.opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return a.StartAddr(addr)
}

// StartAddr listens on addr and serves in the background.
func (a *App) StartAddr(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("flowapp: listen %s: %w", addr, err)
	}
	return a.Serve(l)
}

// Serve serves on an existing listener in the background.
func (a *App) Serve(l net.Listener) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.listener != nil {
		return errors.New("flowapp: already started")
	}
	a.listener = l
	// A flow step may make two Prove calls (/v3/validate, then /v3/challenge
	// for a pre-fill), each bounded by the Prove timeout: the answer must
	// still be writable after both.
	a.srv = &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      a.WriteTimeout(),
		IdleTimeout:       2 * time.Minute,
	}
	srv := a.srv
	go func() { _ = srv.Serve(l) }()
	return nil
}

// URL is the base URL of the running app ("http://127.0.0.1:PORT"), or ""
// before Start and after Close. An unspecified listen address (0.0.0.0, ::)
// is reported as 127.0.0.1.
func (a *App) URL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.listener == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(a.listener.Addr().String())
	if err != nil {
		return "http://" + a.listener.Addr().String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// CodeOutbox is the default CodeSender's outbox (flowapp's own codes for
// sign-ins with possessionType none), or nil when Options.CodeSender was
// set.
func (a *App) CodeOutbox() *CodeOutbox { return a.outbox }

// ProveBaseURL is the Prove server the app talks to.
func (a *App) ProveBaseURL() string { return a.prove.BaseURL }

// PublicURL is where customers reach the app: Options.PublicURL, else
// URL().
func (a *App) PublicURL() string {
	if a.opts.PublicURL != "" {
		return a.opts.PublicURL
	}
	return a.URL()
}

// WriteTimeout is the http.Server write timeout Start uses: longer than two
// calls to Prove.
func (a *App) WriteTimeout() time.Duration { return 2*a.prove.Timeout() + 15*time.Second }

// Close stops the listener, waiting (briefly) for requests in flight. The
// app can be started again.
func (a *App) Close() error {
	a.mu.Lock()
	srv := a.srv
	a.srv, a.listener = nil, nil
	a.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// finalTarget is the finalTargetUrl for desktop flows: FinalTargetURL, else
// <public URL>/landing. Served through Handler() without Start and without a
// PublicURL (only possible against a local mockprove), the request's host
// stands in for the public URL.
func (a *App) finalTarget(r *http.Request) string {
	if a.opts.FinalTargetURL != "" {
		return a.opts.FinalTargetURL
	}
	if u := a.PublicURL(); u != "" {
		return u + "/landing"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/landing"
}

// checkPublicURL checks a public URL (an absolute http(s) URL, perhaps with
// a path prefix, without query or fragment) and returns it without its
// trailing slash; <public URL>/landing must be a final target Prove takes.
func checkPublicURL(s string) (string, error) {
	trimmed := strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(trimmed)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("flowapp: public URL %q must be an absolute http(s) URL such as https://shop.example.com", s)
	}
	if err := checkFinalTarget(trimmed + "/landing"); err != nil {
		return "", fmt.Errorf("flowapp: public URL %q: %w", s, err)
	}
	return trimmed, nil
}

// checkFinalTarget applies Prove's rules for finalTargetUrl: an absolute
// http(s) URL of at most 128 characters from a limited alphabet.
func checkFinalTarget(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("flowapp: final target URL %q must be an absolute http(s) URL", s)
	}
	if len(s) > 128 {
		return fmt.Errorf("flowapp: final target URL %q is longer than Prove's limit of 128 characters", s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._+=/:?&%#~", c)) {
			return fmt.Errorf("flowapp: final target URL %q has a character Prove does not accept: %q", s, c)
		}
	}
	return nil
}

// isLoopbackURL reports whether u points at this machine.
func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package contracts

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProxyOptions configure a Proxy.
type ProxyOptions struct {
	// Upstream is Prove's base URL (mockprove, or Prove's sandbox), a bare
	// origin such as http://127.0.0.1:8080. Required.
	Upstream string
	// Addr is where Start listens; default 127.0.0.1:0 (a free port).
	Addr string
	// Recorder configures the checks (documents, clock, bounds).
	Recorder RecorderOptions
	// Transport carries requests to Upstream; default http.DefaultTransport.
	Transport http.RoundTripper
	// Logger receives the proxy's errors; default discards.
	Logger *slog.Logger
}

// ReportPath is where the proxy serves its report (GET, with ?format=
// text|json|junit or an Accept header); it is never forwarded.
const ReportPath = "/_contracts/report"

// Proxy is a reverse proxy between an integration and Prove that checks
// every exchange (a Recorder) and passes every body through byte for
// byte. WebSocket upgrades (the Instant Link status socket) pass through
// unchecked.
type Proxy struct {
	opts     ProxyOptions
	upstream *url.URL
	rec      *Recorder
	rp       *httputil.ReverseProxy

	mu       sync.Mutex
	srv      *http.Server
	listener net.Listener
}

// NewProxy checks opts and builds a proxy without starting a listener:
// serve it (it is an http.Handler) or call Start.
func NewProxy(opts ProxyOptions) (*Proxy, error) {
	if opts.Upstream == "" {
		return nil, errors.New("contracts proxy: the upstream URL is required (-upstream http://127.0.0.1:8080)")
	}
	u, err := url.Parse(opts.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("contracts proxy: upstream %q is not an http or https URL", opts.Upstream)
	}
	if strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("contracts proxy: upstream %q must be a bare origin (no path): Prove's paths start at the root", opts.Upstream)
	}
	u.Path = ""
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	rec, err := NewRecorder(opts.Transport, opts.Recorder)
	if err != nil {
		return nil, err
	}
	p := &Proxy{opts: opts, upstream: u, rec: rec}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u) // path and query kept; Host becomes the upstream's
		},
		Transport:     rec,
		FlushInterval: -1,
		ErrorLog:      slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			opts.Logger.Error("upstream", "method", r.Method, "path", r.URL.Path, "err", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = fmt.Fprintf(w, `{"code":8000,"message":"contracts proxy: upstream %s did not answer"}`+"\n", u.Host)
		},
	}
	return p, nil
}

// Recorder is the proxy's recorder: its violations, warnings, coverage.
func (p *Proxy) Recorder() *Recorder { return p.rec }

// Report is the report so far.
func (p *Proxy) Report() Report { return p.rec.Report() }

// ServeHTTP forwards a request to the upstream, or serves the report.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == ReportPath {
		p.serveReport(w, r)
		return
	}
	p.rp.ServeHTTP(w, r)
}

func (p *Proxy) serveReport(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		accept := r.Header.Get("Accept")
		switch {
		case strings.Contains(accept, "application/json"):
			format = FormatJSON
		case strings.Contains(accept, "xml"):
			format = FormatJUnit
		default:
			format = FormatText
		}
	}
	ct := map[string]string{FormatText: "text/plain; charset=utf-8", FormatJSON: "application/json", FormatJUnit: "application/xml"}[format]
	if ct == "" {
		http.Error(w, fmt.Sprintf("unknown format %q: text, json or junit", format), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", ct)
	_ = p.rec.Report().Write(w, format)
}

// Start listens on Options.Addr and serves in the background.
func (p *Proxy) Start() error {
	addr := p.opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("contracts proxy: %w", err)
	}
	return p.Serve(l)
}

// Serve serves on l in the background.
func (p *Proxy) Serve(l net.Listener) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		return errors.New("contracts proxy: already serving")
	}
	p.listener = l
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := p.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.opts.Logger.Error("serve", "err", err)
		}
	}()
	return nil
}

// URL is the proxy's base URL: point the integration's Prove base URL at
// it.
func (p *Proxy) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener == nil {
		return ""
	}
	return "http://" + p.listener.Addr().String()
}

// Close stops the listener, letting requests in flight finish (for at
// most 5 seconds).
func (p *Proxy) Close() error {
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
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

// ProxyMain is the "contracts proxy" command: it parses args (without the
// command name), serves until SIGINT or SIGTERM, then writes the report
// and returns the exit status: 0, 1 when the report fails under -fail-on,
// 2 on bad usage or when it cannot start.
func ProxyMain(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return RunProxy(ctx, args, stdout, stderr)
}

// RunProxy is ProxyMain until ctx ends instead of a signal.
func RunProxy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("contracts proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9090", "address to listen on")
	upstream := fs.String("upstream", "", "Prove's base URL: a running mockprove or Prove's sandbox (required)")
	reportFile := fs.String("report", "", "write the report to this file on exit (default stdout)")
	format := fs.String("format", "", "format of the report written on exit: text, json or junit (default: from -report's extension, else text)")
	failOn := fs.String("fail-on", FailOnNone, "exit 1 on violations of: client, platform, any, or none")
	maxFlows := fs.Int("max-flows", DefaultMaxFlows, "flows tracked at once (the oldest are forgotten beyond)")
	maxBody := fs.Int64("max-body", DefaultMaxBody, "largest body buffered and checked, in bytes (larger ones pass unchecked)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: contracts proxy -upstream URL [-listen ADDR] [-report FILE] [-format text|json|junit] [-fail-on client|platform|any|none]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "contracts proxy: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	switch *failOn {
	case FailOnNone, FailOnClient, FailOnPlatform, FailOnAny:
	default:
		fmt.Fprintf(stderr, "contracts proxy: -fail-on %q: want client, platform, any or none\n", *failOn)
		return 2
	}
	if *format == "" {
		switch {
		case strings.HasSuffix(*reportFile, ".json"):
			*format = FormatJSON
		case strings.HasSuffix(*reportFile, ".xml"):
			*format = FormatJUnit
		default:
			*format = FormatText
		}
	}
	if *format != FormatText && *format != FormatJSON && *format != FormatJUnit {
		fmt.Fprintf(stderr, "contracts proxy: -format %q: want text, json or junit\n", *format)
		return 2
	}
	p, err := NewProxy(ProxyOptions{
		Upstream: *upstream,
		Addr:     *listen,
		Recorder: RecorderOptions{MaxBody: *maxBody, Flows: FlowOptions{MaxFlows: *maxFlows}},
		Logger:   slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := p.Start(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprintf(stderr, "contracts proxy: listening on %s, forwarding to %s; report at %s%s\n", p.URL(), *upstream, p.URL(), ReportPath)
	<-ctx.Done()
	_ = p.Close()
	rep := p.Report()
	out := stdout
	if *reportFile != "" {
		f, err := os.Create(*reportFile)
		if err != nil {
			fmt.Fprintf(stderr, "contracts proxy: %v\n", err)
			_ = rep.WriteText(stderr)
			return 2
		}
		out = f
	}
	err = rep.Write(out, *format)
	if f, ok := out.(*os.File); ok && f != stdout {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "contracts proxy: writing the report: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "contracts proxy: %d exchanges, %d client violations, %d platform violations, %d warnings\n",
		rep.Exchanges, len(rep.Of(SideClient)), len(rep.Of(SidePlatform)), len(rep.Warnings))
	if rep.Fails(*failOn) {
		return 1
	}
	return 0
}

// Package cli maps mockprove's command line and environment to
// mockprove.Options and runs the server until the context ends. It is the
// whole of the binary, kept out of package main so that it can be tested.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/mockprove/mockprove/mockprove"
)

// Config is what the command line and environment say.
type Config struct {
	Addr       string
	PublicURL  string
	Personas   string // file; "" = embedded defaults
	Clients    string // file; "" = built-in clients
	ClientList clientFlags
	RateLimit  int
	Seed       uint64
	LogLevel   string
	LogFormat  string
	Strict     bool
	Version    bool

	Control        bool
	ControlToken   string
	ControlOpen    bool
	AllowedHosts   string
	OTPTTL         time.Duration
	InstantLinkTTL time.Duration
	Origins        string
	JournalSize    int

	ShutdownGrace time.Duration
	MaxConns      int
	ReadTimeout   time.Duration
	WriteTimeout  time.Duration
	IdleTimeout   time.Duration
}

type clientFlags []mockprove.Client

func (c *clientFlags) String() string { return fmt.Sprint(len(*c)) }

// Set parses id:secret:product, where product may be several joined by +
// (identity+verify): identity or prefill is the /v3/start product, the
// others are granted beside it.
func (c *clientFlags) Set(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) != 3 || parts[2] == "" {
		return errors.New("want id:secret:product (products joined by +)")
	}
	cl := mockprove.Client{ID: parts[0], Secret: parts[1]}
	for _, p := range strings.Split(parts[2], "+") {
		if p == mockprove.ProductIdentity || p == mockprove.ProductPrefill {
			if cl.Product != "" {
				return errors.New("a client has one of identity and prefill, not both")
			}
			cl.Product = p
			continue
		}
		cl.Products = append(cl.Products, p)
	}
	*c = append(*c, cl)
	return nil
}

// envName is the environment variable that stands in for a flag:
// MOCKPROVE_ and the flag's name in upper case with _ for -.
func envName(flagName string) string {
	return "MOCKPROVE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// wants says, for an environment variable that does not parse, what its
// value must be.
var wants = map[string]string{
	"rate-limit":       "a whole number of requests per second, 0 or more",
	"seed":             "a whole number, 0 or more",
	"strict":           "true or false",
	"control":          "true or false",
	"control-open":     "true or false",
	"otp-ttl":          "a Go duration such as 2m",
	"instant-link-ttl": "a Go duration such as 3m",
	"journal-size":     "a whole number, 1 or more",
	"shutdown-grace":   "a Go duration such as 5s",
	"max-conns":        "a whole number of connections, 0 (no cap) or more",
	"read-timeout":     "a Go duration such as 30s",
	"write-timeout":    "a Go duration such as 30s",
	"idle-timeout":     "a Go duration such as 2m",
	"client":           "a comma-separated list of id:secret:product",
}

// Parse reads flags, falling back to MOCKPROVE_* environment variables for
// the flags that are not given. An environment variable is only read (and
// only refused) when its flag is not given.
func Parse(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	cfg := &Config{}
	fs := flag.NewFlagSet("mockprove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one) [MOCKPROVE_ADDR]")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "origin put in authTokens and SMS links (default: the listen address) [MOCKPROVE_PUBLIC_URL]")
	fs.StringVar(&cfg.Personas, "personas", "", "persona file (YAML or JSON); default: the embedded personas [MOCKPROVE_PERSONAS]")
	fs.StringVar(&cfg.Clients, "clients", "", "OAuth clients file (YAML list of {id, secret, product, products}); replaces the built-in clients [MOCKPROVE_CLIENTS]")
	fs.Var(&cfg.ClientList, "client", "an OAuth client as id:secret:product, products joined by + (unify+verify+identity-manager+provex); replaces the built-in clients (repeatable) [MOCKPROVE_CLIENT, comma-separated]")
	fs.IntVar(&cfg.RateLimit, "rate-limit", 0, "API requests per second per client, server API and device API each; 0 = off (Prove's limit is 25) [MOCKPROVE_RATE_LIMIT]")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed for IDs, codes and keys; 0 = random [MOCKPROVE_SEED]")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error [MOCKPROVE_LOG_LEVEL]")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "text or json [MOCKPROVE_LOG_FORMAT]")
	fs.BoolVar(&cfg.Version, "version", false, "print mockprove's version and exit")
	fs.BoolVar(&cfg.Strict, "strict", false, "answer 500 when a response does not conform to the spec [MOCKPROVE_STRICT]")
	fs.BoolVar(&cfg.Control, "control", true, "serve the /_mock/ control API [MOCKPROVE_CONTROL]")
	fs.StringVar(&cfg.ControlToken, "control-token", "", "require 'Authorization: Bearer <token>' on /_mock/; beyond loopback one is generated and printed when none is given [MOCKPROVE_CONTROL_TOKEN]")
	fs.BoolVar(&cfg.ControlOpen, "control-open", false, "serve /_mock/ without a token even beyond loopback (anyone who reaches the port can read OTP codes) [MOCKPROVE_CONTROL_OPEN]")
	fs.StringVar(&cfg.AllowedHosts, "allowed-hosts", "", "comma-separated host names accepted in the Host header of /_mock/ and used as the origin on a wildcard address, * for any (default: loopback names and IP addresses) [MOCKPROVE_ALLOWED_HOSTS]")
	fs.DurationVar(&cfg.OTPTTL, "otp-ttl", mockprove.DefaultOTPTTL, "how long an OTP can be entered after its SMS [MOCKPROVE_OTP_TTL]")
	fs.DurationVar(&cfg.InstantLinkTTL, "instant-link-ttl", mockprove.DefaultInstantLinkTTL, "how long an Instant Link can be clicked after its SMS [MOCKPROVE_INSTANT_LINK_TTL]")
	fs.StringVar(&cfg.Origins, "allowed-origins", "", "comma-separated browser origins allowed by CORS, * for any (default: any loopback origin) [MOCKPROVE_ALLOWED_ORIGINS]")
	fs.IntVar(&cfg.JournalSize, "journal-size", mockprove.DefaultJournalSize, "how many requests the journal keeps [MOCKPROVE_JOURNAL_SIZE]")
	fs.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", mockprove.DefaultShutdownGrace, "on SIGINT/SIGTERM, how long requests in flight get to finish (WebSockets get close 1001) [MOCKPROVE_SHUTDOWN_GRACE]")
	fs.IntVar(&cfg.MaxConns, "max-conns", mockprove.DefaultMaxConns, "concurrent connections (WebSockets included); beyond it new ones wait until one closes; 0 = no cap [MOCKPROVE_MAX_CONNS]")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", mockprove.DefaultReadTimeout, "time to read a whole request, body included (the header: at most 10s) [MOCKPROVE_READ_TIMEOUT]")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", mockprove.DefaultWriteTimeout, "time to answer a request once its header is read (a delay fault extends it) [MOCKPROVE_WRITE_TIMEOUT]")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", mockprove.DefaultIdleTimeout, "how long a keep-alive connection may wait for its next request [MOCKPROVE_IDLE_TIMEOUT]")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	// source names where each value came from, for error messages.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	source := map[string]string{}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			source[f.Name] = "-" + f.Name
			return
		}
		if f.Name == "version" { // a question, not a setting: no MOCKPROVE_VERSION
			return
		}
		name := envName(f.Name)
		v := getenv(name)
		if v == "" || envErr != nil {
			return
		}
		source[f.Name] = name
		if err := setFromEnv(f, v); err != nil {
			if want, ok := wants[f.Name]; ok {
				envErr = fmt.Errorf("%s must be %s, not %q", name, want, v)
			} else {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := cfg.check(func(flagName string) string {
		if s, ok := source[flagName]; ok {
			return s
		}
		return "-" + flagName
	}); err != nil {
		return nil, err
	}
	return cfg, nil
}

// setFromEnv sets a flag from its environment variable. MOCKPROVE_CLIENT
// holds a comma-separated list of id:secret:product.
func setFromEnv(f *flag.Flag, v string) error {
	if f.Name != "client" {
		return f.Value.Set(v)
	}
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		if err := f.Value.Set(c); err != nil {
			return err
		}
	}
	return nil
}

// check refuses values the server cannot use; name says where a flag's
// value came from (-flag or MOCKPROVE_FLAG).
func (cfg *Config) check(name func(flagName string) string) error {
	switch {
	case cfg.RateLimit < 0:
		return fmt.Errorf("%s must be 0 or more, not %d", name("rate-limit"), cfg.RateLimit)
	case cfg.OTPTTL <= 0:
		return fmt.Errorf("%s must be a positive duration, not %s", name("otp-ttl"), cfg.OTPTTL)
	case cfg.InstantLinkTTL <= 0:
		return fmt.Errorf("%s must be a positive duration, not %s", name("instant-link-ttl"), cfg.InstantLinkTTL)
	case cfg.JournalSize < 1:
		return fmt.Errorf("%s must be 1 or more, not %d", name("journal-size"), cfg.JournalSize)
	case cfg.ShutdownGrace <= 0:
		return fmt.Errorf("%s must be a positive duration, not %s", name("shutdown-grace"), cfg.ShutdownGrace)
	case cfg.MaxConns < 0:
		return fmt.Errorf("%s must be 0 (no cap) or more, not %d", name("max-conns"), cfg.MaxConns)
	case cfg.ReadTimeout <= 0:
		return fmt.Errorf("%s must be a positive duration, not %s", name("read-timeout"), cfg.ReadTimeout)
	case cfg.WriteTimeout <= 0:
		return fmt.Errorf("%s must be a positive duration, not %s", name("write-timeout"), cfg.WriteTimeout)
	case cfg.IdleTimeout <= 0:
		return fmt.Errorf("%s must be a positive duration, not %s", name("idle-timeout"), cfg.IdleTimeout)
	}
	return nil
}

// Options turns the configuration into server options.
func (cfg *Config) Options(stderr io.Writer) (mockprove.Options, error) {
	if err := cfg.check(func(flagName string) string { return "-" + flagName }); err != nil {
		return mockprove.Options{}, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return mockprove.Options{}, fmt.Errorf("-log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch cfg.LogFormat {
	case "text":
		h = slog.NewTextHandler(stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(stderr, hopts)
	default:
		return mockprove.Options{}, fmt.Errorf("-log-format must be text or json, not %q", cfg.LogFormat)
	}
	opts := mockprove.Options{
		Addr:            cfg.Addr,
		PublicURL:       cfg.PublicURL,
		RateLimit:       cfg.RateLimit,
		Seed:            cfg.Seed,
		Logger:          slog.New(h),
		StrictResponses: cfg.Strict,
		Clients:         append([]mockprove.Client(nil), cfg.ClientList...),
		ControlDisabled: !cfg.Control,
		ControlToken:    cfg.ControlToken,
		ControlOpen:     cfg.ControlOpen,
		AllowedHosts:    splitList(cfg.AllowedHosts),
		OTPTTL:          cfg.OTPTTL,
		InstantLinkTTL:  cfg.InstantLinkTTL,
		AllowedOrigins:  splitList(cfg.Origins),
		JournalSize:     cfg.JournalSize,
		ShutdownGrace:   cfg.ShutdownGrace,
		MaxConns:        cfg.MaxConns,
		ReadTimeout:     cfg.ReadTimeout,
		WriteTimeout:    cfg.WriteTimeout,
		IdleTimeout:     cfg.IdleTimeout,
	}
	if cfg.MaxConns == 0 {
		opts.MaxConns = -1 // no cap
	}
	if cfg.Personas != "" {
		ps, err := mockprove.LoadPersonasFile(cfg.Personas)
		if err != nil {
			return opts, err
		}
		opts.Personas = ps
	}
	if cfg.Clients != "" {
		data, err := os.ReadFile(cfg.Clients)
		if err != nil {
			return opts, fmt.Errorf("-clients: %w", err)
		}
		var list []mockprove.Client
		if err := yaml.UnmarshalStrict(data, &list); err != nil {
			return opts, fmt.Errorf("-clients %s: %w", cfg.Clients, err)
		}
		opts.Clients = append(opts.Clients, list...)
	}
	return opts, nil
}

// splitList splits a comma-separated list, trimming entries and dropping
// empty ones; nil when nothing is left.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Main runs mockprove until ctx is done.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := Parse(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cfg.Version {
		fmt.Fprintf(stdout, "mockprove %s\n", mockprove.BuildVersion())
		return nil
	}
	logs := newLogWriter(stderr, logWriterLimit) // the log lines, written off the request path
	defer logs.Close()
	opts, err := cfg.Options(logs)
	if err != nil {
		return err
	}
	s, err := mockprove.New(opts)
	if err != nil {
		return err
	}
	if err := s.StartAddr(cfg.Addr); err != nil {
		return err
	}
	say := announcer{json: cfg.LogFormat == "json", stdout: stdout, stderr: stderr}
	version := mockprove.BuildVersion()
	say.info(fmt.Sprintf("mockprove listening on %s (version %s)", s.URL(), version),
		"mockprove listening", "url", s.URL(), "version", version)
	switch {
	case !cfg.Control || cfg.ControlToken != "":
	case s.ControlToken() != "": // generated: the listener is beyond loopback
		say.info("mockprove control token: "+s.ControlToken(), "mockprove control token", "token", s.ControlToken())
		say.warn(fmt.Sprintf("mockprove listens on %s, beyond this machine: /_mock/ needs 'Authorization: Bearer <control token>' "+
			"(generated for this run; choose one with -control-token, or serve without with -control-open)", s.Addr()),
			"the control API needs a token: 'Authorization: Bearer <control token>' (generated for this run; choose one with -control-token, or serve without with -control-open)",
			"addr", s.Addr())
	case !loopback(s.Addr()):
		say.warn(fmt.Sprintf("WARNING: mockprove listens on %s, beyond this machine, and -control-open serves its /_mock/ control API without a token:\n"+
			"WARNING: anyone who can reach it can read SMS codes, move the clock and change personas.", s.Addr()),
			"the control API is open beyond this machine (-control-open): anyone who can reach it can read SMS codes, move the clock and change personas",
			"addr", s.Addr())
	}
	<-ctx.Done()
	say.info("mockprove shutting down", "mockprove shutting down")
	return s.Close()
}

// announcer writes the lines Main prints itself (listening, control token,
// warnings, shutting down) in the run's log format: plain lines in text
// mode, JSON log lines (log/slog) in json mode. Information goes to stdout,
// warnings to stderr, as in text mode.
type announcer struct {
	json           bool
	stdout, stderr io.Writer
}

func (a announcer) info(text, msg string, attrs ...any) {
	if !a.json {
		fmt.Fprintln(a.stdout, text)
		return
	}
	slog.New(slog.NewJSONHandler(a.stdout, nil)).Info(msg, attrs...)
}

func (a announcer) warn(text, msg string, attrs ...any) {
	if !a.json {
		fmt.Fprintln(a.stderr, text)
		return
	}
	slog.New(slog.NewJSONHandler(a.stderr, nil)).Warn(msg, attrs...)
}

// loopback reports whether a listen address only accepts local connections.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

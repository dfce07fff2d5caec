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
	"strconv"
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

	Control        bool
	ControlToken   string
	OTPTTL         time.Duration
	InstantLinkTTL time.Duration
	Origins        string
	JournalSize    int
}

type clientFlags []mockprove.Client

func (c *clientFlags) String() string { return fmt.Sprint(len(*c)) }

// Set parses id:secret:product.
func (c *clientFlags) Set(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return errors.New("want id:secret:product")
	}
	*c = append(*c, mockprove.Client{ID: parts[0], Secret: parts[1], Product: parts[2]})
	return nil
}

// Parse reads flags, falling back to MOCKPROVE_* environment variables.
func Parse(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	cfg := &Config{}
	fs := flag.NewFlagSet("mockprove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("MOCKPROVE_" + name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&cfg.Addr, "addr", env("ADDR", "127.0.0.1:8080"), "listen address (host:port; port 0 picks a free one) [MOCKPROVE_ADDR]")
	fs.StringVar(&cfg.PublicURL, "public-url", env("PUBLIC_URL", ""), "origin put in authTokens and SMS links (default: the listen address) [MOCKPROVE_PUBLIC_URL]")
	fs.StringVar(&cfg.Personas, "personas", env("PERSONAS", ""), "persona file (YAML or JSON); default: the embedded personas [MOCKPROVE_PERSONAS]")
	fs.StringVar(&cfg.Clients, "clients", env("CLIENTS", ""), "OAuth clients file (YAML list of {id, secret, product}) [MOCKPROVE_CLIENTS]")
	fs.Var(&cfg.ClientList, "client", "an OAuth client as id:secret:product (repeatable)")
	rate, err := strconv.Atoi(env("RATE_LIMIT", "0"))
	if err != nil || rate < 0 {
		return nil, fmt.Errorf("MOCKPROVE_RATE_LIMIT must be a whole number of requests per second, 0 or more, not %q", env("RATE_LIMIT", "0"))
	}
	strict, err := strconv.ParseBool(env("STRICT", "false"))
	if err != nil {
		return nil, fmt.Errorf("MOCKPROVE_STRICT must be true or false, not %q", env("STRICT", ""))
	}
	control, err := strconv.ParseBool(env("CONTROL", "true"))
	if err != nil {
		return nil, fmt.Errorf("MOCKPROVE_CONTROL must be true or false, not %q", env("CONTROL", ""))
	}
	fs.IntVar(&cfg.RateLimit, "rate-limit", rate, "API requests per second per client; 0 = off (Prove's limit is 25) [MOCKPROVE_RATE_LIMIT]")
	seed, err := strconv.ParseUint(env("SEED", "0"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("MOCKPROVE_SEED: %w", err)
	}
	fs.Uint64Var(&cfg.Seed, "seed", seed, "seed for IDs, codes and keys; 0 = random [MOCKPROVE_SEED]")
	fs.StringVar(&cfg.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error [MOCKPROVE_LOG_LEVEL]")
	fs.StringVar(&cfg.LogFormat, "log-format", env("LOG_FORMAT", "text"), "text or json [MOCKPROVE_LOG_FORMAT]")
	fs.BoolVar(&cfg.Strict, "strict", strict, "answer 500 when a response does not conform to the spec [MOCKPROVE_STRICT]")
	fs.BoolVar(&cfg.Control, "control", control, "serve the /_mock/ control API [MOCKPROVE_CONTROL]")
	fs.StringVar(&cfg.ControlToken, "control-token", env("CONTROL_TOKEN", ""), "require 'Authorization: Bearer <token>' on /_mock/ [MOCKPROVE_CONTROL_TOKEN]")
	otpTTL, err := time.ParseDuration(env("OTP_TTL", "2m"))
	if err != nil {
		return nil, fmt.Errorf("MOCKPROVE_OTP_TTL: %w", err)
	}
	fs.DurationVar(&cfg.OTPTTL, "otp-ttl", otpTTL, "how long an OTP can be entered after its SMS [MOCKPROVE_OTP_TTL]")
	linkTTL, err := time.ParseDuration(env("INSTANT_LINK_TTL", "3m"))
	if err != nil {
		return nil, fmt.Errorf("MOCKPROVE_INSTANT_LINK_TTL: %w", err)
	}
	fs.DurationVar(&cfg.InstantLinkTTL, "instant-link-ttl", linkTTL, "how long an Instant Link can be clicked after its SMS [MOCKPROVE_INSTANT_LINK_TTL]")
	fs.StringVar(&cfg.Origins, "allowed-origins", env("ALLOWED_ORIGINS", ""), "comma-separated browser origins allowed by CORS, * for any (default: any loopback origin) [MOCKPROVE_ALLOWED_ORIGINS]")
	journal, err := strconv.Atoi(env("JOURNAL_SIZE", "1000"))
	if err != nil {
		return nil, fmt.Errorf("MOCKPROVE_JOURNAL_SIZE: %w", err)
	}
	fs.IntVar(&cfg.JournalSize, "journal-size", journal, "how many requests the journal keeps [MOCKPROVE_JOURNAL_SIZE]")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if cfg.RateLimit < 0 {
		return nil, fmt.Errorf("-rate-limit must be 0 or more, not %d", cfg.RateLimit)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg, nil
}

// Options turns the configuration into server options.
func (cfg *Config) Options(stderr io.Writer) (mockprove.Options, error) {
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

// Main runs mockprove until ctx is done.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := Parse(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	opts, err := cfg.Options(stderr)
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
	if cfg.Control && cfg.ControlToken == "" && !loopback(s.Addr()) {
		fmt.Fprintf(stderr, "WARNING: mockprove listens on %s, beyond this machine, and its /_mock/ control API has no token:\n"+
			"WARNING: anyone who can reach it can read SMS codes, move the clock and change personas. Set -control-token or -control=false.\n", s.Addr())
	}
	fmt.Fprintf(stdout, "mockprove listening on %s\n", s.URL())
	<-ctx.Done()
	fmt.Fprintln(stdout, "mockprove shutting down")
	return s.Close()
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

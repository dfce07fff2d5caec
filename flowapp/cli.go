package flowapp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"
)

// Config is what flowapp's command line and environment say. Flags win over
// the environment.
type Config struct {
	ProveBaseURL   string        // -prove-base-url  PROVE_BASE_URL
	ClientID       string        // -client-id       PROVE_CLIENT_ID (no default but mockprove's, for a local mockprove; see New)
	ClientSecret   string        // -client-secret   PROVE_CLIENT_SECRET
	Addr           string        // -addr            FLOWAPP_ADDR
	PublicURL      string        // -public-url      PUBLIC_URL
	FinalTargetURL string        // -final-target-url FINAL_TARGET_URL
	DevHints       *bool         // -dev-hints       FLOWAPP_DEV_HINTS (nil: on for a local mockprove)
	SessionSecret  string        // -session-secret  FLOWAPP_SESSION_SECRET
	WebDir         string        // -web-dir         FLOWAPP_WEB_DIR
	ProveTimeout   time.Duration // -prove-timeout   FLOWAPP_PROVE_TIMEOUT
	LogLevel       string        // -log-level       FLOWAPP_LOG_LEVEL
}

// optionalBool is a boolean flag that remembers whether it was set.
type optionalBool struct{ p **bool }

func (o optionalBool) String() string {
	if o.p == nil || *o.p == nil {
		return "auto"
	}
	return strconv.FormatBool(**o.p)
}

func (o optionalBool) Set(s string) error {
	if s == "auto" {
		*o.p = nil
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("must be true, false or auto")
	}
	*o.p = &b
	return nil
}

func (o optionalBool) IsBoolFlag() bool { return true }

// ParseConfig reads flags, falling back to the environment, then to the
// defaults.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	cfg := &Config{}
	fs := flag.NewFlagSet("flowapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&cfg.ProveBaseURL, "prove-base-url", env("PROVE_BASE_URL", DefaultProveBaseURL), "Prove's server API (default: a local mockprove) [PROVE_BASE_URL]")
	fs.StringVar(&cfg.ClientID, "client-id", env("PROVE_CLIENT_ID", ""), "OAuth client ID; required unless Prove is a local mockprove (default there: "+DefaultClientID+") [PROVE_CLIENT_ID]")
	fs.StringVar(&cfg.ClientSecret, "client-secret", env("PROVE_CLIENT_SECRET", ""), "OAuth client secret; required unless Prove is a local mockprove (default there: "+DefaultClientSecret+") [PROVE_CLIENT_SECRET]")
	fs.StringVar(&cfg.Addr, "addr", env("FLOWAPP_ADDR", DefaultAddr), "listen address (host:port; port 0 picks a free one) [FLOWAPP_ADDR]")
	fs.StringVar(&cfg.PublicURL, "public-url", env("PUBLIC_URL", ""), "where customers' browsers and phones reach flowapp, e.g. https://shop.example.com; required unless Prove is a local mockprove (default: http://<addr>) [PUBLIC_URL]")
	fs.StringVar(&cfg.FinalTargetURL, "final-target-url", env("FINAL_TARGET_URL", ""), "where the phone lands after the Instant Link (default: <public URL>/landing) [FINAL_TARGET_URL]")
	if v := getenv("FLOWAPP_DEV_HINTS"); v != "" {
		if err := (optionalBool{&cfg.DevHints}).Set(v); err != nil {
			return nil, fmt.Errorf("FLOWAPP_DEV_HINTS: %w", err)
		}
	}
	fs.Var(optionalBool{&cfg.DevHints}, "dev-hints", "show developer hints in the page (a link to mockprove's virtual phone): true, false or auto (on when Prove is a local mockprove) [FLOWAPP_DEV_HINTS]")
	fs.StringVar(&cfg.SessionSecret, "session-secret", env("FLOWAPP_SESSION_SECRET", ""), "key that signs the session cookie, at least 16 characters (default: random) [FLOWAPP_SESSION_SECRET]")
	fs.StringVar(&cfg.WebDir, "web-dir", env("FLOWAPP_WEB_DIR", DefaultWebDir), "directory whose node_modules holds Prove's web SDK [FLOWAPP_WEB_DIR]")
	timeout, err := time.ParseDuration(env("FLOWAPP_PROVE_TIMEOUT", "10s"))
	if err != nil {
		return nil, fmt.Errorf("FLOWAPP_PROVE_TIMEOUT: %w", err)
	}
	fs.DurationVar(&cfg.ProveTimeout, "prove-timeout", timeout, "timeout of every call to Prove [FLOWAPP_PROVE_TIMEOUT]")
	fs.StringVar(&cfg.LogLevel, "log-level", env("FLOWAPP_LOG_LEVEL", "info"), "debug, info, warn or error [FLOWAPP_LOG_LEVEL]")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.SessionSecret != "" && len(cfg.SessionSecret) < 16 {
		return nil, errors.New("the session secret (-session-secret, FLOWAPP_SESSION_SECRET) must be at least 16 characters")
	}
	return cfg, nil
}

// Options turns the configuration into app options, logging to stderr.
func (cfg *Config) Options(stderr io.Writer) (Options, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return Options{}, fmt.Errorf("-log-level: %w", err)
	}
	return Options{
		ProveBaseURL:   cfg.ProveBaseURL,
		ClientID:       cfg.ClientID,
		ClientSecret:   cfg.ClientSecret,
		ProveTimeout:   cfg.ProveTimeout,
		Addr:           cfg.Addr,
		PublicURL:      cfg.PublicURL,
		FinalTargetURL: cfg.FinalTargetURL,
		DevHints:       cfg.DevHints,
		SessionSecret:  []byte(cfg.SessionSecret),
		WebDir:         cfg.WebDir,
		Logger:         slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}, nil
}

// Main runs flowapp until ctx is done (cmd/flowapp cancels it on SIGINT or
// SIGTERM), then shuts down gracefully.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig(args, getenv, stderr)
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
	app, err := New(opts)
	if err != nil {
		return err
	}
	if err := app.StartAddr(cfg.Addr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "flowapp listening on %s (Prove at %s)\n", app.URL(), app.ProveBaseURL())
	<-ctx.Done()
	fmt.Fprintln(stdout, "flowapp shutting down")
	return app.Close()
}

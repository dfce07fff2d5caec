package flowapp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Config is what flowapp's command line and environment say. Flags win over
// the environment.
type Config struct {
	ProveBaseURL   string        // -prove-base-url  PROVE_BASE_URL
	ClientID       string        // -client-id       PROVE_CLIENT_ID
	ClientSecret   string        // -client-secret   PROVE_CLIENT_SECRET
	Addr           string        // -addr            FLOWAPP_ADDR
	FinalTargetURL string        // -final-target-url FINAL_TARGET_URL
	SessionSecret  string        // -session-secret  FLOWAPP_SESSION_SECRET
	WebDir         string        // -web-dir         FLOWAPP_WEB_DIR
	ProveTimeout   time.Duration // -prove-timeout   FLOWAPP_PROVE_TIMEOUT
	LogLevel       string        // -log-level       FLOWAPP_LOG_LEVEL
}

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
	fs.StringVar(&cfg.ClientID, "client-id", env("PROVE_CLIENT_ID", DefaultClientID), "OAuth client ID [PROVE_CLIENT_ID]")
	fs.StringVar(&cfg.ClientSecret, "client-secret", env("PROVE_CLIENT_SECRET", DefaultClientSecret), "OAuth client secret [PROVE_CLIENT_SECRET]")
	fs.StringVar(&cfg.Addr, "addr", env("FLOWAPP_ADDR", DefaultAddr), "listen address (host:port; port 0 picks a free one) [FLOWAPP_ADDR]")
	fs.StringVar(&cfg.FinalTargetURL, "final-target-url", env("FINAL_TARGET_URL", ""), "where the phone lands after the Instant Link (default: http://<addr>/landing) [FINAL_TARGET_URL]")
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
		FinalTargetURL: cfg.FinalTargetURL,
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

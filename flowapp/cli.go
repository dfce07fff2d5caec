package flowapp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config is what flowapp's command line and environment say. Flags win over
// the environment.
type Config struct {
	ProveBaseURL   string         // -prove-base-url  PROVE_BASE_URL
	ClientID       string         // -client-id       PROVE_CLIENT_ID (no default but mockprove's, for a local mockprove; see New)
	ClientSecret   string         // -client-secret   PROVE_CLIENT_SECRET
	UnifyID        string         // -unify-client-id PROVE_UNIFY_CLIENT_ID (sign-in; default for a local mockprove: unify-client)
	UnifySecret    string         // -unify-client-secret PROVE_UNIFY_CLIENT_SECRET
	Addr           string         // -addr            FLOWAPP_ADDR
	PublicURL      string         // -public-url      PUBLIC_URL
	FinalTargetURL string         // -final-target-url FINAL_TARGET_URL
	DevHints       *bool          // -dev-hints       FLOWAPP_DEV_HINTS (nil: on for a local mockprove)
	SessionSecret  string         // -session-secret  FLOWAPP_SESSION_SECRET
	WebDir         string         // -web-dir         FLOWAPP_WEB_DIR
	ProveTimeout   time.Duration  // -prove-timeout   FLOWAPP_PROVE_TIMEOUT
	LogLevel       string         // -log-level       FLOWAPP_LOG_LEVEL
	SessionTTL     time.Duration  // -session-ttl     FLOWAPP_SESSION_TTL
	MaxSessions    int            // -max-sessions    FLOWAPP_MAX_SESSIONS
	StartsPerPhone Limit          // -starts-per-phone FLOWAPP_STARTS_PER_PHONE
	StartsPerIP    Limit          // -starts-per-ip   FLOWAPP_STARTS_PER_IP
	ThrottleKeys   int            // -throttle-keys   FLOWAPP_THROTTLE_KEYS
	TrustedProxies []netip.Prefix // -trusted-proxies FLOWAPP_TRUSTED_PROXIES
}

// limitFlag is a Limit flag: N/duration or off.
type limitFlag struct{ p *Limit }

func (f limitFlag) String() string {
	if f.p == nil {
		return ""
	}
	return f.p.String()
}

func (f limitFlag) Set(s string) error {
	l, err := ParseLimit(s)
	if err != nil {
		return err
	}
	*f.p = l
	return nil
}

// proxiesFlag is a comma-separated list of addresses and CIDR prefixes.
type proxiesFlag struct{ p *[]netip.Prefix }

func (f proxiesFlag) String() string {
	if f.p == nil {
		return ""
	}
	out := make([]string, len(*f.p))
	for i, p := range *f.p {
		out[i] = p.String()
	}
	return strings.Join(out, ",")
}

func (f proxiesFlag) Set(s string) error {
	ps, err := ParseProxies(s)
	if err != nil {
		return err
	}
	*f.p = ps
	return nil
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
	fs.StringVar(&cfg.UnifyID, "unify-client-id", env("PROVE_UNIFY_CLIENT_ID", ""), "OAuth client ID of a Unified Authentication project, for Sign in with Prove (/signin); unset against Prove turns it off (default for a local mockprove: "+DefaultUnifyClientID+") [PROVE_UNIFY_CLIENT_ID]")
	fs.StringVar(&cfg.UnifySecret, "unify-client-secret", env("PROVE_UNIFY_CLIENT_SECRET", ""), "OAuth client secret of that project (default for a local mockprove: "+DefaultUnifyClientSecret+") [PROVE_UNIFY_CLIENT_SECRET]")
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
	ttl, err := time.ParseDuration(env("FLOWAPP_SESSION_TTL", DefaultSessionTTL.String()))
	if err != nil {
		return nil, fmt.Errorf("FLOWAPP_SESSION_TTL: %w", err)
	}
	fs.DurationVar(&cfg.SessionTTL, "session-ttl", ttl, "how long a flow's session lives [FLOWAPP_SESSION_TTL]")
	maxSessions, err := strconv.Atoi(env("FLOWAPP_MAX_SESSIONS", strconv.Itoa(DefaultMaxSessions)))
	if err != nil {
		return nil, fmt.Errorf("FLOWAPP_MAX_SESSIONS: %w", err)
	}
	fs.IntVar(&cfg.MaxSessions, "max-sessions", maxSessions, "sessions kept at most; when full, a new one drops the oldest [FLOWAPP_MAX_SESSIONS]")
	cfg.StartsPerPhone, cfg.StartsPerIP = DefaultStartsPerPhone, DefaultStartsPerIP
	for _, l := range []struct {
		flag, env, usage string
		p                *Limit
	}{
		{"starts-per-phone", "FLOWAPP_STARTS_PER_PHONE", "flow starts (texts) allowed per phone number: N/duration or off", &cfg.StartsPerPhone},
		{"starts-per-ip", "FLOWAPP_STARTS_PER_IP", "flow starts allowed per client address (IPv6: per /64): N/duration or off", &cfg.StartsPerIP},
	} {
		if v := getenv(l.env); v != "" {
			if err := (limitFlag{l.p}).Set(v); err != nil {
				return nil, fmt.Errorf("%s: %w", l.env, err)
			}
		}
		fs.Var(limitFlag{l.p}, l.flag, l.usage+" ["+l.env+"]")
	}
	keys, err := strconv.Atoi(env("FLOWAPP_THROTTLE_KEYS", strconv.Itoa(DefaultThrottleKeys)))
	if err != nil {
		return nil, fmt.Errorf("FLOWAPP_THROTTLE_KEYS: %w", err)
	}
	fs.IntVar(&cfg.ThrottleKeys, "throttle-keys", keys, "phone numbers, and client addresses, the start throttles remember at most [FLOWAPP_THROTTLE_KEYS]")
	if v := getenv("FLOWAPP_TRUSTED_PROXIES"); v != "" {
		if err := (proxiesFlag{&cfg.TrustedProxies}).Set(v); err != nil {
			return nil, fmt.Errorf("FLOWAPP_TRUSTED_PROXIES: %w", err)
		}
	}
	fs.Var(proxiesFlag{&cfg.TrustedProxies}, "trusted-proxies", "reverse proxies (addresses, CIDR prefixes, comma-separated) whose X-Forwarded-For names the client; default none: X-Forwarded-For is ignored [FLOWAPP_TRUSTED_PROXIES]")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case cfg.SessionTTL <= 0:
		return nil, fmt.Errorf("the session lifetime (-session-ttl, FLOWAPP_SESSION_TTL) must be positive, not %s", cfg.SessionTTL)
	case cfg.MaxSessions < 1:
		return nil, fmt.Errorf("the session cap (-max-sessions, FLOWAPP_MAX_SESSIONS) must be at least 1, not %d", cfg.MaxSessions)
	case cfg.ThrottleKeys < 1:
		return nil, fmt.Errorf("the throttle table size (-throttle-keys, FLOWAPP_THROTTLE_KEYS) must be at least 1, not %d", cfg.ThrottleKeys)
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
		ProveBaseURL:      cfg.ProveBaseURL,
		ClientID:          cfg.ClientID,
		ClientSecret:      cfg.ClientSecret,
		UnifyClientID:     cfg.UnifyID,
		UnifyClientSecret: cfg.UnifySecret,
		ProveTimeout:      cfg.ProveTimeout,
		Addr:              cfg.Addr,
		PublicURL:         cfg.PublicURL,
		FinalTargetURL:    cfg.FinalTargetURL,
		DevHints:          cfg.DevHints,
		SessionSecret:     []byte(cfg.SessionSecret),
		WebDir:            cfg.WebDir,
		SessionTTL:        cfg.SessionTTL,
		MaxSessions:       cfg.MaxSessions,
		StartsPerPhone:    cfg.StartsPerPhone,
		StartsPerIP:       cfg.StartsPerIP,
		ThrottleKeys:      cfg.ThrottleKeys,
		TrustedProxies:    cfg.TrustedProxies,
		Logger:            slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
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

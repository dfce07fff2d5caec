package flowapp_test

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/mockprove"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var _ = Describe("the command line", func() {
	It("defaults to a local mockprove on 127.0.0.1:3000, with mockprove's credentials left to New", func() {
		cfg, err := flowapp.ParseConfig(nil, envOf(nil), io.Discard)
		Expect(err).NotTo(HaveOccurred())
		Expect(*cfg).To(Equal(flowapp.Config{
			ProveBaseURL: "http://127.0.0.1:8080",
			Addr:         "127.0.0.1:3000", WebDir: "flowapp/web", ProveTimeout: 10 * time.Second, LogLevel: "info",
			SessionTTL: 30 * time.Minute, MaxSessions: 100_000,
			StartsPerPhone: flowapp.Limit{N: 3, Per: 10 * time.Minute}, StartsPerIP: flowapp.Limit{N: 20, Per: time.Minute},
			ThrottleKeys: 100_000,
		}))
		opts, err := cfg.Options(io.Discard)
		Expect(err).NotTo(HaveOccurred())
		app, err := flowapp.New(opts)
		Expect(err).NotTo(HaveOccurred(), "a local mockprove needs no credentials")
		Expect(app.ProveBaseURL()).To(Equal("http://127.0.0.1:8080"))
	})

	It("reads the environment, and flags win", func() {
		env := envOf(map[string]string{
			"PROVE_BASE_URL": "https://platform.uat.proveapis.com", "PROVE_CLIENT_ID": "id", "PROVE_CLIENT_SECRET": "secret",
			"FLOWAPP_ADDR": "0.0.0.0:4000", "PUBLIC_URL": "https://shop.example.com", "FINAL_TARGET_URL": "https://shop.example.com/landing",
			"FLOWAPP_SESSION_SECRET": "0123456789abcdef0123", "FLOWAPP_WEB_DIR": "/srv/web", "FLOWAPP_DEV_HINTS": "true",
			"FLOWAPP_SESSION_TTL": "20m", "FLOWAPP_MAX_SESSIONS": "5000", "FLOWAPP_STARTS_PER_PHONE": "5/1h",
			"FLOWAPP_STARTS_PER_IP": "off", "FLOWAPP_THROTTLE_KEYS": "1000", "FLOWAPP_TRUSTED_PROXIES": "10.0.0.0/8",
			"PROVE_UNIFY_CLIENT_ID": "uid", "PROVE_UNIFY_CLIENT_SECRET": "usecret",
		})
		cfg, err := flowapp.ParseConfig([]string{"-addr", "127.0.0.1:0", "-client-id", "other", "-dev-hints=false", "-unify-client-id", "uother",
			"-starts-per-phone", "2/15m", "-trusted-proxies", "10.1.2.3, 2001:db8::/32"}, env, io.Discard)
		Expect(err).NotTo(HaveOccurred())
		off := false
		Expect(*cfg).To(Equal(flowapp.Config{
			ProveBaseURL: "https://platform.uat.proveapis.com", ClientID: "other", ClientSecret: "secret",
			UnifyID: "uother", UnifySecret: "usecret",
			Addr: "127.0.0.1:0", PublicURL: "https://shop.example.com", FinalTargetURL: "https://shop.example.com/landing",
			DevHints: &off, SessionSecret: "0123456789abcdef0123",
			WebDir: "/srv/web", ProveTimeout: 10 * time.Second, LogLevel: "info",
			SessionTTL: 20 * time.Minute, MaxSessions: 5000,
			StartsPerPhone: flowapp.Limit{N: 2, Per: 15 * time.Minute}, StartsPerIP: flowapp.Limit{Off: true},
			ThrottleKeys:   1000,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/32"), netip.MustParsePrefix("2001:db8::/32")},
		}))
		opts, err := cfg.Options(io.Discard)
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.StartsPerPhone).To(Equal(flowapp.Limit{N: 2, Per: 15 * time.Minute}))
		Expect(opts.StartsPerIP.Off).To(BeTrue())
		Expect(opts.TrustedProxies).To(HaveLen(2))
		Expect([]string{opts.UnifyClientID, opts.UnifyClientSecret}).To(Equal([]string{"uother", "usecret"}))
		Expect([]any{opts.SessionTTL, opts.MaxSessions, opts.ThrottleKeys}).To(Equal([]any{20 * time.Minute, 5000, 1000}))
	})

	It("refuses start limits, session and throttle sizes and proxies it cannot read, naming the setting", func() {
		for _, c := range []struct{ env, value, want string }{
			{"FLOWAPP_STARTS_PER_PHONE", "3 per 10m", "FLOWAPP_STARTS_PER_PHONE: \"3 per 10m\" must be N/duration, such as 3/10m, or off"},
			{"FLOWAPP_STARTS_PER_IP", "0/1m", "FLOWAPP_STARTS_PER_IP: limit 0/1m: N must be between 1 and 10000"},
			{"FLOWAPP_STARTS_PER_IP", "20/100ms", "the window must be between 1s and 24h0m0s"},
			{"FLOWAPP_STARTS_PER_PHONE", "x/10m", "N is not a whole number"},
			{"FLOWAPP_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local", `FLOWAPP_TRUSTED_PROXIES: trusted proxy "proxy.local" is not an IP address or CIDR prefix`},
			{"FLOWAPP_MAX_SESSIONS", "0", "the session cap (-max-sessions, FLOWAPP_MAX_SESSIONS) must be at least 1, not 0"},
			{"FLOWAPP_MAX_SESSIONS", "many", "FLOWAPP_MAX_SESSIONS: "},
			{"FLOWAPP_THROTTLE_KEYS", "-5", "the throttle table size (-throttle-keys, FLOWAPP_THROTTLE_KEYS) must be at least 1, not -5"},
			{"FLOWAPP_SESSION_TTL", "0s", "the session lifetime (-session-ttl, FLOWAPP_SESSION_TTL) must be positive, not 0s"},
		} {
			_, err := flowapp.ParseConfig(nil, envOf(map[string]string{c.env: c.value}), io.Discard)
			Expect(err).To(MatchError(ContainSubstring(c.want)), "%s=%s", c.env, c.value)
		}
		_, err := flowapp.ParseConfig([]string{"-starts-per-phone", "3"}, envOf(nil), io.Discard)
		Expect(err).To(MatchError(ContainSubstring(`invalid value "3" for flag -starts-per-phone: "3" must be N/duration`)))
	})

	It("reads -dev-hints as true, false or auto", func() {
		for args, want := range map[string]*bool{"": nil, "-dev-hints": ptr(true), "-dev-hints=0": ptr(false), "-dev-hints=auto": nil} {
			cfg, err := flowapp.ParseConfig(strings.Fields(args), envOf(nil), io.Discard)
			Expect(err).NotTo(HaveOccurred(), args)
			Expect(cfg.DevHints).To(Equal(want), args)
		}
		_, err := flowapp.ParseConfig(nil, envOf(map[string]string{"FLOWAPP_DEV_HINTS": "maybe"}), io.Discard)
		Expect(err).To(MatchError(ContainSubstring("FLOWAPP_DEV_HINTS: must be true, false or auto")))
	})

	It("refuses to start against Prove without credentials or a public URL, saying what to set", func() {
		err := flowapp.Main(context.Background(), nil, envOf(map[string]string{"PROVE_BASE_URL": "https://platform.uat.proveapis.com"}), io.Discard, io.Discard)
		Expect(err).To(MatchError(ContainSubstring("PROVE_CLIENT_ID and PROVE_CLIENT_SECRET")))
		err = flowapp.Main(context.Background(), nil, envOf(map[string]string{"PROVE_BASE_URL": "https://platform.uat.proveapis.com",
			"PROVE_CLIENT_ID": "id", "PROVE_CLIENT_SECRET": "secret"}), io.Discard, io.Discard)
		Expect(err).To(MatchError(ContainSubstring("PUBLIC_URL")))
	})

	It("refuses a short session secret and stray arguments", func() {
		_, err := flowapp.ParseConfig(nil, envOf(map[string]string{"FLOWAPP_SESSION_SECRET": "short"}), io.Discard)
		Expect(err).To(MatchError(ContainSubstring("at least 16 characters")))
		_, err = flowapp.ParseConfig([]string{"serve"}, envOf(nil), io.Discard)
		Expect(err).To(MatchError(ContainSubstring(`unexpected argument "serve"`)))
	})

	It("runs until its context ends, printing where it listens", func() {
		s := mockprove.RunT(GinkgoT())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stdout, stderr := gbytes.NewBuffer(), gbytes.NewBuffer()
		done := make(chan error, 1)
		go func() {
			done <- flowapp.Main(ctx, []string{"-addr", "127.0.0.1:0"}, envOf(map[string]string{"PROVE_BASE_URL": s.URL()}), stdout, stderr)
		}()
		Eventually(stdout).WithTimeout(30 * time.Second).Should(gbytes.Say(`flowapp listening on http://127\.0\.0\.1:\d+ \(Prove at ` + regexp.QuoteMeta(s.URL()) + `\)\n`))
		url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(string(stdout.Contents()))

		resp, err := http.Get(url + "/healthz")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		Eventually(stderr).WithTimeout(30 * time.Second).Should(gbytes.Say(`path=/healthz status=200`))

		cancel()
		Eventually(done).WithTimeout(30*time.Second).Should(Receive(BeNil()), "Main returns once the app has closed")
		Expect(stdout).To(gbytes.Say("flowapp shutting down"))
	})
})

func ptr[T any](v T) *T { return &v }

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/mockprove/cli"
)

func TestCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	// Eventually only waits for asynchronous work (a server starting or
	// shutting down, a timer firing); Gomega's default of 1 s is within
	// reach of a loaded machine, so the suite waits longer.
	SetDefaultEventuallyTimeout(10 * time.Second)
	RunSpecs(t, "mockprove/cli")
}

// env is a fake environment for Parse and Main.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// syncBuffer is a bytes.Buffer that Main may write while the test reads it.
type syncBuffer = testkit.SyncBuffer

var listening = regexp.MustCompile(`^mockprove listening on (http://127\.0\.0\.1:\d+) \(version ` + regexp.QuoteMeta(mockprove.BuildVersion()) + `\)\n`)

// jsonListening is the startup line in -log-format json.
var jsonListening = regexp.MustCompile(`^\{"time":"[^"]+","level":"INFO","msg":"mockprove listening","url":"(http://127\.0\.0\.1:\d+)","version":"` + regexp.QuoteMeta(mockprove.BuildVersion()) + `"\}\n`)

const personaFile = `
personas:
  - phone: "2009990101"
    name: Ada Test
    products: [identity]
    shortTerm: true
    individual: {firstName: Ada, lastName: Test}
`

var _ = Describe("Parse", func() {
	var stderr *bytes.Buffer

	BeforeEach(func() { stderr = &bytes.Buffer{} })

	It("has defaults", func() {
		cfg, err := cli.Parse(nil, env{}.get, stderr)
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Addr).To(Equal("127.0.0.1:8080"))
		Expect(cfg.PublicURL).To(BeEmpty())
		Expect(cfg.Personas).To(BeEmpty())
		Expect(cfg.Clients).To(BeEmpty())
		Expect(cfg.ClientList).To(BeEmpty())
		Expect(cfg.RateLimit).To(BeZero())
		Expect(cfg.Seed).To(BeZero())
		Expect(cfg.LogLevel).To(Equal("info"))
		Expect(cfg.LogFormat).To(Equal("text"))
		Expect(cfg.Strict).To(BeFalse())
		Expect(cfg.Control).To(BeTrue())
		Expect(cfg.ControlToken).To(BeEmpty())
		Expect(cfg.OTPTTL).To(Equal(2 * time.Minute))
		Expect(cfg.InstantLinkTTL).To(Equal(3 * time.Minute))
		Expect(cfg.Origins).To(BeEmpty())
		Expect(cfg.JournalSize).To(Equal(1000))
	})

	It("reads MOCKPROVE_* environment variables", func() {
		cfg, err := cli.Parse(nil, env{
			"MOCKPROVE_ADDR": "0.0.0.0:9000", "MOCKPROVE_PUBLIC_URL": "http://mock.test:9000",
			"MOCKPROVE_PERSONAS": "/p.yaml", "MOCKPROVE_CLIENTS": "/c.yaml", "MOCKPROVE_RATE_LIMIT": "25",
			"MOCKPROVE_SEED": "7", "MOCKPROVE_LOG_LEVEL": "debug", "MOCKPROVE_LOG_FORMAT": "json",
			"MOCKPROVE_STRICT": "true", "MOCKPROVE_CONTROL": "false", "MOCKPROVE_CONTROL_TOKEN": "t0k",
			"MOCKPROVE_OTP_TTL": "30s", "MOCKPROVE_INSTANT_LINK_TTL": "1m", "MOCKPROVE_ALLOWED_ORIGINS": "http://a.test",
			"MOCKPROVE_JOURNAL_SIZE": "50", "MOCKPROVE_CLIENT": " a:sa:identity, ,b:sb:prefill,",
		}.get, stderr)
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Addr).To(Equal("0.0.0.0:9000"))
		Expect(cfg.PublicURL).To(Equal("http://mock.test:9000"))
		Expect(cfg.Personas).To(Equal("/p.yaml"))
		Expect(cfg.Clients).To(Equal("/c.yaml"))
		Expect(cfg.RateLimit).To(Equal(25))
		Expect(cfg.Seed).To(Equal(uint64(7)))
		Expect(cfg.LogLevel).To(Equal("debug"))
		Expect(cfg.LogFormat).To(Equal("json"))
		Expect(cfg.Strict).To(BeTrue())
		Expect(cfg.Control).To(BeFalse())
		Expect(cfg.ControlToken).To(Equal("t0k"))
		Expect(cfg.OTPTTL).To(Equal(30 * time.Second))
		Expect(cfg.InstantLinkTTL).To(Equal(time.Minute))
		Expect(cfg.Origins).To(Equal("http://a.test"))
		Expect(cfg.JournalSize).To(Equal(50))
		Expect([]mockprove.Client(cfg.ClientList)).To(Equal([]mockprove.Client{
			{ID: "a", Secret: "sa", Product: mockprove.ProductIdentity},
			{ID: "b", Secret: "sb", Product: mockprove.ProductPrefill},
		}))
	})

	It("ignores an environment variable that does not parse when its flag is given", func() {
		cfg, err := cli.Parse([]string{"-rate-limit", "5", "-seed", "3", "-strict", "-control=false", "-otp-ttl", "1m",
			"-instant-link-ttl", "2m", "-journal-size", "10", "-client", "a:sa:identity"},
			env{"MOCKPROVE_RATE_LIMIT": "abc", "MOCKPROVE_SEED": "-1", "MOCKPROVE_STRICT": "maybe", "MOCKPROVE_CONTROL": "off",
				"MOCKPROVE_OTP_TTL": "soon", "MOCKPROVE_INSTANT_LINK_TTL": "0", "MOCKPROVE_JOURNAL_SIZE": "big",
				"MOCKPROVE_CLIENT": "nonsense"}.get, stderr)
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.RateLimit).To(Equal(5))
		Expect(cfg.Seed).To(Equal(uint64(3)))
		Expect(cfg.Strict).To(BeTrue())
		Expect(cfg.Control).To(BeFalse())
		Expect(cfg.OTPTTL).To(Equal(time.Minute))
		Expect(cfg.InstantLinkTTL).To(Equal(2 * time.Minute))
		Expect(cfg.JournalSize).To(Equal(10))
		Expect([]mockprove.Client(cfg.ClientList)).To(Equal([]mockprove.Client{{ID: "a", Secret: "sa", Product: mockprove.ProductIdentity}}))
	})

	It("says in -h that -client and -clients replace the built-in clients, and names every variable", func() {
		_, err := cli.Parse([]string{"-h"}, env{}.get, stderr)
		Expect(err).To(MatchError(flag.ErrHelp))
		Expect(stderr.String()).To(MatchRegexp(`-client value\n\s+an OAuth client as id:secret:product, products joined by \+ \(unify\+verify\+identity-manager\+provex\); replaces the built-in clients \(repeatable\) \[MOCKPROVE_CLIENT`))
		Expect(stderr.String()).To(MatchRegexp(`-clients string\n\s+OAuth clients file .*; replaces the built-in clients`))
		for _, v := range []string{"ADDR", "PUBLIC_URL", "PERSONAS", "CLIENTS", "CLIENT", "RATE_LIMIT", "SEED", "LOG_LEVEL",
			"LOG_FORMAT", "STRICT", "CONTROL", "CONTROL_TOKEN", "OTP_TTL", "INSTANT_LINK_TTL", "ALLOWED_ORIGINS", "JOURNAL_SIZE"} {
			Expect(stderr.String()).To(MatchRegexp(`\[MOCKPROVE_`+v+`[\],]`), v)
		}
	})

	It("lets flags win over the environment", func() {
		cfg, err := cli.Parse([]string{"-addr", "127.0.0.1:0", "-rate-limit", "5", "-seed", "9", "-strict=false",
			"-client", "a:sa:identity", "-client", "b:sb:prefill", "-client", "c:sc:unify+verify+identity-manager", "-client", "d:sd:identity+provex"},
			env{"MOCKPROVE_ADDR": "0.0.0.0:9000", "MOCKPROVE_RATE_LIMIT": "25", "MOCKPROVE_STRICT": "true"}.get, stderr)
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Addr).To(Equal("127.0.0.1:0"))
		Expect(cfg.RateLimit).To(Equal(5))
		Expect(cfg.Seed).To(Equal(uint64(9)))
		Expect(cfg.Strict).To(BeFalse())
		Expect([]mockprove.Client(cfg.ClientList)).To(Equal([]mockprove.Client{
			{ID: "a", Secret: "sa", Product: mockprove.ProductIdentity},
			{ID: "b", Secret: "sb", Product: mockprove.ProductPrefill},
			{ID: "c", Secret: "sc", Products: []string{mockprove.ProductUnify, mockprove.ProductVerify, mockprove.ProductIdentityManager}},
			{ID: "d", Secret: "sd", Product: mockprove.ProductIdentity, Products: []string{mockprove.ProductProveX}},
		}))
	})

	DescribeTable("refuses bad values",
		func(args []string, e env, msg string) {
			cfg, err := cli.Parse(args, e.get, stderr)
			Expect(err).To(MatchError(ContainSubstring(msg)))
			Expect(cfg).To(BeNil())
		},
		Entry("MOCKPROVE_RATE_LIMIT not a number", nil, env{"MOCKPROVE_RATE_LIMIT": "lots"}, "MOCKPROVE_RATE_LIMIT"),
		Entry("MOCKPROVE_SEED negative", nil, env{"MOCKPROVE_SEED": "-1"}, "MOCKPROVE_SEED"),
		Entry("MOCKPROVE_OTP_TTL not a duration", nil, env{"MOCKPROVE_OTP_TTL": "soon"}, "MOCKPROVE_OTP_TTL"),
		Entry("MOCKPROVE_INSTANT_LINK_TTL not a duration", nil, env{"MOCKPROVE_INSTANT_LINK_TTL": "3"}, "MOCKPROVE_INSTANT_LINK_TTL"),
		Entry("MOCKPROVE_JOURNAL_SIZE not a number", nil, env{"MOCKPROVE_JOURNAL_SIZE": "big"}, `MOCKPROVE_JOURNAL_SIZE must be a whole number, 1 or more, not "big"`),
		Entry("MOCKPROVE_CLIENT without a product", nil, env{"MOCKPROVE_CLIENT": "a:sa:identity,b:sb"}, `MOCKPROVE_CLIENT must be a comma-separated list of id:secret:product, not "a:sa:identity,b:sb"`),
		Entry("MOCKPROVE_OTP_TTL zero", nil, env{"MOCKPROVE_OTP_TTL": "0s"}, "MOCKPROVE_OTP_TTL must be a positive duration, not 0s"),
		Entry("MOCKPROVE_INSTANT_LINK_TTL negative", nil, env{"MOCKPROVE_INSTANT_LINK_TTL": "-1m"}, "MOCKPROVE_INSTANT_LINK_TTL must be a positive duration, not -1m0s"),
		Entry("MOCKPROVE_JOURNAL_SIZE zero", nil, env{"MOCKPROVE_JOURNAL_SIZE": "0"}, "MOCKPROVE_JOURNAL_SIZE must be 1 or more, not 0"),
		Entry("-otp-ttl zero", []string{"-otp-ttl", "0"}, env{}, "-otp-ttl must be a positive duration, not 0s"),
		Entry("-otp-ttl negative", []string{"-otp-ttl", "-2m"}, env{}, "-otp-ttl must be a positive duration, not -2m0s"),
		Entry("-instant-link-ttl zero", []string{"-instant-link-ttl", "0s"}, env{"MOCKPROVE_INSTANT_LINK_TTL": "3m"}, "-instant-link-ttl must be a positive duration, not 0s"),
		Entry("-journal-size zero", []string{"-journal-size", "0"}, env{}, "-journal-size must be 1 or more, not 0"),
		Entry("-journal-size negative", []string{"-journal-size", "-3"}, env{}, "-journal-size must be 1 or more, not -3"),
		Entry("-rate-limit not a number", []string{"-rate-limit", "lots"}, env{}, `invalid value "lots" for flag -rate-limit`),
		Entry("-seed not a number", []string{"-seed", "x"}, env{}, `invalid value "x" for flag -seed`),
		Entry("-client without a product", []string{"-client", "a:sa"}, env{}, "want id:secret:product"),
		Entry("-client with both flow products", []string{"-client", "a:sa:identity+prefill"}, env{}, "not both"),
		Entry("an unknown flag", []string{"-port", "80"}, env{}, "flag provided but not defined: -port"),
		Entry("a stray argument", []string{"-addr", "127.0.0.1:0", "serve"}, env{}, `unexpected argument "serve"`),
	)

	It("reads MOCKPROVE_STRICT and MOCKPROVE_CONTROL as booleans and refuses anything else", func() {
		cfg, err := cli.Parse(nil, env{"MOCKPROVE_STRICT": "1", "MOCKPROVE_CONTROL": "0"}.get, stderr)
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Strict).To(BeTrue())
		Expect(cfg.Control).To(BeFalse())
		_, err = cli.Parse(nil, env{"MOCKPROVE_STRICT": "yes please"}.get, stderr)
		Expect(err).To(MatchError(ContainSubstring("MOCKPROVE_STRICT")))
		_, err = cli.Parse(nil, env{"MOCKPROVE_CONTROL": "off"}.get, stderr)
		Expect(err).To(MatchError(ContainSubstring("MOCKPROVE_CONTROL")))
	})

	It("refuses a negative rate limit", func() {
		_, err := cli.Parse([]string{"-rate-limit", "-5"}, env{}.get, stderr)
		Expect(err).To(MatchError(ContainSubstring("rate-limit")))
		_, err = cli.Parse(nil, env{"MOCKPROVE_RATE_LIMIT": "-5"}.get, stderr)
		Expect(err).To(MatchError(ContainSubstring("MOCKPROVE_RATE_LIMIT")))
	})
})

var _ = Describe("Config.Options", func() {
	var dir string

	BeforeEach(func() { dir = GinkgoT().TempDir() })

	options := func(args ...string) (mockprove.Options, error) {
		cfg, err := cli.Parse(args, env{}.get, io.Discard)
		Expect(err).NotTo(HaveOccurred())
		return cfg.Options(io.Discard)
	}

	It("maps the configuration to mockprove.Options", func() {
		opts, err := options("-addr", "127.0.0.1:0", "-public-url", "http://mock.test", "-rate-limit", "3",
			"-seed", "11", "-strict", "-client", "a:sa:identity")
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.Addr).To(Equal("127.0.0.1:0"))
		Expect(opts.PublicURL).To(Equal("http://mock.test"))
		Expect(opts.RateLimit).To(Equal(3))
		Expect(opts.Seed).To(Equal(uint64(11)))
		Expect(opts.StrictResponses).To(BeTrue())
		Expect(opts.Logger).NotTo(BeNil())
		Expect(opts.Clients).To(Equal([]mockprove.Client{{ID: "a", Secret: "sa", Product: mockprove.ProductIdentity}}))
		Expect(opts.Personas).To(BeNil(), "nil means the embedded personas")
		Expect(opts.ControlDisabled).To(BeFalse())
		Expect(opts.ControlToken).To(BeEmpty())
		Expect(opts.OTPTTL).To(Equal(mockprove.DefaultOTPTTL))
		Expect(opts.InstantLinkTTL).To(Equal(mockprove.DefaultInstantLinkTTL))
		Expect(opts.AllowedOrigins).To(BeNil(), "nil means any loopback origin")
		Expect(opts.JournalSize).To(Equal(mockprove.DefaultJournalSize))
	})

	// every asserts each Options field that flags and environment set.
	every := func(opts mockprove.Options) {
		GinkgoHelper()
		Expect(opts.Addr).To(Equal("127.0.0.1:0"))
		Expect(opts.PublicURL).To(Equal("http://mock.test"))
		Expect(opts.Personas).To(HaveLen(1))
		Expect(opts.Clients).To(Equal([]mockprove.Client{
			{ID: "a", Secret: "sa", Product: mockprove.ProductIdentity},
			{ID: "b", Secret: "sb", Product: mockprove.ProductPrefill},
			{ID: "c", Secret: "sc", Product: mockprove.ProductPrefill},
		}))
		Expect(opts.RateLimit).To(Equal(3))
		Expect(opts.Seed).To(Equal(uint64(11)))
		Expect(opts.Logger).NotTo(BeNil())
		Expect(opts.Logger.Enabled(context.Background(), slog.LevelDebug)).To(BeFalse())
		Expect(opts.Logger.Enabled(context.Background(), slog.LevelWarn)).To(BeTrue())
		Expect(opts.StrictResponses).To(BeTrue())
		Expect(opts.ControlDisabled).To(BeTrue())
		Expect(opts.ControlToken).To(Equal("s3cret-token"))
		Expect(opts.OTPTTL).To(Equal(45 * time.Second))
		Expect(opts.InstantLinkTTL).To(Equal(90 * time.Second))
		Expect(opts.AllowedOrigins).To(Equal([]string{"http://a.test", "https://b.test:8443"}))
		Expect(opts.JournalSize).To(Equal(25))
		Expect(opts.Clock).To(BeNil())
	}

	files := func() (personas, clients string) {
		personas = filepath.Join(dir, "personas.yaml")
		Expect(os.WriteFile(personas, []byte(personaFile), 0o600)).To(Succeed())
		clients = filepath.Join(dir, "clients.yaml")
		Expect(os.WriteFile(clients, []byte("- {id: c, secret: sc, product: prefill}\n"), 0o600)).To(Succeed())
		return personas, clients
	}

	It("maps every flag to mockprove.Options", func() {
		personas, clients := files()
		opts, err := options("-addr", "127.0.0.1:0", "-public-url", "http://mock.test", "-personas", personas,
			"-clients", clients, "-client", "a:sa:identity", "-client", "b:sb:prefill", "-rate-limit", "3", "-seed", "11",
			"-log-level", "warn", "-log-format", "json", "-strict", "-control=false", "-control-token", "s3cret-token",
			"-otp-ttl", "45s", "-instant-link-ttl", "90s", "-allowed-origins", " http://a.test,, https://b.test:8443 ,",
			"-journal-size", "25")
		Expect(err).NotTo(HaveOccurred())
		every(opts)
	})

	It("maps every environment variable to mockprove.Options", func() {
		personas, clients := files()
		cfg, err := cli.Parse(nil, env{
			"MOCKPROVE_ADDR": "127.0.0.1:0", "MOCKPROVE_PUBLIC_URL": "http://mock.test", "MOCKPROVE_PERSONAS": personas,
			"MOCKPROVE_CLIENTS": clients, "MOCKPROVE_CLIENT": "a:sa:identity,b:sb:prefill", "MOCKPROVE_RATE_LIMIT": "3",
			"MOCKPROVE_SEED": "11", "MOCKPROVE_LOG_LEVEL": "warn", "MOCKPROVE_LOG_FORMAT": "json", "MOCKPROVE_STRICT": "true",
			"MOCKPROVE_CONTROL": "false", "MOCKPROVE_CONTROL_TOKEN": "s3cret-token", "MOCKPROVE_OTP_TTL": "45s",
			"MOCKPROVE_INSTANT_LINK_TTL": "90s", "MOCKPROVE_ALLOWED_ORIGINS": "http://a.test, https://b.test:8443",
			"MOCKPROVE_JOURNAL_SIZE": "25",
		}.get, io.Discard)
		Expect(err).NotTo(HaveOccurred())
		opts, err := cfg.Options(io.Discard)
		Expect(err).NotTo(HaveOccurred())
		every(opts)
	})

	It("allows any origin with -allowed-origins '*'", func() {
		opts, err := options("-allowed-origins", "*")
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.AllowedOrigins).To(Equal([]string{"*"}))
	})

	It("refuses a hand-made configuration the server cannot use, naming the flag", func() {
		cfg, err := cli.Parse(nil, env{}.get, io.Discard)
		Expect(err).NotTo(HaveOccurred())
		cfg.JournalSize = 0
		_, err = cfg.Options(io.Discard)
		Expect(err).To(MatchError("-journal-size must be 1 or more, not 0"))
	})

	It("loads a persona file", func() {
		path := filepath.Join(dir, "personas.yaml")
		Expect(os.WriteFile(path, []byte(personaFile), 0o600)).To(Succeed())
		opts, err := options("-personas", path)
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.Personas).To(HaveLen(1))
		Expect(opts.Personas[0].Phone).To(Equal("2009990101"))
	})

	It("refuses a persona file that does not fit the schema, naming it", func() {
		path := filepath.Join(dir, "bad.yaml")
		Expect(os.WriteFile(path, []byte(strings.Replace(personaFile, "[identity]", "[kyc]", 1)), 0o600)).To(Succeed())
		_, err := options("-personas", path)
		Expect(err).To(MatchError(path + ": persona 0 (2009990101): field 'products[0]' must be one of: identity, prefill, unify, verify, identity-manager, provex"))
	})

	It("loads a clients file after the -client flags", func() {
		path := filepath.Join(dir, "clients.yaml")
		Expect(os.WriteFile(path, []byte("- {id: c, secret: sc, product: prefill}\n"), 0o600)).To(Succeed())
		opts, err := options("-clients", path, "-client", "a:sa:identity")
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.Clients).To(Equal([]mockprove.Client{
			{ID: "a", Secret: "sa", Product: mockprove.ProductIdentity},
			{ID: "c", Secret: "sc", Product: mockprove.ProductPrefill},
		}))
	})

	DescribeTable("refuses bad values",
		func(args []string, msg string) {
			_, err := options(args...)
			Expect(err).To(MatchError(ContainSubstring(msg)))
		},
		Entry("a log level", []string{"-log-level", "loud"}, "-log-level"),
		Entry("a log format", []string{"-log-format", "xml"}, `-log-format must be text or json, not "xml"`),
		Entry("a missing persona file", []string{"-personas", "/nonexistent/personas.yaml"}, "/nonexistent/personas.yaml"),
		Entry("a missing clients file", []string{"-clients", "/nonexistent/clients.yaml"}, "-clients: open /nonexistent/clients.yaml"),
	)

	It("refuses a clients file with an unknown field", func() {
		path := filepath.Join(dir, "clients.yaml")
		Expect(os.WriteFile(path, []byte("- {id: c, secret: sc, product: prefill, scope: all}\n"), 0o600)).To(Succeed())
		_, err := options("-clients", path)
		Expect(err).To(MatchError(ContainSubstring("-clients " + path)))
	})

	It("logs JSON at the chosen level to stderr", func() {
		cfg, err := cli.Parse([]string{"-log-format", "json", "-log-level", "warn"}, env{}.get, io.Discard)
		Expect(err).NotTo(HaveOccurred())
		var stderr bytes.Buffer
		opts, err := cfg.Options(&stderr)
		Expect(err).NotTo(HaveOccurred())
		opts.Logger.Info("hidden")
		opts.Logger.Warn("shown")
		Expect(stderr.String()).NotTo(ContainSubstring("hidden"))
		Expect(stderr.String()).To(ContainSubstring(`"msg":"shown"`))
	})
})

var _ = Describe("Main", func() {
	It("prints where it listens and shuts down when the context is cancelled", func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr syncBuffer
		Expect(cli.Main(ctx, []string{"-addr", "127.0.0.1:0"}, env{}.get, &stdout, &stderr)).To(Succeed())
		Expect(stdout.String()).To(MatchRegexp(`^mockprove listening on http://127\.0\.0\.1:\d+ \(version \S+\)\nmockprove shutting down\n$`))
		Expect(stdout.String()).NotTo(ContainSubstring("127.0.0.1:0\n"))
	})

	It("serves the API until the context ends", func() {
		ctx, cancel := context.WithCancel(context.Background())
		DeferCleanup(cancel)
		var stdout, stderr syncBuffer
		done := make(chan error, 1)
		go func() {
			defer GinkgoRecover()
			done <- cli.Main(ctx, []string{"-client", "acme:s3cret:identity", "-log-format", "json"},
				env{"MOCKPROVE_ADDR": "127.0.0.1:0"}.get, &stdout, &stderr)
		}()
		Eventually(stdout.String).Should(MatchRegexp(jsonListening.String()))
		base := jsonListening.FindStringSubmatch(stdout.String())[1]

		resp, err := http.PostForm(base+"/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"acme"}, "client_secret": {"s3cret"}})
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Eventually(stderr.String).Should(ContainSubstring(`"client":"acme"`))

		Consistently(done).ShouldNot(Receive())
		cancel()
		Eventually(done).Should(Receive(BeNil()))
		Expect(stdout.String()).To(MatchRegexp(`\n\{"time":"[^"]+","level":"INFO","msg":"mockprove shutting down"\}\n$`))
		for _, line := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
			Expect(json.Valid([]byte(line))).To(BeTrue(), "not a JSON line in -log-format json: %s", line)
		}
		_, err = http.Get(base + "/openapi/prove-v3.yaml")
		Expect(err).To(HaveOccurred())
	})

	It("has written every request's log line by the time it returns", func() {
		ctx, cancel := context.WithCancel(context.Background())
		DeferCleanup(cancel)
		var stdout, stderr syncBuffer
		done := make(chan error, 1)
		go func() {
			defer GinkgoRecover()
			done <- cli.Main(ctx, []string{"-addr", "127.0.0.1:0"}, env{}.get, &stdout, &stderr)
		}()
		Eventually(stdout.String).Should(MatchRegexp(listening.String()))
		base := listening.FindStringSubmatch(stdout.String())[1]
		const n = 40
		for range n {
			resp, err := http.PostForm(base+"/token", url.Values{"grant_type": {"client_credentials"},
				"client_id": {"identity-client"}, "client_secret": {"identity-secret"}})
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
		}
		cancel()
		Eventually(done).Should(Receive(BeNil()))
		lines := regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=request method=POST path=/token status=200 .* client=identity-client .*$`).FindAllString(stderr.String(), -1)
		Expect(lines).To(HaveLen(n), stderr.String())
	})

	// start runs Main in the background until the spec ends and returns
	// the URL it listens on.
	start := func(args []string, e env) (base string, stderr *syncBuffer) {
		GinkgoHelper()
		ctx, cancel := context.WithCancel(context.Background())
		var stdout syncBuffer
		stderr = &syncBuffer{}
		done := make(chan error, 1)
		go func() { done <- cli.Main(ctx, args, e.get, &stdout, stderr) }()
		DeferCleanup(func() {
			cancel()
			Eventually(done).Should(Receive(BeNil()))
		})
		Eventually(stdout.String).Should(MatchRegexp(listening.String()), func() string { return stderr.String() })
		return listening.FindStringSubmatch(stdout.String())[1], stderr
	}

	health := func(base, token string) int {
		GinkgoHelper()
		req, err := http.NewRequest(http.MethodGet, base+"/_mock/health", nil)
		Expect(err).NotTo(HaveOccurred())
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		return resp.StatusCode
	}

	It("guards the control API with -control-token", func() {
		base, _ := start([]string{"-addr", "127.0.0.1:0", "-control-token", "s3cret-token"}, env{})
		Expect(health(base, "")).To(Equal(http.StatusUnauthorized))
		Expect(health(base, "wrong")).To(Equal(http.StatusUnauthorized))
		Expect(health(base, "s3cret-token")).To(Equal(http.StatusOK))
	})

	It("guards the control API with MOCKPROVE_CONTROL_TOKEN", func() {
		base, _ := start(nil, env{"MOCKPROVE_ADDR": "127.0.0.1:0", "MOCKPROVE_CONTROL_TOKEN": "env-token"})
		Expect(health(base, "")).To(Equal(http.StatusUnauthorized))
		Expect(health(base, "env-token")).To(Equal(http.StatusOK))
	})

	It("removes the control API with -control=false", func() {
		base, _ := start([]string{"-addr", "127.0.0.1:0", "-control=false"}, env{})
		Expect(health(base, "")).To(Equal(http.StatusNotFound))
	})

	It("prints the version with -version, and does not listen", func() {
		var stdout, stderr syncBuffer
		Expect(cli.Main(context.Background(), []string{"-version", "-addr", "127.0.0.1:0"}, env{}.get, &stdout, &stderr)).To(Succeed())
		Expect(stdout.String()).To(Equal("mockprove " + mockprove.BuildVersion() + "\n"))
		Expect(stderr.String()).To(BeEmpty())

		cfg, err := cli.Parse(nil, env{"MOCKPROVE_VERSION": "true"}.get, io.Discard)
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Version).To(BeFalse(), "-version is a question, not a setting: no environment variable")
	})

	It("keeps GET /healthz with -control=false", func() {
		base, _ := start([]string{"-addr", "127.0.0.1:0", "-control=false"}, env{})
		resp, err := http.Get(base + "/healthz")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(b).To(MatchJSON(`{"status":"ok","version":"` + mockprove.BuildVersion() + `"}`))
	})

	It("returns nil for -h", func() {
		var stdout, stderr syncBuffer
		Expect(cli.Main(context.Background(), []string{"-h"}, env{}.get, &stdout, &stderr)).To(Succeed())
		Expect(stdout.String()).To(BeEmpty())
		Expect(stderr.String()).To(ContainSubstring("-addr"))
		Expect(stderr.String()).To(ContainSubstring("MOCKPROVE_ADDR"))
	})

	DescribeTable("fails without listening on bad configuration",
		func(args []string, msg string) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var stdout, stderr syncBuffer
			err := cli.Main(ctx, args, env{}.get, &stdout, &stderr)
			Expect(err).To(MatchError(ContainSubstring(msg)))
			Expect(stdout.String()).NotTo(ContainSubstring("listening"))
		},
		Entry("a bad flag value", []string{"-rate-limit", "x"}, "invalid value"),
		Entry("a public URL with a path", []string{"-addr", "127.0.0.1:0", "-public-url", "http://x.test/api"}, "must be a bare origin"),
		Entry("a client with an unknown product", []string{"-addr", "127.0.0.1:0", "-client", "a:s:kyc"}, `unknown product "kyc"`),
		Entry("an address that cannot be used", []string{"-addr", "256.1.1.1:0"}, "listen 256.1.1.1:0"),
		Entry("a log format", []string{"-log-format", "yaml"}, "-log-format"),
		Entry("a TTL of zero", []string{"-addr", "127.0.0.1:0", "-otp-ttl", "0"}, "-otp-ttl must be a positive duration"),
	)
})

// Flags added for issue 8 (server limits, shutdown, control API exposure).
var _ = Describe("hardening flags", func() {
	parse := func(args []string, e env) (*cli.Config, error) { return cli.Parse(args, e.get, io.Discard) }

	It("reads -shutdown-grace and MOCKPROVE_SHUTDOWN_GRACE into Options.ShutdownGrace (default 5s)", func() {
		cfg, err := parse(nil, env{})
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.ShutdownGrace).To(Equal(5 * time.Second))
		cfg, err = parse(nil, env{"MOCKPROVE_SHUTDOWN_GRACE": "30s"})
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.ShutdownGrace).To(Equal(30 * time.Second))
		cfg, err = parse([]string{"-shutdown-grace", "1m"}, env{"MOCKPROVE_SHUTDOWN_GRACE": "soon"})
		Expect(err).NotTo(HaveOccurred())
		opts, err := cfg.Options(io.Discard)
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.ShutdownGrace).To(Equal(time.Minute))
	})

	It("reads the connection cap and the timeouts (-max-conns, -read-timeout, -write-timeout, -idle-timeout)", func() {
		cfg, err := parse(nil, env{})
		Expect(err).NotTo(HaveOccurred())
		opts, err := cfg.Options(io.Discard)
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.MaxConns).To(Equal(4096))
		Expect(opts.ReadTimeout).To(Equal(30 * time.Second))
		Expect(opts.WriteTimeout).To(Equal(30 * time.Second))
		Expect(opts.IdleTimeout).To(Equal(2 * time.Minute))

		cfg, err = parse([]string{"-max-conns", "100", "-write-timeout", "1m"},
			env{"MOCKPROVE_READ_TIMEOUT": "5s", "MOCKPROVE_IDLE_TIMEOUT": "10s", "MOCKPROVE_MAX_CONNS": "lots"})
		Expect(err).NotTo(HaveOccurred())
		opts, err = cfg.Options(io.Discard)
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.MaxConns).To(Equal(100))
		Expect(opts.ReadTimeout).To(Equal(5 * time.Second))
		Expect(opts.WriteTimeout).To(Equal(time.Minute))
		Expect(opts.IdleTimeout).To(Equal(10 * time.Second))

		cfg, err = parse(nil, env{"MOCKPROVE_MAX_CONNS": "0"})
		Expect(err).NotTo(HaveOccurred())
		opts, err = cfg.Options(io.Discard)
		Expect(err).NotTo(HaveOccurred())
		Expect(opts.MaxConns).To(Equal(-1), "0 on the command line: no cap")
	})

	DescribeTable("refuses bad values",
		func(args []string, e env, msg string) {
			cfg, err := parse(args, e)
			Expect(err).To(MatchError(ContainSubstring(msg)))
			Expect(cfg).To(BeNil())
		},
		Entry("-shutdown-grace zero", []string{"-shutdown-grace", "0s"}, env{}, "-shutdown-grace must be a positive duration, not 0s"),
		Entry("MOCKPROVE_SHUTDOWN_GRACE not a duration", nil, env{"MOCKPROVE_SHUTDOWN_GRACE": "soon"}, `MOCKPROVE_SHUTDOWN_GRACE must be a Go duration such as 5s, not "soon"`),
		Entry("-max-conns negative", []string{"-max-conns", "-1"}, env{}, "-max-conns must be 0 (no cap) or more, not -1"),
		Entry("MOCKPROVE_MAX_CONNS not a number", nil, env{"MOCKPROVE_MAX_CONNS": "lots"}, `MOCKPROVE_MAX_CONNS must be a whole number of connections, 0 (no cap) or more, not "lots"`),
		Entry("-read-timeout zero", []string{"-read-timeout", "0s"}, env{}, "-read-timeout must be a positive duration, not 0s"),
		Entry("MOCKPROVE_WRITE_TIMEOUT negative", nil, env{"MOCKPROVE_WRITE_TIMEOUT": "-1s"}, "MOCKPROVE_WRITE_TIMEOUT must be a positive duration, not -1s"),
		Entry("MOCKPROVE_IDLE_TIMEOUT not a duration", nil, env{"MOCKPROVE_IDLE_TIMEOUT": "long"}, `MOCKPROVE_IDLE_TIMEOUT must be a Go duration such as 2m, not "long"`),
	)

	Describe("the control API beyond loopback (Main)", func() {
		wildcardLine := regexp.MustCompile(`mockprove listening on http://(?:0\.0\.0\.0|\[::\]):(\d+) `)
		tokenLine := regexp.MustCompile(`mockprove control token: ([0-9a-f]{32})\n`)

		// run starts Main on 0.0.0.0 and returns a loopback URL to it.
		run := func(args ...string) (base string, stdout, stderr *syncBuffer) {
			GinkgoHelper()
			ctx, cancel := context.WithCancel(context.Background())
			stdout, stderr = &syncBuffer{}, &syncBuffer{}
			done := make(chan error, 1)
			go func() {
				done <- cli.Main(ctx, append([]string{"-addr", "0.0.0.0:0"}, args...), env{}.get, stdout, stderr)
			}()
			DeferCleanup(func() {
				cancel()
				Eventually(done).Should(Receive(BeNil()))
			})
			Eventually(stdout.String).Should(MatchRegexp(wildcardLine.String()), stderr.String)
			return "http://127.0.0.1:" + wildcardLine.FindStringSubmatch(stdout.String())[1], stdout, stderr
		}
		health := func(base, token string) int {
			GinkgoHelper()
			req, err := http.NewRequest(http.MethodGet, base+"/_mock/health", nil)
			Expect(err).NotTo(HaveOccurred())
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			return resp.StatusCode
		}

		It("generates a control token, prints it, and requires it", func() {
			base, stdout, stderr := run()
			// Both lines come after the listening line run waits for.
			Eventually(stdout.String).Should(MatchRegexp(tokenLine.String()))
			tok := tokenLine.FindStringSubmatch(stdout.String())[1]
			Eventually(stderr.String).Should(ContainSubstring("-control-open"))
			Expect(health(base, "")).To(Equal(http.StatusUnauthorized))
			Expect(health(base, tok)).To(Equal(http.StatusOK))
		})

		It("serves it without a token with -control-open, with a warning", func() {
			base, stdout, stderr := run("-control-open")
			Eventually(stderr.String).Should(ContainSubstring("WARNING")) // printed after the listening line
			Expect(stdout.String()).NotTo(ContainSubstring("control token"))
			Expect(health(base, "")).To(Equal(http.StatusOK))
		})

		It("prints no token when -control-token is given", func() {
			base, stdout, _ := run("-control-token", "chosen")
			Expect(stdout.String()).NotTo(ContainSubstring("control token"))
			Expect(health(base, "chosen")).To(Equal(http.StatusOK))
		})

		It("prints the token and the warning as JSON lines with -log-format json", func() {
			ctx, cancel := context.WithCancel(context.Background())
			var stdout, stderr syncBuffer
			done := make(chan error, 1)
			go func() {
				done <- cli.Main(ctx, []string{"-addr", "0.0.0.0:0", "-log-format", "json"}, env{}.get, &stdout, &stderr)
			}()
			Eventually(stdout.String).Should(ContainSubstring(`"msg":"mockprove control token"`))
			Eventually(stderr.String).Should(ContainSubstring(`"level":"WARN"`))
			cancel()
			Eventually(done).Should(Receive(BeNil()))
			var token struct{ Token string }
			for i, out := range []string{stdout.String(), stderr.String()} {
				for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					Expect(json.Valid([]byte(line))).To(BeTrue(), "not a JSON line on %s: %s", []string{"stdout", "stderr"}[i], line)
					if strings.Contains(line, `"msg":"mockprove control token"`) {
						Expect(json.Unmarshal([]byte(line), &token)).To(Succeed())
					}
				}
			}
			Expect(token.Token).To(MatchRegexp(`^[0-9a-f]{32}$`))
			Expect(stderr.String()).To(ContainSubstring("-control-open"))
		})

		It("reads -allowed-hosts and MOCKPROVE_CONTROL_OPEN", func() {
			cfg, err := parse([]string{"-allowed-hosts", "mock.internal, devbox"}, env{"MOCKPROVE_CONTROL_OPEN": "true"})
			Expect(err).NotTo(HaveOccurred())
			opts, err := cfg.Options(io.Discard)
			Expect(err).NotTo(HaveOccurred())
			Expect(opts.AllowedHosts).To(Equal([]string{"mock.internal", "devbox"}))
			Expect(opts.ControlOpen).To(BeTrue())
			_, err = parse(nil, env{"MOCKPROVE_CONTROL_OPEN": "maybe"})
			Expect(err).To(MatchError(ContainSubstring(`MOCKPROVE_CONTROL_OPEN must be true or false, not "maybe"`)))
		})
	})
})

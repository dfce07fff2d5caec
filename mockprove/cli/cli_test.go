package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/mockprove/cli"
)

func TestCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "mockprove/cli")
}

// env is a fake environment for Parse and Main.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// syncBuffer is a bytes.Buffer that Main may write while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`^mockprove listening on (http://127\.0\.0\.1:\d+)\n`)

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
	})

	It("reads MOCKPROVE_* environment variables", func() {
		cfg, err := cli.Parse(nil, env{
			"MOCKPROVE_ADDR": "0.0.0.0:9000", "MOCKPROVE_PUBLIC_URL": "http://mock.test:9000",
			"MOCKPROVE_PERSONAS": "/p.yaml", "MOCKPROVE_CLIENTS": "/c.yaml", "MOCKPROVE_RATE_LIMIT": "25",
			"MOCKPROVE_SEED": "7", "MOCKPROVE_LOG_LEVEL": "debug", "MOCKPROVE_LOG_FORMAT": "json",
			"MOCKPROVE_STRICT": "true",
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
	})

	It("lets flags win over the environment", func() {
		cfg, err := cli.Parse([]string{"-addr", "127.0.0.1:0", "-rate-limit", "5", "-seed", "9", "-strict=false",
			"-client", "a:sa:identity", "-client", "b:sb:prefill"},
			env{"MOCKPROVE_ADDR": "0.0.0.0:9000", "MOCKPROVE_RATE_LIMIT": "25", "MOCKPROVE_STRICT": "true"}.get, stderr)
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Addr).To(Equal("127.0.0.1:0"))
		Expect(cfg.RateLimit).To(Equal(5))
		Expect(cfg.Seed).To(Equal(uint64(9)))
		Expect(cfg.Strict).To(BeFalse())
		Expect([]mockprove.Client(cfg.ClientList)).To(Equal([]mockprove.Client{
			{ID: "a", Secret: "sa", Product: mockprove.ProductIdentity},
			{ID: "b", Secret: "sb", Product: mockprove.ProductPrefill},
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
		Entry("MOCKPROVE_JOURNAL_SIZE not a number", nil, env{"MOCKPROVE_JOURNAL_SIZE": "big"}, "MOCKPROVE_JOURNAL_SIZE"),
		Entry("-rate-limit not a number", []string{"-rate-limit", "lots"}, env{}, `invalid value "lots" for flag -rate-limit`),
		Entry("-seed not a number", []string{"-seed", "x"}, env{}, `invalid value "x" for flag -seed`),
		Entry("-client without a product", []string{"-client", "a:sa"}, env{}, "want id:secret:product"),
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
		Expect(err).To(MatchError(path + ": persona 0 (2009990101): field 'products[0]' must be one of: identity, prefill"))
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
		Expect(stdout.String()).To(MatchRegexp(`^mockprove listening on http://127\.0\.0\.1:\d+\nmockprove shutting down\n$`))
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
		Eventually(stdout.String).Should(MatchRegexp(listening.String()))
		base := listening.FindStringSubmatch(stdout.String())[1]

		resp, err := http.PostForm(base+"/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"acme"}, "client_secret": {"s3cret"}})
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Eventually(stderr.String).Should(ContainSubstring(`"client":"acme"`))

		Consistently(done).ShouldNot(Receive())
		cancel()
		Eventually(done).Should(Receive(BeNil()))
		Expect(stdout.String()).To(HaveSuffix("mockprove shutting down\n"))
		_, err = http.Get(base + "/openapi/prove-v3.yaml")
		Expect(err).To(HaveOccurred())
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
		Entry("a client with an unknown product", []string{"-addr", "127.0.0.1:0", "-client", "a:s:kyc"}, `product must be "identity" or "prefill"`),
		Entry("an address that cannot be used", []string{"-addr", "256.1.1.1:0"}, "listen 256.1.1.1:0"),
		Entry("a log format", []string{"-log-format", "yaml"}, "-log-format"),
	)
})

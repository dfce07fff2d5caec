package flowapp_test

import (
	"context"
	"io"
	"net/http"
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
		})
		cfg, err := flowapp.ParseConfig([]string{"-addr", "127.0.0.1:0", "-client-id", "other", "-dev-hints=false"}, env, io.Discard)
		Expect(err).NotTo(HaveOccurred())
		off := false
		Expect(*cfg).To(Equal(flowapp.Config{
			ProveBaseURL: "https://platform.uat.proveapis.com", ClientID: "other", ClientSecret: "secret",
			Addr: "127.0.0.1:0", PublicURL: "https://shop.example.com", FinalTargetURL: "https://shop.example.com/landing",
			DevHints: &off, SessionSecret: "0123456789abcdef0123",
			WebDir: "/srv/web", ProveTimeout: 10 * time.Second, LogLevel: "info",
		}))
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
		Eventually(stdout).Should(gbytes.Say(`flowapp listening on http://127\.0\.0\.1:\d+ \(Prove at ` + regexp.QuoteMeta(s.URL()) + `\)\n`))
		url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(string(stdout.Contents()))

		resp, err := http.Get(url + "/healthz")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		Eventually(stderr).Should(gbytes.Say(`path=/healthz status=200`))

		cancel()
		Eventually(done).Should(Receive(BeNil()), "Main returns once the app has closed")
		Expect(stdout).To(gbytes.Say("flowapp shutting down"))
	})
})

func ptr[T any](v T) *T { return &v }

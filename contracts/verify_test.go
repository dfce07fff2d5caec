package contracts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/mockprove"
)

var noEnv = func(string) string { return "" }

// readURL reads the url field of a JSON request body.
func readURL(r *http.Request) string {
	var b struct {
		URL string `json:"url"`
	}
	_ = json.NewDecoder(r.Body).Decode(&b)
	return b.URL
}

// verifyMain runs "contracts verify args..." and returns its exit status
// and output lines.
func verifyMain(getenv func(string) string, args ...string) (int, []string, string) {
	var out, errOut bytes.Buffer
	code := contracts.VerifyMain(context.Background(), args, getenv, &out, &errOut)
	return code, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"), errOut.String()
}

// rewrite is a test-only platform fault: a handler in front of mockprove
// that changes the JSON answers of one path.
func rewrite(path string, change func(status int, body map[string]any) int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			status := rec.Code
			out := rec.Body.Bytes()
			if json.Unmarshal(out, &body) == nil {
				status = change(status, body)
				out, _ = json.Marshal(body)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(status)
			_, _ = w.Write(out)
		})
	}
}

func resultOf(rep *contracts.VerifyReport, id string) contracts.Result {
	for _, r := range rep.Results {
		if r.ID() == id {
			return r
		}
	}
	Fail("no result " + id)
	return contracts.Result{}
}

var _ = Describe("contracts verify", func() {
	Describe("in process", func() {
		var rep *contracts.VerifyReport
		BeforeEach(func() {
			var err error
			rep, err = contracts.Verify(context.Background(), contracts.VerifyOptions{})
			Expect(err).NotTo(HaveOccurred())
		})

		It("passes every scenario of the suite, at least 60, none skipped, and its own requests keep the spec", func() {
			var failed []string
			for _, r := range rep.Results {
				if r.Verdict != contracts.VerdictPass {
					failed = append(failed, r.Line())
				}
			}
			Expect(failed).To(BeEmpty())
			Expect(len(rep.Results)).To(BeNumerically(">=", 60))
			Expect(rep.Results).To(HaveLen(len(contracts.Scenarios())))
			Expect(rep.Summary()).To(Equal(fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(rep.Results))))
			Expect(rep.Violations).To(BeEmpty())
		})

		It("covers every area, every documented error code and every possession outcome, with unique names", func() {
			areas := map[string]int{}
			for _, r := range rep.Results {
				areas[r.Area]++
			}
			for _, a := range []string{"oauth", "identity", "prefill", "otp", "instantlink", "mobileauth", "order", "errors", "input",
				"unify", "verify", "verifypossession", "idmanager", "provex", "products", "webhooks"} {
				Expect(areas).To(HaveKey(a))
			}
			names := map[string]bool{}
			for _, s := range contracts.Scenarios() {
				Expect(names).NotTo(HaveKey(s.ID()), "scenario names are unique")
				names[s.ID()] = true
			}
			for _, id := range []string{"oauth/token-expired", "identity/desktop-instant-link", "identity/mobile-otp", "prefill/challenge-dob",
				"otp/right", "otp/wrong-no-retry", "otp/retry", "otp/resend", "otp/expired",
				"instantlink/clicked-ws", "instantlink/expired", "instantlink/replaced", "mobileauth/pass", "mobileauth/fallback",
				"order/validate-replayed", "order/unknown-correlation-id", "order/other-clients-correlation-id",
				"errors/start-8000", "errors/start-8001", "errors/validate-8002", "errors/complete-8003", "errors/unknown-user-8007",
				"errors/validate-8008", "errors/start-8009", "errors/start-429", "input/body-over-4kb", "input/malformed-json",
				"verify/verified-user", "verify/not-verified", "verify/type-account-opening", "verify/type-human-assurance", "verify/type-prefill",
				"verify/type-prefill-for-biz", "verify/type-identity-resolution", "verify/batch-per-item", "verify/batch-1000",
				"idmanager/batch-items", "idmanager/batch-identities", "idmanager/list-pages", "idmanager/deactivate-activate",
				"idmanager/disenrol", "idmanager/lookup", "idmanager/unknown-id", "provex/discover-fetch", "provex/unknown-prove-id",
				"products/identity-client-8009", "products/prefill-client-8009", "products/unify-client-works", "webhooks/delivery", "webhooks/retry",
				"verifypossession/status-before-sdk", "verifypossession/mobile-otp", "verifypossession/desktop-instant-link", "verifypossession/none",
				"unify/short-term-user", "unify/status-before-sdk", "unify/mobile-otp-places-key", "unify/key-recognised", "unify/mobile-auth",
				"unify/desktop-instant-link", "unify/none-then-bind", "unify/revoked-key", "unify/session-expired"} {
				Expect(names).To(HaveKey(id))
			}
		})

		It("records the response shapes per operation and status", func() {
			r := resultOf(rep, "identity/short-term-user")
			Expect(r.Shapes).To(HaveKeyWithValue("POST /v3/validate 200", SatisfyAll(
				HaveKeyWithValue("success", "boolean"), HaveKeyWithValue("challengeMissing", "boolean"),
				HaveKeyWithValue("next.v3-complete", "string"))))
			Expect(r.Shapes).To(HaveKeyWithValue("POST /v3/complete 200", HaveKeyWithValue("idv.dataSource1.reasonCodes[]", "string")))
			Expect(resultOf(rep, "instantlink/replaced").Shapes).To(HaveKey("GET /v1/link/{token} 410"))
		})
	})

	Describe("the output", func() {
		It("prints one line per scenario and the summary, and selects with -run", func() {
			code, lines, _ := verifyMain(noEnv, "-run", "^oauth/")
			Expect(code).To(Equal(0))
			n := 0
			for _, s := range contracts.Scenarios() {
				if s.Area == "oauth" {
					Expect(lines[n]).To(Equal("PASS " + s.ID()))
					n++
				}
			}
			Expect(lines).To(HaveLen(n + 1))
			Expect(lines[n]).To(Equal(fmt.Sprintf("%d passed, 0 failed, 0 skipped", n)))
		})

		It("refuses a target it does not know", func() {
			code, _, errOut := verifyMain(noEnv, "-target", "ftp://x")
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring("-target must be inprocess, sandbox or an http(s) URL"))
		})
	})

	Describe("-rate", func() {
		It("keeps a run under a platform's rate limit", func() {
			// On a frozen clock every request falls in the same second, so the
			// unpaced run goes over 20 whatever the machine's speed.
			s := mockprove.RunT(GinkgoT(), mockprove.Options{RateLimit: 20, Clock: mockprove.NewFrozenClock(time.Now())})
			code, lines, _ := verifyMain(noEnv, "-target", s.URL(), "-run", "^order/")
			Expect(code).To(Equal(1), "unpaced, the run goes over 20 requests a second")
			Expect(strings.Join(lines, "\n")).To(ContainSubstring("got 429"))
			fresh := mockprove.RunT(GinkgoT(), mockprove.Options{RateLimit: 20}) // a window of its own
			code, lines, _ = verifyMain(noEnv, "-target", fresh.URL(), "-run", "^order/", "-rate", "15")
			Expect(lines[len(lines)-1]).To(MatchRegexp(`^\d+ passed, 0 failed, 0 skipped$`))
			Expect(code).To(Equal(0))
		})
	})

	Describe("the sandbox target", func() {
		It("without credentials prints one line and exits 0", func() {
			code, lines, errOut := verifyMain(noEnv, "-target", "sandbox")
			Expect(code).To(Equal(0))
			Expect(lines).To(Equal([]string{contracts.ErrNoSandboxCredentials.Error()}))
			Expect(errOut).To(BeEmpty())
		})

		It("with credentials skips what Prove's sandbox cannot offer, and says why", func() {
			// A mockprove stands in for the sandbox: only the sandbox's
			// capabilities are used (no control API, no edge personas, one client).
			s := mockprove.RunT(GinkgoT())
			env := map[string]string{"PROVE_BASE_URL": s.URL(), "PROVE_CLIENT_ID": "identity-client", "PROVE_CLIENT_SECRET": "identity-secret"}
			code, lines, _ := verifyMain(func(k string) string { return env[k] }, "-target", "sandbox")
			Expect(code).To(Equal(0))
			Expect(lines).To(ContainElement("PASS identity/short-term-user"))
			Expect(lines).To(ContainElement("SKIP otp/expired: needs personas, phone, clock"))
			Expect(lines).To(ContainElement("SKIP prefill/challenge-dob: needs prefill-client"))
			Expect(lines[len(lines)-1]).To(MatchRegexp(`^\d+ passed, 0 failed, \d+ skipped$`))
		})

		It("with a client of Prove's current suite runs the suite's scenarios on sandbox users only", func() {
			s := mockprove.RunT(GinkgoT())
			env := map[string]string{"PROVE_BASE_URL": s.URL(), "PROVE_CLIENT_ID": "unify-client", "PROVE_CLIENT_SECRET": "unify-secret", "PROVE_PRODUCT": "unify"}
			code, lines, _ := verifyMain(func(k string) string { return env[k] }, "-target", "sandbox", "-run", "^(unify|verify|verifypossession|idmanager|provex|products|webhooks|identity)/")
			Expect(code).To(Equal(0))
			Expect(lines).To(ContainElements("PASS verify/verified-user", "PASS verify/batch-per-item", "PASS idmanager/list-pages",
				"PASS provex/discover-fetch", "PASS products/unify-client-works",
				"PASS unify/short-term-user", "PASS unify/none-then-bind", "SKIP verifypossession/none: needs possession-era",
				"SKIP unify/key-recognised: needs phone", "SKIP unify/otp-fails: needs phone, personas",
				"SKIP verify/persona-8000: needs personas", "SKIP webhooks/delivery: needs webhooks",
				"SKIP products/identity-client-8009: needs identity-client", "SKIP identity/short-term-user: needs identity-client"))
			for _, l := range lines {
				Expect(l).NotTo(HavePrefix("FAIL"))
			}
		})

		It("refuses a PROVE_PRODUCT it does not know", func() {
			env := map[string]string{"PROVE_BASE_URL": "http://127.0.0.1:1", "PROVE_CLIENT_ID": "a", "PROVE_CLIENT_SECRET": "b", "PROVE_PRODUCT": "verify"}
			code, _, errOut := verifyMain(func(k string) string { return env[k] }, "-target", "sandbox")
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring(`PROVE_PRODUCT must be identity, prefill or unify, not "verify"`))
		})
	})

	Describe("the kit can fail", func() {
		It("names a required field dropped from a response", func() {
			rep, err := contracts.Verify(context.Background(), contracts.VerifyOptions{Run: regexp.MustCompile(`^identity/short-term-user$`),
				Wrap: rewrite("/v3/validate", func(st int, b map[string]any) int { delete(b, "challengeMissing"); return st })})
			Expect(err).NotTo(HaveOccurred())
			r := resultOf(rep, "identity/short-term-user")
			Expect(r.Verdict).To(Equal(contracts.VerdictFail))
			Expect(r.Line()).To(MatchRegexp(`^FAIL identity/short-term-user: platform POST /v3/validate response body challengeMissing \[schema\.required\]: expected field challengeMissing, got nothing \(correlationId [0-9a-f-]{36}\)`))
		})

		It("names a wrong next", func() {
			rep, err := contracts.Verify(context.Background(), contracts.VerifyOptions{Run: regexp.MustCompile(`^identity/short-term-user$`),
				Wrap: rewrite("/v3/validate", func(st int, b map[string]any) int {
					b["next"] = map[string]any{"v3-challenge": "/v3/challenge"}
					return st
				})})
			Expect(err).NotTo(HaveOccurred())
			line := resultOf(rep, "identity/short-term-user").Line()
			Expect(line).To(HavePrefix(`FAIL identity/short-term-user: platform POST /v3/validate response body next [flow.next]: expected {"v3-complete":"/v3/complete"}, got {"v3-challenge":"/v3/challenge"} (correlationId `))
			Expect(line).NotTo(ContainSubstring("\n"))
		})

		It("names a wrong status code", func() {
			rep, err := contracts.Verify(context.Background(), contracts.VerifyOptions{Run: regexp.MustCompile(`^order/complete-before-validate$`),
				Wrap: rewrite("/v3/complete", func(st int, b map[string]any) int {
					if st == http.StatusForbidden {
						return http.StatusBadRequest
					}
					return st
				})})
			Expect(err).NotTo(HaveOccurred())
			Expect(resultOf(rep, "order/complete-before-validate").Line()).To(MatchRegexp(
				`^FAIL order/complete-before-validate: platform POST /v3/complete status \[status\]: expected 403, got 400 \(code 8003: step not allowed: v3-complete is not in next; allowed: v3-validate\) \(correlationId [0-9a-f-]{36}\)$`))
		})

		It("names a business failure sent as an error status, and a wrong type", func() {
			rep, err := contracts.Verify(context.Background(), contracts.VerifyOptions{Run: regexp.MustCompile(`^(identity/no-possession|oauth/token)$`),
				Wrap: func(h http.Handler) http.Handler {
					return rewrite("/token", func(st int, b map[string]any) int { b["expires_in"] = "3600"; return st })(
						rewrite("/v3/validate", func(st int, b map[string]any) int {
							if b["success"] == false {
								return http.StatusUnauthorized
							}
							return st
						})(h))
				}})
			Expect(err).NotTo(HaveOccurred())
			lines := func(r contracts.Result) []string {
				var out []string
				for _, v := range r.Violations {
					out = append(out, v.String())
				}
				return out
			}
			Expect(lines(resultOf(rep, "identity/no-possession"))).To(ContainElement(HavePrefix("platform POST /v3/validate status [status]: expected 200, got 401")))
			Expect(resultOf(rep, "oauth/token").Violations[0].String()).To(Equal(
				`platform POST /token response body expires_in [schema.type]: expected integer, got string "3600"`))
		})

		It("names a boolean success where Verify answers a string, and a batch that drops an item", func() {
			rep, err := contracts.Verify(context.Background(), contracts.VerifyOptions{Run: regexp.MustCompile(`^verify/(verified-user|batch-per-item)$`),
				Wrap: func(h http.Handler) http.Handler {
					return rewrite("/v3/verify", func(st int, b map[string]any) int { b["success"] = true; return st })(
						rewrite("/v3/verify/batch", func(st int, b map[string]any) int {
							b["results"] = b["results"].([]any)[:3]
							return st
						})(h))
				}})
			Expect(err).NotTo(HaveOccurred())
			Expect(resultOf(rep, "verify/verified-user").Violations).To(HaveLen(2), "the schema violation of the branch meant, and the flow rule")
			Expect(resultOf(rep, "verify/verified-user").Violations[0].String()).To(Equal(
				`platform POST /v3/verify response body success [schema.enum]: expected a string, one of "true", "false", got boolean true`))
			Expect(resultOf(rep, "verify/batch-per-item").Line()).To(MatchRegexp(
				`^FAIL verify/batch-per-item: platform POST /v3/verify/batch response body results \[verify\.batch\]: expected 4 results, got 3 \(correlationId [0-9a-f-]{36}\)$`))
		})

		It("names a webhook delivered without its signature", func() {
			rep, err := contracts.Verify(context.Background(), contracts.VerifyOptions{Run: regexp.MustCompile(`^webhooks/delivery$`),
				Wrap: func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/_mock/webhooks/unify-client" && r.Method == http.MethodPut {
							// the platform signs with another secret than the one it was given
							r.Body = io.NopCloser(strings.NewReader(`{"url":"` + readURL(r) + `","secret":"another-secret"}`))
							r.ContentLength = -1
						}
						h.ServeHTTP(w, r)
					})
				}})
			Expect(err).NotTo(HaveOccurred())
			Expect(resultOf(rep, "webhooks/delivery").Line()).To(HavePrefix(
				`FAIL webhooks/delivery: platform POST /_mock/webhooks/events webhook request header X-Prove-Authorization [webhook.signature]: expected "Bearer <HS256 JWT signed with the secret, iss Prove Identity>", got "Bearer ey`))
		})

		It("names a wrong next step of the device API", func() {
			rep, err := contracts.Verify(context.Background(), contracts.VerifyOptions{Run: regexp.MustCompile(`^otp/right$`),
				Wrap: rewrite("/v1/client/mobile/otp/finish", func(st int, b map[string]any) int {
					if b["next"] == "done" {
						b["next"] = "mobile/otp"
					}
					return st
				})})
			Expect(err).NotTo(HaveOccurred())
			Expect(resultOf(rep, "otp/right").Line()).To(MatchRegexp(
				`^FAIL otp/right: platform POST /v1/client/mobile/otp/finish response body next \[device\.next\]: expected "done", got "mobile/otp" \(correlationId [0-9a-f-]{36}\)$`))
		})

		It("stops when interrupted and reports what ran", func() {
			ctx, cancel := context.WithCancel(context.Background())
			var out, errOut bytes.Buffer
			n := 0
			opts := contracts.VerifyOptions{Progress: func(contracts.Result) {
				if n++; n == 3 {
					cancel()
				}
			}}
			rep, err := contracts.Verify(ctx, opts)
			Expect(err).NotTo(HaveOccurred())
			Expect(rep.Results).To(HaveLen(3))
			cancel()
			Expect(contracts.VerifyMain(ctx, nil, noEnv, &out, &errOut)).To(Equal(1))
			Expect(out.String()).To(Equal("0 passed, 0 failed, 0 skipped\n"))
			Expect(errOut.String()).To(ContainSubstring("interrupted"))
		})

		It("exits 1 and writes a JUnit report that counts the failures", func() {
			s, err := mockprove.New(mockprove.Options{})
			Expect(err).NotTo(HaveOccurred())
			broken := httptest.NewServer(rewrite("/v3/complete", func(st int, b map[string]any) int { delete(b, "next"); return st })(s.Handler()))
			DeferCleanup(broken.Close)
			dir := GinkgoT().TempDir()
			junit := filepath.Join(dir, "verify.xml")
			code, lines, _ := verifyMain(noEnv, "-target", broken.URL, "-run", "^identity/", "-junit", junit)
			Expect(code).To(Equal(1))
			Expect(lines).To(ContainElement(HavePrefix("FAIL identity/short-term-user: platform POST /v3/complete response body next [schema.required]: expected field next, got nothing")))
			suites := parseJUnit(junit)
			var failures int
			for _, l := range lines {
				if strings.HasPrefix(l, "FAIL ") {
					failures++
				}
			}
			Expect(failures).To(BeNumerically(">", 0))
			Expect(suites.Failures).To(Equal(failures))
			Expect(suites.Tests).To(Equal(len(lines) - 1))
		})
	})

	Describe("the JUnit report", func() {
		It("is XML that CI systems read: testsuites > testsuite per area > testcase, counted right", func() {
			junit := filepath.Join(GinkgoT().TempDir(), "verify.xml")
			code, lines, _ := verifyMain(noEnv, "-run", "^(oauth|order)/", "-junit", junit)
			Expect(code).To(Equal(0))
			suites := parseJUnit(junit)
			Expect(suites.Tests).To(Equal(len(lines) - 1))
			Expect(suites.Failures).To(Equal(0))
			Expect(suites.Suites).To(HaveLen(2))
			Expect(suites.Suites[0].Name).To(Equal("contracts/oauth"))
			total := 0
			for _, s := range suites.Suites {
				Expect(s.Tests).To(Equal(len(s.Cases)))
				total += s.Tests
			}
			Expect(total).To(Equal(suites.Tests))
			Expect(suites.Suites[0].Cases[0].Name).To(Equal(strings.TrimPrefix(lines[0], "PASS ")))
		})
	})

	Describe("contracts diff", func() {
		var a, b string
		BeforeEach(func() {
			dir := GinkgoT().TempDir()
			a, b = filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
			code, _, _ := verifyMain(noEnv, "-run", "^(identity|oauth)/", "-json", a)
			Expect(code).To(Equal(0))
			code, _, _ = verifyMain(noEnv, "-run", "^(identity|oauth)/", "-json", b)
			Expect(code).To(Equal(0))
		})

		diff := func() (int, string) {
			var out, errOut bytes.Buffer
			code := contracts.DiffMain([]string{a, b}, &out, &errOut)
			Expect(errOut.String()).To(BeEmpty())
			return code, out.String()
		}

		It("finds nothing between two runs of the same platform", func() {
			code, out := diff()
			Expect(code).To(Equal(0))
			Expect(out).To(Equal(fmt.Sprintf("no differences between %s and %s\n", a, b)))
		})

		It("names a changed verdict, a missing field, an added field and a changed type", func() {
			rep, err := contracts.ReadVerifyReport(b)
			Expect(err).NotTo(HaveOccurred())
			for i := range rep.Results {
				r := &rep.Results[i]
				switch r.ID() {
				case "identity/kyc-hits":
					r.Verdict = contracts.VerdictFail
				case "identity/short-term-user":
					delete(r.Shapes["POST /v3/validate 200"], "challengeMissing")
					r.Shapes["POST /v3/complete 200"]["evaluation"] = "object"
					r.Shapes["POST /v3/complete 200"]["kyc.totalHits"] = "string"
				}
			}
			f, err := os.Create(b)
			Expect(err).NotTo(HaveOccurred())
			Expect(rep.WriteJSON(f)).To(Succeed())
			Expect(f.Close()).To(Succeed())

			code, out := diff()
			Expect(code).To(Equal(1))
			Expect(strings.Split(strings.TrimSpace(out), "\n")).To(Equal([]string{
				"identity/kyc-hits: verdict pass in A, fail in B",
				"identity/short-term-user: POST /v3/complete 200 field evaluation added in B (object)",
				"identity/short-term-user: POST /v3/complete 200 field kyc.totalHits type changed: number in A, string in B",
				"identity/short-term-user: POST /v3/validate 200 field challengeMissing missing in B (boolean in A)",
				fmt.Sprintf("4 differences between %s (A: inprocess) and %s (B: inprocess)", a, b),
			}))
		})
	})

	Describe("against a mockprove binary", Ordered, func() {
		var bin string
		BeforeAll(func() {
			bin = filepath.Join(GinkgoT().TempDir(), "mockprove")
			build := exec.Command("go", "build", "-o", bin, "github.com/mockprove/mockprove/mockprove/cmd/mockprove")
			build.Stderr = GinkgoWriter
			Expect(build.Run()).To(Succeed())
		})

		start := func(args ...string) string {
			cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
			session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(func() { session.Kill().Wait(5 * time.Second) })
			Eventually(session.Out).WithTimeout(10 * time.Second).Should(gbytes.Say(`mockprove listening on http://\S+`))
			return regexp.MustCompile(`mockprove listening on (http://\S+)`).FindStringSubmatch(string(session.Out.Contents()))[1]
		}

		It("passes every scenario with -target URL", func() {
			url := start()
			code, lines, errOut := verifyMain(noEnv, "-target", url)
			Expect(errOut).To(BeEmpty())
			Expect(lines[len(lines)-1]).To(Equal(fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(contracts.Scenarios()))))
			Expect(code).To(Equal(0))
		})

		It("uses -control-token on a guarded control API, and skips what needs control without it", func() {
			url := start("-control-token", "s3cret")
			code, lines, _ := verifyMain(noEnv, "-target", url, "-run", "^(otp/expired|identity/short-term-user)$", "-control-token", "s3cret")
			Expect(code).To(Equal(0))
			Expect(lines).To(Equal([]string{"PASS identity/short-term-user", "PASS otp/expired", "2 passed, 0 failed, 0 skipped"}))
			code, lines, _ = verifyMain(noEnv, "-target", url, "-run", "^(otp/expired|identity/short-term-user)$")
			Expect(code).To(Equal(0))
			Expect(lines).To(Equal([]string{"PASS identity/short-term-user", "SKIP otp/expired: needs phone, clock", "1 passed, 0 failed, 1 skipped"}))
		})
	})
})

var _ = Describe("docs/contracts.md", func() {
	It("lists every scenario with what it checks", func() {
		doc, err := os.ReadFile("../docs/contracts.md")
		Expect(err).NotTo(HaveOccurred())
		for _, s := range contracts.Scenarios() {
			Expect(string(doc)).To(ContainSubstring("| `%s` | %s |", s.ID(), s.Doc))
		}
		areas := map[string]bool{}
		var names []string
		for _, s := range contracts.Scenarios() {
			if !areas[s.Area] {
				names = append(names, "`"+s.Area+"`")
			}
			areas[s.Area] = true
		}
		_, intro, _ := strings.Cut(string(doc), "## The scenarios\n\n")
		intro, _, _ = strings.Cut(intro, "\n\n")
		Expect(intro).To(HavePrefix("%d scenarios in %d areas: ", len(contracts.Scenarios()), len(areas)))
		for _, n := range names {
			Expect(intro).To(ContainSubstring(n))
		}
		_, table, found := strings.Cut(string(doc), "## The scenarios")
		Expect(found).To(BeTrue())
		Expect(strings.Count(table, "\n| `")).To(Equal(len(contracts.Scenarios())), "no scenario listed that the suite does not have")
	})
})

type junitSuites struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Tests int    `xml:"tests,attr"`
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(path string) junitSuites {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var s junitSuites
	Expect(xml.Unmarshal(data, &s)).To(Succeed())
	return s
}

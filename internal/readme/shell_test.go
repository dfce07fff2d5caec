package readme_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/mockprove"
)

// shellCheck is what a file's shell blocks must print, beyond running
// without error, and what must hold after them.
type shellCheck struct {
	want    []string // substrings of the output (spaces ignored if not found as is)
	notWant []string
	shows   []string // substrings of the document itself
	after   func(t *testing.T, s *mockprove.Server, dir string)
}

// shellChecks are the answers the documents show in their comments, by
// file. A file with runnable blocks and no entry must only run cleanly.
var shellChecks = map[string]shellCheck{
	"README.md": {
		shows: []string{fmt.Sprintf("runs %d scenarios", len(contracts.Scenarios()))},
		want: []string{`"challengeMissing":false`, `"multiCIPConfidence":"high"`, `"next":{"done":"done"}`,
			"PASS otp/right\n", "PASS otp/expired\n", "2 passed, 0 failed, 0 skipped"},
		notWant: []string{`"success":false`},
	},
	"docs/server-api.md": {
		want:    []string{`"challengeMissing":true`, `"firstName":"Milo"`, `"next":{"done":"done"}`, `"isEnrolled":true`, `"attributeValue":"ext-wallet-992834"`},
		notWant: []string{`"success":false`},
	},
	"docs/device-api.md": {
		want:    []string{`"next":"done"`, "302 https://example.com/done?authId=", `"success":true`},
		notWant: []string{`"success":false`},
	},
	"docs/control-api.md": {
		want: []string{`"1234"`, `"step":"/v3/start"`, `"kind":"ws-close"`,
			`["2001004031",false]`, `["2001004035",true]`, "2001004035\n"},
		after: func(t *testing.T, s *mockprove.Server, _ string) {
			if _, ok := s.Persona("2009990099"); ok {
				t.Errorf("the reset example did not remove the persona it added")
			}
		},
	},
	"docs/verify-possession.md": {
		want: []string{
			`{"success":"pending","possessionResult":"pending","verifyResult":"pending"}`,
			`{"next":"done"}`,
			`{"success":"true","possessionResult":"success","verifyResult":"success"}`,
			`{"success":"true","possessionResult":"not_applicable","verifyResult":"success"}`,
		},
	},
	"docs/webhooks.md": {
		want: []string{
			`{"success":true}`,
			`{"delivered":true,"attempts":[{"status":503,"fault":"f1"},{"status":503,"fault":"f1"},{"status":200,"fault":null}]}`,
			`[{"status":503,"rule":"fault:f1"},{"status":503,"rule":"fault:f1"},{"status":200,"rule":"webhook.status:200"}]`,
		},
		after: func(t *testing.T, _ *mockprove.Server, _ string) {
			if got := webhookReceiver.posts(); len(got) != 1 || got[0] != "/prove/events" {
				t.Errorf("docs/webhooks.md: the receiver got %v, want one POST to /prove/events", got)
			}
		},
	},
	"docs/contract-testing.md": {
		want: []string{fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(contracts.Scenarios())),
			"PASS otp/expired\n", "2 passed, 0 failed, 0 skipped",
			"contracts report: 1 exchanges, 0 client violations, 0 platform violations, 0 warnings",
			"no differences between inprocess.json and mockprove.json", contracts.ErrNoSandboxCredentials.Error()},
		shows: []string{fmt.Sprintf("# %d passed, 0 failed, 0 skipped\n", len(contracts.Scenarios())),
			fmt.Sprintf("runs %d scenarios", len(contracts.Scenarios()))},
	},
	"docs/contracts-proxy.md": {
		want: []string{
			`"code":8003`,
			"contracts report: 3 exchanges, 1 client violations, 0 platform violations, 0 warnings",
			"client POST /v3/complete flow [flow.validate-first]: expected a successful /v3/validate before /v3/complete, got no /v3/validate (correlationId ",
			`{"side":"client","rule":"flow.validate-first","where":"flow"}`,
			"contracts proxy exited with status 1",
		},
		after: func(t *testing.T, _ *mockprove.Server, dir string) {
			junit, err := os.ReadFile(filepath.Join(dir, "contracts-report.xml"))
			if err != nil {
				t.Fatalf("the proxy wrote no report on SIGTERM: %v", err)
			}
			if !strings.Contains(string(junit), `<testsuite name="contracts client"`) || !strings.Contains(string(junit), "[flow.validate-first]") {
				t.Errorf("the JUnit report lacks the client suite or the violation:\n%s", junit)
			}
		},
	},
}

// TestDocShellBlocks runs the sh and bash blocks of each documentation
// file, in order, as one bash script (set -euo pipefail), against one
// in-process mockprove, reset before each file. The documents' addresses
// are replaced: mockprove's default http://127.0.0.1:8080 by the test
// server, the proxy's 127.0.0.1:9090 by a free port, and the files they
// write (bin/contracts, contracts-report.xml) go to a temporary folder.
func TestDocShellBlocks(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if browser.InCI() {
				t.Fatalf("%s is needed to run the documentation's examples (.ci/run installs it)", tool)
			}
			t.Skipf("%s is not installed: skipping the documentation's examples", tool)
		}
	}
	scripts := map[string][]block{}
	var files []string
	for _, b := range allBlocks(t) {
		if b.lang != "sh" && b.lang != "bash" {
			continue
		}
		if _, marked := notRun(b); marked {
			continue
		}
		if scripts[b.file] == nil {
			files = append(files, b.file)
		}
		scripts[b.file] = append(scripts[b.file], b)
	}
	for f := range shellChecks {
		if scripts[f] == nil {
			t.Errorf("%s: expected output is listed for it, but it has no runnable shell block", f)
		}
	}
	// The webhook walk's receiver (http://127.0.0.1:9999 in the document)
	// and a retry delay short enough not to wait in a test.
	webhookReceiver = newReceiver(t)
	s := mockprove.RunT(t, mockprove.Options{WebhookRetryDelay: time.Millisecond})
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			s.Reset()
			runShell(t, s, f, scripts[f])
		})
	}
}

func runShell(t *testing.T, s *mockprove.Server, file string, bs []block) {
	l, err := net.Listen("tcp", "127.0.0.1:0") // a free port for a contracts proxy
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := l.Addr().String()
	_ = l.Close()
	dir := t.TempDir()
	var src strings.Builder
	for _, b := range bs {
		fmt.Fprintf(&src, "# %s\n%s\necho\n", b, b.body)
	}
	script := strings.NewReplacer(
		"http://127.0.0.1:8080", s.URL(),
		"127.0.0.1:9090", proxyAddr,
		"http://127.0.0.1:9999", webhookReceiver.URL,
		"bin/contracts", filepath.Join(dir, "contracts"),
		"contracts-report.xml", filepath.Join(dir, "contracts-report.xml"),
	).Replace(src.String())
	script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = root // "go run ./contracts/cmd/contracts" runs from the repository root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: the shell blocks failed: %v\nscript:\n%s\noutput:\n%s", file, err, script, out)
	}
	got := string(out)
	check := shellChecks[file]
	for _, want := range check.want {
		if !strings.Contains(got, want) && !strings.Contains(strings.ReplaceAll(got, " ", ""), strings.ReplaceAll(want, " ", "")) {
			t.Errorf("%s: the output lacks %q:\n%s", file, want, got)
		}
	}
	for _, bad := range check.notWant {
		if strings.Contains(got, bad) {
			t.Errorf("%s: the output has %q:\n%s", file, bad, got)
		}
	}
	doc := readDoc(t, file)
	for _, want := range check.shows {
		if !strings.Contains(doc, want) {
			t.Errorf("%s should show %q", file, want)
		}
	}
	if check.after != nil {
		check.after(t, s, dir)
	}
}

// receiver records the paths of the webhook deliveries it is sent.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

var webhookReceiver *receiver

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.URL.Path)
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) posts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

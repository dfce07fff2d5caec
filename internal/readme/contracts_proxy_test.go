package readme_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/mockprove"
)

// TestContractsProxyDoc runs the sh blocks of docs/contracts-proxy.md, in
// order, as one script: it builds the contracts binary, starts the proxy in
// front of a real mockprove, makes the documented mistake, reads the report
// and stops the proxy with SIGTERM.
func TestContractsProxyDoc(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if browser.InCI() {
				t.Fatalf("%s is needed to run the examples of docs/contracts-proxy.md", tool)
			}
			t.Skipf("%s is not installed: skipping the examples of docs/contracts-proxy.md", tool)
		}
	}
	doc, err := os.ReadFile("../../docs/contracts-proxy.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) < 4 {
		t.Fatalf("docs/contracts-proxy.md has %d sh blocks, want the 4 of its walkthrough", len(blocks))
	}
	s := mockprove.RunT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := l.Addr().String()
	_ = l.Close()
	dir := t.TempDir()
	script := strings.NewReplacer(
		"http://127.0.0.1:8080", s.URL(),
		"127.0.0.1:9090", proxyAddr,
		"bin/contracts", filepath.Join(dir, "contracts"),
		"contracts-report.xml", filepath.Join(dir, "contracts-report.xml"),
	).Replace(strings.Join(blocks, "\necho\n"))
	script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docs/contracts-proxy.md examples failed: %v\nscript:\n%s\noutput:\n%s", err, script, out)
	}
	got := string(out)
	for _, want := range []string{
		`"code":8003`,
		"contracts report: 3 exchanges, 1 client violations, 0 platform violations, 0 warnings",
		"client POST /v3/complete flow [flow.validate-first]: expected a successful /v3/validate before /v3/complete, got no /v3/validate (correlationId ",
		`{"side":"client","rule":"flow.validate-first","where":"flow"}`,
		"contracts proxy exited with status 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the examples' output lacks %q:\n%s", want, got)
		}
	}
	junit, err := os.ReadFile(filepath.Join(dir, "contracts-report.xml"))
	if err != nil {
		t.Fatalf("the proxy wrote no report on SIGTERM: %v", err)
	}
	if !strings.Contains(string(junit), `<testsuite name="contracts client"`) || !strings.Contains(string(junit), "[flow.validate-first]") {
		t.Errorf("the JUnit report lacks the client suite or the violation:\n%s", junit)
	}
}

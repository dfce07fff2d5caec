// Package readme_test runs the README's shell examples against a real
// mockprove, so that the walkthroughs stay true.
package readme_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/mockprove"
)

// sections whose ```sh blocks are run, in order, as one script.
var sections = []string{"## Walk a flow with curl", "## The control API", "## Contract testing"}

func TestREADMEExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if browser.InCI() {
				t.Fatalf("%s is needed to run the README examples (.ci/run installs it)", tool)
			}
			t.Skipf("%s is not installed: skipping the README examples", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := mockprove.RunT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the contracts proxy
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := l.Addr().String()
	_ = l.Close()
	script := "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + strings.NewReplacer(
		"http://127.0.0.1:8080", s.URL(), "127.0.0.1:9090", proxyAddr).Replace(shellBlocks(t, string(readme)))
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = "../.." // the repository root: "go run ./contracts/cmd/contracts"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README examples failed: %v\nscript:\n%s\noutput:\n%s", err, script, out)
	}
	got := string(out)
	// The commented answers in the README: each flow ends in success.
	if n := strings.Count(got, `"success":true`); n < 6 {
		t.Errorf("want at least 6 successful steps in the README walkthroughs, got %d:\n%s", n, got)
	}
	for _, want := range []string{`"next":"done"`, `"challengeMissing":true`, `"firstName":"Milo"`, `"step":"/v3/start"`, `"isEnrolled":true`, `"attributeValue":"ext-wallet-992834"`, "302 https://example.com/done?authId="} {
		if !strings.Contains(got, want) && !strings.Contains(strings.ReplaceAll(got, " ", ""), want) {
			t.Errorf("README walkthrough output lacks %s:\n%s", want, got)
		}
	}
	// The contract testing section: the whole suite passes, as the README says.
	summary := fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(contracts.Scenarios()))
	for _, want := range []string{summary, "PASS otp/expired\n", "2 passed, 0 failed, 0 skipped",
		"contracts report: 1 exchanges, 0 client violations, 0 platform violations, 0 warnings",
		"no differences between inprocess.json and mockprove.json", contracts.ErrNoSandboxCredentials.Error()} {
		if !strings.Contains(got, want) {
			t.Errorf("README contract testing output lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(string(readme), "# "+summary+"\n") {
		t.Errorf("README should show the summary line of the whole suite: # %s", summary)
	}
	if strings.Contains(got, `"success":false`) {
		t.Errorf("a README walkthrough step failed:\n%s", got)
	}
	if _, ok := s.Persona("2009990099"); ok {
		t.Errorf("the README's reset example did not remove the persona it added")
	}
}

var fence = regexp.MustCompile("(?s)```sh\n(.*?)```")

func shellBlocks(t *testing.T, readme string) string {
	var b strings.Builder
	for _, title := range sections {
		i := strings.Index(readme, title)
		if i < 0 {
			t.Fatalf("README has no section %q", title)
		}
		sec := readme[i+len(title):]
		if j := strings.Index(sec, "\n## "); j >= 0 {
			sec = sec[:j]
		}
		for _, m := range fence.FindAllStringSubmatch(sec, -1) {
			b.WriteString(m[1])
			b.WriteString("\necho\n")
		}
	}
	return b.String()
}

var goFence = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestREADMEGoBlocksCompile: every Go block of the README stands verbatim in
// a Go file of the repository (a test or an example), so it compiles and
// runs with go test.
func TestREADMEGoBlocksCompile(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goFence.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no Go block")
	}
	sources, err := filepath.Glob("../../mockprove/*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../contracts/*.go")
	sources = append(sources, more...)
	var all strings.Builder
	for _, p := range sources {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	code := indentless(all.String())
	for _, m := range blocks {
		if !strings.Contains(code, indentless(m[1])) {
			t.Errorf("this README Go block is in no Go file of mockprove/ or contracts/ (%d files), so nothing compiles it:\n%s", len(sources), m[1])
		}
	}
}

// indentless drops each line's leading white space, so that a block shown
// at the left margin matches the same lines nested in a file.
func indentless(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, " \t")
	}
	return strings.Join(lines, "\n")
}

var yamlFence = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestREADMEYAMLBlocksAreTheCIExamples: every YAML block of the README is an
// excerpt, verbatim, of a CI example in docs/ci (whose own test parses it).
func TestREADMEYAMLBlocksAreTheCIExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../docs/ci/*.yml")
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	blocks := yamlFence.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("the README shows no CI example")
	}
	for _, m := range blocks {
		if !strings.Contains(all.String(), m[1]) {
			t.Errorf("this README YAML block is not in docs/ci/*.yml verbatim:\n%s", m[1])
		}
	}
}

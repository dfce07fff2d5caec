package readme_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/mockprove"
)

// docScript is the sh blocks of a docs file, in order, as one script run
// from the repository root against base (in place of the documented
// http://127.0.0.1:8080); replace holds further old/new pairs.
func docScript(t *testing.T, path, base string, replace ...string) string {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if browser.InCI() {
				t.Fatalf("%s is needed to run the examples of %s", tool, path)
			}
			t.Skipf("%s is not installed: skipping the examples of %s", tool, path)
		}
	}
	doc, err := os.ReadFile("../../" + path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range fence.FindAllStringSubmatch(string(doc), -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) == 0 {
		t.Fatalf("%s has no sh block", path)
	}
	pairs := append([]string{"http://127.0.0.1:8080", base}, replace...)
	return "set -euo pipefail\n" + strings.NewReplacer(pairs...).Replace(strings.Join(blocks, "\necho\n"))
}

// runScript runs a docs script and returns its output.
func runScript(t *testing.T, path, script string) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s examples failed: %v\nscript:\n%s\noutput:\n%s", path, err, script, out)
	}
	return string(out)
}

// TestVerifyPossessionDoc runs the walkthrough of docs/verify-possession.md
// against a real mockprove: its commented answers must come out.
func TestVerifyPossessionDoc(t *testing.T) {
	const path = "docs/verify-possession.md"
	s := mockprove.RunT(t)
	got := runScript(t, path, docScript(t, path, s.URL()))
	for _, want := range []string{
		`{"success":"pending","possessionResult":"pending","verifyResult":"pending"}`,
		`{"next":"done"}`,
		`{"success":"true","possessionResult":"success","verifyResult":"success"}`,
		`{"success":"true","possessionResult":"not_applicable","verifyResult":"success"}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the output of %s lacks %s:\n%s", path, want, got)
		}
	}
}

// TestWebhooksDoc runs the walkthrough of docs/webhooks.md against a real
// mockprove and a receiver in place of the documented one.
func TestWebhooksDoc(t *testing.T) {
	const path = "docs/webhooks.md"
	var got []string
	var mu sync.Mutex
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path)
		mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	s := mockprove.RunT(t, mockprove.Options{WebhookRetryDelay: time.Millisecond})
	out := runScript(t, path, docScript(t, path, s.URL(), "http://127.0.0.1:9999", rc.URL))
	for _, want := range []string{
		`{"success":true}`,
		`{"delivered":true,"attempts":[{"status":503,"fault":"f1"},{"status":503,"fault":"f1"},{"status":200,"fault":null}]}`,
		`[{"status":503,"rule":"fault:f1"},{"status":503,"rule":"fault:f1"},{"status":200,"rule":"webhook.status:200"}]`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output of %s lacks %s:\n%s", path, want, out)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "/prove/events" {
		t.Errorf("the receiver got %v, want one POST to /prove/events", got)
	}
}

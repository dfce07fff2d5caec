package readme_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mockprove/mockprove/internal/browser"
	"github.com/mockprove/mockprove/mockprove"
)

// TestUnifyDoc runs the sh blocks of docs/unify.md, in order, as one
// script against a real mockprove: a short-term user, a first mobile run
// that registers a Prove Key with openssl and passes OTP, a second run
// passed by the key alone with no SMS, a revoke, and possessionType none
// with bind.
func TestUnifyDoc(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "openssl", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			if browser.InCI() {
				t.Fatalf("%s is needed to run the examples of docs/unify.md", tool)
			}
			t.Skipf("%s is not installed: skipping the examples of docs/unify.md", tool)
		}
	}
	doc, err := os.ReadFile("../../docs/unify.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) != 5 {
		t.Fatalf("docs/unify.md has %d sh blocks, want the 5 of its walkthrough", len(blocks))
	}
	s := mockprove.RunT(t)
	script := "set -euo pipefail\n" + strings.ReplaceAll(strings.Join(blocks, "\necho '--- next block'\n"), "http://127.0.0.1:8080", s.URL())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("docs/unify.md examples failed: %v\nscript:\n%s\noutput:\n%s", err, script, out)
	}
	parts := strings.Split(string(out), "--- next block\n")
	if len(parts) != 5 {
		t.Fatalf("want the output of 5 blocks, got %d:\n%s", len(parts), out)
	}
	for i, wants := range [][]string{
		{`"success":"true"`, `"phoneNumber":"2001004018"`},
		{`"next":"mobile/otp","data":{"deviceId":"`, `{"next":"done"}`, `"success":"true"`, `"deviceId":"`},
		{`{"next":"done"}`, "[]", `"success":"true"`, `"deviceId":"`},
		{`{"success":true}`, `"code":10006`, `"next":"device/passive"`},
		{`"code":8003`, `"next":"done","data":{"deviceId":"`, `"success":"possession_required"`, `"success":"true"`},
	} {
		for _, want := range wants {
			if !strings.Contains(parts[i], want) {
				t.Errorf("block %d of docs/unify.md: the output lacks %s:\n%s", i+1, want, parts[i])
			}
		}
	}
	if strings.Contains(parts[2], `"kind":"otp"`) {
		t.Errorf("the second run sent an SMS:\n%s", parts[2])
	}
}

package browser

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fakeTB records what Require does instead of ending the test.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper()                          {}
func (f *fakeTB) Skipf(format string, args ...any) { f.skipped = fmt.Sprintf(format, args...) }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
}

func TestChromiumEnvPointsAtMissingFile(t *testing.T) {
	t.Setenv(EnvChromiumPath, filepath.Join(t.TempDir(), "no-such-chromium"))
	p, err := Chromium()
	if !errors.Is(err, ErrNotFound) || p != "" {
		t.Fatalf("Chromium() = %q, %v; want ErrNotFound", p, err)
	}
	if !strings.Contains(err.Error(), EnvChromiumPath) {
		t.Errorf("error %q does not name %s", err, EnvChromiumPath)
	}
}

func TestChromiumEnvPointsAtNonExecutable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "chromium")
	if err := os.WriteFile(file, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, file} {
		t.Setenv(EnvChromiumPath, p)
		if got, err := Chromium(); !errors.Is(err, ErrNotFound) {
			t.Errorf("CHROMIUM_PATH=%s: Chromium() = %q, %v; want ErrNotFound", p, got, err)
		}
	}
}

func TestChromiumEnvWins(t *testing.T) {
	file := filepath.Join(t.TempDir(), "my-chrome")
	if err := os.WriteFile(file, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvChromiumPath, file)
	if got, err := Chromium(); err != nil || got != file {
		t.Fatalf("Chromium() = %q, %v; want %q", got, err, file)
	}
}

func TestRequireSkipsOutsideCI(t *testing.T) {
	t.Setenv(EnvChromiumPath, "/nonexistent/chromium")
	t.Setenv("CI", "")
	f := &fakeTB{}
	if got := Require(f); got != "" {
		t.Fatalf("Require = %q, want empty", got)
	}
	if f.fatal != "" || !strings.Contains(f.skipped, "apt-get install chromium") {
		t.Fatalf("want a skip with an install hint; skipped=%q fatal=%q", f.skipped, f.fatal)
	}
}

func TestRequireFailsInCI(t *testing.T) {
	t.Setenv(EnvChromiumPath, "/nonexistent/chromium")
	t.Setenv("CI", "true")
	f := &fakeTB{}
	Require(f)
	if f.skipped != "" || !strings.Contains(f.fatal, "must run in CI") || !strings.Contains(f.fatal, "apt-get install chromium") {
		t.Fatalf("want a failure in CI; skipped=%q fatal=%q", f.skipped, f.fatal)
	}
}

func TestNPMStale(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mtime time.Time) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	write("package.json", old)
	if stale, why, err := npmStale(dir); err != nil || !stale || !strings.Contains(why, "missing") {
		t.Fatalf("no node_modules: stale=%v why=%q err=%v", stale, why, err)
	}
	mods := filepath.Join(dir, "node_modules")
	if err := os.Mkdir(mods, 0o755); err != nil {
		t.Fatal(err)
	}
	if stale, _, err := npmStale(dir); err != nil || stale {
		t.Fatalf("fresh node_modules: stale=%v err=%v", stale, err)
	}
	write("package-lock.json", time.Now().Add(time.Minute))
	if stale, why, err := npmStale(dir); err != nil || !stale || !strings.Contains(why, "package-lock.json") {
		t.Fatalf("newer lock file: stale=%v why=%q err=%v", stale, why, err)
	}
}

func TestFlockSerialises(t *testing.T) {
	path := filepath.Join(t.TempDir(), lockFile)
	unlock, err := flock(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		u, err := flock(path) // a second open file description: blocks
		if err == nil {
			u()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("second flock did not wait for the first")
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("second flock never got the lock")
	}
}

// TestNewContext drives a real browser: console and exceptions are
// recorded, Mobile changes the user agent, Screenshot writes a PNG.
func TestNewContext(t *testing.T) {
	Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>t</title><p>hello</p>
<script>console.log("hello from", "the page"); setTimeout(() => { throw new Error("boom") }, 0);</script>`)
	}))
	defer srv.Close()

	for _, mobile := range []bool{false, true} {
		t.Run(fmt.Sprintf("mobile=%v", mobile), func(t *testing.T) {
			ctx, cancel := NewContext(t, Options{Mobile: mobile, Timeout: 30 * time.Second})
			defer cancel()
			var ua string
			if err := chromedp.Run(ctx,
				chromedp.Navigate(srv.URL),
				chromedp.Evaluate(`navigator.userAgent`, &ua),
			); err != nil {
				t.Fatal(err)
			}
			if isMobile := strings.Contains(ua, "Mobile") && strings.Contains(ua, "Android"); isMobile != mobile {
				t.Errorf("user agent %q: mobile = %v, want %v", ua, isMobile, mobile)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				logs := strings.Join(Logs(ctx), "\n")
				if strings.Contains(logs, "console.log: hello from the page") && strings.Contains(logs, "boom") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("console message or exception not recorded:\n%s", logs)
				}
				time.Sleep(20 * time.Millisecond)
			}
			png := filepath.Join(t.TempDir(), "shot", "page.png")
			if err := Screenshot(ctx, png); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(png)
			if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Fatalf("screenshot is not a PNG (err %v, %d bytes)", err, len(b))
			}
		})
	}
}

// Package browser runs headless Chromium for browser tests: it finds the
// binary, installs a test page's npm dependencies, and hands out chromedp
// contexts with a fresh profile each, whose console output is shown when a
// test fails.
//
// Browser tests must not silently disappear in CI: Require skips a test when
// Chromium is missing, except when CI=true, where it fails it.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvChromiumPath names the environment variable that points at the browser
// binary; it wins over every other place.
const EnvChromiumPath = "CHROMIUM_PATH"

// InstallHint tells a developer how to get what the browser tests need.
const InstallHint = "install it with `apt-get install chromium` (Debian/Ubuntu) or point " +
	EnvChromiumPath + " at a Chromium or Chrome binary"

// candidates are tried in order after CHROMIUM_PATH.
var candidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser"}

// ErrNotFound is returned (wrapped) by Chromium when no browser is found.
var ErrNotFound = errors.New("browser: chromium not found")

// Chromium returns the path of the Chromium binary: $CHROMIUM_PATH when set
// (which must then exist), else /usr/bin/chromium, chromium in PATH, or
// chromium-browser in PATH.
func Chromium() (string, error) {
	if p := os.Getenv(EnvChromiumPath); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v", ErrNotFound, EnvChromiumPath, p, err)
		}
		return p, nil
	}
	for _, c := range candidates {
		if filepath.IsAbs(c) {
			if executable(c) == nil {
				return c, nil
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w (looked at $%s, %s)", ErrNotFound, EnvChromiumPath, strings.Join(candidates, ", "))
}

// executable reports why path is not a runnable file, or nil.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return errors.New("is not executable")
	}
	return nil
}

// InCI reports whether the tests run in CI (CI=true), where browser tests
// must run rather than skip.
func InCI() bool { return strings.EqualFold(os.Getenv("CI"), "true") }

// Require returns the Chromium path, or ends the test: skipped on a
// developer machine, failed in CI (CI=true).
func Require(t testing.TB) string {
	t.Helper()
	p, err := Chromium()
	if err == nil {
		return p
	}
	missing(t, fmt.Sprintf("%v; %s", err, InstallHint))
	return ""
}

// missing skips (or, in CI, fails) a test whose tool is not installed.
func missing(t testing.TB, msg string) {
	t.Helper()
	if InCI() {
		t.Fatalf("browser tests must run in CI (CI=true): %s", msg)
		return
	}
	t.Skipf("skipping browser test: %s", msg)
}

// Options configure NewContext.
type Options struct {
	// Mobile makes the page look like Chrome on an Android phone (user agent
	// and viewport), so that user-agent sniffing such as the Prove SDK's
	// isMobileWeb() says true. Default: desktop headless Chromium.
	Mobile bool
	// Timeout bounds the whole browser session; default 60s.
	Timeout time.Duration
}

// MobileUserAgent is Chrome on a Pixel 8 (Android 14).
const MobileUserAgent = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"

// DefaultTimeout is the Options.Timeout default.
const DefaultTimeout = 60 * time.Second

// NewContext starts a headless Chromium with a fresh profile and returns a
// chromedp context for its first tab. The browser stops, and the profile is
// removed, when cancel is called or the test ends. Console messages, JS
// exceptions, failed requests and WebSocket frames are collected and logged
// with t.Logf if the test fails; Logs returns them meanwhile.
func NewContext(t testing.TB, opts Options) (context.Context, context.CancelFunc) {
	t.Helper()
	exe := Require(t)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	profile, err := os.MkdirTemp("", "browser-profile-")
	if err != nil {
		t.Fatalf("browser: profile dir: %v", err)
	}
	rec := newRecorder()
	allocOpts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true), // needed as root (containers, CI)
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("no-proxy-server", true), // test servers are on loopback
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(rec.writer("chromium")),
	}
	base, cancelTimeout := context.WithTimeout(context.Background(), opts.Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, allocOpts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx,
		chromedp.WithLogf(rec.logf("chromedp")),
		chromedp.WithErrorf(rec.logf("chromedp error")),
	)
	ctx = context.WithValue(ctx, recorderKey{}, rec)
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			// Close the browser gracefully (Browser.close) so that it
			// stops writing to the profile before the profile is
			// removed; killing it leaves child processes that recreate
			// files in it.
			_ = chromedp.Cancel(ctx)
			cancelCtx()
			cancelAlloc() // waits for the browser process
			cancelTimeout()
			_ = os.RemoveAll(profile)
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser log (mobile=%v):\n%s", opts.Mobile, rec.String())
		}
		cancel()
	})
	rec.listen(ctx)
	setup := []chromedp.Action{}
	if opts.Mobile {
		setup = append(setup, mobileEmulation())
	}
	if err := chromedp.Run(ctx, setup...); err != nil {
		t.Logf("browser log:\n%s", rec.String())
		cancel()
		t.Fatalf("browser: start %s: %v", exe, err)
	}
	return ctx, cancel
}

// Logs returns what the browser of ctx has logged so far.
func Logs(ctx context.Context) []string {
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		return rec.lines()
	}
	return nil
}

// Screenshot writes a full-page PNG of the current page to path.
func Screenshot(ctx context.Context, path string) error {
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		return fmt.Errorf("browser: screenshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("browser: screenshot: %w", err)
	}
	return os.WriteFile(path, png, 0o644)
}

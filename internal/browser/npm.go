package browser

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// NPMTimeout bounds one npm install.
const NPMTimeout = 5 * time.Minute

// lockFile is created in the package directory to serialise installs across
// test processes (go test runs packages in parallel).
const lockFile = ".npm-install.lock"

var (
	npmMu    sync.Mutex
	npmLocks = map[string]*sync.Mutex{}
)

// NPMInstall makes sure dir's node_modules matches its package.json and
// package-lock.json: it runs `npm ci` (or `npm install` when there is no
// lock file) when node_modules is missing or older than either file. Parallel
// callers, in this process or others, are serialised by a lock file in dir.
// Without npm the test is skipped (failed when CI=true); a failing install
// fails the test with npm's output.
func NPMInstall(t testing.TB, dir string) {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		missing(t, "npm not found in PATH; install Node.js and npm (`apt-get install nodejs npm`)")
		return
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("browser: npm install: %v", err)
		return
	}
	mu := dirMutex(abs)
	mu.Lock()
	defer mu.Unlock()

	unlock, err := flock(filepath.Join(abs, lockFile))
	if err != nil {
		t.Fatalf("browser: npm install in %s: %v", abs, err)
		return
	}
	defer unlock()

	stale, why, err := npmStale(abs)
	if err != nil {
		t.Fatalf("browser: npm install in %s: %v", abs, err)
		return
	}
	if !stale {
		return
	}
	args := []string{"install", "--no-audit", "--no-fund"}
	if _, err := os.Stat(filepath.Join(abs, "package-lock.json")); err == nil {
		args = []string{"ci", "--no-audit", "--no-fund"}
	}
	t.Logf("browser: %s; running npm %v in %s", why, args, abs)
	ctx, cancel := context.WithTimeout(context.Background(), NPMTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser: npm %v in %s failed: %v\n%s", args, abs, err, out)
		return
	}
	now := time.Now()
	if err := os.Chtimes(filepath.Join(abs, "node_modules"), now, now); err != nil {
		t.Fatalf("browser: npm %v in %s: %v\n%s", args, abs, err, out)
	}
}

func dirMutex(dir string) *sync.Mutex {
	npmMu.Lock()
	defer npmMu.Unlock()
	mu := npmLocks[dir]
	if mu == nil {
		mu = &sync.Mutex{}
		npmLocks[dir] = mu
	}
	return mu
}

// npmStale reports whether dir needs an install, and why.
func npmStale(dir string) (bool, string, error) {
	pkg, err := os.Stat(filepath.Join(dir, "package.json"))
	if err != nil {
		return false, "", err
	}
	mods, err := os.Stat(filepath.Join(dir, "node_modules"))
	if errors.Is(err, os.ErrNotExist) {
		return true, "node_modules is missing", nil
	}
	if err != nil {
		return false, "", err
	}
	if mods.ModTime().Before(pkg.ModTime()) {
		return true, "node_modules is older than package.json", nil
	}
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err == nil && mods.ModTime().Before(lock.ModTime()) {
		return true, "node_modules is older than package-lock.json", nil
	}
	return false, "", nil
}

// flock takes an exclusive lock on path (created if needed) and returns its release.
func flock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

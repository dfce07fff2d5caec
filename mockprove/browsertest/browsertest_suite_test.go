package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
)

func TestBrowser(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Prove web SDK 3.6.2 in headless Chromium against mockprove")
}

// sdkBundle is the SDK's UMD bundle as npm installs it; served unmodified.
var sdkBundle = filepath.Join("node_modules", "@prove-identity", "prove-auth", "build", "bundle", "release", "prove-auth.js")

// harnessURL is the origin of the test page: another port than mockprove's,
// so that the SDK's calls are cross-origin with real CORS preflights.
var harnessURL string

var _ = BeforeSuite(func() {
	browser.Require(GinkgoTB())
	browser.NPMInstall(GinkgoTB(), ".")
	Expect(sdkBundle).To(BeARegularFile(), "npm did not install the SDK bundle")
	srv := httptest.NewServer(harnessHandler())
	DeferCleanup(srv.Close)
	harnessURL = srv.URL
})

// harnessHandler serves the test page, the SDK bundle and the landing page
// that an Instant Link redirects the phone to (finalTargetUrl).
func harnessHandler() http.Handler {
	files := map[string]string{
		"/harness.html":      "harness.html",
		"/harness.js":        "harness.js",
		"/sdk/prove-auth.js": sdkBundle,
	}
	mux := http.NewServeMux()
	for path, file := range files {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			http.ServeFile(w, r, file)
		})
	}
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /landing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Landing</title><p>Verified on the phone.</p>`))
	})
	return mux
}

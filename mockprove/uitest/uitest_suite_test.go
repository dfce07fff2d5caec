// Package uitest_test drives mockprove's dashboard (/_mock/ui/) in headless
// Chromium against a running mockprove: each spec starts a fresh mockprove
// on a frozen clock with a control token, plays a customer backend and the
// web SDK over real HTTP, and checks what the page shows and what clicking
// in it does, without ever reloading the page.
//
// Without Chromium the suite is skipped, except with CI=true, where it
// fails. Screenshots of each view go to $UI_SCREENSHOTS, or to a new
// mockprove-ui-screenshots-* folder under the OS temp dir (printed in the
// verbose output); UPDATE_SCREENSHOTS=1 also refreshes
// docs/screenshots/dashboard-*.png.
package uitest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
)

func TestDashboard(t *testing.T) {
	RegisterFailHandler(Fail)
	// Eventually waits for the page (real time: events, fetches, painting);
	// business time only moves on mockprove's clock.
	SetDefaultEventuallyTimeout(15 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	RunSpecs(t, "mockprove dashboard in headless Chromium")
}

// landingURL is the customer's page an Instant Link redirects to.
var landingURL string

var _ = BeforeSuite(func() {
	browser.Require(GinkgoTB())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Landing</title><p>Verified on the phone.</p>`))
	}))
	DeferCleanup(srv.Close)
	landingURL = srv.URL + "/landing"
})

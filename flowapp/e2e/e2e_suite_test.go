// Package e2e_test drives flowapp's page in headless Chromium against an
// in-process mockprove: a customer types their number, reads the text message
// from mockprove's virtual phone, and finishes the application. Each spec
// checks what the page shows and what flowapp asked Prove (mockprove's
// journal).
//
// Needs Chromium and npm (Prove's web SDK is installed from npm into
// flowapp/web/node_modules and served unmodified). Without them the suite is
// skipped on a developer machine and fails in CI (CI=true).
//
// Screenshots of every spec's final page go to $E2E_SCREENSHOTS, or else to
// a new flowapp-e2e-screenshots-* folder under the OS temp dir (printed in
// the verbose output); UPDATE_SCREENSHOTS=1 also refreshes the images of docs/flowapp.md
// in docs/screenshots/.
package e2e_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/browser"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "flowapp end-to-end (browser)")
}

var _ = BeforeSuite(func() {
	browser.Require(GinkgoTB())
	browser.NPMInstall(GinkgoTB(), "../web")
})

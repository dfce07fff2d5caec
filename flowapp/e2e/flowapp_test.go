package e2e_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/mockprove"
)

// startFlowapp runs flowapp in-process on a free loopback port, pointed at
// the mockprove s, and returns its URL. flowapp reads the time from s's
// clock (its access-token cache and sessions), so that advancing mockprove's
// clock is seen by both. It stops when the spec ends.
func startFlowapp(s *mockprove.Server, clientID, secret string) string {
	GinkgoHelper()
	app, err := flowapp.New(flowapp.Options{
		ProveBaseURL: s.URL(),
		ClientID:     clientID,
		ClientSecret: secret,
		WebDir:       "../web", // node_modules with Prove's web SDK (BeforeSuite installs it)
		Now:          s.Clock().Now,
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(app.Start()).To(Succeed())
	DeferCleanup(app.Close)
	return app.URL()
}

package e2e_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp"
)

// startFlowapp runs flowapp in-process on a free loopback port, pointed at
// Prove's server API at proveURL, and returns its URL. It stops when the
// spec ends.
func startFlowapp(proveURL, clientID, secret string) string {
	GinkgoHelper()
	app, err := flowapp.New(flowapp.Options{
		ProveBaseURL: proveURL,
		ClientID:     clientID,
		ClientSecret: secret,
		WebDir:       "../web", // node_modules with Prove's web SDK (BeforeSuite installs it)
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(app.Start()).To(Succeed())
	DeferCleanup(app.Close)
	return app.URL()
}

package e2e_test

import (
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
)

// flowapp throttles starts (SMS pumping): by default 3 per phone number in
// any 10 minutes. The page says so in words and lets the customer start
// again once the wait is over.
var _ = Describe("too many starts for one number", func() {
	It("shows a friendly wait message on 429, and starts again once the window has passed", func() {
		e := newEnv(envOptions{})
		// Three starts for Jordan's number already (other tabs, a script):
		// the page's start is the fourth.
		for i := 0; i < 3; i++ {
			rsp, err := http.Post(e.appURL+"/initialize", "application/json",
				strings.NewReader(`{"phoneNumber":"`+testkit.Jordan+`","flowType":"desktop"}`))
			Expect(err).NotTo(HaveOccurred())
			rsp.Body.Close()
			Expect(rsp.StatusCode).To(Equal(http.StatusOK))
		}
		e.open()
		e.startWith(testkit.Jordan)
		e.waitVisible("#error")
		e.shot("throttled")
		Expect(e.text("#error-title")).To(Equal("Please wait before trying again"))
		Expect(e.text("#error-message")).To(Equal("Too many verification attempts for this phone number. Please try again in 10 minutes."))
		Expect(e.text("#error-detail")).To(Equal("rate_limited (Retry-After: 600 s)"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/start", "/v3/start"), "the refused start never reached Prove")

		e.advanceClock("10m")
		e.click("#restart")
		e.waitVisible("#phone")
		e.startWith(testkit.Jordan)
		e.waitVisible("#countdown")
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/start", "/v3/start", "/v3/start", "/v3/start"))
	})
})

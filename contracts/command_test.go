package contracts_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// The contracts binary, built once for these specs.
var _ = Describe("the contracts proxy command", Ordered, func() {
	var bin string
	BeforeAll(func() {
		var err error
		bin, err = gexec.Build("github.com/mockprove/mockprove/contracts/cmd/contracts")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(gexec.CleanupBuildArtifacts)
	})

	// run starts "contracts proxy" in front of a fresh mockprove and
	// returns the session and the proxy's URL, read from its first line.
	run := func(args ...string) (*gexec.Session, string) {
		GinkgoHelper()
		s := testkit.Mock(GinkgoT(), mockprove.Options{})
		cmd := exec.Command(bin, append([]string{"proxy", "-listen", "127.0.0.1:0", "-upstream", s.URL()}, args...)...)
		sess, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { sess.Kill().Wait(10 * time.Second) })
		Eventually(sess.Err, 20*time.Second).Should(gbytes.Say(`listening on http://`))
		m := regexp.MustCompile(`listening on (http://\S+),`).FindSubmatch(sess.Err.Contents())
		Expect(m).To(HaveLen(2))
		return sess, string(m[1])
	}
	misbehave := func(url string) {
		GinkgoHelper()
		c := newCaller(url).login()
		cid, _ := c.start(`{"flowType":"mobile","phoneNumber":"` + testkit.Martina + `"}`)
		c.post("/v3/complete", cidBody(cid, martinaIndividual))
	}

	It("writes the report on SIGTERM and exits 1 when -fail-on client finds a client violation", func() {
		report := filepath.Join(GinkgoT().TempDir(), "report.json")
		sess, url := run("-report", report, "-fail-on", "client")
		misbehave(url)
		Expect(sess.Command.Process.Signal(syscall.SIGTERM)).To(Succeed())
		Eventually(sess, 20*time.Second).Should(gexec.Exit(1))
		Expect(sess.Err).To(gbytes.Say("1 client violations, 0 platform violations"))
		data, err := os.ReadFile(report)
		Expect(err).NotTo(HaveOccurred())
		var rep contracts.Report
		Expect(json.Unmarshal(data, &rep)).To(Succeed())
		Expect(rules(rep.Violations)).To(Equal([]string{"flow.validate-first"}))
		Expect(rep.Exchanges).To(Equal(3))
	})

	It("writes a text report to stdout on SIGINT and exits 0 under -fail-on platform", func() {
		sess, url := run("-fail-on", "platform")
		misbehave(url)
		Expect(sess.Command.Process.Signal(os.Interrupt)).To(Succeed())
		Eventually(sess, 20*time.Second).Should(gexec.Exit(0))
		Expect(sess.Out).To(gbytes.Say(`client violations \(the integration's fault\) \(1\):\n  client POST /v3/complete flow \[flow.validate-first\]`))
	})

	It("writes JUnit when -report ends in .xml", func() {
		report := filepath.Join(GinkgoT().TempDir(), "contracts.xml")
		sess, url := run("-report", report)
		misbehave(url)
		Expect(sess.Command.Process.Signal(syscall.SIGTERM)).To(Succeed())
		Eventually(sess, 20*time.Second).Should(gexec.Exit(0), "-fail-on defaults to none")
		data, err := os.ReadFile(report)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(HavePrefix(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<testsuites"))
		Expect(string(data)).To(ContainSubstring(`<failure message="client POST /v3/complete flow [flow.validate-first]`))
	})

	It("refuses bad usage with status 2 and a clear line", func() {
		for _, args := range [][]string{{"proxy"}, {"proxy", "-upstream", "http://127.0.0.1:1/base"}, {"proxy", "-upstream", "http://x", "-fail-on", "often"}, {"bogus"}} {
			cmd := exec.Command(bin, args...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			Expect(errors.As(err, &ee)).To(BeTrue(), "%v: %s", args, out)
			Expect(ee.ExitCode()).To(Equal(2), "%v: %s", args, out)
			Expect(string(out)).NotTo(BeEmpty())
		}
	})
})

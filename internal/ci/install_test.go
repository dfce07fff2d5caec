package ci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("go install", func() {
	It("installs the mockprove command from the module, and it prints its version", func() {
		gobin := GinkgoT().TempDir()
		cmd := exec.Command("go", "install", "./mockprove/cmd/mockprove")
		cmd.Dir = root
		// GOPROXY=off: from the local module and the module cache, no network.
		cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOPROXY=off", "GOFLAGS=-mod=readonly")
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		bin := filepath.Join(gobin, "mockprove")

		// The version go install stamped: a release tag (vX.Y.Z, as with
		// "go install …@vX.Y.Z") is reported as X.Y.Z; a build from a
		// checkout (devel, pseudo-version, +dirty) reports mockprove.Version.
		out, err = exec.Command("go", "version", "-m", bin).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		m := regexp.MustCompile(`(?m)^\tmod\tgithub\.com/mockprove/mockprove\t(\S+)`).FindStringSubmatch(string(out))
		Expect(m).NotTo(BeNil(), string(out))
		want := mockprove.Version
		if regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(m[1]) {
			want = strings.TrimPrefix(m[1], "v")
		}

		out, err = exec.Command(bin, "-version").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).To(Equal("mockprove " + want + "\n"))
	})
})

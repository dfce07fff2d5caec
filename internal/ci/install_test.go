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
	It("is documented in the README with the package this test installs", func() {
		readme, err := os.ReadFile(filepath.Join(root, "README.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(readme)).To(ContainSubstring("\ngo install github.com/mockprove/mockprove/mockprove/cmd/mockprove@latest\n"))
		mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(mod)).To(HavePrefix("module github.com/mockprove/mockprove\n"))
		Expect(filepath.Join(root, "mockprove", "cmd", "mockprove", "main.go")).To(BeARegularFile())
	})

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

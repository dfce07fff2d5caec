// Package ci_test checks what we ship for our users' CI: the Dockerfile
// (no container engine runs here, so it is parsed, and its build step is
// run as is) and the CI examples in docs/ci.
package ci_test

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
	"sigs.k8s.io/yaml"
)

func TestCI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "ci")
}

const root = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

type stage struct {
	from, name string
	body       []instruction
}

func parseDockerfile(path string) []stage {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var (
		stages []stage
		cur    string
	)
	add := func(line string) {
		f := strings.Fields(line)
		if len(f) == 0 {
			return
		}
		in := instruction{cmd: strings.ToUpper(f[0]), args: strings.TrimSpace(strings.TrimPrefix(line, f[0]))}
		if in.cmd == "FROM" {
			s := stage{from: f[1]}
			if len(f) == 4 && strings.EqualFold(f[2], "AS") {
				s.name = f[3]
			}
			stages = append(stages, s)
			return
		}
		Expect(stages).NotTo(BeEmpty(), "an instruction before FROM: %s", line)
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if cur == "" && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(t, "\\") {
			cur += strings.TrimSuffix(t, "\\") + " "
			continue
		}
		add(cur + t)
		cur = ""
	}
	Expect(cur).To(BeEmpty(), "the Dockerfile ends in a continuation line")
	return stages
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

func (s stage) last(cmd string) string {
	all := s.all(cmd)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}

// execForm reads a JSON exec-form argument list (["a", "b"]).
func execForm(args string) []string {
	var out []string
	Expect(json.Unmarshal([]byte(args), &out)).To(Succeed(), "exec form expected: %s", args)
	return out
}

var _ = Describe("the Dockerfile", Ordered, func() {
	var (
		stages      []stage
		build, last stage
		out         string // where the build step put the binaries
	)
	BeforeAll(func() {
		stages = parseDockerfile(filepath.Join(root, "Dockerfile"))
		Expect(len(stages)).To(BeNumerically(">=", 2), "multi-stage")
		build, last = stages[0], stages[len(stages)-1]
		out = GinkgoT().TempDir()
	})

	It("builds with a Go at least as new as go.mod's, in a named stage", func() {
		mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		Expect(err).NotTo(HaveOccurred())
		goLine := regexp.MustCompile(`(?m)^go 1\.(\d+)`).FindSubmatch(mod)
		Expect(goLine).NotTo(BeNil())
		from := regexp.MustCompile(`^golang:1\.(\d+)$`).FindStringSubmatch(build.from)
		Expect(from).NotTo(BeNil(), "the build stage is FROM golang:1.N, got %s", build.from)
		need, _ := strconv.Atoi(string(goLine[1]))
		have, _ := strconv.Atoi(from[1])
		Expect(have).To(BeNumerically(">=", need), "go.mod needs Go 1.%d", need)
		Expect(build.name).NotTo(BeEmpty())
	})

	It("ends in a minimal image that runs as a non-root user", func() {
		Expect(last.from).To(Or(HavePrefix("gcr.io/distroless/static"), Equal("scratch")))
		user := last.last("USER")
		Expect(user).NotTo(BeEmpty(), "USER in the final stage")
		Expect(strings.Split(user, ":")[0]).NotTo(BeElementOf("root", "0"))
		Expect(last.all("EXPOSE")).To(ContainElement("8080"))
	})

	It("copies the two binaries of the build stage, and the entrypoint and health check use them", func() {
		copies := strings.Join(last.all("COPY"), "\n")
		Expect(copies).To(ContainSubstring("--from=" + build.name))
		Expect(copies).To(ContainSubstring("/out/mockprove"))
		Expect(copies).To(ContainSubstring("/out/contracts"))
		entry := execForm(last.last("ENTRYPOINT"))
		Expect(entry).To(Equal([]string{"/usr/local/bin/mockprove"}))
		hc := last.last("HEALTHCHECK")
		Expect(hc).To(ContainSubstring(" CMD ["))
		check := execForm(hc[strings.Index(hc, "CMD ")+4:])
		Expect(check[0]).To(Equal("/usr/local/bin/contracts"))
	})

	It("has a build step that makes static binaries", func() {
		var cmds []string
		for _, run := range build.all("RUN") {
			for _, part := range strings.Split(run, "&&") {
				if strings.Contains(part, "go build") {
					cmds = append(cmds, strings.TrimSpace(part))
				}
			}
		}
		Expect(cmds).To(HaveLen(2))
		for _, c := range cmds {
			Expect(c).To(HavePrefix("CGO_ENABLED=0 go build"))
			cmd := exec.Command("sh", "-c", strings.ReplaceAll(c, "/out/", out+"/"))
			cmd.Dir = root
			cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
			Expect(cmd.Run()).To(Succeed(), c)
		}
		for _, bin := range []string{"mockprove", "contracts"} {
			f, err := elf.Open(filepath.Join(out, bin))
			Expect(err).NotTo(HaveOccurred())
			for _, p := range f.Progs {
				Expect(p.Type).NotTo(Equal(elf.PT_INTERP), "%s is linked dynamically", bin)
			}
			libs, err := f.ImportedLibraries()
			Expect(err).NotTo(HaveOccurred())
			Expect(libs).To(BeEmpty())
			Expect(f.Close()).To(Succeed())
		}
	})

	It("serves with its default command, and its health check passes", func() {
		args := execForm(last.last("CMD"))
		Expect(args).To(Equal([]string{"-addr", "0.0.0.0:8080"}))
		session, err := gexec.Start(exec.Command(filepath.Join(out, "mockprove"), "-addr", "127.0.0.1:0"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { session.Kill().Wait(5 * time.Second) })
		Eventually(session.Out).WithTimeout(10 * time.Second).Should(gbytes.Say(`mockprove listening on http://\S+`))
		addr := regexp.MustCompile(`mockprove listening on http://(\S+)`).FindStringSubmatch(string(session.Out.Contents()))[1]
		hc := last.last("HEALTHCHECK")
		check := execForm(hc[strings.Index(hc, "CMD ")+4:])
		run := func() error {
			c := exec.Command(filepath.Join(out, filepath.Base(check[0])), check[1:]...)
			c.Args[len(c.Args)-1] = strings.Replace(c.Args[len(c.Args)-1], "127.0.0.1:8080", addr, 1)
			c.Stdout, c.Stderr = GinkgoWriter, GinkgoWriter
			return c.Run()
		}
		Eventually(run).WithTimeout(10 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
		Eventually(session.Kill()).WithTimeout(5 * time.Second).Should(gexec.Exit())
		Expect(run()).NotTo(Succeed(), "the health check fails when mockprove is down")
	})
})

// steps reads the commands (run) and actions (uses) of a GitHub Actions job.
type ghStep struct {
	Name string            `json:"name"`
	Uses string            `json:"uses"`
	Run  string            `json:"run"`
	If   string            `json:"if"`
	With map[string]string `json:"with"`
	Env  map[string]string `json:"env"`
}

var _ = Describe("the CI examples", func() {
	It("GitHub Actions: starts mockprove, runs the tests through the proxy, verifies and uploads the JUnit reports", func() {
		data, err := os.ReadFile(filepath.Join(root, "docs/ci/github-actions.yml"))
		Expect(err).NotTo(HaveOccurred())
		var wf struct {
			Name string         `json:"name"`
			On   map[string]any `json:"on"`
			Jobs map[string]struct {
				RunsOn string            `json:"runs-on"`
				Env    map[string]string `json:"env"`
				Steps  []ghStep          `json:"steps"`
			} `json:"jobs"`
		}
		Expect(yaml.UnmarshalStrict(data, &wf)).To(Succeed())
		Expect(wf.On).NotTo(BeEmpty())
		Expect(wf.Jobs).To(HaveLen(1))
		for _, job := range wf.Jobs {
			Expect(job.RunsOn).NotTo(BeEmpty())
			index := func(match func(ghStep) bool) int {
				for i, s := range job.Steps {
					if match(s) {
						return i
					}
				}
				return -1
			}
			runs := func(sub string) func(ghStep) bool {
				return func(s ghStep) bool { return strings.Contains(s.Run, sub) }
			}
			start := index(runs("mockprove -addr"))
			proxy := index(runs("contracts proxy -listen 127.0.0.1:9090 -upstream"))
			tests := index(func(s ghStep) bool { return strings.Contains(s.Env["PROVE_BASE_URL"], ":9090") })
			report := index(runs("/_contracts/report?format=junit"))
			verify := index(runs("contracts verify -target"))
			upload := index(func(s ghStep) bool { return strings.HasPrefix(s.Uses, "actions/upload-artifact@") })
			Expect([]int{start, proxy, tests, report, verify, upload}).NotTo(ContainElement(-1))
			Expect(start).To(BeNumerically("<", proxy))
			Expect(proxy).To(BeNumerically("<", tests))
			Expect(tests).To(BeNumerically("<", report))
			Expect(upload).To(BeNumerically(">", verify))
			Expect(job.Steps[verify].Run).To(ContainSubstring("-junit reports/"))
			Expect(job.Steps[upload].If).To(Equal("always()"))
			Expect(job.Steps[upload].With["path"]).To(ContainSubstring("reports/"))
		}
	})

	It("GitLab CI: the same steps, with the JUnit reports as artifacts", func() {
		data, err := os.ReadFile(filepath.Join(root, "docs/ci/gitlab-ci.yml"))
		Expect(err).NotTo(HaveOccurred())
		var jobs map[string]struct {
			Image        string   `json:"image"`
			BeforeScript []string `json:"before_script"`
			Script       []string `json:"script"`
			Artifacts    struct {
				When    string   `json:"when"`
				Paths   []string `json:"paths"`
				Reports struct {
					JUnit []string `json:"junit"`
				} `json:"reports"`
			} `json:"artifacts"`
			Variables map[string]string `json:"variables"`
		}
		Expect(yaml.UnmarshalStrict(data, &jobs)).To(Succeed())
		Expect(jobs).To(HaveLen(1))
		for _, job := range jobs {
			all := strings.Join(append(job.BeforeScript, job.Script...), "\n")
			for _, want := range []string{"mockprove -addr", "contracts proxy -listen 127.0.0.1:9090 -upstream", `PROVE_BASE_URL="$PROXY_URL"`,
				"contracts verify -target", "-junit reports/verify.xml", "/_contracts/report?format=junit"} {
				Expect(all).To(ContainSubstring(want))
			}
			Expect(job.Artifacts.When).To(Equal("always"))
			Expect(job.Artifacts.Reports.JUnit).To(ConsistOf("reports/verify.xml", "reports/proxy.xml"))
		}
	})
})

package mockprove_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

var _ = Describe("the pages for people and the health check", func() {
	get := func(s *mockprove.Server, method, path string) (*http.Response, string) {
		GinkgoHelper()
		req, err := http.NewRequest(method, s.URL()+path, nil)
		Expect(err).NotTo(HaveOccurred())
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		return resp, string(b)
	}
	health := func(body string) mockprove.Health {
		GinkgoHelper()
		var h mockprove.Health
		Expect(json.Unmarshal([]byte(body), &h)).To(Succeed(), body)
		return h
	}
	href := regexp.MustCompile(`href="([^"]+)"`)
	links := func(page string) []string {
		var out []string
		for _, m := range href.FindAllStringSubmatch(page, -1) {
			out = append(out, m[1])
		}
		return out
	}

	Context("with the control API on, behind a token", func() {
		var s *mockprove.Server
		BeforeEach(func() { s = testkit.Mock(GinkgoT(), mockprove.Options{ControlToken: "s3cret"}) })

		It("answers GET /healthz with the version, without the control token", func() {
			resp, body := get(s, http.MethodGet, "/healthz")
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(resp.Header.Get("Content-Type")).To(Equal("application/json"))
			Expect(health(body)).To(Equal(mockprove.Health{Status: "ok", Version: mockprove.BuildVersion()}))
		})

		It("reports the same version in GET /_mock/health", func() {
			req, err := http.NewRequest(http.MethodGet, s.URL()+"/_mock/health", nil)
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Authorization", "Bearer s3cret")
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(health(string(b))).To(Equal(mockprove.Health{Status: "ok", Version: mockprove.BuildVersion()}))
		})

		It("answers GET / with a page linking the dashboard, the specs, the docs and the health check", func() {
			resp, body := get(s, http.MethodGet, "/")
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(resp.Header.Get("Content-Type")).To(Equal("text/html; charset=utf-8"))
			Expect(body).To(ContainSubstring("<title>mockprove " + mockprove.BuildVersion() + "</title>"))
			Expect(links(body)).To(Equal([]string{"/_mock/ui/", "/openapi/", mockprove.DocsURL, "/healthz"}))
		})

		It("answers GET /openapi/ with a page linking every served document, and each link serves it", func() {
			resp, body := get(s, http.MethodGet, "/openapi/")
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(resp.Header.Get("Content-Type")).To(Equal("text/html; charset=utf-8"))
			var want []string
			for _, name := range specs.Names() {
				want = append(want, "/openapi/"+name)
			}
			got := links(body)
			Expect(got).To(HaveLen(len(want) + 1))
			Expect(got[:len(want)]).To(ConsistOf(want))
			Expect(got[len(want)]).To(Equal("/"))
			for _, l := range want {
				resp, doc := get(s, http.MethodGet, l)
				Expect(resp.StatusCode).To(Equal(http.StatusOK), l)
				data, err := specs.Bytes(l[len("/openapi/"):])
				Expect(err).NotTo(HaveOccurred())
				Expect(doc).To(Equal(string(data)), l)
			}
		})

		It("answers as mockprove-control.yaml describes", func() {
			tr, err := contracts.NewSpecTransport(nil, specs.Control)
			Expect(err).NotTo(HaveOccurred())
			tr.CheckRequests = true
			client := &http.Client{Transport: tr}
			for _, path := range []string{"/healthz", "/", "/openapi/"} {
				resp, err := client.Get(s.URL() + path)
				Expect(err).NotTo(HaveOccurred())
				resp.Body.Close()
				Expect(resp.StatusCode).To(Equal(http.StatusOK), path)
			}
			Expect(tr.Checked()).To(Equal(3))
		})

		It("keeps the JSON 404 for an unknown path, 403 under /v3/, and 405 for another method on /", func() {
			resp, body := get(s, http.MethodGet, "/nope")
			Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
			Expect(body).To(MatchJSON(`{"code":8001,"message":"no such endpoint: GET /nope"}`))
			resp, _ = get(s, http.MethodGet, "/v3/nope")
			Expect(resp.StatusCode).To(Equal(http.StatusForbidden))
			resp, _ = get(s, http.MethodPost, "/")
			Expect(resp.StatusCode).To(Equal(http.StatusMethodNotAllowed))
			Expect(resp.Header.Get("Allow")).To(Equal("GET"))
		})
	})

	Context("with -control=false (Options.ControlDisabled)", func() {
		var s *mockprove.Server
		BeforeEach(func() { s = testkit.Mock(GinkgoT(), mockprove.Options{ControlDisabled: true}) })

		It("still answers GET /healthz, while /_mock/health is gone", func() {
			resp, body := get(s, http.MethodGet, "/healthz")
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(health(body)).To(Equal(mockprove.Health{Status: "ok", Version: mockprove.BuildVersion()}))
			resp, _ = get(s, http.MethodGet, "/_mock/health")
			Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
		})

		It("does not link the dashboard from GET /", func() {
			resp, body := get(s, http.MethodGet, "/")
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(links(body)).To(Equal([]string{"/openapi/", mockprove.DocsURL, "/healthz"}))
			Expect(body).To(ContainSubstring("-control=false"))
		})
	})
})

var _ = DescribeTable("the reported version of a module version",
	func(module, want string) { Expect(mockprove.VersionOf(module)).To(Equal(want)) },
	Entry("a release, as go install …@v1.2.3 stamps it", "v1.2.3", "1.2.3"),
	Entry("a pre-release", "v1.3.0-rc.1", "1.3.0-rc.1"),
	Entry("a build from a checkout", "(devel)", mockprove.Version),
	Entry("no build information", "", mockprove.Version),
	Entry("a pseudo-version (a commit without a tag)", "v0.0.0-20261130171321-abcdef123456", mockprove.Version),
	Entry("a pseudo-version after a tag", "v1.2.4-0.20261130171321-abcdef123456", mockprove.Version),
	Entry("a modified checkout", "v1.2.3+dirty", mockprove.Version),
)

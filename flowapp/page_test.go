package flowapp_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/flowapp/web"
	"github.com/mockprove/mockprove/specs"
)

const sdkRel = "node_modules/@prove-identity/prove-auth/build/bundle/release/prove-auth.js"

var _ = Describe("the page and operations routes", func() {
	It("serves the page files of web.FS by default", func() {
		w := newWorld(worldOptions{})
		for path, file := range map[string]string{"/": "index.html", "/landing": "landing.html", "/app.js": "app.js", "/app.css": "app.css"} {
			want, err := fs.ReadFile(web.FS, file)
			Expect(err).NotTo(HaveOccurred())
			r := w.get(path)
			Expect(r.Status).To(Equal(200), path)
			Expect(r.Raw).To(Equal(want), path)
			Expect(r.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
		}
	})

	It("serves Options.WebFS with the right content types, HEAD too", func() {
		files := fstest.MapFS{
			"index.html":   {Data: []byte("<!doctype html><title>flowapp</title>")},
			"landing.html": {Data: []byte("<!doctype html><title>landing</title>")},
			"app.js":       {Data: []byte("console.log('app')")},
			"app.css":      {Data: []byte("body{}")},
		}
		w := newWorld(worldOptions{webFS: files})
		for path, want := range map[string][]string{
			"/":                   {"text/html", "<!doctype html><title>flowapp</title>"},
			"/landing?authId=x&a": {"text/html", "<!doctype html><title>landing</title>"},
			"/app.js":             {"text/javascript", "console.log('app')"},
			"/app.css":            {"text/css", "body{}"},
		} {
			r := w.get(path)
			Expect(r.Status).To(Equal(200), path)
			Expect(r.Header.Get("Content-Type")).To(HavePrefix(want[0]), path)
			Expect(string(r.Raw)).To(Equal(want[1]), path)
		}
		req, _ := http.NewRequest(http.MethodHead, w.app.URL()+"/", nil)
		r := w.do(w.c, req)
		Expect(r.Status).To(Equal(200))
		Expect(r.Raw).To(BeEmpty())
	})

	It("refuses page files without index.html", func() {
		_, err := flowapp.New(flowapp.Options{WebFS: fstest.MapFS{"app.js": {Data: []byte("x")}}})
		Expect(err).To(MatchError(ContainSubstring("index.html")))
	})

	It("serves Prove's SDK bundle unmodified from the web directory", func() {
		dir := GinkgoT().TempDir()
		bundle := []byte("/* prove-auth 3.6.2 */ var proveAuth = {};\n")
		Expect(os.MkdirAll(filepath.Join(dir, filepath.Dir(sdkRel)), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, sdkRel), bundle, 0o644)).To(Succeed())
		w := newWorld(worldOptions{webDir: dir})
		r := w.get("/sdk/prove-auth.js")
		Expect(r.Status).To(Equal(200))
		Expect(r.Header.Get("Content-Type")).To(HavePrefix("text/javascript"))
		Expect(r.Raw).To(Equal(bundle))
	})

	It("answers 503 with what to do when the SDK is not installed", func() {
		w := newWorld(worldOptions{webDir: GinkgoT().TempDir()})
		r := w.get("/sdk/prove-auth.js")
		Expect(r.Status).To(Equal(503))
		Expect(r.Header.Get("Content-Type")).To(HavePrefix("text/plain"))
		Expect(string(r.Raw)).To(ContainSubstring("run make run / npm install in flowapp/web"))
	})

	It("gives the page its configuration, with mockprove's phone page for a local Prove", func() {
		w := newWorld(worldOptions{})
		r := w.get("/config")
		Expect(r.Status).To(Equal(200))
		Expect(r.Body).To(Equal(map[string]any{
			"otpTimeoutSeconds": float64(120), "instantLinkTimeoutSeconds": float64(180),
			"phoneUrl": w.s.URL() + "/_mock/phone",
		}))
	})

	It("leaves phoneUrl out when Prove is not on this machine", func() {
		w := newWorld(worldOptions{proveBaseURL: "https://platform.uat.proveapis.com"})
		r := w.get("/config")
		Expect(r.Body).To(Equal(map[string]any{"otpTimeoutSeconds": float64(120), "instantLinkTimeoutSeconds": float64(180)}))
	})

	It("reports health", func() {
		w := newWorld(worldOptions{})
		r := w.get("/healthz")
		Expect(r.Status).To(Equal(200))
		Expect(r.Body).To(Equal(map[string]any{"status": "ok"}))
	})

	It("answers unknown paths and methods in its error shape", func() {
		w := newWorld(worldOptions{})
		expectError(w.get("/nope"), 404, "not_found")
		expectError(w.get("/initialize"), 405, "method_not_allowed")
	})
})

var _ = Describe("New", func() {
	It("refuses a final target URL Prove would refuse", func() {
		_, err := flowapp.New(flowapp.Options{FinalTargetURL: "/landing"})
		Expect(err).To(MatchError(ContainSubstring("absolute")))
		_, err = flowapp.New(flowapp.Options{FinalTargetURL: "https://example.com/landing?x=<y>"})
		Expect(err).To(MatchError(ContainSubstring("character")))
	})

	It("refuses a Prove base URL that is not http(s)", func() {
		_, err := flowapp.New(flowapp.Options{ProveBaseURL: "platform.uat.proveapis.com"})
		Expect(err).To(MatchError(ContainSubstring("base URL")))
	})

	It("defaults to a local mockprove and its identity client, and serves through Handler too", func() {
		app, err := flowapp.New(flowapp.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(app.ProveBaseURL()).To(Equal("http://127.0.0.1:8080"))
		Expect(app.URL()).To(BeEmpty())
		Expect(app.Close()).To(Succeed())
		rec := httptest.NewRecorder()
		app.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		Expect(rec.Code).To(Equal(200))
		Expect(rec.Body.String()).To(MatchJSON(`{"status":"ok"}`))
	})
})

var _ = Describe("specs/flowapp.yaml", func() {
	It("loads and validates, examples included", func() {
		_, err := specs.Load(specs.Flowapp)
		Expect(err).NotTo(HaveOccurred())
	})

	It("describes only routes flowapp serves, and flowapp serves them all", func() {
		doc, err := specs.Load(specs.Flowapp)
		Expect(err).NotTo(HaveOccurred())
		w := newWorld(worldOptions{})
		served := 0
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				req, err := http.NewRequest(method, w.app.URL()+path, strings.NewReader(`{}`))
				Expect(err).NotTo(HaveOccurred())
				req.Header.Set("Content-Type", "application/json")
				r := w.do(w.c, req)
				Expect(r.Status).NotTo(BeElementOf(404, 405), "%s %s: %s", method, path, r)
				served++
			}
		}
		Expect(served).To(Equal(11))
		Expect(w.spec.Checked()).To(Equal(served), "every answer was checked against the document")
	})
})

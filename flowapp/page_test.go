package flowapp_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

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
		for path, file := range map[string]string{"/": "index.html", "/landing": "landing.html", "/api.js": "api.js", "/app.js": "app.js", "/app.css": "app.css",
			"/signin": "signin.html", "/signin.js": "signin.js"} {
			want, err := fs.ReadFile(web.FS, file)
			Expect(err).NotTo(HaveOccurred())
			r := w.get(path)
			Expect(r.Status).To(Equal(200), path)
			Expect(r.Raw).To(Equal(want), path)
			Expect(r.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
		}
	})

	It("sends security headers: a CSP allowing only itself and mockprove's device API, no framing, no referrer", func() {
		w := newWorld(worldOptions{})
		host := strings.TrimPrefix(w.s.URL(), "http://")
		for _, path := range []string{"/", "/landing?authId=x&asc=true", "/app.js", "/config", "/nope"} {
			r := w.get(path)
			Expect(r.Header.Get("Content-Security-Policy")).To(Equal("default-src 'self'; connect-src 'self' http://"+host+" ws://"+host+
				"; img-src 'self' data:; style-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"), path)
			Expect(r.Header.Get("Referrer-Policy")).To(Equal("no-referrer"), path)
			Expect(r.Header.Get("X-Frame-Options")).To(Equal("DENY"), path)
			Expect(r.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"), path)
		}
	})

	It("lets the page reach Prove's device API and its WebSockets when Prove is Prove", func() {
		w := newWorld(worldOptions{proveBaseURL: "https://platform.uat.proveapis.com", publicURL: "https://shop.example.com"})
		Expect(w.get("/").Header.Get("Content-Security-Policy")).To(ContainSubstring(
			"connect-src 'self' https://*.proveapis.com:* wss://*.prove-auth.proveapis.com;"))
	})

	It("has a landing page with a heading and no script", func() {
		w := newWorld(worldOptions{})
		r := w.get("/landing?authId=x&asc=true")
		Expect(string(r.Raw)).To(MatchRegexp(`<h1[^>]*>You're verified — return to your computer</h1>`))
		Expect(string(r.Raw)).NotTo(ContainSubstring("<script"))
	})

	It("serves Options.WebFS with the right content types, HEAD too", func() {
		files := fstest.MapFS{
			"index.html":   {Data: []byte("<!doctype html><title>flowapp</title>")},
			"landing.html": {Data: []byte("<!doctype html><title>landing</title>")},
			"api.js":       {Data: []byte("console.log('api')")},
			"app.js":       {Data: []byte("console.log('app')")},
			"app.css":      {Data: []byte("body{}")},
			"signin.html":  {Data: []byte("<!doctype html><title>sign in</title>")},
			"signin.js":    {Data: []byte("console.log('signin')")},
		}
		w := newWorld(worldOptions{webFS: files})
		for path, want := range map[string][]string{
			"/":                   {"text/html", "<!doctype html><title>flowapp</title>"},
			"/landing?authId=x&a": {"text/html", "<!doctype html><title>landing</title>"},
			"/api.js":             {"text/javascript", "console.log('api')"},
			"/app.js":             {"text/javascript", "console.log('app')"},
			"/app.css":            {"text/css", "body{}"},
			"/signin":             {"text/html", "<!doctype html><title>sign in</title>"},
			"/signin.js":          {"text/javascript", "console.log('signin')"},
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
		w := newWorld(worldOptions{proveBaseURL: "https://platform.uat.proveapis.com", publicURL: "https://shop.example.com"})
		r := w.get("/config")
		Expect(r.Body).To(Equal(map[string]any{"otpTimeoutSeconds": float64(120), "instantLinkTimeoutSeconds": float64(180)}))
	})

	It("turns the developer hint off, or on for a mockprove elsewhere, when told to", func() {
		off, on := false, true
		w := newWorld(worldOptions{devHints: &off})
		Expect(w.get("/config").Body).NotTo(HaveKey("phoneUrl"))
		w = newWorld(worldOptions{proveBaseURL: "https://mockprove.dev.example.com", publicURL: "https://shop.example.com", devHints: &on})
		Expect(w.get("/config").Body).To(HaveKeyWithValue("phoneUrl", "https://mockprove.dev.example.com/_mock/phone"))
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

	const sandbox = "https://platform.uat.proveapis.com"

	It("refuses a Prove that is not a local mockprove without both credentials, never using mockprove's", func() {
		for _, o := range []flowapp.Options{
			{ProveBaseURL: sandbox, PublicURL: "https://shop.example.com"},
			{ProveBaseURL: sandbox, PublicURL: "https://shop.example.com", ClientID: "mine"},
			{ProveBaseURL: sandbox, PublicURL: "https://shop.example.com", ClientSecret: "mine"},
		} {
			_, err := flowapp.New(o)
			Expect(err).To(MatchError(ContainSubstring("is not a local mockprove: set its client ID and client secret (PROVE_CLIENT_ID and PROVE_CLIENT_SECRET")), "%+v", o)
		}
	})

	It("refuses one credential without the other for a local mockprove too", func() {
		_, err := flowapp.New(flowapp.Options{ClientID: "identity-client"})
		Expect(err).To(MatchError(ContainSubstring("set both the client ID and the client secret")))
	})

	It("refuses a Prove that is not a local mockprove without a public URL or a final target URL", func() {
		_, err := flowapp.New(flowapp.Options{ProveBaseURL: sandbox, ClientID: "id", ClientSecret: "secret"})
		Expect(err).To(MatchError(ContainSubstring("set the public URL (PUBLIC_URL or -public-url")))
		_, err = flowapp.New(flowapp.Options{ProveBaseURL: sandbox, ClientID: "id", ClientSecret: "secret", PublicURL: "https://shop.example.com"})
		Expect(err).NotTo(HaveOccurred())
		_, err = flowapp.New(flowapp.Options{ProveBaseURL: sandbox, ClientID: "id", ClientSecret: "secret", FinalTargetURL: "https://shop.example.com/landing"})
		Expect(err).NotTo(HaveOccurred())
	})

	It("refuses a public URL that is not an absolute http(s) URL", func() {
		for _, u := range []string{"shop.example.com", "ftp://shop.example.com", "https://shop.example.com/?x=1", "https://shop.example.com/" + strings.Repeat("a", 130)} {
			_, err := flowapp.New(flowapp.Options{PublicURL: u})
			Expect(err).To(MatchError(ContainSubstring("public URL")), u)
		}
	})

	It("reports its public URL: Options.PublicURL, else where it listens", func() {
		app, err := flowapp.New(flowapp.Options{PublicURL: "https://shop.example.com/"})
		Expect(err).NotTo(HaveOccurred())
		Expect(app.PublicURL()).To(Equal("https://shop.example.com"))
		app, err = flowapp.New(flowapp.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(app.Start()).To(Succeed())
		DeferCleanup(app.Close)
		Expect(app.PublicURL()).To(Equal(app.URL()))
	})

	It("gives its server a write timeout longer than two calls to Prove", func() {
		app, err := flowapp.New(flowapp.Options{ProveTimeout: 20 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		Expect(app.WriteTimeout()).To(BeNumerically(">", 40*time.Second))
	})

	It("forgets its address when closed, and can start again", func() {
		app, err := flowapp.New(flowapp.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(app.Start()).To(Succeed())
		Expect(app.URL()).NotTo(BeEmpty())
		Expect(app.Close()).To(Succeed())
		Expect(app.URL()).To(BeEmpty())
		Expect(app.Start()).To(Succeed())
		DeferCleanup(app.Close)
		Expect(app.URL()).NotTo(BeEmpty())
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
		Expect(served).To(Equal(19))
		Expect(w.spec.Checked()).To(Equal(served), "every answer was checked against the document")
	})
})

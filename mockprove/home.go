package mockprove

import (
	"bytes"
	"html/template"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/gorilla/mux"

	"github.com/mockprove/mockprove/specs"
)

// GET / is a small page for people who open mockprove's address in a
// browser: links to the dashboard (when the control API is on), the specs
// and the docs. GET /healthz answers 200 {"status":"ok","version":…}; unlike
// GET /_mock/health it is not part of the control API, so it stays with
// -control=false and needs no control token.

// DocsURL is where mockprove's documentation lives.
const DocsURL = "https://github.com/mockprove/mockprove#readme"

// registerHome adds GET / and GET /healthz.
func (s *Server) registerHome(r *mux.Router) {
	r.Handle("/", s.serve(endpoint{step: "/", internal: true, h: s.home})).Methods(http.MethodGet)
	r.Handle("/healthz", s.serve(endpoint{step: "/healthz", internal: true, h: s.healthz})).Methods(http.MethodGet)
}

// Health is the body of GET /healthz and GET /_mock/health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

func (s *Server) healthz(*call) (any, error) {
	return Health{Status: "ok", Version: BuildVersion()}, nil
}

var homeTemplate = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mockprove {{.Version}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}a{color:#0b57d0}code{background:#f2f2f2;padding:0 .2em}</style>
</head>
<body>
<main>
<h1>mockprove {{.Version}}</h1>
<p>An offline emulator of the Prove identity platform. Point Prove's SDKs and your backend at this address.</p>
<ul>
{{- if .Control}}
<li><a href="/_mock/ui/">Dashboard</a>: the virtual phone (SMS, OTP codes, Instant Links), flows, personas, clock and faults</li>
{{- else}}
<li>The dashboard and the control API (<code>/_mock/</code>) are off in this run (<code>-control=false</code>).</li>
{{- end}}
<li><a href="/openapi/">OpenAPI documents</a>: the APIs mockprove serves</li>
<li><a href="{{.Docs}}">Documentation</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
</main>
</body>
</html>
`))

func (s *Server) home(*call) (any, error) {
	var buf bytes.Buffer
	if err := homeTemplate.Execute(&buf, map[string]any{
		"Version": BuildVersion(), "Control": !s.opts.ControlDisabled, "Docs": DocsURL,
	}); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, header: pageHeaders(), raw: buf.Bytes()}, nil
}

// pageHeaders are those of the public HTML pages (/ and /openapi/): no
// scripts, no framing.
func pageHeaders() http.Header {
	return http.Header{
		"Content-Type":            {"text/html; charset=utf-8"},
		"X-Content-Type-Options":  {"nosniff"},
		"X-Frame-Options":         {"DENY"},
		"Content-Security-Policy": {"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
	}
}

var openapiIndexTemplate = template.Must(template.New("openapi").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mockprove: OpenAPI documents</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}a{color:#0b57d0}</style>
</head>
<body>
<main>
<h1>OpenAPI documents</h1>
<ul>
{{- range .}}
<li><a href="/openapi/{{.}}">{{.}}</a></li>
{{- end}}
</ul>
<p><a href="/">mockprove</a></p>
</main>
</body>
</html>
`))

// openapiIndex lists the documents served under /openapi/.
func openapiIndex(names []string) handlerFunc {
	return func(*call) (any, error) {
		var buf bytes.Buffer
		if err := openapiIndexTemplate.Execute(&buf, names); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusOK, header: pageHeaders(), raw: buf.Bytes()}, nil
	}
}

// servedSpecs are the embedded documents served at /openapi/<name>.
func servedSpecs() map[string][]byte {
	out := map[string][]byte{}
	for _, name := range specs.Names() {
		if data, err := specs.Bytes(name); err == nil {
			out[name] = data
		}
	}
	return out
}

// BuildVersion is the version this binary reports: the module version
// stamped by "go install …@vX.Y.Z", or Version for a build from a checkout
// (a development, pseudo- or modified version).
func BuildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Path != modulePath {
		return Version
	}
	return versionOf(info.Main.Version)
}

const modulePath = "github.com/mockprove/mockprove"

// pseudoVersion matches the commit suffix of a Go pseudo-version
// (v0.0.0-20261130171321-abcdef123456).
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}(\+.*)?$`)

// versionOf maps a module version to the reported one: a release such as
// v1.2.3 as 1.2.3, anything else as Version.
func versionOf(v string) string {
	if v == "" || v == "(devel)" || !strings.HasPrefix(v, "v") || strings.Contains(v, "+dirty") || pseudoVersion.MatchString(v) {
		return Version
	}
	return strings.TrimPrefix(strings.TrimSuffix(v, "+incompatible"), "v")
}

package readme_test

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// repoFiles concatenates the repository's files whose names end in one of
// exts (node_modules, .git and this package excluded).
func repoFiles(t *testing.T, exts ...string) (string, int) {
	t.Helper()
	var all strings.Builder
	n := 0
	self, _ := filepath.Abs(".")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			abs, _ := filepath.Abs(p)
			if d.Name() == "node_modules" || d.Name() == ".git" || abs == self {
				return filepath.SkipDir
			}
			return nil
		}
		for _, e := range exts {
			if strings.HasSuffix(p, e) {
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				all.Write(b)
				all.WriteString("\n")
				n++
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.String(), n
}

// TestDocGoBlocks: every Go block stands verbatim (indentation aside) in a
// Go file of the repository, a test or an example, so go test compiles it
// (and runs it).
func TestDocGoBlocks(t *testing.T) {
	all, n := repoFiles(t, ".go")
	code := indentless(all)
	seen := 0
	for _, b := range allBlocks(t) {
		if b.lang != "go" {
			continue
		}
		seen++
		if !strings.Contains(code, indentless(b.body)) {
			t.Errorf("%s: this Go block is in no Go file of the repository (%d files), so nothing compiles it; make it (part of) a test or an Example function:\n%s", b, n, b.body)
		}
	}
	if seen == 0 {
		t.Error("the documentation has no Go block: the README's Go test is missing")
	}
}

// indentless drops each line's leading white space, so that a block shown
// at the left margin matches the same lines nested in a file.
func indentless(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// TestDocYAMLBlocks: every YAML block parses, and is either an excerpt,
// verbatim, of a YAML file of the repository (a CI example in docs/ci, an
// OpenAPI document, the default personas) or a persona file that mockprove
// loads (checked against specs/persona.schema.yaml).
func TestDocYAMLBlocks(t *testing.T) {
	all, _ := repoFiles(t, ".yml", ".yaml")
	for _, b := range allBlocks(t) {
		if b.lang != "yaml" {
			continue
		}
		if _, err := yaml.YAMLToJSON([]byte(b.body)); err != nil {
			t.Errorf("%s: this YAML block does not parse: %v\n%s", b, err, b.body)
			continue
		}
		if strings.Contains(all, b.body) {
			continue
		}
		if _, err := mockprove.ParsePersonas([]byte(b.body), b.String()); err != nil {
			t.Errorf("%s: this YAML block is neither an excerpt of a repository YAML file nor a valid persona file: %v", b, err)
		}
	}
}

// TestDocJSONBlocks: every JSON block parses, as JSON or, for a persona
// file, by the persona loader. A block marked <!-- response: METHOD PATH
// STATUS --> is checked as that operation's answer, and one marked
// <!-- request: METHOD PATH --> as its request body, against the OpenAPI
// documents.
func TestDocJSONBlocks(t *testing.T) {
	checker, err := contracts.NewChecker(contracts.CheckerOptions{Specs: []string{specs.ProveV3, specs.Device, specs.Control, specs.Flowapp}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range allBlocks(t) {
		if b.lang != "json" {
			continue
		}
		if !json.Valid([]byte(b.body)) {
			t.Errorf("%s: this JSON block does not parse:\n%s", b, b.body)
			continue
		}
		kind, rest, _ := strings.Cut(b.marker, ":")
		f := strings.Fields(rest)
		switch {
		case kind == "response" && len(f) == 3:
			status, err := strconv.Atoi(f[2])
			if err != nil {
				t.Errorf("%s: <!-- response: %s --> wants METHOD PATH STATUS", b, rest)
				continue
			}
			req := exampleRequest(f[0], f[1])
			if checker.Find(req) == nil {
				t.Errorf("%s: no OpenAPI document has %s %s", b, f[0], f[1])
				continue
			}
			resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader([]byte(b.body))), Request: req}
			for _, v := range checker.CheckResponse(req, nil, resp, []byte(b.body)) {
				t.Errorf("%s: %s", b, v)
			}
		case kind == "request" && len(f) == 2:
			req := exampleRequest(f[0], f[1])
			req.Body = io.NopCloser(bytes.NewReader([]byte(b.body)))
			req.Header.Set("Content-Type", "application/json")
			if checker.Find(req) == nil {
				t.Errorf("%s: no OpenAPI document has %s %s", b, f[0], f[1])
				continue
			}
			for _, v := range checker.CheckRequest(req, []byte(b.body)) {
				t.Errorf("%s: %s", b, v)
			}
		case kind == "personas":
			if _, err := mockprove.ParsePersonas([]byte(b.body), b.String()); err != nil {
				t.Errorf("%s: %v", b, err)
			}
		case b.marker != "" && (kind == "response" || kind == "request"):
			t.Errorf("%s: malformed marker <!-- %s --> (response: METHOD PATH STATUS, request: METHOD PATH)", b, b.marker)
		}
	}
}

func exampleRequest(method, path string) *http.Request {
	req := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
	req.Header.Set("Authorization", "Bearer example")
	return req
}

// Package readme_test checks every code block and every relative link of
// README.md and docs/**/*.md, so that the documentation stays true:
//
//   - sh and bash blocks run, each file's in order as one script, against
//     one real mockprove (TestDocShellBlocks);
//   - go blocks stand verbatim in a Go file of the repository, a test or an
//     example that go test compiles and runs (TestDocGoBlocks);
//   - yaml blocks parse, and are either an excerpt of a YAML file of the
//     repository (a CI example, a spec) or a persona file the loader
//     accepts (TestDocYAMLBlocks);
//   - json blocks parse; one marked <!-- response: METHOD PATH STATUS -->
//     or <!-- request: METHOD PATH --> is checked against the OpenAPI
//     documents (TestDocJSONBlocks);
//   - text blocks (output, illustrations) are not run;
//   - any other fence language, or none, fails (TestDocBlockLanguages).
//
// A block that shows a command which cannot run here (it serves forever,
// needs the network) is marked, on the line above its fence, with
// <!-- not run: <the reason> -->.
package readme_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// root is the repository root, seen from this package.
const root = "../.."

// block is one fenced code block of a Markdown file.
type block struct {
	file   string // relative to the repository root, e.g. docs/personas.md
	line   int    // of the opening fence, from 1
	lang   string // the fence's info string, first word
	body   string
	marker string // the <!-- … --> comment on the line above the fence, trimmed ("" if none)
}

func (b block) String() string { return b.file + ":" + strconv.Itoa(b.line) }

// languages are the fence languages the tests handle, and how.
var languages = map[string]string{
	"sh":   "run against a real mockprove",
	"bash": "run against a real mockprove",
	"go":   "compiled: verbatim in a Go file of the repository",
	"yaml": "parsed: an excerpt of a repository YAML file, or a persona file",
	"json": "parsed; checked against the OpenAPI documents when marked <!-- response: … --> or <!-- request: … -->",
	"text": "not run: output or an illustration",
}

// docFiles lists README.md and every Markdown file under docs/, relative
// to the repository root.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files[1:])
	// The other Markdown file with code in it (BENCHMARKS.md is the bench's
	// log: its blocks are the bench's output, not code to run).
	return append(files, "mockprove/browsertest/README.md")
}

func readDoc(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	openFence = regexp.MustCompile("^ {0,3}(```+|~~~+)[ \t]*([^ \t`]*)")
	comment   = regexp.MustCompile(`^\s*<!--(.*)-->\s*$`)
)

// parseBlocks returns the fenced code blocks of a Markdown document, and
// the document with their lines blanked (for the link checker).
func parseBlocks(file, doc string) ([]block, string) {
	lines := strings.Split(doc, "\n")
	var out []block
	prose := make([]string, len(lines))
	for i := 0; i < len(lines); i++ {
		m := openFence.FindStringSubmatch(lines[i])
		if m == nil {
			prose[i] = lines[i]
			continue
		}
		b := block{file: file, line: i + 1, lang: m[2]}
		if i > 0 {
			if c := comment.FindStringSubmatch(lines[i-1]); c != nil {
				b.marker = strings.TrimSpace(c[1])
			}
		}
		fence := m[1]
		var body []string
		j := i + 1
		for ; j < len(lines); j++ {
			l := strings.TrimSpace(lines[j])
			if strings.HasPrefix(l, fence[:1]) && strings.Trim(l, fence[:1]) == "" && len(l) >= len(fence) {
				break
			}
			body = append(body, lines[j])
		}
		b.body = strings.Join(body, "\n")
		if len(body) > 0 {
			b.body += "\n"
		}
		out = append(out, b)
		i = j
	}
	return out, strings.Join(prose, "\n")
}

// allBlocks is every block of every documentation file.
func allBlocks(t *testing.T) []block {
	t.Helper()
	var out []block
	for _, f := range docFiles(t) {
		bs, _ := parseBlocks(f, readDoc(t, f))
		out = append(out, bs...)
	}
	return out
}

// notRun is the reason a block is not run, from its <!-- not run: … -->
// marker ("" when it has none).
func notRun(b block) (reason string, marked bool) {
	rest, ok := strings.CutPrefix(b.marker, "not run:")
	if !ok {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

func TestDocBlockLanguages(t *testing.T) {
	bs := allBlocks(t)
	if len(bs) < 10 {
		t.Fatalf("found %d code blocks in README.md and docs/: the parser is broken", len(bs))
	}
	var known []string
	for l := range languages {
		known = append(known, l)
	}
	sort.Strings(known)
	for _, b := range bs {
		if _, ok := languages[b.lang]; !ok {
			t.Errorf("%s: a code block of language %q, which no test handles; use one of %s (a command that cannot run here: sh with <!-- not run: <reason> --> above it)",
				b, b.lang, strings.Join(known, ", "))
		}
		if reason, marked := notRun(b); marked && reason == "" {
			t.Errorf("%s: <!-- not run: --> needs a reason", b)
		}
	}
}

func TestParseBlocks(t *testing.T) {
	doc := "# T\n\n<!-- not run: serves forever -->\n```sh\nmake run\n```\n\ntext [a](b.md)\n\n````text\n```go\n````\n~~~\nx\n~~~\n"
	bs, prose := parseBlocks("x.md", doc)
	if len(bs) != 3 {
		t.Fatalf("want 3 blocks, got %d: %+v", len(bs), bs)
	}
	if bs[0].lang != "sh" || bs[0].body != "make run\n" || bs[0].line != 4 || bs[0].marker != "not run: serves forever" {
		t.Errorf("first block: %+v", bs[0])
	}
	if r, ok := notRun(bs[0]); !ok || r != "serves forever" {
		t.Errorf("notRun = %q, %v", r, ok)
	}
	if bs[1].lang != "text" || bs[1].body != "```go\n" {
		t.Errorf("a longer fence holds a shorter one: %+v", bs[1])
	}
	if bs[2].lang != "" || bs[2].body != "x\n" {
		t.Errorf("a ~~~ fence without a language: %+v", bs[2])
	}
	if strings.Contains(prose, "make run") || !strings.Contains(prose, "[a](b.md)") {
		t.Errorf("prose should keep the text and drop the blocks:\n%s", prose)
	}
}

package readme_test

import (
	"bytes"
	"io"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/mockprove/cli"
)

// usageFlag is a flag line of the flag package's usage text ("  -addr string").
var usageFlag = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)

// flagsOf returns the flags a command's -h lists.
func flagsOf(t *testing.T, parse func(args []string, getenv func(string) string, stderr io.Writer) error) []string {
	t.Helper()
	var usage bytes.Buffer
	_ = parse([]string{"-h"}, func(string) string { return "" }, &usage)
	var out []string
	for _, m := range usageFlag.FindAllStringSubmatch(usage.String(), -1) {
		out = append(out, m[1])
	}
	if len(out) < 5 {
		t.Fatalf("read %d flags from the usage text:\n%s", len(out), usage.String())
	}
	sort.Strings(out)
	return out
}

// tableFlags returns the flags named in the first column of the document's
// tables whose header starts with "| flag |".
func tableFlags(doc string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(l, "| flag |"):
			in = true
		case !strings.HasPrefix(l, "|"):
			in = false
		case in:
			first := strings.SplitN(l, "|", 3)[1]
			for _, m := range regexp.MustCompile("`-([a-z][a-z0-9-]*)`").FindAllStringSubmatch(first, -1) {
				out = append(out, m[1])
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestDocFlagTables: the flag tables of docs/binary.md and docs/flowapp.md
// list exactly the flags of the mockprove and flowapp commands.
func TestDocFlagTables(t *testing.T) {
	for _, c := range []struct {
		doc   string
		parse func([]string, func(string) string, io.Writer) error
	}{
		{"docs/binary.md", func(a []string, g func(string) string, w io.Writer) error { _, err := cli.Parse(a, g, w); return err }},
		{"docs/flowapp.md", func(a []string, g func(string) string, w io.Writer) error {
			_, err := flowapp.ParseConfig(a, g, w)
			return err
		}},
	} {
		want := flagsOf(t, c.parse)
		got := tableFlags(readDoc(t, c.doc))
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: the flag table lists\n  %s\nthe command has\n  %s", c.doc, strings.Join(got, " "), strings.Join(want, " "))
		}
	}
}

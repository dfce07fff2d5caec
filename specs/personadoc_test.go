package specs_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mockprove/mockprove/mockprove"
)

// personasDoc is the page whose persona table is generated.
const personasDoc = "../docs/personas.md"

// TestPersonasDocTable keeps the persona table of docs/personas.md equal to
// the embedded persona file. UPDATE_DOCS=1 rewrites the table.
func TestPersonasDocTable(t *testing.T) {
	const begin, end = "<!-- personas:begin -->\n", "<!-- personas:end -->"
	ps, err := mockprove.DefaultPersonas()
	if err != nil {
		t.Fatal(err)
	}
	want := personaTable(ps)
	doc, err := os.ReadFile(personasDoc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("docs/personas.md has no %q … %q section", strings.TrimSpace(begin), end)
	}
	got := s[i+len(begin) : j]
	if got == want {
		return
	}
	if os.Getenv("UPDATE_DOCS") == "1" {
		if err := os.WriteFile(personasDoc, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the persona table of docs/personas.md is out of date with specs/personas.yaml; run: UPDATE_DOCS=1 go test ./specs/ -run TestPersonasDocTable")
}

func personaTable(ps []mockprove.Persona) string {
	var b strings.Builder
	b.WriteString("| phone | name | products | short-term | possession | what it does |\n|---|---|---|---|---|---|\n")
	for _, p := range ps {
		short := ""
		if p.ShortTerm {
			short = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", p.Phone, p.Name, strings.Join(p.Products, ", "), short,
			possession(p), strings.ReplaceAll(p.Description, "|", "\\|"))
	}
	return b.String()
}

// possession is the persona's possession behaviour, for personas of the
// products with a client SDK step ("" for the others).
func possession(persona mockprove.Persona) string {
	if !slices.ContainsFunc(persona.Products, func(pr string) bool {
		return pr == mockprove.ProductIdentity || pr == mockprove.ProductPrefill || pr == mockprove.ProductUnify
	}) {
		return ""
	}
	p := persona.Possession
	var parts []string
	if p.MobileAuth != "" && p.MobileAuth != "off" {
		parts = append(parts, "Mobile Auth "+p.MobileAuth)
	}
	if c := p.OTP.Code; c != "" && c != "1234" {
		parts = append(parts, "OTP "+c)
	}
	if n := p.OTP.WrongAttempts; n > 0 {
		parts = append(parts, fmt.Sprintf("%d wrong PINs", n))
	}
	switch p.InstantLink.Click {
	case "auto":
		parts = append(parts, "clicks link after "+p.InstantLink.ClickAfter)
	case "never":
		parts = append(parts, "never clicks link")
	}
	if p.RejectPhone {
		parts = append(parts, "number rejected")
	}
	if len(parts) == 0 {
		return "OTP 1234 / link"
	}
	return strings.Join(parts, "; ")
}

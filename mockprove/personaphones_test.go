package mockprove_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

var _ = Describe("persona phone constants", func() {
	It("name every default persona once, with its phone number", func() {
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, "personaphones.go", nil, 0)
		Expect(err).NotTo(HaveOccurred())
		consts := map[string]string{} // name → phone
		ast.Inspect(file, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, id := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					Expect(ok).To(BeTrue(), "%s must be a string literal", id.Name)
					phone, err := strconv.Unquote(lit.Value)
					Expect(err).NotTo(HaveOccurred())
					consts[id.Name] = phone
				}
			}
			return true
		})
		personas, err := mockprove.DefaultPersonas()
		Expect(err).NotTo(HaveOccurred())
		want := map[string]string{}
		for _, p := range personas {
			want["Phone"+camel(p.Name)] = p.Phone
		}
		Expect(consts).To(Equal(want))
	})

	It("are the numbers the server knows", func() {
		s := newServer(mockprove.Options{})
		for _, phone := range []string{mockprove.PhoneJordanEllis, mockprove.PhoneMiloPinson, mockprove.PhoneColleenBrennan} {
			_, ok := s.Persona(phone)
			Expect(ok).To(BeTrue(), phone)
		}
	})
})

// camel turns "Jordan Ellis" into "JordanEllis".
func camel(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(strings.ReplaceAll(name, "-", " ")) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

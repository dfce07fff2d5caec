package specs_test

import (
	"context"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/specs"
)

var _ = Describe("prove-v3-token.gen.json (prove-v3.yaml cut down to /token)", func() {
	It("is what specs.Subset makes of prove-v3.yaml now (else: go generate ./specs/)", func() {
		want, err := specs.Subset(specs.MustBytes(specs.ProveV3), "/token")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(specs.MustBytes(specs.ProveV3Token))).To(Equal(string(want)))
	})

	It("validates, and holds /token exactly as prove-v3.yaml has it, and no other path", func() {
		doc, err := specs.Parse(specs.MustBytes(specs.ProveV3Token))
		Expect(err).NotTo(HaveOccurred())
		Expect(doc.Paths.Len()).To(Equal(1))
		full := load(specs.MustBytes(specs.ProveV3))
		got, err := doc.Paths.Value("/token").MarshalJSON()
		Expect(err).NotTo(HaveOccurred())
		want, err := full.Paths.Value("/token").MarshalJSON()
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(MatchJSON(want))
		Expect(doc.Validate(context.Background(), openapi3.EnableExamplesValidation())).To(Succeed())
	})
})

var _ = Describe("specs.Subset", func() {
	const doc = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}
      responses: {'200': {description: ok}}
  /b:
    get:
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}}
components:
  schemas:
    A: {type: object, properties: {c: {$ref: '#/components/schemas/C'}}}
    B: {type: string}
    C: {type: integer}
`
	It("keeps the paths asked for and the components they refer to, transitively", func() {
		out, err := specs.Subset([]byte(doc), "/a")
		Expect(err).NotTo(HaveOccurred())
		d, err := specs.Parse(out)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Paths.Value("/a")).NotTo(BeNil())
		Expect(d.Paths.Value("/b")).To(BeNil())
		Expect(d.Components.Schemas).To(HaveKey("A"))
		Expect(d.Components.Schemas).To(HaveKey("C"))
		Expect(d.Components.Schemas).NotTo(HaveKey("B"))
	})

	It("refuses a path the document does not have, and a reference that does not resolve", func() {
		_, err := specs.Subset([]byte(doc), "/nope")
		Expect(err).To(MatchError(ContainSubstring("no path /nope")))
		_, err = specs.Subset([]byte(strings.Replace(doc, "schemas/C'", "schemas/D'", 1)), "/a")
		Expect(err).To(MatchError(ContainSubstring("#/components/schemas/D does not resolve")))
	})
})

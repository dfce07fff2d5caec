package specs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"

	"github.com/mockprove/mockprove/flowapp"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// openAPIDocuments are the embedded files that declare "openapi": every
// one but the persona data file.
func openAPIDocuments() []string {
	var names []string
	for _, name := range specs.Names() {
		var top map[string]any
		if err := yaml.Unmarshal(specs.MustBytes(name), &top); err != nil {
			panic(fmt.Sprintf("%s: %v", name, err))
		}
		if _, ok := top["openapi"]; ok {
			names = append(names, name)
		}
	}
	return names
}

// load parses a document afresh (specs.Load shares one copy).
func load(data []byte) *openapi3.T {
	GinkgoHelper()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	Expect(err).NotTo(HaveOccurred())
	return doc
}

// exampleProblems checks every example of doc against its schema and lists
// what is wrong, one line each; n is the number of examples checked.
func exampleProblems(doc *openapi3.T) (n int, problems []string) {
	for _, ex := range examples(doc) {
		n++
		if ex.schema == nil {
			problems = append(problems, ex.where+": an example without a schema")
			continue
		}
		if err := ex.schema.VisitJSON(ex.value, openapi3.MultiErrors()); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", ex.where, oneLine(err)))
		}
	}
	return n, problems
}

// placeholders lists example values that only repeat their own name
// ("cipConfidence": "cipConfidence", "reasonCodes": ["reasonCodes"]), the
// mark of a generated example. The terminal step {"done": "done"} is Prove's.
func placeholders(doc *openapi3.T) []string {
	var out []string
	var visit func(where, key string, v any)
	visit = func(where, key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				visit(where+"."+k, k, v[k])
			}
		case []any:
			for i, e := range v {
				visit(fmt.Sprintf("%s[%d]", where, i), key, e)
			}
		case string:
			if key != "" && v == key && v != "done" {
				out = append(out, fmt.Sprintf("%s: %q", where, v))
			}
		}
	}
	for _, ex := range examples(doc) {
		visit(ex.where, lastName(ex.where), ex.value)
	}
	return out
}

// lastName is the property an example belongs to, for schema examples
// ("#/components/schemas/X.properties.amlType example" -> "amlType").
func lastName(where string) string {
	where = strings.TrimSuffix(where, " example")
	if i := strings.LastIndex(where, ".properties."); i >= 0 {
		return where[i+len(".properties."):]
	}
	return ""
}

// untypedNullables lists schemas with nullable but no type, which OpenAPI
// 3.0 does not allow (Redocly's nullable-type-sibling).
func untypedNullables(doc *openapi3.T) []string {
	var out []string
	schemas(doc, func(where string, s *openapi3.Schema) {
		if s.Nullable && (s.Type == nil || len(s.Type.Slice()) == 0) {
			out = append(out, where)
		}
	})
	return out
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

var _ = Describe("the documents in specs/", func() {
	It("are OpenAPI documents, but for the persona data file", func() {
		Expect(openAPIDocuments()).To(ConsistOf(specs.ProveV3, specs.Device, specs.Control, specs.Flowapp, specs.PersonaSchema))
	})

	var entries, apis []TableEntry
	for _, name := range openAPIDocuments() {
		entries = append(entries, Entry(name, name))
		if name != specs.PersonaSchema { // a schema without examples, for persona files
			apis = append(apis, Entry(name, name))
		}
	}

	DescribeTable("load and validate as OpenAPI 3.0 with kin-openapi, examples validation on",
		func(name string) {
			doc := load(specs.MustBytes(name))
			Expect(doc.OpenAPI).To(MatchRegexp(`^3\.0\.\d+$`))
			Expect(doc.Validate(context.Background(), openapi3.EnableExamplesValidation())).To(Succeed())
		},
		entries,
	)

	DescribeTable("have examples that all match their schemas (media types, parameters, headers, schemas)",
		func(name string) {
			n, problems := exampleProblems(load(specs.MustBytes(name)))
			Expect(problems).To(BeEmpty())
			Expect(n).To(BeNumerically(">=", 10), "examples checked")
		},
		apis,
	)

	DescribeTable("have no placeholder examples",
		func(name string) { Expect(placeholders(load(specs.MustBytes(name)))).To(BeEmpty()) },
		entries,
	)

	DescribeTable("use nullable only beside a type",
		func(name string) { Expect(untypedNullables(load(specs.MustBytes(name)))).To(BeEmpty()) },
		entries,
	)

	DescribeTable("mark constraints with x-mockprove-source values Prove's or mockprove's",
		func(name string) {
			var bad []string
			schemas(load(specs.MustBytes(name)), func(where string, s *openapi3.Schema) {
				v, ok := s.Extensions["x-mockprove-source"]
				if !ok {
					return
				}
				if err := checkSourceValue(v); err != nil {
					bad = append(bad, where+": "+err.Error())
				}
			})
			Expect(bad).To(BeEmpty())
		},
		entries,
	)

	It("are all linted by make lint (specs/lint/redocly.yaml)", func() {
		var cfg struct {
			APIs map[string]struct {
				Root string `json:"root"`
			} `json:"apis"`
		}
		raw, err := os.ReadFile("lint/redocly.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.Unmarshal(raw, &cfg)).To(Succeed())
		var roots []string
		for _, api := range cfg.APIs {
			roots = append(roots, strings.TrimPrefix(api.Root, "../"))
		}
		Expect(roots).To(ConsistOf(openAPIDocuments()))
	})
})

var _ = Describe("the checks of this suite", func() {
	// A document with one of each mistake: the checks must find them all.
	const broken = `
openapi: 3.0.3
info: {title: broken, version: 1.0.0}
paths:
  /x:
    post:
      parameters:
        - name: n
          in: query
          schema: {type: integer}
          example: ten
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
            examples:
              wrong: {value: {size: big}}
      responses:
        '200':
          description: ok
          headers:
            X-Count:
              schema: {type: integer}
              example: many
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              example: {size: 1, cipConfidence: cipConfidence}
components:
  schemas:
    Thing:
      type: object
      properties:
        size: {type: integer}
        cipConfidence: {type: string}
        any: {nullable: true}
      example: {size: -1, reasonCodes: [reasonCodes]}
      additionalProperties: true
`
	It("find an example of each kind that does not match its schema", func() {
		doc := load([]byte(broken))
		_, problems := exampleProblems(doc)
		Expect(problems).To(ConsistOf(
			HavePrefix("POST /x parameter n example:"),
			HavePrefix("POST /x request application/json examples.wrong:"),
			HavePrefix("POST /x response 200 header X-Count example:"),
		))
		Expect(placeholders(doc)).To(ConsistOf(
			`POST /x response 200 application/json example.cipConfidence: "cipConfidence"`,
			`#/components/schemas/Thing example.reasonCodes[0]: "reasonCodes"`,
		))
		Expect(untypedNullables(doc)).To(ConsistOf("#/components/schemas/Thing.properties.any"))
	})

	It("reject a schema example kin-openapi's own validation finds wrong", func() {
		_, err := specs.Parse([]byte(strings.Replace(broken, "example: {size: -1,", "example: {size: one,", 1)))
		Expect(err).To(MatchError(ContainSubstring("invalid example")))
	})
})

// Prove's servers, from Prove's server SDKs (the Go SDK's ServerList).
var proveServers = []string{
	"https://platform.uat.proveapis.com",
	"https://platform.proveapis.com",
	"https://platform.uat.eu.proveapis.com",
	"https://platform.eu.proveapis.com",
}

var _ = Describe("prove-v3.yaml", func() {
	var doc *openapi3.T
	BeforeEach(func() { doc = load(specs.MustBytes(specs.ProveV3)) })

	It("declares Prove's four servers, US sandbox first", func() {
		var urls []string
		for _, s := range doc.Servers {
			urls = append(urls, s.URL)
		}
		Expect(urls).To(Equal(proveServers))
	})

	It("routes any host once the servers are replaced by / (as mockprove and contracts.SpecTransport do)", func() {
		local, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:18700/v3/start", nil)
		prove, _ := http.NewRequest(http.MethodPost, proveServers[0]+"/v3/start", nil)

		asIs, err := gorillamux.NewRouter(doc)
		Expect(err).NotTo(HaveOccurred())
		_, _, err = asIs.FindRoute(prove)
		Expect(err).NotTo(HaveOccurred())
		_, _, err = asIs.FindRoute(local)
		Expect(err).To(HaveOccurred(), "kin-openapi's router matches on the servers")

		cp := *doc
		cp.Servers = openapi3.Servers{{URL: "/"}}
		relative, err := gorillamux.NewRouter(&cp)
		Expect(err).NotTo(HaveOccurred())
		for _, r := range []*http.Request{local, prove} {
			route, _, err := relative.FindRoute(r)
			Expect(err).NotTo(HaveOccurred(), r.URL.String())
			Expect(route.Operation.OperationID).To(Equal("V3StartRequest"))
		}
	})

	It("has an example of every error code mockprove sends, under its status, on every operation", func() {
		for _, path := range sortedKeys(doc.Paths.Map()) {
			for method, op := range doc.Paths.Value(path).Operations() {
				for _, ec := range mockprove.ErrorCodes {
					if path == "/token" && (ec.Code == mockprove.CodeOutOfOrder || ec.Code == mockprove.CodeUserNotFound ||
						ec.Code == mockprove.CodeInvalidCorrelation || ec.Code == mockprove.CodeAccessDenied) {
						continue // /token has no flow and no test user
					}
					resp := op.Responses.Status(ec.Status)
					if ec.Status == http.StatusNotFound && resp == nil {
						continue // 8011 only where an operation looks an identity up
					}
					Expect(resp).NotTo(BeNil(), "%s %s declares %d", method, path, ec.Status)
					Expect(exampleCodes(resp.Value)).To(ContainElement(ec.Code), "%s %s %d has an example of %d %s", method, path, ec.Status, ec.Code, ec.Name)
				}
			}
		}
	})

	It("has a 429 example with code 8000 and a Retry-After header", func() {
		for _, path := range sortedKeys(doc.Paths.Map()) {
			for method, op := range doc.Paths.Value(path).Operations() {
				resp := op.Responses.Status(http.StatusTooManyRequests)
				Expect(resp).NotTo(BeNil(), method+" "+path)
				Expect(exampleCodes(resp.Value)).To(ConsistOf(mockprove.CodeInternal), path)
				h := resp.Value.Headers["Retry-After"]
				Expect(h).NotTo(BeNil(), path)
				Expect(h.Value.Required).To(BeTrue())
				Expect(h.Value.Example).To(BeNumerically(">", 0))
			}
		}
	})

	It("declares the X-Mockprove-* headers once, and on every response, never required", func() {
		components := map[string]string{
			"X-Mockprove-Step": "XMockproveStep", "X-Mockprove-Rule": "XMockproveRule",
			"X-Mockprove-Persona": "XMockprovePersona", "X-Mockprove-Fault": "XMockproveFault",
		}
		for _, component := range components {
			h := doc.Components.Headers[component]
			Expect(h).NotTo(BeNil(), component)
			Expect(h.Value.Required).To(BeFalse(), "%s: Prove never sends it", component)
		}
		n := 0
		for _, path := range sortedKeys(doc.Paths.Map()) {
			for _, op := range doc.Paths.Value(path).Operations() {
				for code, resp := range op.Responses.Map() {
					for header, component := range components {
						h := resp.Value.Headers[header]
						Expect(h).NotTo(BeNil(), "%s %s declares %s", path, code, header)
						Expect(h.Ref).To(Equal("#/components/headers/"+component), "%s %s %s", path, code, header)
					}
					n++
				}
			}
		}
		Expect(n).To(BeNumerically(">=", 5*6))
	})

	It("builds every Error variant from Error with allOf", func() {
		for name, s := range doc.Components.Schemas {
			if !strings.HasPrefix(name, "Error") || name == "Error" {
				continue
			}
			Expect(s.Value.AllOf).To(HaveLen(1), name)
			Expect(s.Value.AllOf[0].Ref).To(Equal("#/components/schemas/Error"), name)
			Expect(s.Value.Properties).To(BeEmpty(), "%s adds no property of its own", name)
		}
	})

	It("takes the examples that name a persona from that persona", func() {
		personas := personaFile()
		n := 0
		for _, ex := range examples(doc) {
			phone, ok := ex.ext["x-mockprove-persona"].(string)
			if !ok {
				continue
			}
			n++
			p, ok := personas[phone]
			Expect(ok).To(BeTrue(), "%s: persona %s is in personas.yaml", ex.where, phone)
			value := ex.value.(map[string]any)
			for _, block := range []string{"idv", "kyc"} {
				if p[block] == nil {
					Expect(value).NotTo(HaveKey(block), "%s: persona %s has no %s", ex.where, phone, block)
					continue
				}
				want, err := json.Marshal(p[block])
				Expect(err).NotTo(HaveOccurred())
				got, err := json.Marshal(value[block])
				Expect(err).NotTo(HaveOccurred())
				Expect(got).To(MatchJSON(want), "%s: %s of persona %s", ex.where, block, phone)
			}
		}
		Expect(n).To(BeNumerically(">=", 2))
	})

	It("marks who set each request constraint with x-mockprove-source", func() {
		Expect(unmarkedConstraints(doc)).To(BeEmpty())
	})

	It("marks finalTargetUrl ≤ 128 and smsMessage ≤ 160 as Prove's, the phone number rules as mockprove's", func() {
		start := doc.Components.Schemas["V3StartRequest"].Value
		Expect(sourceOf(start.Properties["finalTargetUrl"].Value, "maxLength")).To(Equal("prove-docs"))
		Expect(sourceOf(start.Properties["finalTargetUrl"].Value, "pattern")).To(Equal("mockprove"))
		Expect(sourceOf(start.Properties["smsMessage"].Value, "maxLength")).To(Equal("prove-docs"))
		Expect(start.Required).To(ContainElement("phoneNumber"))
		Expect(sourceOf(start.Properties["phoneNumber"].Value, "required")).To(Equal("mockprove"))
		Expect(sourceOf(start.Properties["phoneNumber"].Value, "pattern")).To(Equal("mockprove"))
	})

	It("describes phoneNumber as required and digits only, as mockprove behaves", func() {
		phone := doc.Components.Schemas["V3StartRequest"].Value.Properties["phoneNumber"].Value
		Expect(phone.Pattern).To(Equal(`^\+?[0-9]{7,15}$`))
		Expect(phone.Description).To(ContainSubstring("Acceptable characters: 7 to 15 digits, with an optional leading '+'"))
		Expect(phone.Description).To(ContainSubstring("Required by mockprove for every flow type and product"))
	})
})

var _ = Describe("prove-device.yaml", func() {
	It("marks who set each request constraint with x-mockprove-source", func() {
		Expect(unmarkedConstraints(load(specs.MustBytes(specs.Device)))).To(BeEmpty())
	})
})

var _ = Describe("flowapp.yaml", func() {
	var doc *openapi3.T
	BeforeEach(func() { doc = load(specs.MustBytes(specs.Flowapp)) })

	It("declares flowapp's session cookie as a cookie apiKey scheme, required by default", func() {
		Expect(doc.Components.SecuritySchemes).To(HaveLen(1))
		for name, s := range doc.Components.SecuritySchemes {
			Expect(s.Value.Type).To(Equal("apiKey"))
			Expect(s.Value.In).To(Equal("cookie"))
			Expect(s.Value.Name).To(Equal(flowapp.SessionCookie))
			Expect(doc.Security).To(Equal(openapi3.SecurityRequirements{{name: []string{}}}))
		}
	})

	It("makes the pages, their assets, configuration, health, /initialize and /signin/start public, and nothing else", func() {
		var public []string
		for _, path := range sortedKeys(doc.Paths.Map()) {
			for method, op := range doc.Paths.Value(path).Operations() {
				if op.Security != nil && len(*op.Security) == 0 {
					public = append(public, method+" "+path)
				}
			}
		}
		Expect(public).To(ConsistOf("GET /", "GET /api.js", "GET /app.js", "GET /app.css", "GET /landing", "GET /sdk/prove-auth.js",
			"GET /config", "GET /healthz", "POST /initialize", "GET /signin", "GET /signin.js", "POST /signin/start"))
	})

	It("describes every operation, and gives every JSON operation its 4xx answers", func() {
		for _, path := range sortedKeys(doc.Paths.Map()) {
			for method, op := range doc.Paths.Value(path).Operations() {
				at := method + " " + path
				Expect(strings.TrimSpace(op.Description)).NotTo(BeEmpty(), "%s has a description", at)
				if op.RequestBody == nil {
					continue
				}
				Expect(op.Responses.Status(http.StatusBadRequest)).NotTo(BeNil(), "%s: 400 bad_request", at)
				Expect(op.Responses.Status(http.StatusForbidden)).NotTo(BeNil(), "%s: 403 forbidden (cross-site)", at)
				if op.Security == nil { // needs the session
					Expect(op.Responses.Status(http.StatusConflict)).NotTo(BeNil(), "%s: 409 no_session", at)
				}
			}
		}
	})
})

// exampleCodes lists the "code" of every JSON example of a response.
func exampleCodes(r *openapi3.Response) []int {
	var codes []int
	mt := r.Content.Get("application/json")
	if mt == nil {
		return nil
	}
	values := []any{mt.Example}
	for _, name := range sortedKeys(mt.Examples) {
		values = append(values, mt.Examples[name].Value.Value)
	}
	for _, v := range values {
		if m, ok := v.(map[string]any); ok {
			if c, ok := m["code"].(float64); ok {
				codes = append(codes, int(c))
			}
		}
	}
	sort.Ints(codes)
	return codes
}

var sourceValues = map[string]bool{"prove-docs": true, "prove-sdk": true, "mockprove": true}

var sourceKeywords = map[string]bool{"pattern": true, "minLength": true, "maxLength": true, "enum": true,
	"format": true, "additionalProperties": true, "required": true}

// checkSourceValue checks one x-mockprove-source: a source, or a map from a
// keyword to a source.
func checkSourceValue(v any) error {
	switch v := v.(type) {
	case string:
		if !sourceValues[v] {
			return fmt.Errorf("unknown source %q", v)
		}
		return nil
	case map[string]any:
		for k, src := range v {
			if !sourceKeywords[k] {
				return fmt.Errorf("unknown keyword %q", k)
			}
			if s, ok := src.(string); !ok || !sourceValues[s] {
				return fmt.Errorf("%s: unknown source %v", k, src)
			}
		}
		return nil
	}
	return fmt.Errorf("neither a source nor a map: %v", v)
}

// sourceOf is the source x-mockprove-source gives to one keyword of s.
func sourceOf(s *openapi3.Schema, keyword string) string {
	switch v := s.Extensions["x-mockprove-source"].(type) {
	case string:
		if keyword != "required" && sourceKeywords[keyword] {
			return v
		}
	case map[string]any:
		src, _ := v[keyword].(string)
		return src
	}
	return ""
}

// unmarkedConstraints lists the request constraints of doc whose source
// is not marked: patterns, lengths, enums, closed objects; and properties
// marked as required by someone that their parent does not require.
func unmarkedConstraints(doc *openapi3.T) []string {
	var out []string
	requestSchemas(doc, func(where string, s *openapi3.Schema) {
		var keywords []string
		if s.Pattern != "" {
			keywords = append(keywords, "pattern")
		}
		if s.MinLength > 0 {
			keywords = append(keywords, "minLength")
		}
		if s.MaxLength != nil {
			keywords = append(keywords, "maxLength")
		}
		if len(s.Enum) > 0 {
			keywords = append(keywords, "enum")
		}
		if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
			keywords = append(keywords, "additionalProperties")
		}
		for _, k := range keywords {
			if sourceOf(s, k) == "" {
				out = append(out, where+": "+k)
			}
		}
		for name, p := range s.Properties {
			if sourceOf(p.Value, "required") != "" && !contains(s.Required, name) {
				out = append(out, where+"."+name+": marked required but not required")
			}
		}
	})
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// personaFile is specs/personas.yaml as plain data, by phone number.
func personaFile() map[string]map[string]any {
	GinkgoHelper()
	var file struct {
		Personas []map[string]any `json:"personas"`
	}
	Expect(yaml.Unmarshal(specs.MustBytes(specs.Personas), &file)).To(Succeed())
	out := map[string]map[string]any{}
	for _, p := range file.Personas {
		out[p["phone"].(string)] = p
	}
	return out
}

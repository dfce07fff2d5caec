package specs_test

import (
	"fmt"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// example is one example value of a document and the schema it must match.
type example struct {
	where  string           // e.g. "POST /v3/start response 400 application/json examples.malformed"
	value  any              // the example value, as JSON decodes it
	schema *openapi3.Schema // nil when the example has no schema (a media type without one)
	ext    map[string]any   // the extensions of a named example (Example Object)
}

// examples lists every example of doc: media-type, parameter and header
// examples (single and named) of every operation and component, and the
// example of every schema reachable from the components and operations.
// Reused components are listed once per place that uses them.
func examples(doc *openapi3.T) []example {
	w := &walker{seen: map[*openapi3.Schema]bool{}}
	for _, path := range sortedKeys(doc.Paths.Map()) {
		item := doc.Paths.Value(path)
		for _, p := range item.Parameters {
			w.parameter(path+" parameter", p)
		}
		ops := item.Operations()
		for _, method := range sortedKeys(ops) {
			op := ops[method]
			at := method + " " + path
			for _, p := range op.Parameters {
				w.parameter(at+" parameter", p)
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				w.content(at+" request", op.RequestBody.Value.Content)
			}
			if op.Responses != nil {
				for _, code := range sortedKeys(op.Responses.Map()) {
					w.response(at+" response "+code, op.Responses.Value(code))
				}
			}
		}
	}
	if c := doc.Components; c != nil {
		for _, name := range sortedKeys(c.Parameters) {
			w.parameter("components.parameters."+name, c.Parameters[name])
		}
		for _, name := range sortedKeys(c.Headers) {
			w.header("components.headers."+name, c.Headers[name])
		}
		for _, name := range sortedKeys(c.RequestBodies) {
			if rb := c.RequestBodies[name]; rb != nil && rb.Value != nil {
				w.content("components.requestBodies."+name, rb.Value.Content)
			}
		}
		for _, name := range sortedKeys(c.Responses) {
			w.response("components.responses."+name, c.Responses[name])
		}
		for _, name := range sortedKeys(c.Schemas) {
			w.schema("components.schemas."+name, c.Schemas[name])
		}
	}
	return w.out
}

type walker struct {
	out  []example
	seen map[*openapi3.Schema]bool
}

func (w *walker) add(where string, value any, s *openapi3.SchemaRef, ext map[string]any) {
	var schema *openapi3.Schema
	if s != nil {
		schema = s.Value
	}
	w.out = append(w.out, example{where: where, value: value, schema: schema, ext: ext})
}

func (w *walker) named(where string, exs openapi3.Examples, s *openapi3.SchemaRef) {
	for _, name := range sortedKeys(exs) {
		if ex := exs[name]; ex != nil && ex.Value != nil {
			w.add(where+" examples."+name, ex.Value.Value, s, ex.Value.Extensions)
		}
	}
}

func (w *walker) parameter(where string, p *openapi3.ParameterRef) {
	if p == nil || p.Value == nil {
		return
	}
	at := where + " " + p.Value.Name
	if p.Value.Example != nil {
		w.add(at+" example", p.Value.Example, p.Value.Schema, nil)
	}
	w.named(at, p.Value.Examples, p.Value.Schema)
	w.schema(at+" schema", p.Value.Schema)
	w.content(at, p.Value.Content)
}

func (w *walker) header(where string, h *openapi3.HeaderRef) {
	if h == nil || h.Value == nil {
		return
	}
	if h.Value.Example != nil {
		w.add(where+" example", h.Value.Example, h.Value.Schema, nil)
	}
	w.named(where, h.Value.Examples, h.Value.Schema)
	w.schema(where+" schema", h.Value.Schema)
	w.content(where, h.Value.Content)
}

func (w *walker) response(where string, r *openapi3.ResponseRef) {
	if r == nil || r.Value == nil {
		return
	}
	for _, name := range sortedKeys(r.Value.Headers) {
		w.header(where+" header "+name, r.Value.Headers[name])
	}
	w.content(where, r.Value.Content)
}

func (w *walker) content(where string, c openapi3.Content) {
	for _, mt := range sortedKeys(c) {
		m := c[mt]
		if m == nil {
			continue
		}
		at := where + " " + mt
		if m.Example != nil {
			w.add(at+" example", m.Example, m.Schema, nil)
		}
		w.named(at, m.Examples, m.Schema)
		w.schema(at+" schema", m.Schema)
	}
}

// schema lists the example of s and of every schema under it, each schema
// once.
func (w *walker) schema(where string, s *openapi3.SchemaRef) {
	if s == nil || s.Value == nil || w.seen[s.Value] {
		return
	}
	v := s.Value
	w.seen[v] = true
	if s.Ref != "" {
		where = s.Ref
	}
	if v.Example != nil {
		w.add(where+" example", v.Example, s, nil)
	}
	for _, name := range sortedKeys(v.Properties) {
		w.schema(where+".properties."+name, v.Properties[name])
	}
	w.schema(where+".items", v.Items)
	w.schema(where+".additionalProperties", v.AdditionalProperties.Schema)
	w.schema(where+".not", v.Not)
	for i, list := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
		for j, sub := range list {
			w.schema(fmt.Sprintf("%s.%s[%d]", where, []string{"allOf", "anyOf", "oneOf"}[i], j), sub)
		}
	}
}

// schemas calls f on every schema of doc (components and inline ones in
// operations), each once, with where it is.
func schemas(doc *openapi3.T, f func(where string, s *openapi3.Schema)) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(where string, s *openapi3.SchemaRef)
	visit = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		seen[s.Value] = true
		if s.Ref != "" {
			where = s.Ref
		}
		v := s.Value
		f(where, v)
		for _, name := range sortedKeys(v.Properties) {
			visit(where+".properties."+name, v.Properties[name])
		}
		visit(where+".items", v.Items)
		visit(where+".additionalProperties", v.AdditionalProperties.Schema)
		visit(where+".not", v.Not)
		for _, list := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
			for _, sub := range list {
				visit(where+".(sub-schema)", sub)
			}
		}
	}
	if doc.Components != nil {
		for _, name := range sortedKeys(doc.Components.Schemas) {
			visit("#/components/schemas/"+name, doc.Components.Schemas[name])
		}
	}
	for _, path := range sortedKeys(doc.Paths.Map()) {
		ops := doc.Paths.Value(path).Operations()
		for _, method := range sortedKeys(ops) {
			op := ops[method]
			for _, p := range op.Parameters {
				if p.Value != nil {
					visit(method+" "+path+" parameter "+p.Value.Name, p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for mt, m := range op.RequestBody.Value.Content {
					visit(method+" "+path+" request "+mt, m.Schema)
				}
			}
		}
	}
}

// requestSchemas calls f on every schema a request of doc is checked
// against (request bodies and parameters, and everything under them), each
// once.
func requestSchemas(doc *openapi3.T, f func(where string, s *openapi3.Schema)) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(where string, s *openapi3.SchemaRef)
	visit = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		seen[s.Value] = true
		v := s.Value
		f(where, v)
		for _, name := range sortedKeys(v.Properties) {
			visit(where+"."+name, v.Properties[name])
		}
		visit(where+"[]", v.Items)
		visit(where+".*", v.AdditionalProperties.Schema)
		for _, list := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
			for _, sub := range list {
				visit(where, sub)
			}
		}
	}
	for _, path := range sortedKeys(doc.Paths.Map()) {
		ops := doc.Paths.Value(path).Operations()
		for _, method := range sortedKeys(ops) {
			op := ops[method]
			for _, p := range op.Parameters {
				if p.Value != nil {
					visit(method+" "+path+" "+p.Value.In+" "+p.Value.Name, p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range sortedKeys(op.RequestBody.Value.Content) {
					visit(method+" "+path+" body", op.RequestBody.Value.Content[mt].Schema)
				}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

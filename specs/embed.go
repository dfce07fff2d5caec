// Package specs holds mockprove's contracts and default data, embedded into
// every binary: the OpenAPI documents (the source of truth for the emulated
// APIs), the persona schema and the default persona file.
package specs

import (
	"context"
	"embed"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// Names of the embedded documents.
const (
	ProveV3       = "prove-v3.yaml"          // Prove's server API: /token, /v3/*
	Device        = "prove-device.yaml"      // the device API Prove's web SDK calls: /v1/client/*
	Control       = "mockprove-control.yaml" // mockprove's own control API: /_mock/*
	Flowapp       = "flowapp.yaml"           // the reference integration's API
	PersonaSchema = "persona.schema.yaml"    // schema of a persona file
	Personas      = "personas.yaml"          // the default personas
)

//go:embed *.yaml
var files embed.FS

// Names lists the embedded documents.
func Names() []string {
	return []string{ProveV3, Device, Control, Flowapp, PersonaSchema, Personas}
}

// Bytes returns an embedded file by name.
func Bytes(name string) ([]byte, error) {
	if name == ProveV3Token {
		return proveV3Token, nil
	}
	return files.ReadFile(name)
}

// MustBytes is Bytes for files that are known to be embedded.
func MustBytes(name string) []byte {
	b, err := Bytes(name)
	if err != nil {
		panic(err)
	}
	return b
}

// docs holds each document parsed once: name → *parsed.
var docs sync.Map

type parsed struct {
	once sync.Once
	doc  *openapi3.T
	err  error
}

// Load parses an embedded OpenAPI document. Documents are parsed once and
// shared: callers must not modify the result. Different documents are
// parsed in parallel (at start-up, the small /token document does not wait
// for the big ones).
//
// Load does not validate the document, as Parse does: the embedded documents
// are fixed at build time, and this package's tests validate each of them
// (examples validation on), so validating again at every start would only
// delay the first request that needs a validator.
func Load(name string) (*openapi3.T, error) {
	v, ok := docs.Load(name)
	if !ok {
		if _, err := Bytes(name); err != nil {
			return nil, err // not embedded: nothing is kept for it
		}
		v, _ = docs.LoadOrStore(name, &parsed{})
	}
	p := v.(*parsed)
	p.once.Do(func() {
		data, err := Bytes(name)
		if err != nil {
			p.err = err
			return
		}
		p.doc, p.err = openapi3.NewLoader().LoadFromData(data)
		if p.err != nil {
			p.doc, p.err = nil, fmt.Errorf("specs/%s: %w", name, p.err)
		}
	})
	return p.doc, p.err
}

// Parse parses and validates an OpenAPI document.
func Parse(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, err
	}
	return doc, nil
}

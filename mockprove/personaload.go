package mockprove

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"sigs.k8s.io/yaml"

	"github.com/mockprove/mockprove/specs"
)

// DefaultPersonas returns the personas embedded in mockprove
// (specs/personas.yaml): Prove's sandbox test users and mockprove's
// edge-case personas.
func DefaultPersonas() ([]Persona, error) {
	return ParsePersonas(specs.MustBytes(specs.Personas), "specs/personas.yaml")
}

// LoadPersonasFile reads and checks a persona file (YAML or JSON).
func LoadPersonasFile(path string) ([]Persona, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("personas: %w", err)
	}
	return ParsePersonas(data, path)
}

// ParsePersonas parses a persona file and checks it against
// specs/persona.schema.yaml. Errors name the file, the persona and the field:
//
//	personas.yaml: persona 3 (2001001695): field 'possession.otp.code' has an invalid format
func ParsePersonas(data []byte, name string) ([]Persona, error) {
	raw, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %w", name, err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	schema, err := personaSchema("PersonaFile")
	if err != nil {
		return nil, err
	}
	if err := schema.VisitJSON(doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, describeSchemaError(err, doc))
	}
	var file PersonaFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkPersonas(file.Personas); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return file.Personas, nil
}

// CheckPersona checks one persona against the schema and the rules that a
// schema cannot express.
func CheckPersona(p Persona) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	schema, err := personaSchema("Persona")
	if err != nil {
		return err
	}
	if err := schema.VisitJSON(doc); err != nil {
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			return fmt.Errorf("persona %s: %s", p.Phone, schemaErrorMessage(se))
		}
		return fmt.Errorf("persona %s: %w", p.Phone, err)
	}
	return checkPersonas([]Persona{p})
}

// checkPersonas applies the rules that the schema cannot express.
func checkPersonas(ps []Persona) error {
	seen := map[string]int{}
	for i, p := range ps {
		where := fmt.Sprintf("persona %d (%s)", i, p.Phone)
		key := normalizePhone(p.Phone)
		if j, dup := seen[key]; dup {
			return fmt.Errorf("%s: field 'phone' repeats persona %d", where, j)
		}
		seen[key] = i
		if d := p.Possession.InstantLink.ClickAfter; d != "" {
			if _, err := time.ParseDuration(d); err != nil {
				return fmt.Errorf("%s: field 'possession.instantLink.clickAfter' is not a duration: %q", where, d)
			}
		}
	}
	return nil
}

func indexPersonas(ps []Persona) map[string]*Persona {
	m := make(map[string]*Persona, len(ps))
	for i := range ps {
		p := ps[i]
		m[normalizePhone(p.Phone)] = &p
	}
	return m
}

var personaDoc *openapi3.T

func personaSchema(name string) (*openapi3.Schema, error) {
	if personaDoc == nil {
		doc, err := specs.Load(specs.PersonaSchema)
		if err != nil {
			return nil, err
		}
		personaDoc = doc
	}
	ref := personaDoc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("specs/%s: schema %s is missing", specs.PersonaSchema, name)
	}
	return ref.Value, nil
}

// describeSchemaError words a persona-file violation with the persona it is in.
func describeSchemaError(err error, doc any) string {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return err.Error()
	}
	ptr := se.JSONPointer()
	if len(ptr) >= 2 && ptr[0] == "personas" {
		if i, convErr := strconv.Atoi(ptr[1]); convErr == nil {
			phone := "?"
			if m, ok := doc.(map[string]any); ok {
				if list, ok := m["personas"].([]any); ok && i < len(list) {
					if pm, ok := list[i].(map[string]any); ok {
						phone = fmt.Sprint(pm["phone"])
					}
				}
			}
			msg := schemaErrorMessageAt(se, ptr[2:])
			return fmt.Sprintf("persona %d (%s): %s", i, phone, msg)
		}
	}
	return schemaErrorMessage(se)
}

// normalizePhone returns the key personas are stored under: US/Canada
// numbers without +1, international numbers with their '+'.
func normalizePhone(p string) string {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "+1") && len(p) == 12 {
		return p[2:]
	}
	return p
}

package mockprove

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"sigs.k8s.io/yaml"

	"github.com/mockprove/mockprove/specs"
)

// The embedded persona file is parsed and checked against the schema once
// per process; each DefaultPersonas call decodes the checked JSON afresh, so
// callers get personas they may change, at a fraction of the cost (New runs
// it for every server).
var defaultFile struct {
	once sync.Once
	raw  []byte
	err  error
}

const defaultName = "specs/personas.yaml"

// DefaultPersonas returns the personas embedded in mockprove
// (specs/personas.yaml): Prove's sandbox test users and mockprove's
// edge-case personas.
func DefaultPersonas() ([]Persona, error) {
	defaultFile.once.Do(func() {
		defaultFile.raw, defaultFile.err = checkedJSON(specs.MustBytes(specs.Personas), defaultName)
	})
	if defaultFile.err != nil {
		return nil, defaultFile.err
	}
	return decodePersonas(defaultFile.raw, defaultName)
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
	raw, err := checkedJSON(data, name)
	if err != nil {
		return nil, err
	}
	return decodePersonas(raw, name)
}

// checkedJSON converts a persona file to JSON and checks it against the schema.
func checkedJSON(data []byte, name string) ([]byte, error) {
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
	return raw, nil
}

// decodePersonas decodes a persona file that passed the schema and applies
// the rules the schema cannot express.
func decodePersonas(raw []byte, name string) ([]Persona, error) {
	var file PersonaFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkRules(file.Personas); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return file.Personas, nil
}

// parsePersona reads one persona (YAML or JSON, as an entry of a persona
// file) and checks it as ParsePersonas checks each entry: the schema first,
// so that errors name fields by the same path as in a file
// ("individual.firstName"), then the rules. A body without 'phone' takes
// phone (the control API's path).
func parsePersona(data []byte, phone string) (Persona, error) {
	raw, err := yaml.YAMLToJSON(data)
	if err != nil {
		return Persona{}, fmt.Errorf("not valid YAML: %w", err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Persona{}, errors.New("not valid JSON")
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return Persona{}, errors.New("a persona must be an object")
	}
	if _, has := m["phone"]; !has && phone != "" {
		m["phone"] = phone
	}
	label := phoneLabel(m["phone"])
	schema, err := personaSchema("Persona")
	if err != nil {
		return Persona{}, err
	}
	if err := schema.VisitJSON(doc); err != nil {
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			return Persona{}, fmt.Errorf("persona %s: %s", label, schemaErrorMessageAt(se, se.JSONPointer(), "persona"))
		}
		return Persona{}, fmt.Errorf("persona %s: %w", label, err)
	}
	raw, err = json.Marshal(doc)
	if err != nil {
		return Persona{}, err
	}
	var p Persona
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Persona{}, fmt.Errorf("persona %s: %w", label, err)
	}
	if err := checkRules([]Persona{p}); err != nil {
		return Persona{}, err
	}
	return p, nil
}

// CheckPersona checks one persona against the schema and the rules that a
// schema cannot express.
func CheckPersona(p Persona) error {
	if err := checkSchema(p); err != nil {
		return fmt.Errorf("persona %s: %w", p.Phone, err)
	}
	return checkRules([]Persona{p})
}

// checkPersonas checks personas given in Go (Options.Personas,
// ReplacePersonas) against the schema, as a persona file is, and then the
// rules a schema cannot express: a persona that is not valid (say an error
// status of 0) must be refused up front rather than break a request later.
func checkPersonas(ps []Persona) error {
	for i, p := range ps {
		if err := checkSchema(p); err != nil {
			return fmt.Errorf("persona %d (%s): %w", i, p.Phone, err)
		}
	}
	return checkRules(ps)
}

// checkSchema checks one persona against the Persona schema.
func checkSchema(p Persona) error {
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
			return errors.New(schemaErrorMessageAt(se, se.JSONPointer(), "persona"))
		}
		return err
	}
	return nil
}

// checkRules applies the rules that the schema cannot express.
func checkRules(ps []Persona) error {
	seen := map[string]int{}
	for i, p := range ps {
		where := fmt.Sprintf("persona %d (%s)", i, p.Phone)
		key := normalizePhone(p.Phone)
		if j, dup := seen[key]; dup {
			return fmt.Errorf("%s: field 'phone' repeats persona %d", where, j)
		}
		seen[key] = i
		il := p.Possession.InstantLink
		if il.Click == "auto" && il.ClickAfter == "" {
			return fmt.Errorf("%s: field 'possession.instantLink.clickAfter' is missing: click auto needs it", where)
		}
		if il.Click != "auto" && il.ClickAfter != "" {
			return fmt.Errorf("%s: field 'possession.instantLink.clickAfter' only applies with click auto", where)
		}
		if d := il.ClickAfter; d != "" {
			if _, err := time.ParseDuration(d); err != nil {
				return fmt.Errorf("%s: field 'possession.instantLink.clickAfter' is not a duration: %q", where, d)
			}
		}
	}
	return nil
}

// indexPersonas keys deep copies of personas by phone: the server never
// shares a persona's maps or slices with its caller.
func indexPersonas(ps []Persona) map[string]*Persona {
	m := make(map[string]*Persona, len(ps))
	for _, p := range ps {
		cp := p.clone()
		m[normalizePhone(p.Phone)] = &cp
	}
	return m
}

// clone is a deep copy (a persona holds maps and slices).
func (p Persona) clone() Persona {
	raw, err := json.Marshal(p)
	if err != nil {
		return p // cannot happen: a Persona always marshals
	}
	var cp Persona
	if err := json.Unmarshal(raw, &cp); err != nil {
		return p
	}
	return cp
}

// The persona schema is loaded once; ParsePersonas and New may run
// concurrently (parallel tests), so the first load is synchronised.
var (
	personaDocOnce sync.Once
	personaDoc     *openapi3.T
	personaDocErr  error
)

func personaSchema(name string) (*openapi3.Schema, error) {
	personaDocOnce.Do(func() { personaDoc, personaDocErr = specs.Load(specs.PersonaSchema) })
	if personaDocErr != nil {
		return nil, personaDocErr
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
						phone = phoneLabel(pm["phone"])
					}
				}
			}
			msg := schemaErrorMessageAt(se, ptr[2:], "persona")
			return fmt.Sprintf("persona %d (%s): %s", i, phone, msg)
		}
	}
	return schemaErrorMessageAt(se, ptr, "persona file")
}

// phoneLabel shows the phone of a persona that failed the schema as it was
// written: an unquoted YAML number 2001001695 reads as 2001001695, not as
// the float 2.001001695e+09.
func phoneLabel(v any) string {
	switch p := v.(type) {
	case nil:
		return "?"
	case float64:
		return strconv.FormatFloat(p, 'f', -1, 64)
	case string:
		return p
	}
	return fmt.Sprint(v)
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

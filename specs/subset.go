package specs

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// ProveV3Token is prove-v3.yaml cut down to its /token operation and the
// components it refers to, as JSON: a document that parses in a fraction of
// the time of the whole, so that POST /token can answer while the whole is
// still being parsed. It is generated (go generate ./specs/) and a test
// checks that it is what Subset makes of prove-v3.yaml.
const ProveV3Token = "prove-v3-token.gen.json"

//go:generate go run ./internal/gensubset

//go:embed prove-v3-token.gen.json
var proveV3Token []byte

// Subset cuts an OpenAPI document down to the given paths and the components
// they refer to (transitively); everything else at the top level (info,
// servers, security, tags) and every security scheme is kept. The result is
// indented JSON, stable for a given input.
func Subset(data []byte, paths ...string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	allPaths, _ := doc["paths"].(map[string]any)
	comps, _ := doc["components"].(map[string]any)
	keptPaths := map[string]any{}
	for _, p := range paths {
		item, ok := allPaths[p]
		if !ok {
			return nil, fmt.Errorf("no path %s", p)
		}
		keptPaths[p] = item
	}
	kept := map[string]map[string]any{}
	if schemes, ok := comps["securitySchemes"].(map[string]any); ok {
		kept["securitySchemes"] = schemes
	}
	queue := []any{keptPaths}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				kind, name, err := componentRef(ref)
				if err != nil {
					return nil, err
				}
				if kept[kind] == nil {
					kept[kind] = map[string]any{}
				}
				if _, done := kept[kind][name]; !done {
					group, _ := comps[kind].(map[string]any)
					c, ok := group[name]
					if !ok {
						return nil, fmt.Errorf("%s does not resolve", ref)
					}
					kept[kind][name] = c
					queue = append(queue, c)
				}
			}
			for _, e := range v {
				queue = append(queue, e)
			}
		case []any:
			queue = append(queue, v...)
		}
	}
	doc["paths"] = keptPaths
	out := map[string]any{}
	for kind, group := range kept {
		out[kind] = group
	}
	doc["components"] = out
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// componentRef splits "#/components/schemas/Error" into schemas, Error.
func componentRef(ref string) (kind, name string, err error) {
	parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
	if !strings.HasPrefix(ref, "#/components/") || len(parts) != 2 {
		return "", "", fmt.Errorf("$ref %s: only local component references are supported", ref)
	}
	return parts[0], parts[1], nil
}

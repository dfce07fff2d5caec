package mockprove

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mockprove/mockprove/specs"
)

// specValidator checks requests (and, in strict mode, responses) against an
// OpenAPI document. It is built once at start-up; validating a request costs
// a route lookup and a schema walk, no allocation of validators.
type specValidator struct {
	router routers.Router
	opts   *openapi3filter.Options
	ready  chan struct{} // closed once router and opts are set (or err)
	err    error
	// fixed holds the route of every operation whose path has no
	// parameter, by path and method, found once at start-up: the hot path
	// then skips the router. Read-only once built.
	fixed map[string]map[string]fixedRoute
	// fast holds each operation's fastBody (nil when it has none),
	// compiled on the operation's first request: *openapi3.Operation →
	// *fastBody.
	fast sync.Map
}

type fixedRoute struct {
	route  *routers.Route
	params map[string]string
}

// newPendingValidator is a validator whose document load will tell when it
// is ready (load, loaded).
func newPendingValidator() *specValidator {
	return &specValidator{ready: make(chan struct{})}
}

// load parses an embedded document and builds the validator.
func (v *specValidator) load(name string) {
	defer close(v.ready)
	doc, err := specs.Load(name)
	if err == nil {
		var built *specValidator
		if built, err = newSpecValidator(doc); err == nil {
			v.router, v.opts, v.fixed = built.router, built.opts, built.fixed
		}
	}
	v.err = err
}

// loaded waits until the validator is built.
func (v *specValidator) loaded() error {
	<-v.ready
	return v.err
}

func newSpecValidator(doc *openapi3.T) (*specValidator, error) {
	// Route on a copy with a relative server, whatever host the request uses.
	cp := *doc
	cp.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(&cp)
	if err != nil {
		return nil, err
	}
	fixed := map[string]map[string]fixedRoute{}
	for path, item := range cp.Paths.Map() {
		if strings.Contains(path, "{") {
			continue
		}
		for method := range item.Operations() {
			req, err := http.NewRequest(method, path, nil)
			if err != nil {
				continue
			}
			route, params, err := router.FindRoute(req)
			if err != nil || route.Path != path {
				continue // left to the router
			}
			if fixed[path] == nil {
				fixed[path] = map[string]fixedRoute{}
			}
			fixed[path][method] = fixedRoute{route, params}
		}
	}
	return &specValidator{
		router: router,
		opts: &openapi3filter.Options{
			// mockprove checks credentials itself, before validation, as Prove does.
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
		},
		fixed: fixed,
	}, nil
}

// findRoute finds the operation for a request, or nil.
func (v *specValidator) findRoute(r *http.Request) (*routers.Route, map[string]string) {
	if f, ok := v.fixed[r.URL.Path][r.Method]; ok {
		return f.route, f.params
	}
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return nil, nil
	}
	return route, params
}

// fastBodyOf is the operation's fastBody, compiled on first use, or nil.
func (v *specValidator) fastBodyOf(op *openapi3.Operation) *fastBody {
	if fb, ok := v.fast.Load(op); ok {
		return fb.(*fastBody)
	}
	fb, _ := v.fast.LoadOrStore(op, compileFastBody(op))
	return fb.(*fastBody)
}

// validateRequest checks the request, whose body is body, against its
// operation and turns any violation into Prove's 8001 error naming the
// field.
//
// It is openapi3filter.ValidateRequest without the security requirements:
// mockprove authenticates every request itself before validation (the
// requirements were checked with NoopAuthenticationFunc, which accepts all),
// and kin-openapi's security step reads and copies the body once more. A
// JSON body the operation's fastBody accepts is not decoded again by
// kin-openapi: kin-openapi would accept it too (see fastBody); every other
// body is kin-openapi's to accept or refuse, with its own error.
func (v *specValidator) validateRequest(ctx context.Context, r *http.Request, route *routers.Route, params map[string]string, body []byte) *Error {
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: v.opts}
	op := route.Operation
	for _, p := range route.PathItem.Parameters {
		if op.Parameters != nil && op.Parameters.GetByInAndName(p.Value.In, p.Value.Name) != nil {
			continue // the operation overrides it
		}
		if err := openapi3filter.ValidateParameter(ctx, in, p.Value); err != nil {
			return requestErrorToProve(err, route)
		}
	}
	for _, p := range op.Parameters {
		if err := openapi3filter.ValidateParameter(ctx, in, p.Value); err != nil {
			return requestErrorToProve(err, route)
		}
	}
	if op.RequestBody != nil && !v.fastBodyOf(op).accepts(r.Header.Get("Content-Type"), body) {
		if err := openapi3filter.ValidateRequestBody(ctx, in, op.RequestBody.Value); err != nil {
			return requestErrorToProve(err, route)
		}
	}
	return nil
}

// validateResponse checks a response body against the operation (strict mode).
func (v *specValidator) validateResponse(ctx context.Context, r *http.Request, route *routers.Route, params map[string]string, status int, header http.Header, body []byte) error {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: v.opts},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(ctx, in)
}

// requestErrorToProve words a kin-openapi validation error the way Prove
// does: "field 'flowType' is missing".
func requestErrorToProve(err error, route *routers.Route) *Error {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return errMalformed("invalid request: %v", err)
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		if re.Parameter != nil { // a query or path parameter, not the body
			return errMalformed("parameter '%s' is invalid: %s", re.Parameter.Name, se.Reason)
		}
		return errMalformed("%s", schemaErrorMessage(se))
	}
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired) && re.Parameter != nil:
		return errMalformed("parameter '%s' is missing", re.Parameter.Name)
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return errMalformed("request body is missing")
	case strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
		return errMalformed("Content-Type must be %s", expectedContentTypes(route))
	case re.Reason == "failed to decode request body":
		if route != nil && strings.Contains(expectedContentTypes(route), "json") {
			return errMalformed("request body is not valid JSON")
		}
		return errMalformed("request body could not be decoded: %v", re.Err)
	}
	if re.Parameter != nil {
		return errMalformed("parameter '%s' is invalid: %s", re.Parameter.Name, re.Reason)
	}
	return errMalformed("invalid request: %s", re.Reason)
}

func expectedContentTypes(route *routers.Route) string {
	if route == nil || route.Operation == nil || route.Operation.RequestBody == nil || route.Operation.RequestBody.Value == nil {
		return "application/json"
	}
	var types []string
	for ct := range route.Operation.RequestBody.Value.Content {
		types = append(types, ct)
	}
	sort.Strings(types)
	return strings.Join(types, " or ")
}

// schemaErrorMessage turns a schema violation in a request body into one
// sentence naming the field.
func schemaErrorMessage(se *openapi3.SchemaError) string {
	return schemaErrorMessageAt(se, se.JSONPointer(), "request body")
}

// schemaErrorMessageAt words the error for the field at ptr; root names the
// whole document, for errors about the document itself (ptr empty). A
// constraint the document marks as mockprove's own choice (see
// constraintSource) says so, so that nobody takes it for Prove's.
func schemaErrorMessageAt(se *openapi3.SchemaError, ptr []string, root string) string {
	if inner, ok := oneOfBranchError(se); ok {
		return schemaErrorMessageAt(inner, append(slices.Clone(ptr), inner.JSONPointer()...), root)
	}
	msg := schemaErrorSentence(se, ptr, root)
	if hint, ok := schemaHint(se); ok {
		msg += ": " + hint
	}
	if ruleSource(se, ptr) == sourceMockprove {
		msg += ownRuleNote
	}
	return msg
}

// oneOfByExtension on a schema with oneOf names the property that picks the
// branch: a value with the property is read as the branch that declares it,
// a value without it as a branch that does not (the two bodies of
// /v3/verify, told apart by possessionType). kin-openapi reports only that
// no branch matched; this says what is wrong with the intended one.
const oneOfByExtension = "x-mockprove-oneof-by"

// oneOfBranchError is the error of the branch a oneOf value was meant for,
// when the schema names its deciding property (oneOfByExtension).
func oneOfBranchError(se *openapi3.SchemaError) (*openapi3.SchemaError, bool) {
	if se.SchemaField != "oneOf" || se.Schema == nil {
		return nil, false
	}
	key, _ := se.Schema.Extensions[oneOfByExtension].(string)
	var branches openapi3.MultiError
	if key == "" || !errors.As(se.Origin, &branches) || len(branches) != len(se.Schema.OneOf) {
		return nil, false
	}
	obj, _ := se.Value.(map[string]any)
	_, has := obj[key]
	for i, ref := range se.Schema.OneOf {
		if ref.Value == nil {
			continue
		}
		if _, declares := ref.Value.Properties[key]; declares != has {
			continue
		}
		var inner *openapi3.SchemaError
		if errors.As(branches[i], &inner) {
			return inner, true
		}
	}
	return nil, false
}

// hintExtension on a schema tells the caller what to send when a value
// breaks its pattern, e.g. how to cut the challenge's DOB timestamp.
const hintExtension = "x-mockprove-hint"

// Values of the x-mockprove-source extension: who set a request constraint
// (a pattern, a length, an enum, a required field) of an emulated Prove API.
const (
	sourceProveDocs = "prove-docs" // Prove's documentation states it
	sourceProveSDK  = "prove-sdk"  // Prove's SDK models carry it
	sourceMockprove = "mockprove"  // mockprove's own choice, stricter than Prove's documentation
)

// sourceExtension is the schema extension that says who set each constraint
// of the schema. Its value is either one source for every constraint keyword
// of the schema (constraintKeywords), or a map from a keyword (those, and
// "required") to its source. "required" is marked on the property's own
// schema: it says who made the property required in its parent. Types are
// Prove's (its SDK models declare them) and are never marked.
const sourceExtension = "x-mockprove-source"

// constraintKeywords are the keywords a single x-mockprove-source covers.
var constraintKeywords = map[string]bool{"pattern": true, "minLength": true, "maxLength": true,
	"enum": true, "format": true, "additionalProperties": true}

// ownRuleNote ends the message of an 8001 refusal that comes from a
// constraint mockprove chose itself.
const ownRuleNote = " (mockprove's own rule, stricter than Prove's documentation)"

// ruleSource is the source of the constraint a schema error broke, or "" when
// the document does not say.
func ruleSource(se *openapi3.SchemaError, ptr []string) string {
	if se.SchemaField == "required" {
		if se.Schema == nil || len(ptr) == 0 {
			return ""
		}
		prop := se.Schema.Properties[ptr[len(ptr)-1]]
		if prop == nil {
			return ""
		}
		return constraintSource(prop.Value, "required")
	}
	keyword := se.SchemaField
	if keyword == "properties" {
		keyword = "additionalProperties" // kin-openapi reports an unknown field under "properties"
	}
	return constraintSource(se.Schema, keyword)
}

// constraintSource reads the sourceExtension of s for one keyword.
func constraintSource(s *openapi3.Schema, keyword string) string {
	if s == nil {
		return ""
	}
	switch v := s.Extensions[sourceExtension].(type) {
	case string:
		if !constraintKeywords[keyword] {
			return ""
		}
		return v
	case map[string]any:
		src, _ := v[keyword].(string)
		return src
	}
	return ""
}

// schemaErrorSentence is the sentence of schemaErrorMessageAt.
func schemaErrorSentence(se *openapi3.SchemaError, ptr []string, root string) string {
	field := fieldPath(ptr)
	s := se.Schema
	if field == "" {
		// The document itself: there is no field to name.
		switch se.SchemaField {
		case "type", "nullable":
			return fmt.Sprintf("%s must be %s", root, article(firstType(s, "object")))
		}
	}
	switch se.SchemaField {
	case "required":
		return fmt.Sprintf("field '%s' is missing", field)
	case "properties", "additionalProperties":
		if name, ok := unsupportedProperty(se.Reason); ok {
			return fmt.Sprintf("field '%s' is not allowed", joinField(field, name))
		}
	case "nullable":
		return fmt.Sprintf("field '%s' must be %s, not null", field, article(firstType(s, "value")))
	case "type":
		if s != nil && s.Type != nil && len(s.Type.Slice()) > 0 {
			return fmt.Sprintf("field '%s' must be %s", field, article(s.Type.Slice()[0]))
		}
	case "enum":
		if s != nil {
			vals := make([]string, 0, len(s.Enum))
			for _, v := range s.Enum {
				vals = append(vals, fmt.Sprint(v))
			}
			return fmt.Sprintf("field '%s' must be one of: %s", field, strings.Join(vals, ", "))
		}
	case "maxLength":
		if s != nil && s.MaxLength != nil {
			return fmt.Sprintf("field '%s' must be at most %d characters", field, *s.MaxLength)
		}
	case "minLength":
		if s != nil && s.MinLength <= 1 {
			return fmt.Sprintf("field '%s' must not be empty", field)
		}
		if s != nil {
			return fmt.Sprintf("field '%s' must be at least %d characters", field, s.MinLength)
		}
	case "pattern", "format":
		return fmt.Sprintf("field '%s' has an invalid format", field)
	}
	if field == "" {
		return root + " is invalid: " + se.Reason
	}
	return fmt.Sprintf("field '%s' is invalid: %s", field, se.Reason)
}

// fieldPath renders a JSON pointer as individual.addresses[0].postalCode.
func fieldPath(ptr []string) string {
	var b strings.Builder
	for _, p := range ptr {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func unsupportedProperty(reason string) (string, bool) {
	const pre, post = "property ", " is unsupported"
	if !strings.HasPrefix(reason, pre) || !strings.HasSuffix(reason, post) {
		return "", false
	}
	name, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(reason, pre), post))
	return name, err == nil
}

// firstType is the first type a schema allows, or def.
func firstType(s *openapi3.Schema, def string) string {
	if s != nil && s.Type != nil && len(s.Type.Slice()) > 0 {
		return s.Type.Slice()[0]
	}
	return def
}

// article puts "a" or "an" before a word: "an integer", "a prefill".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// schemaHint is the hintExtension of a schema whose pattern a value broke.
func schemaHint(se *openapi3.SchemaError) (string, bool) {
	if se.Schema == nil || se.SchemaField != "pattern" {
		return "", false
	}
	hint, ok := se.Schema.Extensions[hintExtension].(string)
	return hint, ok
}

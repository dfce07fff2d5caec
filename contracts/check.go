package contracts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mockprove/mockprove/specs"
)

// CheckerOptions configure a Checker.
type CheckerOptions struct {
	// Specs names the embedded documents to check against (specs.ProveV3,
	// specs.Device, specs.Control, specs.Flowapp); default specs.ProveV3
	// and specs.Device.
	Specs []string
	// NoAuth skips the security requirements (a missing
	// "Authorization: Bearer" header is then not a violation).
	NoAuth bool
}

// Checker validates one exchange (a request and its response, bodies
// included) against OpenAPI documents and turns every problem into a
// one-line Violation: what the request got wrong is the client's fault
// (SideClient), what the response got wrong the platform's (SidePlatform).
// A Checker is stateless and safe for concurrent use; the rules that need
// the history of a flow are Flows'.
type Checker struct {
	docs []docRouter
	opts *openapi3filter.Options
}

type docRouter struct {
	name   string
	doc    *openapi3.T
	router routers.Router
}

// NewChecker loads the documents named in opts.
func NewChecker(opts CheckerOptions) (*Checker, error) {
	names := opts.Specs
	if len(names) == 0 {
		names = []string{specs.ProveV3, specs.Device}
	}
	c := &Checker{opts: &openapi3filter.Options{
		MultiError:            true,
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
		AuthenticationFunc:    bearerPresent,
	}}
	if opts.NoAuth {
		c.opts.AuthenticationFunc = openapi3filter.NoopAuthenticationFunc
	}
	for _, n := range names {
		doc, err := specs.Load(n)
		if err != nil {
			return nil, err
		}
		cp := *doc
		cp.Servers = openapi3.Servers{{URL: "/"}}
		r, err := gorillamux.NewRouter(&cp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		c.docs = append(c.docs, docRouter{name: n, doc: &cp, router: r})
	}
	return c, nil
}

// bearerPresent is the security check of the kit: the documents' schemes
// are all bearer tokens (OAuth access token, per-flow authToken), and what
// an integration can get wrong is leaving the header out or malformed.
// Whether the token is valid is the platform's to say.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return errMissingBearer
	}
	return nil
}

var errMissingBearer = errors.New("missing bearer token")

// Route is the operation a request calls, when a document describes it.
type Route struct {
	Spec        string // the document's name, e.g. specs.ProveV3
	OperationID string // e.g. "V3StartRequest"
	Operation   string // method and path template, e.g. "POST /v3/start", "GET /v1/link/{token}"

	route  *routers.Route
	params map[string]string
}

// Find returns the operation req calls, or nil when no document describes
// it. req may be a client request (absolute URL) or a server one.
func (c *Checker) Find(req *http.Request) *Route {
	probe := routable(req)
	for _, d := range c.docs {
		route, params, err := d.router.FindRoute(probe)
		if err != nil {
			continue
		}
		r := &Route{Spec: d.name, Operation: req.Method + " " + route.Path, route: route, params: params}
		if route.Operation != nil {
			r.OperationID = route.Operation.OperationID
		}
		return r
	}
	return nil
}

// routable is req with an absolute URL (the routers match scheme and host
// against the documents' relative server "/").
func routable(req *http.Request) *http.Request {
	if req.URL.Host != "" && req.URL.Scheme != "" {
		return req
	}
	cp := req.Clone(context.Background())
	u := *req.URL
	u.Scheme = "http"
	u.Host = req.Host
	if u.Host == "" {
		u.Host = "localhost"
	}
	cp.URL = &u
	return cp
}

// Check validates the request and, when resp is not nil, the response.
// reqBody and respBody are the bodies' bytes (req.Body and resp.Body are
// not read). Exchanges no document describes give no violation.
func (c *Checker) Check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) (vs []Violation) {
	defer guard(req, &vs)
	r := c.Find(req)
	if r == nil {
		return nil
	}
	out := c.checkRequest(r, req, reqBody)
	if resp != nil {
		out = append(out, c.checkResponse(r, req, reqBody, resp, respBody)...)
	}
	return out
}

// CheckRequest validates a request only: the client's side.
func (c *Checker) CheckRequest(req *http.Request, body []byte) (vs []Violation) {
	defer guard(req, &vs)
	r := c.Find(req)
	if r == nil {
		return nil
	}
	return c.checkRequest(r, req, body)
}

// CheckResponse validates a response only: the platform's side.
func (c *Checker) CheckResponse(req *http.Request, reqBody []byte, resp *http.Response, body []byte) (vs []Violation) {
	defer guard(req, &vs)
	r := c.Find(req)
	if r == nil {
		return nil
	}
	return c.checkResponse(r, req, reqBody, resp, body)
}

// checkExchange checks both sides of an exchange whose route is known.
func (c *Checker) checkExchange(r *Route, ex Exchange) (vs []Violation) {
	defer guard(ex.Request, &vs)
	vs = c.checkRequest(r, ex.Request, ex.RequestBody)
	if ex.Response != nil {
		vs = append(vs, c.checkResponse(r, ex.Request, ex.RequestBody, ex.Response, ex.ResponseBody)...)
	}
	return vs
}

// guard turns a panic of the validator (on input nobody foresaw) into a
// violation, so that a check never takes a proxy down.
func guard(req *http.Request, vs *[]Violation) {
	if p := recover(); p != nil {
		*vs = append(*vs, Violation{Side: SideClient, Operation: req.Method + " " + req.URL.Path, Where: "exchange",
			Rule: "checker.internal", Expected: "an exchange the checker can read", Got: fmt.Sprintf("checker panic: %v", p)})
	}
}

func (c *Checker) input(r *Route, req *http.Request, body []byte) *openapi3filter.RequestValidationInput {
	check := routable(req).Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(body))
	check.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	check.ContentLength = int64(len(body))
	return &openapi3filter.RequestValidationInput{Request: check, PathParams: r.params, Route: r.route, Options: c.opts}
}

func (c *Checker) checkRequest(r *Route, req *http.Request, body []byte) []Violation {
	err := openapi3filter.ValidateRequest(context.Background(), c.input(r, req, body))
	if err == nil {
		return nil
	}
	return explain(SideClient, r, body, err)
}

func (c *Checker) checkResponse(r *Route, req *http.Request, reqBody []byte, resp *http.Response, body []byte) []Violation {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: c.input(r, req, reqBody),
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                c.opts,
	}
	in.SetBodyBytes(body)
	err := openapi3filter.ValidateResponse(context.Background(), in)
	if err == nil {
		return nil
	}
	vs := explain(SidePlatform, r, body, err)
	for i := range vs {
		switch {
		case vs[i].Where == "status":
			vs[i].Expected = documentedStatuses(r.route.Operation)
			vs[i].Got = strconv.Itoa(resp.StatusCode)
		case vs[i].Rule == "body.content-type":
			if ref := r.route.Operation.Responses.Status(resp.StatusCode); ref != nil && ref.Value != nil {
				vs[i].Expected = mediaTypes(ref.Value.Content)
			} else if ref := r.route.Operation.Responses.Default(); ref != nil && ref.Value != nil {
				vs[i].Expected = mediaTypes(ref.Value.Content)
			}
		case vs[i].Rule == "header.invalid":
			vs[i].Got = strconv.Quote(resp.Header.Get(strings.TrimPrefix(vs[i].Where, "response header ")))
		}
	}
	return vs
}

// explain turns a kin-openapi error into one violation per problem, each
// naming where it is and never quoting a schema.
func explain(side Side, r *Route, body []byte, err error) []Violation {
	base := Violation{Side: side, Operation: r.Operation}
	part := "request"
	if side == SidePlatform {
		part = "response"
	}
	var out []Violation
	var walk func(err error, where string)
	walk = func(err error, where string) {
		if err == nil {
			return
		}
		var (
			me   openapi3.MultiError
			se   *openapi3.SchemaError
			reqE *openapi3filter.RequestError
			resE *openapi3filter.ResponseError
			secE *openapi3filter.SecurityRequirementsError
			pe   *openapi3filter.ParseError
		)
		// A body that matches no branch of a oneOf: only the errors of the
		// branch it was meant for.
		inner := err
		switch e := err.(type) {
		case *openapi3filter.ResponseError:
			inner, where = e.Err, "response body"
		case *openapi3filter.RequestError:
			inner, where = e.Err, "request body"
		}
		if one, ok := inner.(*openapi3.SchemaError); ok {
			if branch, ok := oneOfBranch(one); ok {
				if p := one.JSONPointer(); len(p) > 0 {
					where += " " + strings.Join(p, ".")
				}
				walk(branch, where)
				return
			}
		}
		switch {
		case errors.As(err, &me):
			for _, e := range me {
				walk(e, where)
			}
		case errors.As(err, &secE):
			v := base
			v.Where, v.Rule = "request header Authorization", "auth.bearer"
			v.Expected, v.Got = "Authorization: Bearer <token>", "no bearer token"
			out = append(out, v)
		case errors.As(err, &reqE) && reqE.Parameter != nil:
			v := base
			v.Where = fmt.Sprintf("request %s %s", reqE.Parameter.In, reqE.Parameter.Name)
			switch {
			case errors.Is(reqE.Err, openapi3filter.ErrInvalidRequired):
				v.Rule, v.Expected, v.Got = "parameter.required", "the parameter", "nothing"
			case errors.As(reqE.Err, &se):
				out = append(out, schemaViolation(base, v.Where, se))
				return
			default:
				v.Rule, v.Expected, v.Got = "parameter.invalid", "a valid value", reqE.Reason
			}
			out = append(out, v)
		case errors.As(err, &reqE) && (reqE.Err == nil || (!errors.As(reqE.Err, &se) && !errors.As(reqE.Err, &me))):
			v := base
			v.Where = "request body"
			switch {
			case errors.Is(reqE.Err, openapi3filter.ErrInvalidRequired):
				v.Rule, v.Expected, v.Got = "body.required", "a body", "nothing"
			case errors.As(reqE.Err, &pe) || strings.Contains(reqE.Reason, "decode"):
				v.Rule, v.Expected, v.Got = "body.json", "valid JSON", snippet(body)
			case strings.Contains(reqE.Reason, "Content-Type") || strings.Contains(reqE.Reason, "content type"):
				v.Where, v.Rule = "request header Content-Type", "body.content-type"
				v.Expected, v.Got = "a documented media type", lastQuoted(reqE.Reason)
				if reqE.RequestBody != nil {
					v.Expected = mediaTypes(reqE.RequestBody.Content)
				}
			default:
				v.Rule, v.Expected, v.Got = "body.invalid", "a valid body", reqE.Reason
			}
			out = append(out, v)
		case errors.As(err, &reqE):
			walk(reqE.Err, "request body")
		case errors.As(err, &resE):
			switch {
			case resE.Reason == "status is not supported":
				v := base
				v.Where, v.Rule = "status", "status.documented"
				out = append(out, v)
			case strings.Contains(resE.Reason, `header "`):
				v := base
				name := headerName(resE.Reason)
				v.Where = "response header " + name
				switch {
				case strings.HasSuffix(resE.Reason, "missing"):
					v.Rule, v.Expected, v.Got = "header.required", "the header "+name, "nothing"
				case errors.As(resE.Err, &se):
					out = append(out, schemaViolation(base, v.Where, se))
					return
				default:
					v.Rule, v.Expected, v.Got = "header.invalid", "a valid "+name, resE.Reason
				}
				out = append(out, v)
			case strings.Contains(resE.Reason, "header Content-Type"):
				v := base
				v.Where, v.Rule = "response header Content-Type", "body.content-type"
				v.Expected, v.Got = "a documented media type", lastQuoted(resE.Reason)
				out = append(out, v)
			case strings.Contains(resE.Reason, "decode"):
				v := base
				v.Where, v.Rule, v.Expected, v.Got = "response body", "body.json", "valid JSON", snippet(body)
				out = append(out, v)
			case resE.Err != nil && (errors.As(resE.Err, &se) || errors.As(resE.Err, &me)):
				walk(resE.Err, "response body")
			default:
				v := base
				v.Where, v.Rule, v.Expected, v.Got = part, "response.invalid", "a documented response", resE.Reason
				out = append(out, v)
			}
		case errors.As(err, &se):
			out = append(out, schemaViolation(base, where, se))
		default:
			v := base
			v.Where, v.Rule, v.Expected, v.Got = part, "invalid", "a valid "+part, firstLine(err.Error())
			out = append(out, v)
		}
	}
	walk(err, part+" body")
	sort.SliceStable(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out
}

// oneOfByExtension on a schema with oneOf names the property that picks
// the branch (specs/prove-v3.yaml: possessionType for the two bodies of
// /v3/verify): a value with the property is read as the branch that
// declares it, a value without it as a branch that does not.
const oneOfByExtension = "x-mockprove-oneof-by"

// oneOfBranch is the error of the oneOf branch a value was meant for, so
// that a violation names what is wrong with it rather than every branch:
// the branch oneOfByExtension picks, else the one with the fewest errors.
func oneOfBranch(se *openapi3.SchemaError) (error, bool) {
	var branches openapi3.MultiError
	if se.SchemaField != "oneOf" || se.Schema == nil || !errors.As(se.Origin, &branches) || len(branches) != len(se.Schema.OneOf) {
		return nil, false
	}
	if key, _ := se.Schema.Extensions[oneOfByExtension].(string); key != "" {
		obj, _ := se.Value.(map[string]any)
		_, has := obj[key]
		for i, ref := range se.Schema.OneOf {
			if ref.Value == nil {
				continue
			}
			if _, declares := ref.Value.Properties[key]; declares == has {
				return branches[i], true
			}
		}
	}
	best := -1
	for i, b := range branches {
		if best < 0 || leafErrors(b) < leafErrors(branches[best]) {
			best = i
		}
	}
	return branches[best], best >= 0
}

// leafErrors counts the errors in err (a MultiError holds several).
func leafErrors(err error) int {
	var me openapi3.MultiError
	if !errors.As(err, &me) {
		return 1
	}
	n := 0
	for _, e := range me {
		n += leafErrors(e)
	}
	return n
}

// schemaViolation is one schema problem: where is "request body", and the
// JSON path of the value is added to it.
func schemaViolation(base Violation, where string, se *openapi3.SchemaError) Violation {
	v := base
	path := se.JSONPointer()
	field := ""
	if len(path) > 0 {
		field = path[len(path)-1]
	}
	v.Rule = "schema." + se.SchemaField
	v.Got = valueString(field, se.Value)
	s := se.Schema
	switch se.SchemaField {
	case "required":
		v.Expected, v.Got = "field "+field, "nothing"
	case "additionalProperties", "properties":
		if !strings.HasSuffix(se.Reason, "is unsupported") {
			v.Expected = se.Reason
			break
		}
		name := quoted(se.Reason)
		path = append(path, name)
		v.Rule = "schema.unknown-field"
		v.Expected = "no field " + name
		if s != nil && len(s.Properties) > 0 {
			v.Expected += " (known: " + strings.Join(sortedKeys(s.Properties), ", ") + ")"
		}
		v.Got = "field " + name
	case "type":
		if s != nil && s.Type != nil {
			v.Expected = strings.Join(s.Type.Slice(), " or ")
		}
		v.Got = jsonType(se.Value) + " " + v.Got
	case "pattern":
		v.Expected = "a string matching " + s.Pattern
	case "enum":
		// A value of another type than the enum's (a boolean true where the
		// enum is the strings "true" and "false") is shown with its type.
		sameType := false
		for _, e := range s.Enum {
			sameType = sameType || jsonType(e) == jsonType(se.Value)
		}
		var vals []string
		for _, e := range s.Enum {
			if sameType {
				vals = append(vals, fmt.Sprint(e))
			} else {
				vals = append(vals, short(e))
			}
		}
		v.Expected = "one of " + strings.Join(vals, ", ")
		if !sameType && len(s.Enum) > 0 {
			v.Expected = "a " + jsonType(s.Enum[0]) + ", " + v.Expected
			v.Got = jsonType(se.Value) + " " + v.Got
		}
	case "maxLength":
		v.Expected = fmt.Sprintf("at most %d characters", *s.MaxLength)
	case "minLength":
		v.Expected = fmt.Sprintf("at least %d characters", s.MinLength)
	case "maximum":
		v.Expected = fmt.Sprintf("at most %v", *s.Max)
	case "minimum":
		v.Expected = fmt.Sprintf("at least %v", *s.Min)
	case "format":
		v.Expected = "format " + s.Format
	case "nullable":
		v.Expected = "a value, not null"
	default:
		v.Expected = se.Reason
	}
	if len(path) > 0 {
		where += " " + strings.Join(path, ".")
	}
	v.Where = where
	return v
}

// quoted is the first double-quoted word of s ("property \"x\" is missing").
func quoted(s string) string {
	_, rest, ok := strings.Cut(s, `"`)
	if !ok {
		return s
	}
	name, _, _ := strings.Cut(rest, `"`)
	return name
}

// lastQuoted is the last double-quoted string of s, quotes included.
func lastQuoted(s string) string {
	j := strings.LastIndex(s, `"`)
	if j <= 0 {
		return s
	}
	i := strings.LastIndex(s[:j], `"`)
	if i < 0 {
		return s
	}
	return s[i : j+1]
}

// mediaTypes lists the media types of a content map.
func mediaTypes(c openapi3.Content) string {
	if len(c) == 0 {
		return "no body"
	}
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, " or ")
}

// headerName is the header a kin-openapi reason names.
func headerName(reason string) string {
	if n := quoted(reason); n != reason {
		return n
	}
	return "?"
}

func sortedKeys(m openapi3.Schemas) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, json.Number, int, int64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// sensitive fields are masked in messages (digits become #), so that a
// report never carries an SSN or a date of birth but still shows its shape.
var sensitive = map[string]bool{"ssn": true, "dob": true}

// valueString is a short JSON rendering of a value.
func valueString(field string, v any) string {
	if s, ok := v.(string); ok && sensitive[field] {
		v = maskDigits(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func maskDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '#'
		}
		return r
	}, s)
}

// snippet is the start of a body, for messages.
func snippet(b []byte) string {
	if len(b) == 0 {
		return "an empty body"
	}
	const max = 60
	s := string(b)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// documentedStatuses lists the statuses an operation documents.
func documentedStatuses(op *openapi3.Operation) string {
	if op == nil || op.Responses == nil {
		return "a documented status"
	}
	var codes []string
	for code := range op.Responses.Map() {
		if code != "default" {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	return "one of " + strings.Join(codes, ", ")
}

// formValues parses an application/x-www-form-urlencoded body.
func formValues(body []byte) url.Values {
	v, _ := url.ParseQuery(string(body))
	return v
}

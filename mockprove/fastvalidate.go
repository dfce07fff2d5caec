package mockprove

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// A fastBody accepts, without allocating, the JSON request bodies that
// kin-openapi would certainly accept for one operation, and says "don't
// know" for every other body. It is compiled once per operation from the
// operation's schema in specs/ (the documents stay the source of truth), and
// models only a small part of JSON Schema: objects (properties, required,
// additionalProperties), strings (enum, pattern, minLength, maxLength),
// booleans and arrays (items, minItems, maxItems). A schema with any other
// keyword (format, nullable, oneOf, readOnly, numbers, ...) is a node that
// never accepts, and so is every value the scanner does not model: null, a
// number under a schema, a string with a backslash escape or a control
// character, a duplicate key.
//
// When it does not accept, the request goes through kin-openapi's
// validation as before, which decides and words the error: a fastBody can
// make validation faster, never different (the differential test and
// FuzzFastBody check "fast accepts ⇒ kin-openapi accepts" on the same
// inputs).
type fastBody struct {
	content openapi3.Content    // the operation's request body content
	media   *openapi3.MediaType // its application/json entry
	root    *fastNode
}

type fastKind uint8

const (
	fastNever fastKind = iota // a schema the scanner does not model: never accept
	fastAny                   // a schema with no keyword: any JSON value but null
	fastObject
	fastString
	fastBool
	fastArray
)

// maxFastProps bounds the properties of a modelled object (a bit mask
// tracks which were seen).
const maxFastProps = 64

type fastNode struct {
	kind fastKind

	// fastObject
	names    []string    // declared properties, in schema order
	props    []*fastNode // their schemas
	required uint64      // bit i: names[i] is required
	closed   bool        // additionalProperties: false

	// fastString
	enum    []string
	pattern *regexp.Regexp
	minLen  int
	maxLen  int // -1: none

	// fastArray
	items    *fastNode
	minItems int
	maxItems int // -1: none
}

// patRewriteCodepoints and goPattern turn a schema pattern into Go syntax
// exactly as kin-openapi does (openapi3.intoGoRegexp), so that both match
// the same strings.
var patRewriteCodepoints = regexp.MustCompile(`(?P<replaced_with_slash_x>\\u)(?P<code>[0-9A-F]{4})`)

func goPattern(re string) string {
	return patRewriteCodepoints.ReplaceAllString(re, `\x{${code}}`)
}

// compileFastBody compiles the application/json body of an operation, or
// returns nil when the operation has no such body.
func compileFastBody(op *openapi3.Operation) *fastBody {
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	media := op.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil || len(media.Encoding) > 0 {
		return nil
	}
	root := compileFastNode(media.Schema.Value, map[*openapi3.Schema]bool{})
	if root.kind == fastNever {
		return nil
	}
	return &fastBody{content: op.RequestBody.Value.Content, media: media, root: root}
}

var never = &fastNode{kind: fastNever}

// compileFastNode compiles one schema; visiting holds the schemas being
// compiled above it (a recursive schema is not modelled).
func compileFastNode(s *openapi3.Schema, visiting map[*openapi3.Schema]bool) *fastNode {
	if s == nil || visiting[s] || !onlyModelledKeywords(s) {
		return never
	}
	visiting[s] = true
	defer delete(visiting, s)
	types := []string(nil)
	if s.Type != nil {
		types = s.Type.Slice()
	}
	if len(types) == 0 {
		if len(s.Enum) > 0 || s.Pattern != "" || s.MinLength != 0 || s.MaxLength != nil || len(s.Properties) > 0 ||
			len(s.Required) > 0 || s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil ||
			s.Items != nil || s.MinItems != 0 || s.MaxItems != nil {
			return never // keywords without a type: left to kin-openapi
		}
		return &fastNode{kind: fastAny}
	}
	if len(types) != 1 {
		return never
	}
	n := &fastNode{maxLen: -1, maxItems: -1}
	switch types[0] {
	case openapi3.TypeObject:
		if len(s.Properties) > maxFastProps || s.AdditionalProperties.Schema != nil {
			return never
		}
		n.kind = fastObject
		n.closed = s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
		for _, name := range componentOrder(s.Properties) {
			ref := s.Properties[name]
			if ref == nil || ref.Value == nil {
				return never
			}
			n.names = append(n.names, name)
			n.props = append(n.props, compileFastNode(ref.Value, visiting))
		}
		for _, r := range s.Required {
			i := slices.Index(n.names, r)
			if i < 0 {
				return never // required but not declared: left to kin-openapi
			}
			n.required |= 1 << i
		}
	case openapi3.TypeString:
		n.kind = fastString
		for _, e := range s.Enum {
			v, ok := e.(string)
			if !ok {
				return never
			}
			n.enum = append(n.enum, v)
		}
		if s.Pattern != "" {
			re, err := regexp.Compile(goPattern(s.Pattern))
			if err != nil {
				return never
			}
			n.pattern = re
		}
		n.minLen = int(s.MinLength)
		if s.MaxLength != nil {
			n.maxLen = int(*s.MaxLength)
		}
	case openapi3.TypeBoolean:
		if len(s.Enum) > 0 {
			return never
		}
		n.kind = fastBool
	case openapi3.TypeArray:
		if s.Items == nil || s.Items.Value == nil {
			return never
		}
		n.kind = fastArray
		n.items = compileFastNode(s.Items.Value, visiting)
		n.minItems = int(s.MinItems)
		if s.MaxItems != nil {
			n.maxItems = int(*s.MaxItems)
		}
	default:
		return never
	}
	// Keywords of another type than the schema's: left to kin-openapi.
	if n.kind != fastString && (len(s.Enum) > 0 || s.Pattern != "" || s.MinLength != 0 || s.MaxLength != nil) {
		return never
	}
	if n.kind != fastObject && (len(s.Properties) > 0 || len(s.Required) > 0 || s.AdditionalProperties.Has != nil) {
		return never
	}
	if n.kind != fastArray && (s.Items != nil || s.MinItems != 0 || s.MaxItems != nil) {
		return never
	}
	return n
}

// onlyModelledKeywords reports whether a schema uses no keyword beyond the
// ones compileFastNode models and the annotations (description, title,
// example, deprecated, extensions): the schema with those cleared must
// marshal to {}.
func onlyModelledKeywords(s *openapi3.Schema) bool {
	c := *s
	c.Type, c.Enum, c.Pattern, c.MinLength, c.MaxLength = nil, nil, "", 0, nil
	c.Properties, c.Required, c.AdditionalProperties = nil, nil, openapi3.AdditionalProperties{}
	c.Items, c.MinItems, c.MaxItems = nil, 0, nil
	c.Description, c.Title, c.Example, c.Deprecated, c.Extensions = "", "", nil, false, nil
	c.Origin = nil
	b, err := json.Marshal(&c)
	return err == nil && string(b) == "{}"
}

// componentOrder is the property names, sorted (any fixed order will do).
func componentOrder(m openapi3.Schemas) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// accepts reports whether kin-openapi would certainly accept body with
// this Content-Type for the operation: false means "ask kin-openapi".
func (fb *fastBody) accepts(contentType string, body []byte) bool {
	if fb == nil || len(body) == 0 {
		return false
	}
	base, _, _ := strings.Cut(contentType, ";")
	if !strings.EqualFold(strings.TrimSpace(base), "application/json") || fb.content.Get(contentType) != fb.media {
		return false // another media type than the one compiled: kin-openapi's
	}
	if !json.Valid(body) {
		return false
	}
	p := fastScanner{b: body}
	p.ws()
	if !p.value(fb.root) {
		return false
	}
	p.ws()
	return p.i == len(p.b)
}

// fastScanner walks a document already known to be valid JSON.
type fastScanner struct {
	b []byte
	i int
}

func (p *fastScanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value checks the value at p.i against n and moves past it.
func (p *fastScanner) value(n *fastNode) bool {
	if p.i >= len(p.b) || n.kind == fastNever {
		return false
	}
	c := p.b[p.i]
	if c == 'n' { // null: nullable and its friends are kin-openapi's
		return false
	}
	switch n.kind {
	case fastAny:
		return p.skip()
	case fastObject:
		return c == '{' && p.object(n)
	case fastString:
		if c != '"' {
			return false
		}
		s, ok := p.str()
		return ok && n.stringOK(s)
	case fastBool:
		switch {
		case c == 't' && p.i+4 <= len(p.b):
			p.i += 4
			return true
		case c == 'f' && p.i+5 <= len(p.b):
			p.i += 5
			return true
		}
		return false
	case fastArray:
		return c == '[' && p.array(n)
	}
	return false
}

func (p *fastScanner) object(n *fastNode) bool {
	p.i++ // {
	var seen uint64
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return n.required == 0
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false
		}
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		p.ws()
		k := -1
		for j, name := range n.names {
			if name == string(key) {
				k = j
				break
			}
		}
		switch {
		case k >= 0:
			if seen&(1<<k) != 0 {
				return false // a duplicate key: kin-openapi's decoder decides
			}
			seen |= 1 << k
			if !p.value(n.props[k]) {
				return false
			}
		case n.closed:
			return false
		default:
			if !p.skipAdditional() {
				return false
			}
		}
		p.ws()
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return seen&n.required == n.required
		default:
			return false
		}
	}
}

// skipAdditional moves past the value of an undeclared property of an open
// object: kin-openapi does not look at it, but a null is still left to it.
func (p *fastScanner) skipAdditional() bool {
	if p.b[p.i] == 'n' {
		return false
	}
	return p.skip()
}

func (p *fastScanner) array(n *fastNode) bool {
	p.i++ // [
	count := 0
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return count >= n.minItems
	}
	for {
		p.ws()
		if !p.value(n.items) {
			return false
		}
		count++
		p.ws()
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return count >= n.minItems && (n.maxItems < 0 || count <= n.maxItems)
		default:
			return false
		}
	}
}

// str reads a string without escapes or control characters and returns its
// content; a string with either is not modelled (false).
func (p *fastScanner) str() ([]byte, bool) {
	p.i++ // "
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// skip moves past any JSON value (the document is valid JSON) that holds no
// null anywhere.
func (p *fastScanner) skip() bool {
	switch c := p.b[p.i]; {
	case c == '"':
		_, ok := p.str()
		return ok
	case c == '{', c == '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '{', '[':
				depth++
				p.i++
			case '}', ']':
				depth--
				p.i++
				if depth == 0 {
					return true
				}
			case '"':
				if _, ok := p.str(); !ok {
					return false
				}
			case 'n':
				return false
			default:
				p.i++
			}
		}
		return false
	case c == 't':
		p.i += 4
		return true
	case c == 'f':
		p.i += 5
		return true
	case c == 'n':
		return false
	default: // a number
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
			p.i++
		}
		return true
	}
}

// stringOK checks a string's content (no escapes: the bytes are the value).
func (n *fastNode) stringOK(s []byte) bool {
	if !utf8.Valid(s) {
		return false
	}
	if n.minLen != 0 || n.maxLen >= 0 {
		// kin-openapi counts UTF-16 code units over the decoded runes, where
		// a rune from valid UTF-8 is never a surrogate: one per rune.
		l := utf8.RuneCount(s)
		if l < n.minLen || (n.maxLen >= 0 && l > n.maxLen) {
			return false
		}
	}
	if len(n.enum) > 0 {
		found := false
		for _, e := range n.enum {
			if e == string(s) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if n.pattern != nil && !n.pattern.Match(s) {
		return false
	}
	return true
}

// decodeStart fills req from a /v3/start body exactly as json.Unmarshal
// does, without reflection, for the ordinary body: one object whose keys
// are startRequest's own JSON names, with plain ASCII string values
// (allowOTPRetry: true or false). It returns false, having changed
// nothing the caller keeps, for any other body: the caller then uses
// json.Unmarshal (c.decode). A differential test and FuzzDecodeStart
// compare both.
func decodeStart(body []byte, req *startRequest) bool {
	if !json.Valid(body) {
		return false
	}
	var out startRequest
	p := fastScanner{b: body}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return false
	}
	p.i++
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
	} else {
		for {
			p.ws()
			key, ok := p.str() // the document is valid JSON: a key comes next
			if !ok {
				return false
			}
			p.ws()
			p.i++ // ':'
			p.ws()
			if string(key) == "allowOTPRetry" {
				switch p.b[p.i] {
				case 't':
					out.AllowOTPRetry = true
					p.i += 4
				case 'f':
					out.AllowOTPRetry = false
					p.i += 5
				default:
					return false
				}
			} else {
				var dst *string
				switch string(key) {
				case "flowType":
					dst = &out.FlowType
				case "phoneNumber":
					dst = &out.PhoneNumber
				case "finalTargetUrl":
					dst = &out.FinalTargetURL
				case "ssn":
					dst = &out.SSN
				case "dob":
					dst = &out.DOB
				case "emailAddress":
					dst = &out.EmailAddress
				case "ipAddress":
					dst = &out.IPAddress
				case "smsMessage":
					dst = &out.SMSMessage
				default:
					return false // json.Unmarshal matches keys without regard to case
				}
				if p.b[p.i] != '"' {
					return false
				}
				v, ok := p.str()
				if !ok || !ascii(v) {
					return false
				}
				*dst = string(v)
			}
			p.ws()
			if p.b[p.i] == '}' {
				p.i++
				break
			}
			p.i++ // ','
		}
	}
	p.ws()
	if p.i != len(p.b) {
		return false
	}
	*req = out
	return true
}

// ascii reports whether b holds only ASCII bytes.
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

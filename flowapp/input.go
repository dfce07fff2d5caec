package flowapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// decodeJSON reads a JSON object of at most MaxBodyBytes into v, refusing
// unknown fields and any Content-Type but application/json. With optional,
// an empty body (still sent as application/json) is the same as {}.
func decodeJSON(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return badRequest("The request body could not be read.")
	}
	if len(body) > MaxBodyBytes {
		return badRequest("The request body must be at most %d KB.", MaxBodyBytes>>10)
	}
	// Checked first, empty body or not: a JSON content type keeps other
	// sites' plain HTML forms and no-cors fetches out (they cannot send one
	// without a CORS preflight, which flowapp never grants).
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return badRequest("The Content-Type must be application/json.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return badRequest("The request body is missing: send a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("The request body must hold one JSON object and nothing after it.")
	}
	// encoding/json matches keys case-insensitively and does not say where
	// an unknown key is: check the keys exactly first.
	if key := unknownKey(generic, reflect.TypeOf(v), ""); key != "" {
		return badRequest("field '%s' is not allowed.", key)
	}
	dec = json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// unknownKey returns the dotted path of the first key of the decoded JSON
// value v (in sorted order) that the struct type t does not declare as a
// json tag, or "".
func unknownKey(v any, t reflect.Type, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	obj, ok := v.(map[string]any)
	if !ok || t.Kind() != reflect.Struct {
		return ""
	}
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ft, ok := fields[k]
		if !ok {
			return prefix + k
		}
		if bad := unknownKey(obj[k], ft, prefix+k+"."); bad != "" {
			return bad
		}
	}
	return ""
}

// jsonError turns a decoding error into a message naming the field.
func jsonError(err error) error {
	var (
		te *json.UnmarshalTypeError
		se *json.SyntaxError
	)
	switch {
	case errors.As(err, &te) && te.Field != "":
		return badRequest("field '%s' must be a %s.", te.Field, jsonType(te.Type.Kind().String()))
	case errors.As(err, &te):
		return badRequest("The request body must be a JSON object.")
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The request body is not valid JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("field '%s' is not allowed.", field)
	}
	return badRequest("The request body is not valid JSON.")
}

func jsonType(kind string) string {
	switch kind {
	case "struct", "map":
		return "JSON object"
	case "slice", "array":
		return "JSON array"
	case "bool":
		return "boolean"
	}
	return kind
}

var errForbidden = &apiError{Status: http.StatusForbidden, Code: codeForbidden,
	Message: "This request must come from this site's own page."}

// checkSameOrigin refuses a request that changes state (anything but GET and
// HEAD) when the browser says it comes from another site: a Sec-Fetch-Site
// other than same-origin, or an Origin that is neither this host nor the
// public URL. Requests without these headers (not from a browser) pass: the
// session cookie (SameSite=Lax) and the JSON content type guard them.
func (a *App) checkSameOrigin(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return errForbidden
	}
	if origin := r.Header.Get("Origin"); origin != "" && !a.sameOrigin(origin, r) {
		return errForbidden
	}
	return nil
}

// sameOrigin reports whether an Origin header names this app: the public
// URL's origin, or the host the request was sent to.
func (a *App) sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if a.publicOrigin != "" && strings.EqualFold(u.Scheme+"://"+u.Host, a.publicOrigin) {
		return true
	}
	return strings.EqualFold(u.Host, r.Host)
}

var (
	rePhone = regexp.MustCompile(`^\+?[0-9]{10,15}$`)
	reSSN   = regexp.MustCompile(`^([0-9]{4}|[0-9]{9})$`)
	// reMaskedSSN is the SSN as the page gets it from a pre-fill (only the
	// last 4 digits shown); /finish takes it back to mean "the one you found".
	reMaskedSSN = regexp.MustCompile(`^\*{5}[0-9]{4}$`)
	reZIP       = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)
)

// checks collects the first validation failure.
type checks struct{ err error }

func (c *checks) fail(format string, args ...any) {
	if c.err == nil {
		c.err = badRequest(format, args...)
	}
}

// required: a non-blank string of at most max characters.
func (c *checks) required(field, v string, max int) {
	if strings.TrimSpace(v) == "" {
		c.fail("field '%s' is required.", field)
		return
	}
	c.length(field, v, max)
}

func (c *checks) length(field, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		c.fail("field '%s' must be at most %d characters.", field, max)
	}
}

// date: YYYY-MM-DD, a real date in the past.
func (c *checks) date(field, v string, now time.Time) {
	if v == "" {
		return
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		c.fail("field '%s' must be a date as YYYY-MM-DD.", field)
		return
	}
	if !t.Before(now) || t.Year() < 1900 {
		c.fail("field '%s' must be a date of birth between 1900 and today.", field)
	}
}

// ssn: the last 4 digits or all 9.
func (c *checks) ssn(field, v string) {
	if v != "" && !reSSN.MatchString(v) {
		c.fail("field '%s' must be 4 digits (the last 4 of the SSN) or 9 digits.", field)
	}
}

func (c *checks) email(field, v string) {
	if v == "" {
		return
	}
	c.length(field, v, 254)
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || a.Name != "" {
		c.fail("field '%s' must be an email address such as name@example.com.", field)
	}
}

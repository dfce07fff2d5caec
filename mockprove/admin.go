package mockprove

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"sigs.k8s.io/yaml"
)

// The control API under /_mock/ (specs/mockprove-control.yaml): thin HTTP
// wrappers over the Go controls in direct.go, faults.go, phone.go and
// journal.go. It sits outside the Prove spec validator and the journal.

func (s *Server) registerControl(r *mux.Router) {
	routes := []struct {
		method, path string
		h            handlerFunc
	}{
		{http.MethodGet, "/_mock/health", s.ctlHealth},
		{http.MethodGet, "/_mock/sms", s.ctlSMS},
		{http.MethodGet, "/_mock/clock", s.ctlClock},
		{http.MethodPost, "/_mock/clock/advance", s.ctlClockAdvance},
		{http.MethodPost, "/_mock/clock/set", s.ctlClockSet},
		{http.MethodGet, "/_mock/sessions", s.ctlSessions},
		{http.MethodGet, "/_mock/sessions/{id}", s.ctlSession},
		{http.MethodPost, "/_mock/link/click", s.ctlLinkClick},
		{http.MethodGet, "/_mock/personas", s.ctlPersonas},
		{http.MethodPut, "/_mock/personas", s.ctlReplacePersonas},
		{http.MethodDelete, "/_mock/personas", s.ctlDeletePersonas},
		{http.MethodGet, "/_mock/personas/{phone}", s.ctlPersona},
		{http.MethodPut, "/_mock/personas/{phone}", s.ctlSetPersona},
		{http.MethodDelete, "/_mock/personas/{phone}", s.ctlDeletePersona},
		{http.MethodPost, "/_mock/faults", s.ctlAddFault},
		{http.MethodGet, "/_mock/faults", s.ctlFaults},
		{http.MethodDelete, "/_mock/faults", s.ctlClearFaults},
		{http.MethodDelete, "/_mock/faults/{id}", s.ctlRemoveFault},
		{http.MethodGet, "/_mock/journal", s.ctlJournal},
		{http.MethodPost, "/_mock/reset", s.ctlReset},
		{http.MethodGet, "/_mock/phone", s.phonePage},
		{http.MethodPost, "/_mock/phone/advance", s.phoneAdvance},
	}
	for _, rt := range routes {
		r.Handle(rt.path, s.serve(endpoint{step: rt.path, auth: authControl, internal: true, h: rt.h})).Methods(rt.method)
	}
	s.registerWebhookControls(r)
	s.registerKeyControls(r)
	s.registerIdentityControls(r)
	s.registerUI(r) // the dashboard, /_mock/ui/ (ui.go)
}

// authorizeControl checks the Host header (DNS rebinding) and the control
// token (Options.ControlToken, or the one Serve generated).
func (s *Server) authorizeControl(r *http.Request) error {
	if err := s.checkControlHost(r); err != nil {
		return err
	}
	want := s.ControlToken()
	if want == "" {
		return nil
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.HasPrefix(r.URL.Path, "/_mock/phone") && r.Header.Get("Authorization") == "" {
		scheme, token = "Bearer", r.URL.Query().Get("token") // the page is opened in a browser
	}
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return errUnauthorized("not authorized: the control API needs 'Authorization: Bearer <control token>'")
	}
	return nil
}

var noContent = &reply{status: http.StatusNoContent, raw: []byte{}}

// decodeStrict decodes a JSON (or, for personas, YAML) control body and
// names the offending field on error.
func decodeStrict(c *call, v any) error {
	body := c.body
	// Any Content-Type but YAML is read as JSON, so that `curl -d '{…}'`
	// works; cross-site browser requests are refused by origin (cors).
	if strings.Contains(strings.ToLower(c.r.Header.Get("Content-Type")), "yaml") {
		j, err := yaml.YAMLToJSON(body)
		if err != nil {
			return errMalformed("request body is not valid YAML: %v", err)
		}
		body = j
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errMalformed("request body is missing")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return errMalformed("request body must be a JSON object")
		case errors.As(err, &te):
			return errMalformed("field '%s' must be %s", te.Field, article(jsonTypeName(te.Type.Kind().String())))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return errMalformed("field '%s' is not allowed", name)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return errMalformed("request body is not valid JSON")
		}
		return errMalformed("request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return errMalformed("request body must hold one JSON value")
	}
	return nil
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint64":
		return "integer"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	}
	return kind
}

func (s *Server) ctlHealth(*call) (any, error) {
	return Health{Status: "ok", Version: BuildVersion()}, nil
}

// Control listings come in pages: ?limit= (default 100, at most
// maxPageLimit) and ?cursor=, an opaque value taken from the X-Next-Cursor
// header of the previous page. The body stays a JSON array; the header is
// absent on the last page.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
	nextCursorHeader = "X-Next-Cursor"
)

// pageParams reads limit and cursor; max bounds limit.
func pageParams(c *call, max int) (limit int, cursor string, err error) {
	q := c.r.URL.Query()
	limit = defaultPageLimit
	if v := q.Get("limit"); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 1 || n > max {
			return 0, "", errMalformed("parameter 'limit' must be an integer from 1 to %d", max)
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

// seqCursor reads a cursor that holds a position (0 when empty).
func seqCursor(cursor string) (uint64, error) {
	if cursor == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(cursor, 36, 64)
	if err != nil || n == 0 {
		return 0, errMalformed("parameter 'cursor' is invalid: pass the X-Next-Cursor header of the previous page as it was")
	}
	return n, nil
}

// page answers a listing with the cursor of the next page, if any.
func page(list any, next string) *reply {
	r := &reply{status: http.StatusOK, body: list}
	if next != "" {
		r.header = http.Header{nextCursorHeader: {next}}
	}
	return r
}

func seqNext(n uint64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 36)
}

func (s *Server) ctlSMS(c *call) (any, error) {
	q := c.r.URL.Query()
	kind := q.Get("kind")
	if kind != "" && kind != SMSKindOTP && kind != SMSKindInstantLink {
		return nil, errMalformed("parameter 'kind' must be otp or instantlink")
	}
	limit, cursor, err := pageParams(c, maxPageLimit)
	if err != nil {
		return nil, err
	}
	after, err := seqCursor(cursor)
	if err != nil {
		return nil, err
	}
	out, next := s.st.outbox.list(SMSFilter{Phone: q.Get("phone"), CorrelationID: q.Get("correlationId"), Kind: kind}, after, limit)
	return page(out, seqNext(next)), nil
}

type clockView struct {
	Now    time.Time `json:"now"`
	Frozen bool      `json:"frozen"`
	Offset string    `json:"offset"`
}

func (s *Server) clockView() clockView {
	return clockView{Now: s.clock.Now(), Frozen: s.clock.Frozen(), Offset: s.clock.Offset().String()}
}

func (s *Server) ctlClock(*call) (any, error) { return s.clockView(), nil }

func (s *Server) ctlClockAdvance(c *call) (any, error) {
	var req struct {
		Duration string `json:"duration"`
	}
	if err := decodeStrict(c, &req); err != nil {
		return nil, err
	}
	d, err := s.clockStep(req.Duration)
	if err != nil {
		return nil, err
	}
	s.clock.Advance(d)
	return s.clockView(), nil
}

// clockStep checks a duration to move the clock by, given as the field
// 'duration' (the control API and the virtual phone's buttons): a
// non-negative Go duration that keeps the clock before the year 10000 and
// its offset within time.Duration.
func (s *Server) clockStep(v string) (time.Duration, error) {
	if v == "" {
		return 0, errFieldMissing("duration")
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errMalformed("field 'duration' must be a non-negative Go duration such as 2m1s")
	}
	if s.clock.Offset() > math.MaxInt64-d || s.clock.Now().Add(d).Year() > 9999 {
		return 0, errMalformed("field 'duration' is out of range: the clock would pass the year 9999")
	}
	return d, nil
}

func (s *Server) ctlClockSet(c *call) (any, error) {
	var req struct {
		Time string `json:"time"`
	}
	if err := decodeStrict(c, &req); err != nil {
		return nil, err
	}
	if req.Time == "" {
		return nil, errFieldMissing("time")
	}
	t, err := time.Parse(time.RFC3339Nano, req.Time)
	if err != nil {
		return nil, errMalformed("field 'time' must be an RFC 3339 date-time such as 2026-01-02T15:04:05Z")
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		return nil, errMalformed("field 'time' must be between the years 1970 and 9999")
	}
	s.clock.Set(t)
	return s.clockView(), nil
}

func (s *Server) ctlSessions(c *call) (any, error) {
	q := c.r.URL.Query()
	state, phone := q.Get("state"), normalizePhone(q.Get("phone"))
	switch state {
	case "", StateStarted, StateValidated, StateChallenged, StateCompleted, StateFailed:
	default:
		return nil, errMalformed("parameter 'state' must be one of: started, validated, challenged, completed, failed")
	}
	limit, cursor, err := pageParams(c, maxPageLimit)
	if err != nil {
		return nil, err
	}
	after, err := seqCursor(cursor)
	if err != nil {
		return nil, err
	}
	var match func(f *flow) bool
	if state != "" || phone != "" {
		match = func(f *flow) bool {
			return (state == "" || f.stateName() == state) && (phone == "" || f.phone() == phone)
		}
	}
	out, next := s.st.sessions(sessionQuery{after: after, limit: limit, match: match})
	return page(out, seqNext(next)), nil
}

func (s *Server) ctlSession(c *call) (any, error) {
	id := mux.Vars(c.r)["id"]
	sess, ok := s.Session(id)
	if !ok {
		return nil, errInvalidCorrelationNotFound(id)
	}
	return sess, nil
}

func (s *Server) ctlLinkClick(c *call) (any, error) {
	var req struct {
		CorrelationID string `json:"correlationId"`
	}
	if err := decodeStrict(c, &req); err != nil {
		return nil, err
	}
	if req.CorrelationID == "" {
		return nil, errFieldMissing("correlationId")
	}
	loc, err := s.ClickInstantLink(req.CorrelationID)
	if err != nil {
		return nil, err
	}
	return map[string]string{"location": loc}, nil
}

func (s *Server) ctlPersonas(c *call) (any, error) {
	limit, cursor, err := pageParams(c, maxPageLimit)
	if err != nil {
		return nil, err
	}
	after := ""
	if cursor != "" {
		raw, decErr := base64.RawURLEncoding.DecodeString(cursor)
		if decErr != nil || len(raw) == 0 {
			return nil, errMalformed("parameter 'cursor' is invalid: pass the X-Next-Cursor header of the previous page as it was")
		}
		after = string(raw)
	}
	out, next := s.st.personas.page(after, limit)
	if next != "" {
		next = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	return page(out, next), nil
}

func (s *Server) ctlReplacePersonas(c *call) (any, error) {
	body := c.body
	if !strings.Contains(c.r.Header.Get("Content-Type"), "yaml") && !json.Valid(body) {
		return nil, errMalformed("request body is not valid JSON")
	}
	ps, err := ParsePersonas(body, "request body") // the schema and the rules, once
	if err != nil {
		return nil, errMalformed("%v", err)
	}
	s.replacePersonas(ps)
	return s.Personas(), nil
}

func (s *Server) ctlDeletePersonas(*call) (any, error) {
	s.replacePersonas(nil)
	return noContent, nil
}

func (s *Server) ctlPersona(c *call) (any, error) {
	phone := mux.Vars(c.r)["phone"]
	p, ok := s.Persona(phone)
	if !ok {
		return nil, newError(http.StatusNotFound, CodeUserNotFound, "no persona with phone number %s", phone)
	}
	return p, nil
}

func (s *Server) ctlSetPersona(c *call) (any, error) {
	phone := mux.Vars(c.r)["phone"]
	body := c.body
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errMalformed("request body is missing")
	}
	if !strings.Contains(strings.ToLower(c.r.Header.Get("Content-Type")), "yaml") && !json.Valid(body) {
		return nil, errMalformed("request body is not valid JSON")
	}
	// The schema and the rules, once, with fields named as in a persona file.
	p, err := parsePersona(body, normalizePhone(phone))
	if err != nil {
		return nil, errMalformed("%v", err)
	}
	if normalizePhone(p.Phone) != normalizePhone(phone) {
		return nil, errMalformed("field 'phone' (%s) must match the phone number in the path (%s)", p.Phone, phone)
	}
	created := s.putPersona(p)
	if created {
		return &reply{status: http.StatusCreated, body: p}, nil
	}
	return p, nil
}

func (s *Server) ctlDeletePersona(c *call) (any, error) {
	phone := mux.Vars(c.r)["phone"]
	if !s.DeletePersona(phone) {
		return nil, newError(http.StatusNotFound, CodeUserNotFound, "no persona with phone number %s", phone)
	}
	return noContent, nil
}

func (s *Server) ctlAddFault(c *call) (any, error) {
	var spec FaultSpec // no count: until cleared, as in Go
	if err := decodeStrict(c, &spec); err != nil {
		return nil, err
	}
	f, err := s.AddFault(spec)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: f}, nil
}

func (s *Server) ctlFaults(*call) (any, error) { return s.Faults(), nil }

func (s *Server) ctlClearFaults(*call) (any, error) {
	s.ClearFaults()
	return noContent, nil
}

func (s *Server) ctlRemoveFault(c *call) (any, error) {
	id := mux.Vars(c.r)["id"]
	if !s.RemoveFault(id) {
		return nil, newError(http.StatusNotFound, CodeMalformed, "no fault with id %s", id)
	}
	return noContent, nil
}

// ctlJournal pages backwards: the first page is the newest limit entries
// (oldest first, as always), the cursor leads to older ones.
func (s *Server) ctlJournal(c *call) (any, error) {
	q := c.r.URL.Query()
	limit, cursor, err := pageParams(c, maxJournalLimit)
	if err != nil {
		return nil, err
	}
	before, err := seqCursor(cursor)
	if err != nil {
		return nil, err
	}
	picked, more := s.journalPage(JournalFilter{CorrelationID: q.Get("correlationId"), Phone: q.Get("phone"), Step: q.Get("step"), Limit: limit}, int64(before))
	next := ""
	if more && len(picked) > 0 {
		next = seqNext(uint64(picked[0].entry.ID))
	}
	return page(s.journalEntries(picked), next), nil
}

// maxJournalLimit is the journal's own bound on limit (it was so before
// listings had cursors; the journal itself holds at most JournalSize).
const maxJournalLimit = 10000

func (s *Server) ctlReset(*call) (any, error) {
	s.Reset()
	return noContent, nil
}

package flowapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mockprove/mockprove/flowapp/prove"
)

// Machine codes of flowapp's error shape
// {"error": {"code": ..., "message": ..., "proveCode": ...}}.
const (
	codeBadRequest       = "bad_request"        // 400: invalid input, the field named
	codeForbidden        = "forbidden"          // 403: a cross-site request
	codeNoSession        = "no_session"         // 409: no flow in progress
	codeWrongStep        = "wrong_step"         // 409: not possible at this point of the flow
	codeProveRejected    = "prove_rejected"     // 400/403/422: Prove refused the customer's request
	codeProveUnavailable = "prove_unavailable"  // 502: Prove 5xx, unreachable, malformed, or flowapp misconfigured
	codeProveTimeout     = "prove_timeout"      // 504: Prove did not answer in time
	codeRateLimited      = "rate_limited"       // 429: too many starts for this phone or from this client (Retry-After)
	codeNotFound         = "not_found"          // 404
	codeMethodNotAllowed = "method_not_allowed" // 405
	codeInternal         = "internal"           // 500: a bug
)

// apiError is an error answer of flowapp's API. Handlers return it (or a
// prove error, mapped by toAPIError); the adapter writes it.
type apiError struct {
	Status    int
	Code      string
	Message   string // flowapp's own words for the customer, never Prove's
	ProveCode int
	cause     error  // logged (op, status, code), never sent
	note      string // logged: what an operator should know
	// retryAfter, when set, is sent as Retry-After (whole seconds, rounded
	// up).
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func (e *apiError) Unwrap() error { return e.cause }

// errorBody is the wire shape of an error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	ProveCode int    `json:"proveCode,omitempty"`
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeBadRequest, Message: fmt.Sprintf(format, args...)}
}

var errNoSession = &apiError{Status: http.StatusConflict, Code: codeNoSession,
	Message: "No identity check is in progress (it never started, expired or is over). Start again."}

// What the customer reads when Prove refuses a request. Prove's own message
// is never forwarded: it can hold the correlationId, the phone number or
// other details the browser must not see.
var proveRejectedMessages = map[int]string{
	// With mockprove (and Prove's sandbox), 8007 means the number is not a
	// sandbox test user.
	prove.CodeUserNotFound:       "We couldn't find that phone number. Check it and try again.",
	prove.CodeInvalidCorrelation: "Your session has expired. Please start again.",
	prove.CodeAccessDenied:       "This phone number can't be verified for this application. Try a different number.",
	prove.CodeOutOfOrder:         "That step isn't possible right now. Please start again.",
	prove.CodeMalformed:          "We couldn't check the details you entered. Check them and try again.",
}

const (
	msgProveRejected    = "We couldn't verify your details. Please start again."
	msgProveUnavailable = "Identity verification is unavailable right now. Please try again in a moment."
	msgProveTimeout     = "Identity verification took too long to answer. Please try again."
	msgProveUnreadable  = "Identity verification sent an answer we couldn't read. Please try again."
	msgProveUnreachable = "We couldn't reach identity verification right now. Please try again in a moment."
	// misconfigured: flowapp's own set-up is wrong; nothing the customer
	// can fix.
	msgMisconfigured  = "Identity verification is unavailable right now. Please try again later."
	noteMisconfigured = "Prove refused flowapp's credentials: check PROVE_CLIENT_ID, PROVE_CLIENT_SECRET and PROVE_BASE_URL"
)

// misconfigured reports whether a Prove error answer says that flowapp
// itself is set up wrong rather than anything about the customer: any error
// answer of /token (bad credentials, wrong URL), a 401 that survived the
// retry with a new token, a 403 that is not one of Prove's flow codes.
func misconfigured(pe *prove.Error) bool {
	switch {
	case pe.Op == "/token", pe.Status == http.StatusUnauthorized:
		return true
	case pe.Status == http.StatusForbidden:
		return pe.Code != prove.CodeAccessDenied && pe.Code != prove.CodeOutOfOrder
	}
	return false
}

// toAPIError maps any handler error to flowapp's error shape, in flowapp's
// own words: Prove's 4xx about the customer's request to prove_rejected
// (with Prove's code), a misconfiguration (see misconfigured), Prove's 5xx,
// unreachable and malformed answers to prove_unavailable, timeouts to
// prove_timeout.
func (a *App) toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var (
		pe *prove.Error
		te *prove.TimeoutError
		me *prove.MalformedError
		xe *prove.TransportError
	)
	switch {
	case errors.As(err, &pe) && misconfigured(pe):
		return &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable, Message: msgMisconfigured,
			ProveCode: pe.Code, cause: err, note: noteMisconfigured}
	case errors.As(err, &pe) && pe.Status >= 400 && pe.Status <= 499:
		status := http.StatusUnprocessableEntity
		if pe.Status == http.StatusBadRequest || pe.Status == http.StatusForbidden {
			status = pe.Status
		}
		msg, ok := proveRejectedMessages[pe.Code]
		if !ok {
			msg = msgProveRejected
		}
		return &apiError{Status: status, Code: codeProveRejected, Message: msg, ProveCode: pe.Code, cause: err}
	case errors.As(err, &pe):
		return &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable, Message: msgProveUnavailable, ProveCode: pe.Code, cause: err}
	case errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusGatewayTimeout, Code: codeProveTimeout, Message: msgProveTimeout, cause: err}
	case errors.As(err, &me):
		ae := &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable, Message: msgProveUnreadable, cause: err}
		if me.Op == "/token" {
			ae.Message, ae.note = msgMisconfigured, noteMisconfigured
		}
		return ae
	case errors.As(err, &xe):
		return &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable, Message: msgProveUnreachable, cause: err}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal,
		Message: "flowapp failed unexpectedly; try again.", cause: err}
}

// causeAttrs describes an error for the log without any text Prove wrote:
// the call, the HTTP status and Prove's code; for failures below Prove's
// answer, what kind of failure.
func causeAttrs(err error) []slog.Attr {
	var (
		pe *prove.Error
		te *prove.TimeoutError
		me *prove.MalformedError
		xe *prove.TransportError
	)
	switch {
	case errors.As(err, &pe):
		return []slog.Attr{slog.String("op", pe.Op), slog.Int("proveStatus", pe.Status), slog.Int("proveCode", pe.Code)}
	case errors.As(err, &te):
		return []slog.Attr{slog.String("op", te.Op), slog.String("failure", "timeout"), slog.Duration("after", te.After)}
	case errors.As(err, &me):
		return []slog.Attr{slog.String("op", me.Op), slog.String("failure", "malformed answer"), slog.Int("proveStatus", me.Status), slog.String("reason", me.Reason)}
	case errors.As(err, &xe):
		return []slog.Attr{slog.String("op", xe.Op), slog.String("failure", "transport"), slog.String("err", xe.Err.Error())}
	}
	return []slog.Attr{slog.String("err", err.Error())}
}

// reply is a successful answer: a JSON body (status 200 unless set) and
// cookies to set.
type reply struct {
	status  int
	body    any
	cookies []*http.Cookie
	header  http.Header // extra headers
}

func ok(body any) *reply { return &reply{status: http.StatusOK, body: body} }

// handlerFunc is an API endpoint: it returns the answer or an error; it never
// writes to the connection itself.
type handlerFunc func(r *http.Request) (*reply, error)

// api is the one adapter between handlers and HTTP: status, headers and the
// error shape are decided here.
func (a *App) api(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var (
			rep *reply
			err = a.checkSameOrigin(r)
		)
		if err == nil {
			rep, err = a.run(h, r)
		}
		if err != nil {
			ae := a.toAPIError(err)
			a.logError(r, ae)
			rep = &reply{status: ae.Status, body: errorBody{Error: errorDetail{Code: ae.Code, Message: ae.Message, ProveCode: ae.ProveCode}}}
			if ae.retryAfter > 0 {
				rep.header = http.Header{"Retry-After": {strconv.Itoa(retryAfterSeconds(ae.retryAfter))}}
			}
			if note := noteFrom(r); note != nil {
				note.code = ae.Code
			}
		}
		body, merr := json.Marshal(rep.body)
		if merr != nil {
			a.log.Error("encode answer", "path", r.URL.Path, "err", merr)
			rep = &reply{status: http.StatusInternalServerError}
			body, _ = json.Marshal(errorBody{Error: errorDetail{Code: codeInternal, Message: "flowapp failed unexpectedly; try again."}})
		}
		for _, c := range rep.cookies {
			http.SetCookie(w, c)
		}
		h := w.Header()
		for k, v := range rep.header {
			h[k] = v
		}
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(rep.status)
		_, _ = w.Write(append(body, '\n'))
	})
}

// run calls h, turning a panic into an internal error.
func (a *App) run(h handlerFunc, r *http.Request) (rep *reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			rep, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	rep, err = h(r)
	if err == nil && rep == nil {
		err = errors.New("handler returned neither an answer nor an error")
	}
	return rep, err
}

func (a *App) logError(r *http.Request, ae *apiError) {
	level := slog.LevelInfo
	switch {
	case ae.Status >= 500:
		level = slog.LevelError
	case ae.Code == codeProveRejected, ae.Code == codeRateLimited:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("path", r.URL.Path), slog.Int("status", ae.Status), slog.String("code", ae.Code)}
	if ae.ProveCode != 0 {
		attrs = append(attrs, slog.Int("proveCode", ae.ProveCode))
	}
	if ae.cause != nil {
		attrs = append(attrs, causeAttrs(ae.cause)...)
	}
	if ae.note != "" {
		attrs = append(attrs, slog.String("hint", ae.note))
	}
	a.log.LogAttrs(r.Context(), level, "request failed", attrs...)
}

// requestNote collects what a request decided, for its log line.
type requestNote struct {
	code string
}

type noteKey struct{}

func noteFrom(r *http.Request) *requestNote {
	n, _ := r.Context().Value(noteKey{}).(*requestNote)
	return n
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logged logs one line per request: method, path, status, duration and the
// error code. Bodies are never logged (they hold SSNs and dates of birth).
func (a *App) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		note := &requestNote{}
		r = r.WithContext(context.WithValue(r.Context(), noteKey{}, note))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start).Round(time.Microsecond)),
		}
		if note.code != "" {
			attrs = append(attrs, slog.String("code", note.code))
		}
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// maskPhone keeps the last 4 digits of a phone number, for logs.
func maskPhone(p string) string {
	if len(p) <= 4 {
		return "****"
	}
	return "******" + p[len(p)-4:]
}

// longDigits is a run of 7 or more digits: a phone number, an SSN, an
// account number. None of them is ever logged.
var longDigits = regexp.MustCompile(`[0-9]{7,}`)

// maskDigits hides every run of 7 or more digits in s.
func maskDigits(s string) string {
	return longDigits.ReplaceAllStringFunc(s, func(d string) string { return strings.Repeat("*", len(d)) })
}

// maskingHandler is the slog.Handler every log line of flowapp goes
// through: it hides runs of 7 or more digits in the message and in every
// attribute (strings, errors, anything printed), whatever the caller logged.
type maskingHandler struct{ h slog.Handler }

func (m maskingHandler) Enabled(ctx context.Context, l slog.Level) bool { return m.h.Enabled(ctx, l) }

func (m maskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, maskDigits(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return m.h.Handle(ctx, out)
}

func (m maskingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = maskAttr(a)
	}
	return maskingHandler{m.h.WithAttrs(masked)}
}

func (m maskingHandler) WithGroup(name string) slog.Handler {
	return maskingHandler{m.h.WithGroup(name)}
}

func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, maskDigits(v.String()))
	case slog.KindInt64, slog.KindUint64:
		if s := v.String(); longDigits.MatchString(s) {
			return slog.String(a.Key, maskDigits(s))
		}
		return slog.Attr{Key: a.Key, Value: v}
	case slog.KindGroup:
		group := v.Group()
		masked := make([]any, len(group))
		for i, g := range group {
			masked[i] = maskAttr(g)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		return slog.String(a.Key, maskDigits(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

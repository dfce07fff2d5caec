package flowapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/mockprove/mockprove/flowapp/prove"
)

// Machine codes of flowapp's error shape
// {"error": {"code": ..., "message": ..., "proveCode": ...}}.
const (
	codeBadRequest       = "bad_request"        // 400: invalid input, the field named
	codeNoSession        = "no_session"         // 409: no flow in progress
	codeWrongStep        = "wrong_step"         // 409: not possible at this point of the flow
	codeProveRejected    = "prove_rejected"     // 400/403/422: Prove answered 4xx
	codeProveUnavailable = "prove_unavailable"  // 502: Prove 5xx, unreachable or malformed
	codeProveTimeout     = "prove_timeout"      // 504: Prove did not answer in time
	codeNotFound         = "not_found"          // 404
	codeMethodNotAllowed = "method_not_allowed" // 405
	codeInternal         = "internal"           // 500: a bug
)

// apiError is an error answer of flowapp's API. Handlers return it (or a
// prove error, mapped by toAPIError); the adapter writes it.
type apiError struct {
	Status    int
	Code      string
	Message   string
	ProveCode int
	cause     error // logged, never sent
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

// toAPIError maps any handler error to flowapp's error shape: Prove's 4xx
// to prove_rejected (Prove's message and code), 5xx, unreachable and
// malformed answers to prove_unavailable, timeouts to prove_timeout.
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
	case errors.As(err, &pe) && pe.Status >= 400 && pe.Status <= 499:
		status := http.StatusUnprocessableEntity
		if pe.Status == http.StatusBadRequest || pe.Status == http.StatusForbidden {
			status = pe.Status
		}
		msg := pe.Message
		if msg == "" {
			msg = fmt.Sprintf("Prove refused the request (HTTP %d).", pe.Status)
		}
		return &apiError{Status: status, Code: codeProveRejected, Message: msg, ProveCode: pe.Code, cause: err}
	case errors.As(err, &pe):
		msg := "Prove is unavailable right now; try again."
		if pe.Message != "" {
			msg = fmt.Sprintf("Prove is unavailable right now (%s); try again.", pe.Message)
		}
		return &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable, Message: msg, ProveCode: pe.Code, cause: err}
	case errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusGatewayTimeout, Code: codeProveTimeout,
			Message: fmt.Sprintf("Prove did not answer within %s; try again.", a.prove.Timeout()), cause: err}
	case errors.As(err, &me):
		return &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable,
			Message: fmt.Sprintf("Prove answered something flowapp cannot read (%s); try again.", me.Reason), cause: err}
	case errors.As(err, &xe):
		return &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable,
			Message: "Prove cannot be reached right now; try again.", cause: err}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal,
		Message: "flowapp failed unexpectedly; try again.", cause: err}
}

// reply is a successful answer: a JSON body (status 200 unless set) and
// cookies to set.
type reply struct {
	status  int
	body    any
	cookies []*http.Cookie
}

func ok(body any) *reply { return &reply{status: http.StatusOK, body: body} }

// handlerFunc is an API endpoint: it returns the answer or an error; it never
// writes to the connection itself.
type handlerFunc func(r *http.Request) (*reply, error)

// api is the one adapter between handlers and HTTP: status, headers and the
// error shape are decided here.
func (a *App) api(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, err := a.run(h, r)
		if err != nil {
			ae := a.toAPIError(err)
			a.logError(r, ae)
			rep = &reply{status: ae.Status, body: errorBody{Error: errorDetail{Code: ae.Code, Message: ae.Message, ProveCode: ae.ProveCode}}}
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
	case ae.Code == codeProveRejected:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("path", r.URL.Path), slog.Int("status", ae.Status), slog.String("code", ae.Code)}
	if ae.ProveCode != 0 {
		attrs = append(attrs, slog.Int("proveCode", ae.ProveCode))
	}
	if ae.cause != nil {
		// Prove's error texts could echo what flowapp sent: redact.
		attrs = append(attrs, slog.String("cause", redact(ae.cause.Error())))
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
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)),
		}
		if note.code != "" {
			attrs = append(attrs, slog.String("code", note.code))
		}
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// sensitive matches what could be an SSN or a date of birth in a text.
var sensitive = regexp.MustCompile(`\b[0-9]{3}-?[0-9]{2}-?[0-9]{4}\b|\b[0-9]{4}-[0-9]{2}(-[0-9]{2})?|\b[0-9]{2}-[0-9]{2}\b`)

// redact hides SSNs and dates in a text before it is logged.
func redact(s string) string { return sensitive.ReplaceAllString(s, "***") }

// maskPhone keeps the last 4 digits of a phone number, for logs.
func maskPhone(p string) string {
	if len(p) <= 4 {
		return "****"
	}
	return "******" + p[len(p)-4:]
}

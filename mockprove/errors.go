package mockprove

import (
	"fmt"
	"net/http"
	"strconv"
)

// Prove's API error codes (developer.prove.com/reference/status-and-error-codes).
const (
	CodeInternal           = 8000 // Internal Error
	CodeMalformed          = 8001 // Malformed Request
	CodeUnauthorized       = 8002 // Unauthorized Request
	CodeOutOfOrder         = 8003 // Step Called Out of Order
	CodeUserNotFound       = 8007 // Sandbox User Not Found
	CodeInvalidCorrelation = 8008 // Invalid Correlation ID
	CodeAccessDenied       = 8009 // Sandbox Test User Access Denied
	CodeIdentityNotFound   = 8011 // Identity Not Found (Identity Manager, ProveX, device revoke)
)

// ErrorCodes lists every code mockprove returns, with Prove's name for it and
// the HTTP status it is normally sent with.
var ErrorCodes = []struct {
	Code   int
	Status int
	Name   string
}{
	{CodeInternal, http.StatusInternalServerError, "Internal Error"},
	{CodeMalformed, http.StatusBadRequest, "Malformed Request"},
	{CodeUnauthorized, http.StatusUnauthorized, "Unauthorized Request"},
	{CodeOutOfOrder, http.StatusForbidden, "Step Called Out of Order"},
	{CodeUserNotFound, http.StatusBadRequest, "Sandbox User Not Found"},
	{CodeInvalidCorrelation, http.StatusBadRequest, "Invalid Correlation ID"},
	{CodeAccessDenied, http.StatusForbidden, "Sandbox Test User Access Denied"},
	{CodeIdentityNotFound, http.StatusNotFound, "Identity Not Found"},
}

// Error is an API error in Prove's shape: {"code": 8001, "message": "..."}.
// Handlers return it; the response adapter writes it.
type Error struct {
	Status     int    `json:"-"`
	Code       int    `json:"code"`
	Message    string `json:"message"`
	RetryAfter int    `json:"-"` // seconds, sent as Retry-After when > 0
	// Rule names what produced the error (the X-Mockprove-Rule header).
	Rule string `json:"-"`
}

func (e *Error) Error() string { return strconv.Itoa(e.Code) + ": " + e.Message }

func newError(status, code int, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Constructors for each kind of error, so that status, code and wording are
// decided in one place.

func errMalformed(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeMalformed, format, args...)
}

func errFieldMissing(field string) *Error {
	return errMalformed("field '%s' is missing", field)
}

func errUnauthorized(format string, args ...any) *Error {
	return newError(http.StatusUnauthorized, CodeUnauthorized, format, args...)
}

func errOutOfOrder(format string, args ...any) *Error {
	return newError(http.StatusForbidden, CodeOutOfOrder, format, args...)
}

func errUserNotFound(phone string) *Error {
	return newError(http.StatusBadRequest, CodeUserNotFound, "no test user found matching the phone number %s", phone)
}

func errInvalidCorrelation(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidCorrelation, format, args...)
}

func errAccessDenied(format string, args ...any) *Error {
	return newError(http.StatusForbidden, CodeAccessDenied, format, args...)
}

func errInternal(format string, args ...any) *Error {
	return newError(http.StatusInternalServerError, CodeInternal, format, args...)
}

func errIdentityNotFound(format string, args ...any) *Error {
	return newError(http.StatusNotFound, CodeIdentityNotFound, format, args...)
}

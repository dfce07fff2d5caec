package prove

import (
	"context"
	"errors"
	"fmt"
	"time"
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
	CodeIdentityNotFound   = 8011 // Identity Not Found (also an unknown Prove Key on /v3/device/revoke)
)

// Error is an error answer from Prove: an HTTP status of 400 or more with
// Prove's body {"code": <int>, "message": "..."}. Code is 0 when the body did
// not carry one (or was not Prove's error JSON).
type Error struct {
	Op      string // the call: "/token", "/v3/start", ...
	Status  int    // the HTTP status
	Code    int    // Prove's error code, e.g. 8007
	Message string // Prove's message
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("prove: %s: HTTP %d, code %d: %s", e.Op, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("prove: %s: HTTP %d: %s", e.Op, e.Status, e.Message)
}

// ErrMalformed matches (errors.Is) every *MalformedError.
var ErrMalformed = errors.New("prove: malformed answer")

// MalformedError is a successful HTTP status whose body is not what the
// spec says: not JSON, a required field missing, a token that is not a
// bearer token.
type MalformedError struct {
	Op     string
	Status int
	Reason string // what is wrong, e.g. `field "next" is missing`
	Err    error  // the decoding error, if any
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("prove: %s: malformed answer (HTTP %d): %s", e.Op, e.Status, e.Reason)
}

// Unwrap returns the decoding error.
func (e *MalformedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// TimeoutError is a call that did not get its answer in time (Config.Timeout
// or the caller's deadline). errors.Is(err, context.DeadlineExceeded) is true
// for it, and it has the Timeout() bool method of net.Error.
type TimeoutError struct {
	Op    string
	After time.Duration // the configured per-call timeout
	Err   error         // what the transport said
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("prove: %s: no answer within %s: %v", e.Op, e.After, e.Err)
}

// Unwrap returns context.DeadlineExceeded, so that errors.Is matches it.
func (e *TimeoutError) Unwrap() []error { return []error{context.DeadlineExceeded, e.Err} }

// Timeout is always true (the method of net.Error).
func (e *TimeoutError) Timeout() bool { return true }

// TransportError is a call that failed below HTTP: connection refused or
// reset, DNS, TLS, a dropped connection.
type TransportError struct {
	Op  string
	Err error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("prove: %s: %v", e.Op, e.Err)
}

// Unwrap returns the transport's error.
func (e *TransportError) Unwrap() error { return e.Err }

// IsTimeout reports whether err is (or wraps) a timeout talking to Prove.
func IsTimeout(err error) bool {
	var te *TimeoutError
	return errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded)
}

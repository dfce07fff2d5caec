package prove

import (
	"context"
	"net/http"
)

// Unified Authentication ("Unify", prove-unify-verify.md §2) and Prove Key
// revocation (§3): POST /v3/unify, /v3/unify-status, /v3/unify-bind and
// /v3/device/revoke.
//
// The type trap: success is a STRING ("pending", "true", "false",
// "possession_required") in the three Unify answers, and a BOOLEAN in the
// revoke answer. The types below follow that exactly: an answer with the
// other type fails to decode (*MalformedError), as it does in Prove's own
// SDKs.

// Possession types of UnifyRequest.PossessionType.
const (
	PossessionMobile  = "mobile"  // the SDK checks a Prove Key, else Mobile Auth, else an SMS code; a key is placed
	PossessionDesktop = "desktop" // Instant Link (finalTargetUrl required); no key
	PossessionNone    = "none"    // the customer checks possession itself, then /v3/unify-bind
)

// Values of the Unify answers' success string.
const (
	UnifyPending            = "pending"
	UnifyTrue               = "true"
	UnifyFalse              = "false"
	UnifyPossessionRequired = "possession_required"
)

// UnifyRequest is V3UnifyRequest. PossessionType and ClientRequestID are
// required; FinalTargetURL is required for desktop.
type UnifyRequest struct {
	PossessionType   string `json:"possessionType"`
	ClientRequestID  string `json:"clientRequestId"`
	PhoneNumber      string `json:"phoneNumber,omitempty"`
	FinalTargetURL   string `json:"finalTargetUrl,omitempty"`
	SMSMessage       string `json:"smsMessage,omitempty"`
	AllowOTPRetry    bool   `json:"allowOTPRetry,omitempty"`
	CheckReputation  bool   `json:"checkReputation,omitempty"`
	ProveID          string `json:"proveId,omitempty"`
	DeviceID         string `json:"deviceId,omitempty"`
	Rebind           bool   `json:"rebind,omitempty"`
	ClientCustomerID string `json:"clientCustomerId,omitempty"`
	ClientHumanID    string `json:"clientHumanId,omitempty"`
	EmailAddress     string `json:"emailAddress,omitempty"`
	IPAddress        string `json:"ipAddress,omitempty"`
}

// UnifyResponse is V3UnifyResponse: success is "pending"; AuthToken is for
// the client SDK (absent for short-term test users, who need no SDK).
type UnifyResponse struct {
	CorrelationID string `json:"correlationId"`
	Success       string `json:"success"`
	AuthToken     string `json:"authToken,omitempty"`
}

// UnifyStatusRequest is V3UnifyStatusRequest.
type UnifyStatusRequest struct {
	CorrelationID   string `json:"correlationId"`
	ClientRequestID string `json:"clientRequestId,omitempty"`
}

// UnifyBindRequest is V3UnifyBindRequest: both fields required (the phone
// number the customer's own possession check proved).
type UnifyBindRequest struct {
	CorrelationID   string `json:"correlationId"`
	PhoneNumber     string `json:"phoneNumber"`
	ClientRequestID string `json:"clientRequestId,omitempty"`
}

// UnifyStatusResponse is V3UnifyStatusResponse, and V3UnifyBindResponse
// (the same fields). ProveID and DeviceID come with success "true"
// (DeviceID not on desktop, where no key is placed).
type UnifyStatusResponse struct {
	Success         string         `json:"success"`
	ProveID         string         `json:"proveId,omitempty"`
	DeviceID        string         `json:"deviceId,omitempty"`
	ClientHumanID   string         `json:"clientHumanId,omitempty"`
	ClientRequestID string         `json:"clientRequestId,omitempty"`
	PhoneNumber     string         `json:"phoneNumber,omitempty"`
	Evaluation      map[string]any `json:"evaluation,omitempty"`
}

// DeviceRevokeRequest is V3DeviceRevokeRequest (both fields required).
type DeviceRevokeRequest struct {
	ClientRequestID string `json:"clientRequestId"`
	DeviceID        string `json:"deviceId"`
}

// DeviceRevokeResponse is V3DeviceRevokeResponse: success is a boolean.
type DeviceRevokeResponse struct {
	Success bool `json:"success"`
}

// Unify is POST /v3/unify: it opens a possession session and returns the
// authToken for the client SDK and the correlationId.
func (c *Client) Unify(ctx context.Context, req UnifyRequest) (*UnifyResponse, error) {
	const op = "/v3/unify"
	var resp UnifyResponse
	if err := c.call(ctx, op, req, &resp, "correlationId", "success"); err != nil {
		return nil, err
	}
	if resp.CorrelationID == "" {
		return nil, &MalformedError{Op: op, Status: http.StatusOK, Reason: "correlationId is empty"}
	}
	return &resp, nil
}

// UnifyStatus is POST /v3/unify-status: the possession result.
func (c *Client) UnifyStatus(ctx context.Context, req UnifyStatusRequest) (*UnifyStatusResponse, error) {
	var resp UnifyStatusResponse
	if err := c.call(ctx, "/v3/unify-status", req, &resp, "success"); err != nil {
		return nil, err
	}
	return &resp, nil
}

// UnifyBind is POST /v3/unify-bind: after unify-status said
// possession_required and the customer's own possession check passed, it
// binds the Prove Key to the phone number.
func (c *Client) UnifyBind(ctx context.Context, req UnifyBindRequest) (*UnifyStatusResponse, error) {
	var resp UnifyStatusResponse
	if err := c.call(ctx, "/v3/unify-bind", req, &resp, "success"); err != nil {
		return nil, err
	}
	return &resp, nil
}

// DeviceRevoke is POST /v3/device/revoke: the Prove Key can no longer be
// used. An unknown device is a 404 *Error with code CodeIdentityNotFound.
func (c *Client) DeviceRevoke(ctx context.Context, req DeviceRevokeRequest) (*DeviceRevokeResponse, error) {
	var resp DeviceRevokeResponse
	if err := c.call(ctx, "/v3/device/revoke", req, &resp, "success"); err != nil {
		return nil, err
	}
	return &resp, nil
}

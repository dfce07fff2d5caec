package contracts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Coverage is what a run exercised, next to what it never did: every
// operation of the documents with the statuses it documents, Prove's error
// codes and the possession paths and outcomes of a flow.
type Coverage struct {
	Operations []OperationCoverage `json:"operations"`
	ErrorCodes []CodeCoverage      `json:"errorCodes"`
	Paths      []PathCoverage      `json:"paths"`
}

// OperationCoverage is one operation: how often it was called and which
// statuses it answered.
type OperationCoverage struct {
	Operation string           `json:"operation"` // "POST /v3/start"
	Calls     int              `json:"calls"`
	Statuses  []StatusCoverage `json:"statuses"`
}

// StatusCoverage is one status of an operation; Documented is false for a
// status the document does not list (answered anyway).
type StatusCoverage struct {
	Status     int  `json:"status"`
	Documented bool `json:"documented"`
	Count      int  `json:"count"`
}

// CodeCoverage is one error code (Prove's 8000-8009, the device API's
// 1001, 1002 and 10000-10006) and how often an answer carried it.
type CodeCoverage struct {
	Code    int    `json:"code"`
	Meaning string `json:"meaning"`
	Count   int    `json:"count"`
}

// PathCoverage is one path or outcome of a flow (OTP right, Instant Link
// expired, ...) and how often it was seen.
type PathCoverage struct {
	Path  string `json:"path"`
	Count int    `json:"count"`
}

// Missed lists what the run never exercised, one line each.
func (c Coverage) Missed() []string {
	var out []string
	for _, o := range c.Operations {
		if o.Calls == 0 {
			out = append(out, "operation "+o.Operation)
			continue
		}
		for _, s := range o.Statuses {
			if s.Count == 0 && s.Documented {
				out = append(out, "status "+strconv.Itoa(s.Status)+" of "+o.Operation)
			}
		}
	}
	for _, e := range c.ErrorCodes {
		if e.Count == 0 {
			out = append(out, "error code "+strconv.Itoa(e.Code)+" ("+e.Meaning+")")
		}
	}
	for _, p := range c.Paths {
		if p.Count == 0 {
			out = append(out, "path "+p.Path)
		}
	}
	return out
}

// errorCodes are the codes coverage counts, with what they mean.
var errorCodes = []CodeCoverage{
	{Code: 8000, Meaning: "Internal Error"},
	{Code: 8001, Meaning: "Malformed Request"},
	{Code: 8002, Meaning: "Unauthorized Request"},
	{Code: 8003, Meaning: "Step Called Out of Order"},
	{Code: 8007, Meaning: "Sandbox User Not Found"},
	{Code: 8008, Meaning: "Invalid Correlation ID"},
	{Code: 8009, Meaning: "Sandbox Test User Access Denied"},
	{Code: 8011, Meaning: "Identity Not Found"},
	{Code: 1001, Meaning: "device API: phone number rejected"},
	{Code: 1002, Meaning: "device API: wrong OTP, attempts left"},
	{Code: 10000, Meaning: "device API: AUTHENTICATION_FAILURE (expired, already failed)"},
	{Code: 10001, Meaning: "device API: EXTERNAL_FAILURE (flow past the possession check)"},
	{Code: 10005, Meaning: "device API: MAX_ATTEMPTS"},
}

// The paths and outcomes coverage counts, in report order.
const (
	PathToken              = "OAuth token issued"
	PathTokenRefused       = "OAuth credentials refused (401)"
	PathStartMobile        = "flow started, mobile"
	PathStartDesktop       = "flow started, desktop"
	PathValidatePassed     = "validate passed"
	PathValidateChallenge  = "validate passed, challenge needed (Pre-Fill)"
	PathValidateFailed     = "validate: possession not passed (success false)"
	PathChallengePassed    = "challenge passed (Pre-Fill)"
	PathChallengeFailed    = "challenge failed (success false)"
	PathCompletePassed     = "complete: verified"
	PathCompleteFailed     = "complete: not verified (success false)"
	PathOutOfOrder         = "step out of order (403)"
	PathAPITokenRefused    = "API call with a refused token (401)"
	PathRateLimited        = "rate limited (429)"
	PathOTPSent            = "OTP sent"
	PathOTPResent          = "OTP resent"
	PathPhoneRejected      = "phone number rejected"
	PathOTPRight           = "OTP right"
	PathOTPWrong           = "OTP wrong, attempts left"
	PathOTPExhausted       = "OTP wrong, no attempt left"
	PathOTPExpired         = "OTP expired"
	PathInstantLinkSent    = "Instant Link sent"
	PathInstantLinkResent  = "Instant Link resent (replaces the previous)"
	PathInstantLinkClicked = "Instant Link clicked"
	PathInstantLinkExpired = "Instant Link expired or replaced (410)"
	PathMobileAuthPassed   = "Mobile Auth passed"
	PathMobileAuthFallback = "Mobile Auth failed, fallback to OTP"
	PathClientError        = "client-side error reported by the SDK"

	// Prove's current suite.
	PathUnifyStarted     = "Unify session opened (pending)"
	PathUnifyPending     = `Unify status "pending" (the SDK has not finished)`
	PathUnifyPassed      = `Unify status "true"`
	PathUnifyFailed      = `Unify status "false"`
	PathUnifyRequired    = `Unify status "possession_required"`
	PathUnifyBound       = `unify-bind "true"`
	PathUnifyBindFailed  = `unify-bind "false"`
	PathDeviceRevoked    = "Prove Key revoked"
	PathVerifyPassed     = `verify "true"`
	PathVerifyFailed     = `verify "false"`
	PathEnrolled         = "Identity Manager: identity enrolled"
	PathIdentityNotFound = "unknown proveId or deviceId (404 code 8011)"
)

var allPaths = []string{
	PathToken, PathTokenRefused, PathStartMobile, PathStartDesktop,
	PathValidatePassed, PathValidateChallenge, PathValidateFailed,
	PathChallengePassed, PathChallengeFailed, PathCompletePassed, PathCompleteFailed,
	PathOutOfOrder, PathAPITokenRefused, PathRateLimited,
	PathOTPSent, PathOTPResent, PathPhoneRejected, PathOTPRight, PathOTPWrong, PathOTPExhausted, PathOTPExpired,
	PathInstantLinkSent, PathInstantLinkResent, PathInstantLinkClicked, PathInstantLinkExpired,
	PathMobileAuthPassed, PathMobileAuthFallback, PathClientError,
	PathUnifyStarted, PathUnifyPending, PathUnifyPassed, PathUnifyFailed, PathUnifyRequired, PathUnifyBound, PathUnifyBindFailed,
	PathDeviceRevoked, PathVerifyPassed, PathVerifyFailed, PathEnrolled, PathIdentityNotFound,
}

// coverage counts, safe for concurrent use. Its size is fixed by the
// documents, plus undocumented statuses (at most 500 per operation).
type coverage struct {
	mu       sync.Mutex
	ops      []string
	opIndex  map[string]int
	calls    []int
	statuses []map[int]int
	doc      []map[int]bool
	codes    map[int]int
	paths    map[string]int
}

func newCoverage(c *Checker) *coverage {
	cv := &coverage{opIndex: map[string]int{}, codes: map[int]int{}, paths: map[string]int{}}
	for _, d := range c.docs {
		paths := d.doc.Paths.InMatchingOrder()
		sort.SliceStable(paths, func(i, j int) bool { return pathRank(paths[i]) < pathRank(paths[j]) })
		for _, path := range paths {
			item := d.doc.Paths.Value(path)
			ops := item.Operations()
			methods := make([]string, 0, len(ops))
			for m := range ops {
				methods = append(methods, m)
			}
			sort.Strings(methods)
			for _, m := range methods {
				name := m + " " + path
				documented := map[int]bool{}
				if rs := ops[m].Responses; rs != nil {
					for code := range rs.Map() {
						if n, err := strconv.Atoi(code); err == nil {
							documented[n] = true
						}
					}
				}
				cv.opIndex[name] = len(cv.ops)
				cv.ops = append(cv.ops, name)
				cv.calls = append(cv.calls, 0)
				cv.statuses = append(cv.statuses, map[int]int{})
				cv.doc = append(cv.doc, documented)
			}
		}
	}
	return cv
}

// pathOrder is the order of a flow, for reports; other paths follow in
// alphabetical order.
var pathOrder = []string{"/token", "/v3/start", "/v3/validate", "/v3/challenge", "/v3/complete",
	"/v3/unify", "/v3/unify-status", "/v3/unify-bind", "/v3/device/revoke",
	"/v1/client/mobile/instant/start", "/v1/client/mobile/instant/finish", "/v1/client/mobile/instant/error",
	"/v1/client/mobile/otp/start", "/v1/client/mobile/otp/finish", "/v1/client/mobile/otp/error",
	"/v1/client/mobile/instantlink/start", "/v1/client/mobile/instantlink/error", "/v1/client/status", "/v1/link/{token}"}

func pathRank(p string) string {
	for i, q := range pathOrder {
		if p == q {
			return fmt.Sprintf("%03d", i)
		}
	}
	return "999" + p
}

// observe counts one exchange. op is the operation ("" when no document
// describes it); starts is how many times the flow sent this possession
// step's SMS (OTP or Instant Link), this call included.
func (cv *coverage) observe(op string, ex Exchange, starts int) {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	i, known := cv.opIndex[op]
	if known {
		cv.calls[i]++
	}
	resp := ex.Response
	if resp == nil {
		return
	}
	if known && (len(cv.statuses[i]) < 500 || cv.statuses[i][resp.StatusCode] > 0) {
		cv.statuses[i][resp.StatusCode]++
	}
	var body map[string]any
	_ = json.Unmarshal(ex.ResponseBody, &body)
	for _, c := range []any{body["code"], field(body, "error", "code"), field(body, "data", "code")} {
		if n, ok := c.(float64); ok && knownCode(int(n)) {
			cv.codes[int(n)]++
		}
	}
	for _, p := range classify(ex.Request, ex.RequestBody, resp.StatusCode, body, starts) {
		cv.paths[p]++
	}
}

func knownCode(n int) bool {
	for _, e := range errorCodes {
		if e.Code == n {
			return true
		}
	}
	return false
}

func field(body map[string]any, obj, key string) any {
	m, _ := body[obj].(map[string]any)
	return m[key]
}

// classify names the paths and outcomes one answer shows.
func classify(req *http.Request, reqBody []byte, status int, body map[string]any, starts int) []string {
	path := req.URL.Path
	server := path == "/token" || strings.HasPrefix(path, "/v3/")
	switch {
	case status == http.StatusTooManyRequests:
		return []string{PathRateLimited}
	case status == http.StatusUnauthorized && path == "/token":
		return []string{PathTokenRefused}
	case status == http.StatusUnauthorized && server:
		return []string{PathAPITokenRefused}
	case status == http.StatusForbidden && server:
		return []string{PathOutOfOrder}
	case status == http.StatusNotFound && server && body["code"] == float64(8011):
		return []string{PathIdentityNotFound}
	case strings.HasPrefix(path, "/v1/link/"):
		switch status {
		case http.StatusFound, http.StatusOK:
			return []string{PathInstantLinkClicked}
		case http.StatusGone:
			return []string{PathInstantLinkExpired}
		}
		return nil
	case path == "/_mock/link/click" && status == http.StatusOK:
		return []string{PathInstantLinkClicked}
	case status != http.StatusOK:
		return nil
	}
	success, _ := body["success"].(bool)
	next, _ := body["next"].(string)
	errCode, _ := field(body, "error", "code").(float64)
	dataCode, _ := field(body, "data", "code").(float64)
	_, hasData := body["data"]
	one := func(yes bool, a, b string) []string {
		if yes {
			return []string{a}
		}
		return []string{b}
	}
	switch path {
	case "/token":
		return []string{PathToken}
	case "/v3/start":
		var b struct {
			FlowType string `json:"flowType"`
		}
		_ = json.Unmarshal(reqBody, &b)
		return one(b.FlowType == "desktop", PathStartDesktop, PathStartMobile)
	case "/v3/validate":
		if !success {
			return []string{PathValidateFailed}
		}
		missing, _ := body["challengeMissing"].(bool)
		return one(missing, PathValidateChallenge, PathValidatePassed)
	case "/v3/challenge":
		return one(success, PathChallengePassed, PathChallengeFailed)
	case "/v3/complete":
		return one(success, PathCompletePassed, PathCompleteFailed)
	case "/v1/client/mobile/otp/start", "/v1/client/mobile/instantlink/start":
		sent, resent := PathOTPSent, PathOTPResent
		if strings.Contains(path, "instantlink") {
			sent, resent = PathInstantLinkSent, PathInstantLinkResent
		}
		switch {
		case dataCode == 1001:
			return []string{PathPhoneRejected}
		case errCode != 0 || next != "":
			return nil
		case starts > 1:
			return []string{resent}
		case strings.Contains(path, "otp") || hasData:
			return []string{sent}
		}
	case "/v1/client/mobile/otp/finish":
		switch {
		case dataCode == 1002:
			return []string{PathOTPWrong}
		case errCode == 10005:
			return []string{PathOTPExhausted}
		case errCode == 10000:
			return []string{PathOTPExpired}
		case errCode == 0 && next == "done":
			return []string{PathOTPRight}
		}
	case "/v1/client/mobile/instant/finish":
		switch {
		case errCode == 0 && next == "done":
			return []string{PathMobileAuthPassed}
		case next == "mobile/otp":
			return []string{PathMobileAuthFallback}
		}
	case "/v1/client/mobile/instant/error":
		return []string{PathMobileAuthFallback}
	case "/v1/client/mobile/otp/error", "/v1/client/mobile/instantlink/error":
		return []string{PathClientError}
	case pathUnify:
		return []string{PathUnifyStarted}
	case pathUnifyStatus, pathUnifyBind:
		s, _ := body["success"].(string)
		bind := path == pathUnifyBind
		switch {
		case s == "true" && bind:
			return []string{PathUnifyBound}
		case s == "false" && bind:
			return []string{PathUnifyBindFailed}
		case s == "true":
			return []string{PathUnifyPassed}
		case s == "false":
			return []string{PathUnifyFailed}
		case s == "pending":
			return []string{PathUnifyPending}
		case s == "possession_required":
			return []string{PathUnifyRequired}
		}
	case pathRevoke:
		if success {
			return []string{PathDeviceRevoked}
		}
	case "/v3/verify":
		switch body["success"] {
		case "true":
			return []string{PathVerifyPassed}
		case "false":
			return []string{PathVerifyFailed}
		}
	case "/v3/identity":
		if req.Method == http.MethodPost && success {
			return []string{PathEnrolled}
		}
	}
	return nil
}

// snapshot is the coverage so far.
func (cv *coverage) snapshot() Coverage {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	var c Coverage
	for i, op := range cv.ops {
		oc := OperationCoverage{Operation: op, Calls: cv.calls[i]}
		seen := map[int]bool{}
		for s := range cv.doc[i] {
			seen[s] = true
		}
		for s := range cv.statuses[i] {
			seen[s] = true
		}
		codes := make([]int, 0, len(seen))
		for s := range seen {
			codes = append(codes, s)
		}
		sort.Ints(codes)
		for _, s := range codes {
			oc.Statuses = append(oc.Statuses, StatusCoverage{Status: s, Documented: cv.doc[i][s], Count: cv.statuses[i][s]})
		}
		c.Operations = append(c.Operations, oc)
	}
	for _, e := range errorCodes {
		e.Count = cv.codes[e.Code]
		c.ErrorCodes = append(c.ErrorCodes, e)
	}
	for _, p := range allPaths {
		c.Paths = append(c.Paths, PathCoverage{Path: p, Count: cv.paths[p]})
	}
	return c
}

func (cv *coverage) reset() {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	for i := range cv.calls {
		cv.calls[i] = 0
		cv.statuses[i] = map[int]int{}
	}
	cv.codes = map[int]int{}
	cv.paths = map[string]int{}
}

package flowapp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/mockprove/mockprove/flowapp/prove"
)

// "Sign in with Prove": the journey on Prove's Unified Authentication
// (prove-unify-verify.md §2, §3), beside the Identity flow of flow.go.
//
//	POST /signin/start {phoneNumber, possessionType}  → Prove /v3/unify → authToken for the SDK
//	(the page runs authenticator.authenticate(authToken): a Prove Key check, then an SMS code
//	 on a phone or an Instant Link on a computer; a Prove Key is placed on a phone)
//	POST /signin/finish {authId}                      → Prove /v3/unify-status
//	    "true"                → signed in (the account remembers proveId and deviceId)
//	    "possession_required" → possessionType none: flowapp texts its OWN code (CodeSender)
//	POST /signin/code {code}                          → flowapp checks its code, then Prove /v3/unify-bind
//	POST /signin/lost-phone                           → Prove /v3/device/revoke for the account's Prove Keys
//	POST /signin/logout                               → the session ends
//
// /v3/unify-bind is called from one place only, /signin/code, after
// flowapp's own code matched: never before its own possession check.

// Defaults of the sign-in journey.
const (
	DefaultUnifyClientID     = "unify-client" // mockprove's built-in client for Prove's current suite
	DefaultUnifyClientSecret = "unify-secret"
	DefaultMaxAccounts       = 100_000 // accounts (phone → proveId, Prove Keys) kept at most
	// OwnCodeTimeout is how long flowapp's own code (possessionType none)
	// works; OwnCodeAttempts how many tries it gets.
	OwnCodeTimeout  = 5 * time.Minute
	OwnCodeAttempts = 3
	// AccountTTL: an account not signed into for this long is forgotten
	// (Prove deactivates a Prove Key after 12 months without use).
	AccountTTL = 365 * 24 * time.Hour
	// maxAccountDevices bounds the Prove Keys remembered per account (the
	// newest are kept).
	maxAccountDevices = 5
)

// OwnCodeFailuresPerPhone bounds the wrong own codes (possessionType none)
// per phone number, over all sign-ins: past it, flowapp checks no code and
// texts none for that number until the window has room again. Without it a
// stranger could guess 3 times per sign-in, as often as the start throttle
// lets them start, for as long as they like.
var OwnCodeFailuresPerPhone = Limit{N: 10, Per: 24 * time.Hour}

// codeFailures counts the wrong own codes per phone number (phoneKey), in a
// window of OwnCodeFailuresPerPhone (at most keys numbers remembered).
type codeFailures struct {
	now   func() time.Time
	epoch time.Time
	mu    sync.Mutex
	w     *window
}

func newCodeFailures(keys int, now func() time.Time) *codeFailures {
	return &codeFailures{now: now, epoch: now(), w: newWindow(OwnCodeFailuresPerPhone, keys)}
}

// wait is how long phone must wait before a code is checked again (0: now).
func (c *codeFailures) wait(phone string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	return c.w.wait(phoneKey(phone), now, now.Sub(c.epoch))
}

// failed counts a wrong code for phone.
func (c *codeFailures) failed(phone string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	at := now.Sub(c.epoch)
	if c.w.wait(phoneKey(phone), now, at) == 0 {
		c.w.record(phoneKey(phone), now, at)
	}
}

// errTooManyCodes answers a code check (or a code) refused by codeFailures.
func errTooManyCodes(phone string, wait time.Duration) *apiError {
	return &apiError{
		Status: http.StatusTooManyRequests, Code: codeRateLimited,
		Message:    "Too many wrong codes for this phone number. Please try again in " + inWords(wait) + ".",
		retryAfter: wait,
		note:       fmt.Sprintf("own code failures per phone (%s) refused %s", OwnCodeFailuresPerPhone, maskPhone(phoneKey(phone))),
	}
}

// CodeSender delivers flowapp's own possession code (possessionType none)
// to a phone number: a customer's own SMS provider. The default keeps the
// messages in memory (CodeOutbox) and sends nothing.
type CodeSender interface {
	SendCode(ctx context.Context, phoneNumber, code string) error
}

// CodeMessage is one code flowapp's own sender "sent".
type CodeMessage struct {
	PhoneNumber string
	Code        string
	At          time.Time
}

// CodeOutbox is the default CodeSender: a stand-in for the customer's own
// SMS provider that keeps the last messages in memory (at most max) and
// sends nothing. Tests and developers read the codes from it; a production
// deployment passes its own CodeSender.
type CodeOutbox struct {
	max int
	now func() time.Time

	mu   sync.Mutex
	msgs []CodeMessage
}

// NewCodeOutbox returns an outbox that keeps the last max messages
// (default 1000).
func NewCodeOutbox(max int, now func() time.Time) *CodeOutbox {
	if max <= 0 {
		max = 1000
	}
	if now == nil {
		now = time.Now
	}
	return &CodeOutbox{max: max, now: now}
}

// SendCode stores the message.
func (o *CodeOutbox) SendCode(_ context.Context, phoneNumber, code string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) >= o.max {
		o.msgs = append(o.msgs[:0], o.msgs[1:]...)
	}
	o.msgs = append(o.msgs, CodeMessage{PhoneNumber: phoneNumber, Code: code, At: o.now()})
	return nil
}

// Messages lists the messages to a phone number (every message for ""),
// oldest first.
func (o *CodeOutbox) Messages(phoneNumber string) []CodeMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []CodeMessage
	for _, m := range o.msgs {
		if phoneNumber == "" || phoneKey(m.PhoneNumber) == phoneKey(phoneNumber) {
			out = append(out, m)
		}
	}
	return out
}

// Stages of a sign-in session.
const (
	stagePossession = "possession" // the SDK runs; /signin/finish is next
	stageOwnCode    = "own_code"   // flowapp's own code was sent; /signin/code is next
	stageSignedIn   = "signed_in"
)

// signinState is a "Sign in with Prove" session's state (session.signin),
// guarded by the session's lock.
type signinState struct {
	possessionType  string
	clientRequestID string
	stage           string
	code            string    // flowapp's own code (stageOwnCode)
	codeExpires     time.Time //
	codeTries       int       // wrong codes so far
	proveID         string    // once signed in
	deviceID        string
}

// account is what flowapp remembers of a customer who signed in: Prove's
// person id and the Prove Keys (deviceIds) placed on their devices.
type account struct {
	proveID string
	devices []string // newest last, at most maxAccountDevices
}

// accountStore keeps accounts by phone number (phoneKey), at most max, each
// forgotten AccountTTL after its last sign-in.
type accountStore struct {
	now func() time.Time
	mu  sync.Mutex
	m   *expiring[*account]
}

func newAccountStore(max int, now func() time.Time) *accountStore {
	return &accountStore{now: now, m: newExpiring[*account](AccountTTL, max)}
}

// signedIn records a sign-in and reports whether deviceID was already one of
// the account's Prove Keys (the device was recognised), and the keys it
// stopped remembering (past maxAccountDevices): the caller revokes them at
// Prove, since /signin/lost-phone could no longer.
func (st *accountStore) signedIn(phone, proveID, deviceID string) (known bool, dropped []string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.m.expire(now)
	key := phoneKey(phone)
	acc := &account{}
	if e := st.m.get(key, now); e != nil {
		acc = e.val
	}
	if proveID != "" {
		acc.proveID = proveID
	}
	if deviceID != "" {
		for i, d := range acc.devices {
			if d == deviceID {
				known = true
				acc.devices = append(acc.devices[:i], acc.devices[i+1:]...)
				break
			}
		}
		acc.devices = append(acc.devices, deviceID)
		if n := len(acc.devices) - maxAccountDevices; n > 0 {
			dropped = append(dropped, acc.devices[:n]...)
			acc.devices = append([]string(nil), acc.devices[n:]...)
		}
	}
	st.m.put(key, acc, now)
	return known, dropped
}

// devices lists the account's Prove Keys.
func (st *accountStore) devices(phone string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	e := st.m.get(phoneKey(phone), st.now())
	if e == nil {
		return nil
	}
	return append([]string(nil), e.val.devices...)
}

// forget drops one Prove Key of the account.
func (st *accountStore) forget(phone, deviceID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e := st.m.get(phoneKey(phone), st.now())
	if e == nil {
		return
	}
	acc := e.val
	for i, d := range acc.devices {
		if d == deviceID {
			acc.devices = append(acc.devices[:i], acc.devices[i+1:]...)
			return
		}
	}
}

func (a *App) registerSignin(r *mux.Router) {
	r.Handle("/signin/start", a.api(a.signinStart)).Methods(http.MethodPost)
	r.Handle("/signin/finish", a.api(a.signinFinish)).Methods(http.MethodPost)
	r.Handle("/signin/code", a.api(a.signinCode)).Methods(http.MethodPost)
	r.Handle("/signin/lost-phone", a.api(a.signinLostPhone)).Methods(http.MethodPost)
	r.Handle("/signin/logout", a.api(a.signinLogout)).Methods(http.MethodPost)
}

// Values of SignInResponse.Status.
const (
	signinStatusSignedIn  = "signed_in"  // possession proved: the customer is signed in
	signinStatusCodeSent  = "code_sent"  // flowapp texted its own code: POST /signin/code
	signinStatusCodeWrong = "code_wrong" // that was not the code; attemptsLeft more tries
	signinStatusFailed    = "failed"     // possession not proved; the session is over
	signinStatusPending   = "pending"    // Prove has no result yet (the SDK has not finished)
)

// Values of SignInResponse.Device.
const (
	deviceRecognised = "recognised" // a Prove Key this account already had
	deviceNew        = "new"        // a Prove Key placed now
	deviceNone       = "none"       // no Prove Key (a computer: Instant Link)
)

type signinStartRequest struct {
	PhoneNumber    string `json:"phoneNumber"`
	PossessionType string `json:"possessionType"`
}

type signinStartResponse struct {
	PossessionType string `json:"possessionType"`
	AuthToken      string `json:"authToken,omitempty"`
}

type signinFinishRequest struct {
	AuthID string `json:"authId"`
}

type signinCodeRequest struct {
	Code string `json:"code"`
}

type signinResponse struct {
	Status       string `json:"status"`
	PhoneNumber  string `json:"phoneNumber,omitempty"`
	Device       string `json:"device,omitempty"`
	AttemptsLeft *int   `json:"attemptsLeft,omitempty"`
}

type lostPhoneResponse struct {
	Revoked int `json:"revoked"`
}

type logoutResponse struct {
	Status string `json:"status"`
}

// errSigninOff answers every sign-in call when flowapp has no Unify
// credentials (against Prove, PROVE_UNIFY_CLIENT_ID and _SECRET unset).
var errSigninOff = &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable, Message: msgMisconfigured,
	note: "Sign in with Prove needs a Unify project's credentials: set PROVE_UNIFY_CLIENT_ID and PROVE_UNIFY_CLIENT_SECRET"}

// signinStart is POST /signin/start: Prove /v3/unify, then a new session.
func (a *App) signinStart(r *http.Request) (*reply, error) {
	var req signinStartRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	var c checks
	switch {
	case req.PhoneNumber == "":
		c.fail("field 'phoneNumber' is required.")
	case !rePhone.MatchString(req.PhoneNumber):
		c.fail("field 'phoneNumber' must be 10 to 15 digits with an optional leading +.")
	}
	switch req.PossessionType {
	case prove.PossessionMobile, prove.PossessionDesktop, prove.PossessionNone:
	case "":
		c.fail("field 'possessionType' is required.")
	default:
		c.fail("field 'possessionType' must be mobile, desktop or none.")
	}
	if c.err != nil {
		return nil, c.err
	}
	if a.unify == nil {
		return nil, errSigninOff
	}
	// Counted before Prove is called, as /initialize: a mobile or desktop
	// start may text the phone (a code or a link), and a start with
	// possessionType none leads to flowapp's own text.
	if rf := a.throttle.allow(r, req.PhoneNumber); rf != nil {
		return nil, errThrottled(rf)
	}
	crid, err := newRequestID()
	if err != nil {
		return nil, err
	}
	u := prove.UnifyRequest{PossessionType: req.PossessionType, ClientRequestID: crid, PhoneNumber: req.PhoneNumber}
	switch req.PossessionType {
	case prove.PossessionDesktop:
		u.FinalTargetURL = a.finalTarget(r)
	case prove.PossessionMobile:
		u.AllowOTPRetry = true
	}
	rsp, err := a.unify.Unify(proveContext(r), u)
	if err != nil {
		return nil, err
	}
	if old := a.sessions.fromRequest(r); old != nil {
		a.sessions.end(old)
	}
	s, dropped, err := a.sessions.open(&session{
		correlationID: rsp.CorrelationID, phone: req.PhoneNumber, flowType: req.PossessionType,
		signin: &signinState{possessionType: req.PossessionType, clientRequestID: crid, stage: stagePossession},
	})
	if err != nil {
		return nil, err
	}
	if dropped != nil {
		a.log.Warn("session store full: dropped the oldest session", "max", a.opts.MaxSessions,
			"droppedCorrelationId", dropped.correlationID, "expiresIn", dropped.expires.Sub(a.opts.Now()).Round(time.Second))
	}
	a.log.Info("sign-in started", "correlationId", rsp.CorrelationID, "phone", maskPhone(req.PhoneNumber),
		"possessionType", req.PossessionType, "success", rsp.Success)
	return &reply{
		status:  http.StatusOK,
		body:    signinStartResponse{PossessionType: req.PossessionType, AuthToken: rsp.AuthToken},
		cookies: []*http.Cookie{a.sessions.cookie(s, r)},
	}, nil
}

// lockSignin finds the request's sign-in session and holds its lock until
// unlock. An Identity flow's session is not one.
func (a *App) lockSignin(r *http.Request) (*session, func(), error) {
	if a.unify == nil {
		return nil, nil, errSigninOff
	}
	s, unlock, err := a.lockSession(r)
	if err != nil {
		return nil, nil, err
	}
	if s.signin == nil {
		unlock()
		return nil, nil, &apiError{Status: http.StatusConflict, Code: codeWrongStep,
			Message: "No sign-in is in progress: an account application is (call /signin/start to sign in)."}
	}
	return s, unlock, nil
}

// signinWrongStep explains why a sign-in step is not possible now.
func signinWrongStep(endpoint string, st *signinState) error {
	var where string
	switch st.stage {
	case stagePossession:
		where = "the phone has not been checked yet (let the SDK finish, then call /signin/finish)"
	case stageOwnCode:
		where = "the code we texted has not been entered yet (call /signin/code)"
	case stageSignedIn:
		where = "you are already signed in"
	}
	return &apiError{Status: http.StatusConflict, Code: codeWrongStep, Message: fmt.Sprintf("%s is not possible now: %s.", endpoint, where)}
}

// signinFinish is POST /signin/finish (the SDK's AuthFinishStep, or the
// page itself when /v3/unify gave no authToken): Prove /v3/unify-status.
func (a *App) signinFinish(r *http.Request) (*reply, error) {
	var req signinFinishRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return nil, err
	}
	var c checks
	c.length("authId", req.AuthID, 256)
	if c.err != nil {
		return nil, c.err
	}
	s, unlock, err := a.lockSignin(r)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st := s.signin
	if st.stage != stagePossession {
		return nil, signinWrongStep("/signin/finish", st)
	}
	ctx := proveContext(r)
	v, err := a.unify.UnifyStatus(ctx, prove.UnifyStatusRequest{CorrelationID: s.correlationID, ClientRequestID: st.clientRequestID})
	if err != nil {
		return nil, err
	}
	a.log.Info("sign-in possession result", "correlationId", s.correlationID, "success", v.Success, "authId", req.AuthID,
		"deviceId", v.DeviceID != "")
	switch v.Success {
	case prove.UnifyTrue:
		return a.signedIn(r, s, v)
	case prove.UnifyPossessionRequired:
		if st.possessionType != prove.PossessionNone {
			a.sessions.end(s)
			return nil, &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable, Message: msgProveUnreadable,
				note: "Prove asked for the customer's own possession check on a " + st.possessionType + " sign-in"}
		}
		if wait := a.codeFails.wait(s.phone); wait > 0 {
			a.sessions.end(s)
			return nil, errTooManyCodes(s.phone, wait)
		}
		code, err := newOwnCode()
		if err != nil {
			return nil, err
		}
		if err := a.codes.SendCode(ctx, s.phone, code); err != nil {
			a.log.Error("own possession code not sent", "correlationId", s.correlationID, "err", err)
			return nil, &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable,
				Message: "We couldn't text you a code right now. Please try again in a moment.", cause: err}
		}
		st.stage, st.code, st.codeExpires, st.codeTries = stageOwnCode, code, a.opts.Now().Add(OwnCodeTimeout), 0
		a.log.Info("own possession code sent", "correlationId", s.correlationID, "phone", maskPhone(s.phone))
		if a.phoneURL != "" && a.outbox != nil {
			// Developer hints are on (a local mockprove) and the default
			// CodeOutbox sends nothing, so the log is where a developer
			// trying the page reads the code. Never logged otherwise: a
			// code a real CodeSender texted stays out of the logs.
			a.log.Info("developer hint: flowapp's own code", "phone", maskPhone(s.phone), "code", code)
		}
		left := OwnCodeAttempts
		return ok(signinResponse{Status: signinStatusCodeSent, PhoneNumber: s.phone, AttemptsLeft: &left}), nil
	case prove.UnifyPending:
		return ok(signinResponse{Status: signinStatusPending, PhoneNumber: s.phone}), nil
	}
	a.sessions.end(s)
	return ok(signinResponse{Status: signinStatusFailed, PhoneNumber: s.phone}), nil
}

// signedIn moves the session to signed in and records the account. The
// signed-in session gets a new id (and cookie): the id the browser held
// before the phone was proved no longer works (no session fixation).
func (a *App) signedIn(r *http.Request, s *session, v *prove.UnifyStatusResponse) (*reply, error) {
	if v.PhoneNumber != "" && phoneKey(v.PhoneNumber) != phoneKey(s.phone) {
		// Prove proved another number than the customer typed: never sign
		// into the typed number's account on it.
		a.sessions.end(s)
		a.log.Warn("sign-in refused: Prove's phoneNumber is not the session's", "correlationId", s.correlationID,
			"phone", maskPhone(s.phone), "provePhone", maskPhone(v.PhoneNumber))
		return ok(signinResponse{Status: signinStatusFailed, PhoneNumber: s.phone}), nil
	}
	ns, dropped, err := a.sessions.open(&session{correlationID: s.correlationID, phone: s.phone, flowType: s.flowType, signin: s.signin})
	if err != nil {
		a.sessions.end(s)
		return nil, err
	}
	a.sessions.end(s)
	if dropped != nil {
		a.log.Warn("session store full: dropped the oldest session", "max", a.opts.MaxSessions,
			"droppedCorrelationId", dropped.correlationID, "expiresIn", dropped.expires.Sub(a.opts.Now()).Round(time.Second))
	}
	s = ns
	st := s.signin
	st.stage, st.code = stageSignedIn, ""
	st.proveID, st.deviceID = v.ProveID, v.DeviceID
	known, forgotten := a.accounts.signedIn(s.phone, v.ProveID, v.DeviceID)
	for _, dev := range forgotten {
		// A key flowapp no longer remembers must not stay usable: "I lost
		// my phone" could not revoke it.
		rsp, err := a.unify.DeviceRevoke(proveContext(r), prove.DeviceRevokeRequest{ClientRequestID: st.clientRequestID, DeviceID: dev})
		switch {
		case err != nil:
			a.log.LogAttrs(r.Context(), slog.LevelWarn, "forgotten Prove Key not revoked",
				append(causeAttrs(err), slog.String("correlationId", s.correlationID))...)
		case !rsp.Success:
			a.log.Warn("forgotten Prove Key not revoked", "correlationId", s.correlationID, "success", false)
		}
	}
	device := deviceNone
	switch {
	case v.DeviceID != "" && known:
		device = deviceRecognised
	case v.DeviceID != "":
		device = deviceNew
	}
	a.log.Info("signed in", "correlationId", s.correlationID, "phone", maskPhone(s.phone), "device", device)
	return &reply{
		status:  http.StatusOK,
		body:    signinResponse{Status: signinStatusSignedIn, PhoneNumber: s.phone, Device: device},
		cookies: []*http.Cookie{a.sessions.cookie(s, r)},
	}, nil
}

// signinCode is POST /signin/code (possessionType none): flowapp's own
// possession check, and only once it passed, Prove /v3/unify-bind.
func (a *App) signinCode(r *http.Request) (*reply, error) {
	var req signinCodeRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	var c checks
	c.required("code", req.Code, 16)
	if c.err != nil {
		return nil, c.err
	}
	s, unlock, err := a.lockSignin(r)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st := s.signin
	if st.stage != stageOwnCode {
		return nil, signinWrongStep("/signin/code", st)
	}
	if !a.opts.Now().Before(st.codeExpires) {
		a.sessions.end(s)
		a.log.Info("own possession code expired", "correlationId", s.correlationID)
		return ok(signinResponse{Status: signinStatusFailed, PhoneNumber: s.phone}), nil
	}
	if wait := a.codeFails.wait(s.phone); wait > 0 {
		a.sessions.end(s)
		return nil, errTooManyCodes(s.phone, wait)
	}
	if subtle.ConstantTimeCompare([]byte(req.Code), []byte(st.code)) != 1 {
		a.codeFails.failed(s.phone)
		st.codeTries++
		left := OwnCodeAttempts - st.codeTries
		a.log.Info("own possession code wrong", "correlationId", s.correlationID, "attemptsLeft", left)
		if left <= 0 {
			a.sessions.end(s)
			return ok(signinResponse{Status: signinStatusFailed, PhoneNumber: s.phone}), nil
		}
		return ok(signinResponse{Status: signinStatusCodeWrong, PhoneNumber: s.phone, AttemptsLeft: &left}), nil
	}
	// flowapp's own possession check passed: now, and only now, bind.
	st.code = ""
	v, err := a.unify.UnifyBind(proveContext(r), prove.UnifyBindRequest{
		CorrelationID: s.correlationID, PhoneNumber: s.phone, ClientRequestID: st.clientRequestID,
	})
	if err != nil {
		// The code was right: a later /signin/code may not re-check it, so
		// the flow cannot go on safely. Start again.
		a.sessions.end(s)
		return nil, err
	}
	a.log.Info("sign-in bound", "correlationId", s.correlationID, "success", v.Success)
	if v.Success == prove.UnifyTrue {
		return a.signedIn(r, s, v)
	}
	a.sessions.end(s)
	return ok(signinResponse{Status: signinStatusFailed, PhoneNumber: s.phone}), nil
}

// signinLostPhone is POST /signin/lost-phone: Prove /v3/device/revoke for
// every Prove Key of the signed-in account. A key Prove no longer knows
// (404, code 8011) counts as revoked. The customer stays signed in here;
// the next sign-in on any of those devices needs a code (or link) again.
func (a *App) signinLostPhone(r *http.Request) (*reply, error) {
	if err := decodeJSON(r, &struct{}{}, true); err != nil {
		return nil, err
	}
	s, unlock, err := a.lockSignin(r)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st := s.signin
	if st.stage != stageSignedIn {
		return nil, &apiError{Status: http.StatusConflict, Code: codeWrongStep,
			Message: "/signin/lost-phone is not possible now: sign in first."}
	}
	ctx := proveContext(r)
	revoked := 0
	for _, dev := range a.accounts.devices(s.phone) {
		rsp, err := a.unify.DeviceRevoke(ctx, prove.DeviceRevokeRequest{ClientRequestID: st.clientRequestID, DeviceID: dev})
		var pe *prove.Error
		switch {
		case err == nil && rsp.Success:
		case err == nil:
			// success is a boolean here: false means the key still works.
			// Keep it, so that the customer can try again.
			return nil, &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable,
				Message: "We couldn't revoke your phone's key right now. Please try again in a moment.",
				note:    "Prove's /v3/device/revoke answered success false: the Prove Key is still active"}
		case errors.As(err, &pe) && pe.Status == http.StatusNotFound && pe.Code == prove.CodeIdentityNotFound:
			a.log.Info("Prove Key already unknown to Prove", "correlationId", s.correlationID)
		default:
			return nil, err
		}
		a.accounts.forget(s.phone, dev)
		revoked++
	}
	st.deviceID = ""
	a.log.LogAttrs(ctx, slog.LevelInfo, "Prove Keys revoked", slog.String("phone", maskPhone(s.phone)), slog.Int("revoked", revoked))
	return ok(lostPhoneResponse{Revoked: revoked}), nil
}

// signinLogout is POST /signin/logout: the sign-in session ends.
func (a *App) signinLogout(r *http.Request) (*reply, error) {
	if err := decodeJSON(r, &struct{}{}, true); err != nil {
		return nil, err
	}
	s, unlock, err := a.lockSignin(r)
	if err != nil {
		return nil, err
	}
	defer unlock()
	a.sessions.end(s)
	return ok(logoutResponse{Status: "signed_out"}), nil
}

// newRequestID is a random UUID (version 4) for clientRequestId: Prove asks
// for an opaque id without personal data.
func newRequestID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// newOwnCode is flowapp's own 6-digit possession code.
func newOwnCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

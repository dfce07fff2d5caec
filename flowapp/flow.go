package flowapp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/mockprove/mockprove/flowapp/prove"
)

// The flow: /initialize → (possession check in the browser) → /verify →
// [/challenge] → /finish. Each step is allowed only when Prove's latest next
// map allows the Prove call behind it; flowapp never hard-codes the order.

func (a *App) registerFlow(r *mux.Router) {
	r.Handle("/initialize", a.api(a.initialize)).Methods(http.MethodPost)
	r.Handle("/verify", a.api(a.verify)).Methods(http.MethodPost)
	r.Handle("/challenge", a.api(a.challenge)).Methods(http.MethodPost)
	r.Handle("/finish", a.api(a.finish)).Methods(http.MethodPost)
}

// Values of the "next" field flowapp gives the page.
const (
	nextChallenge = "challenge"
	nextComplete  = "complete"
	nextDone      = "done"
)

type initializeRequest struct {
	PhoneNumber string `json:"phoneNumber"`
	FlowType    string `json:"flowType"`
}

type initializeResponse struct {
	AuthToken string `json:"authToken"`
	FlowType  string `json:"flowType"`
}

// initialize is POST /initialize: Prove /v3/start, then a new session.
func (a *App) initialize(r *http.Request) (*reply, error) {
	var req initializeRequest
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
	switch req.FlowType {
	case prove.FlowMobile, prove.FlowDesktop:
	case "":
		c.fail("field 'flowType' is required.")
	default:
		c.fail("field 'flowType' must be mobile or desktop.")
	}
	if c.err != nil {
		return nil, c.err
	}
	// Counted before Prove is called: a start Prove refuses may still have
	// cost a text.
	if rf := a.throttle.allow(r, req.PhoneNumber); rf != nil {
		return nil, errThrottled(rf)
	}
	start := prove.StartRequest{FlowType: req.FlowType, PhoneNumber: req.PhoneNumber, AllowOTPRetry: true}
	if req.FlowType == prove.FlowDesktop {
		start.FinalTargetURL = a.finalTarget(r)
	}
	rsp, err := a.prove.Start(proveContext(r), start)
	if err != nil {
		return nil, err
	}
	if !rsp.Next.Has(prove.StepValidate) {
		return nil, unexpectedNext("/v3/start", rsp.Next)
	}
	if old := a.sessions.fromRequest(r); old != nil {
		a.sessions.end(old)
	}
	s, dropped, err := a.sessions.create(rsp.CorrelationID, req.PhoneNumber, req.FlowType, rsp.Next)
	if err != nil {
		return nil, err
	}
	if dropped != nil {
		a.log.Warn("session store full: dropped the oldest session", "max", a.opts.MaxSessions,
			"droppedCorrelationId", dropped.correlationID, "expiresIn", dropped.expires.Sub(a.opts.Now()).Round(time.Second))
	}
	a.log.Info("flow started", "correlationId", rsp.CorrelationID, "phone", maskPhone(req.PhoneNumber), "flowType", req.FlowType)
	return &reply{
		status:  http.StatusOK,
		body:    initializeResponse{AuthToken: rsp.AuthToken, FlowType: req.FlowType},
		cookies: []*http.Cookie{a.sessions.cookie(s, r)},
	}, nil
}

type verifyRequest struct {
	AuthID string `json:"authId"`
}

type verifyResponse struct {
	Success          bool        `json:"success"`
	PhoneNumber      string      `json:"phoneNumber"`
	Next             string      `json:"next"`
	ChallengeMissing bool        `json:"challengeMissing"`
	Individual       *individual `json:"individual,omitempty"`
}

// verify is POST /verify (the SDK's AuthFinishStep): Prove /v3/validate,
// then, for Pre-Fill with the challenge already known, /v3/challenge.
func (a *App) verify(r *http.Request) (*reply, error) {
	var req verifyRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return nil, err
	}
	var c checks
	c.length("authId", req.AuthID, 256)
	if c.err != nil {
		return nil, c.err
	}
	s, unlock, err := a.lockSession(r)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !s.next.Has(prove.StepValidate) {
		return nil, wrongStep("/verify", s.next)
	}
	ctx := proveContext(r)
	v, err := a.prove.Validate(ctx, s.correlationID)
	if err != nil {
		return nil, err
	}
	// s.next moves on only once the whole step worked: when the pre-fill
	// challenge below fails, the page may send /verify again.
	resp := verifyResponse{Success: v.Success, PhoneNumber: v.PhoneNumber, ChallengeMissing: v.ChallengeMissing}
	if resp.PhoneNumber == "" {
		resp.PhoneNumber = s.phone
	}
	a.log.Info("phone validated", "correlationId", s.correlationID, "success", v.Success, "authId", req.AuthID, "next", nextKeys(v.Next))
	switch {
	case !v.Success:
		resp.Next = nextDone
		s.next = v.Next
	case v.Next.Has(prove.StepChallenge) && v.ChallengeMissing:
		resp.Next = nextChallenge
		s.next = v.Next
	case v.Next.Has(prove.StepChallenge):
		// Pre-Fill where Prove already has the DOB or SSN: fetch the
		// identity now so that the page can pre-fill the form.
		ch, err := a.prove.Challenge(ctx, prove.ChallengeRequest{CorrelationID: s.correlationID})
		switch {
		case err != nil && v.Next.Has(prove.StepComplete):
			// The pre-fill is optional when complete is allowed: go on with
			// an empty form.
			attrs := append([]slog.Attr{slog.String("correlationId", s.correlationID)}, causeAttrs(err)...)
			a.log.LogAttrs(ctx, slog.LevelWarn, "pre-fill challenge failed; continuing without it", attrs...)
			resp.Next = nextComplete
			s.next = v.Next
		case err != nil:
			return nil, err
		default:
			resp.Success = ch.Success
			resp.Next, err = afterChallenge(ch)
			if err != nil {
				return nil, err
			}
			s.next = ch.Next
			if ch.Success {
				resp.Individual = s.prefill(ch.Individual)
			}
		}
	case v.Next.Has(prove.StepComplete):
		resp.Next = nextComplete
		s.next = v.Next
	default:
		return nil, unexpectedNext("/v3/validate", v.Next)
	}
	if resp.Next == nextDone {
		a.sessions.end(s)
	}
	return ok(resp), nil
}

type challengeRequest struct {
	DOB string `json:"dob"`
	SSN string `json:"ssn"`
}

type challengeResponse struct {
	Success    bool        `json:"success"`
	Next       string      `json:"next"`
	Individual *individual `json:"individual,omitempty"`
}

// challenge is POST /challenge (Pre-Fill): Prove /v3/challenge with the DOB
// and/or SSN the customer typed.
func (a *App) challenge(r *http.Request) (*reply, error) {
	var req challengeRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	var c checks
	if req.DOB == "" && req.SSN == "" {
		c.fail("At least one of the fields 'dob' and 'ssn' is required.")
	}
	c.date("dob", req.DOB, a.opts.Now())
	c.ssn("ssn", req.SSN)
	if c.err != nil {
		return nil, c.err
	}
	s, unlock, err := a.lockSession(r)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !s.next.Has(prove.StepChallenge) {
		return nil, wrongStep("/challenge", s.next)
	}
	ch, err := a.prove.Challenge(proveContext(r), prove.ChallengeRequest{CorrelationID: s.correlationID, DOB: req.DOB, SSN: req.SSN})
	if err != nil {
		return nil, err
	}
	s.next = ch.Next
	a.log.Info("challenge answered", "correlationId", s.correlationID, "success", ch.Success, "next", nextKeys(ch.Next))
	next, err := afterChallenge(ch)
	if err != nil {
		return nil, err
	}
	resp := challengeResponse{Success: ch.Success, Next: next}
	if ch.Success {
		resp.Individual = s.prefill(ch.Individual)
	}
	if next == nextDone {
		a.sessions.end(s)
	}
	return ok(resp), nil
}

// afterChallenge is what follows a /v3/challenge answer.
func afterChallenge(ch *prove.ChallengeResponse) (string, error) {
	switch {
	case !ch.Success:
		return nextDone, nil
	case ch.Next.Has(prove.StepComplete):
		return nextComplete, nil
	}
	return "", unexpectedNext("/v3/challenge", ch.Next)
}

type finishRequest struct {
	FirstName    string         `json:"firstName"`
	LastName     string         `json:"lastName"`
	DOB          string         `json:"dob"`
	SSN          string         `json:"ssn"`
	EmailAddress string         `json:"emailAddress"`
	Address      *finishAddress `json:"address"`
}

type finishAddress struct {
	Address         string `json:"address"`
	ExtendedAddress string `json:"extendedAddress"`
	City            string `json:"city"`
	Region          string `json:"region"`
	PostalCode      string `json:"postalCode"`
}

type finishResponse struct {
	Success       bool        `json:"success"`
	Next          string      `json:"next"`
	CIPConfidence string      `json:"cipConfidence,omitempty"`
	ReasonCodes   []string    `json:"reasonCodes,omitempty"`
	KYC           *kycSummary `json:"kyc,omitempty"`
}

type kycSummary struct {
	TotalHits int64     `json:"totalHits"`
	AmlTypes  []amlType `json:"amlTypes"`
}

type amlType struct {
	AmlType  string `json:"amlType"`
	ListHits int64  `json:"listHits"`
}

// finish is POST /finish: Prove /v3/complete with the identity the customer
// confirmed. The flow is then over.
func (a *App) finish(r *http.Request) (*reply, error) {
	var req finishRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	var c checks
	c.required("firstName", req.FirstName, 64)
	c.required("lastName", req.LastName, 64)
	c.date("dob", req.DOB, a.opts.Now())
	if !reMaskedSSN.MatchString(req.SSN) {
		c.ssn("ssn", req.SSN)
	}
	c.email("emailAddress", req.EmailAddress)
	if ad := req.Address; ad != nil {
		c.required("address.address", ad.Address, 128)
		c.length("address.extendedAddress", ad.ExtendedAddress, 128)
		c.required("address.city", ad.City, 64)
		c.required("address.region", ad.Region, 64)
		if !reZIP.MatchString(ad.PostalCode) {
			c.fail("field 'address.postalCode' must be a ZIP code: 5 digits or ZIP+4 (12345-6789).")
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	s, unlock, err := a.lockSession(r)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !s.next.Has(prove.StepComplete) {
		return nil, wrongStep("/finish", s.next)
	}
	// The page shows a pre-filled SSN masked: the masked form (or no SSN at
	// all) means the one Prove pre-filled, which only the session holds.
	ssn := req.SSN
	switch {
	case reMaskedSSN.MatchString(ssn) && (s.prefillSSN == "" || maskSSN(s.prefillSSN) != ssn):
		return nil, badRequest("field 'ssn' must be 4 digits (the last 4 of the SSN) or 9 digits.")
	case reMaskedSSN.MatchString(ssn), ssn == "":
		ssn = s.prefillSSN
	}
	in := prove.CompleteIndividual{
		FirstName: strings.TrimSpace(req.FirstName), LastName: strings.TrimSpace(req.LastName),
		DOB: req.DOB, SSN: ssn,
	}
	if req.EmailAddress != "" {
		in.EmailAddresses = []string{req.EmailAddress}
	}
	if ad := req.Address; ad != nil {
		in.Addresses = []prove.AddressEntry{{
			Address: strings.TrimSpace(ad.Address), ExtendedAddress: strings.TrimSpace(ad.ExtendedAddress),
			City: strings.TrimSpace(ad.City), Region: strings.TrimSpace(ad.Region), PostalCode: ad.PostalCode,
		}}
	}
	cp, err := a.prove.Complete(proveContext(r), prove.CompleteRequest{CorrelationID: s.correlationID, Individual: in})
	if err != nil {
		return nil, err
	}
	a.sessions.end(s)
	resp := finishResponse{Success: cp.Success, Next: nextDone}
	if idv := cp.IDV; idv != nil {
		resp.CIPConfidence = idv.MultiCIPConfidence
		if ds := idv.DataSource1; ds != nil {
			if resp.CIPConfidence == "" {
				resp.CIPConfidence = ds.CIPConfidence
			}
			resp.ReasonCodes = ds.ReasonCodes
		}
	}
	if k := cp.KYC; k != nil {
		resp.KYC = &kycSummary{TotalHits: prove.Int64(k.TotalHits), AmlTypes: []amlType{}}
		for _, l := range k.AmlTypeLists {
			resp.KYC.AmlTypes = append(resp.KYC.AmlTypes, amlType{AmlType: l.AmlType, ListHits: prove.Int64(l.ListHits)})
		}
	}
	a.log.Info("flow completed", "correlationId", s.correlationID, "success", cp.Success, "cipConfidence", resp.CIPConfidence)
	return ok(resp), nil
}

// lockSession finds the request's session and holds its lock until unlock.
func (a *App) lockSession(r *http.Request) (*session, func(), error) {
	s := a.sessions.fromRequest(r)
	if s == nil {
		return nil, nil, errNoSession
	}
	s.mu.Lock()
	if !a.sessions.alive(s) { // ended or replaced while we waited
		s.mu.Unlock()
		return nil, nil, errNoSession
	}
	return s, s.mu.Unlock, nil
}

// proveContext is the context of a Prove call: not cancelled when the
// browser goes away, so that flowapp's state matches Prove's; bounded by the
// Prove client's timeout.
func proveContext(r *http.Request) context.Context {
	return context.WithoutCancel(r.Context())
}

// wrongStep explains why a step is not possible now, from Prove's next map.
func wrongStep(endpoint string, next prove.Next) error {
	var where string
	switch {
	case next.Has(prove.StepValidate):
		where = "the phone number has not been verified yet (finish the check on the phone, then call /verify)"
	case next.Has(prove.StepChallenge):
		where = "Prove needs the date of birth or SSN first (call /challenge)"
	case next.Has(prove.StepComplete):
		where = "the phone number is already verified (call /finish)"
	default:
		where = "the flow is over (call /initialize to start again)"
	}
	return &apiError{Status: http.StatusConflict, Code: codeWrongStep, Message: fmt.Sprintf("%s is not possible now: %s.", endpoint, where)}
}

// unexpectedNext is a Prove answer whose next map offers nothing flowapp
// can follow.
func unexpectedNext(op string, next prove.Next) error {
	return &apiError{Status: http.StatusBadGateway, Code: codeProveUnavailable,
		Message: fmt.Sprintf("Prove's %s answer offers no step flowapp can follow (next: %s); start again.", op, nextKeys(next))}
}

func nextKeys(n prove.Next) string {
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "[" + strings.Join(keys, ", ") + "]"
}

// individual is the identity Prove pre-fills, as the page gets it: the SSN
// masked (maskSSN), everything else as Prove has it.
type individual struct {
	FirstName      string    `json:"firstName,omitempty"`
	LastName       string    `json:"lastName,omitempty"`
	Addresses      []address `json:"addresses,omitempty"`
	EmailAddresses []string  `json:"emailAddresses,omitempty"`
	DOB            string    `json:"dob,omitempty"`
	SSN            string    `json:"ssn,omitempty"`
}

type address struct {
	Address         string `json:"address,omitempty"`
	ExtendedAddress string `json:"extendedAddress,omitempty"`
	City            string `json:"city,omitempty"`
	Region          string `json:"region,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
}

// prefill keeps the full SSN of a pre-filled identity in the session and
// returns the identity for the page, the SSN masked.
func (s *session) prefill(in *prove.ChallengeIndividual) *individual {
	if in == nil {
		return nil
	}
	s.prefillSSN = in.SSN
	out := &individual{FirstName: in.FirstName, LastName: in.LastName, EmailAddresses: in.EmailAddresses, DOB: dateOnly(in.DOB)}
	if in.SSN != "" {
		out.SSN = maskSSN(in.SSN)
	}
	for _, ad := range in.Addresses {
		out.Addresses = append(out.Addresses, address(ad))
	}
	return out
}

// maskSSN shows only the last 4 digits of an SSN: "*****0596".
func maskSSN(ssn string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, ssn)
	if len(digits) > 4 {
		digits = digits[len(digits)-4:]
	}
	return "*****" + digits
}

// dateOnly turns Prove's "1981-01-17T00:00:00Z" into "1981-01-17" (what an
// <input type="date"> takes); other forms pass through.
func dateOnly(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Format("2006-01-02")
	}
	if len(s) > 10 && s[10] == 'T' {
		if _, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return s[:10]
		}
	}
	return s
}

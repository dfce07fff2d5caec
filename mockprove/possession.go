package mockprove

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Possession-check lifetimes documented by Prove (prove-platform-api.md §11).
const (
	DefaultOTPTTL         = 2 * time.Minute // "two minute timeout" to enter the OTP
	DefaultInstantLinkTTL = 3 * time.Minute // "three minute timeout" to select the link
	otpMaxAttemptsRetry   = 3               // allowOTPRetry: "up to three times"
)

// Possession methods.
const (
	MethodOTP         = "otp"
	MethodInstantLink = "instantlink"
	MethodMobileAuth  = "mobileauth"
	MethodProveKey    = "provekey" // a Unify session recognised by its Prove Key
)

// SDK error codes (prove-web-sdk.md §7) and the data codes mockprove uses for
// a rejected phone number and a wrong OTP.
const (
	sdkAuthFailure        = 10000
	sdkExternalFailure    = 10001
	sdkMaxAttempts        = 10005
	dataPhoneRejected     = 1001
	dataOTPInvalid        = 1002
	defaultOTPSMS         = "#### is your temporary code to continue your application. Caution: for your security, don't share this code with anyone."
	defaultInstantLinkSMS = "Complete your verification. If you did not make this request, do not click the link. ####"
)

// PossessionState is the state of a flow's client-SDK possession check.
// Guarded by the lock of the flow's shard.
type PossessionState struct {
	Method   string     `json:"method"`
	Phone    string     `json:"phone"`
	Passed   bool       `json:"passed"`
	Failed   bool       `json:"failed"`
	Reason   string     `json:"reason,omitempty"`
	Attempts []Attempt  `json:"attempts"`
	OTP      *OTPState  `json:"otp,omitempty"`
	Link     *LinkState `json:"link,omitempty"`

	wrongLeft int    // persona: wrong PINs still to "type"
	retryLeft int    // persona: instantlink/start answers still to send as {} (retry step)
	vfp       string // Mobile Auth verification fingerprint handed out
}

// Attempt is one event of the possession check.
type Attempt struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

type OTPState struct {
	SentAt      time.Time `json:"sentAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"maxAttempts"`
	Sends       int       `json:"sends"`
	code        string
}

type LinkState struct {
	SentAt    time.Time  `json:"sentAt"`
	ExpiresAt time.Time  `json:"expiresAt"`
	ClickedAt *time.Time `json:"clickedAt,omitempty"`
	token     linkKey
	expired   bool
	timers    []*Timer
}

func (l *LinkState) stopTimers() {
	for _, t := range l.timers {
		t.Stop()
	}
	l.timers = nil
}

// noteLocked records an event of the possession check (the newest
// maxAttemptsKept). The caller holds the flow's shard lock.
func (s *Server) noteLocked(f *flow, kind, detail string) {
	if len(detail) > maxDetailBytes {
		detail = truncateUTF8(detail, maxDetailBytes)
	}
	p := &f.d.poss
	p.Attempts = keepNewest(p.Attempts, maxAttemptsKept)
	p.Attempts = append(p.Attempts, Attempt{At: s.clock.Now(), Kind: kind, Detail: detail})
}

// truncateUTF8 cuts s to at most n bytes on a character boundary, marked "…".
func truncateUTF8(s string, n int) string {
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// passLocked marks the possession check passed.
func (s *Server) passLocked(f *flow, kind string) {
	f.d.poss.Passed = true
	f.d.poss.Failed = false
	f.d.poss.Reason = ""
	f.passed = true
	s.noteLocked(f, kind, "")
	if f.u != nil {
		s.unifyPassedLocked(f)
	}
}

// failLocked marks the possession check failed; /v3/validate then answers success:false.
func (s *Server) failLocked(f *flow, kind, reason string) {
	if f.d.poss.Passed {
		return
	}
	f.d.poss.Failed = true
	f.d.poss.Reason = reason
	s.noteLocked(f, kind, reason)
}

// possessionOpenLocked reports whether the flow still accepts possession
// steps; if not, it returns the SDK envelope that ends the SDK's flow.
func (s *Server) possessionOpenLocked(f *flow) *envelope {
	switch {
	case !s.clock.Now().Before(f.expiresAt()):
		return terminal(sdkAuthFailure, "the flow has expired")
	case f.state != stateStarted || f.d == nil:
		return terminal(sdkExternalFailure, "the flow is past the possession check")
	case f.d.poss.Passed:
		return &envelope{Next: "done"}
	case f.d.poss.Failed:
		return terminal(sdkAuthFailure, "the possession check has failed: "+f.d.poss.Reason)
	}
	return nil
}

// checkPhoneLocked validates a number the browser sent (entry or change).
// It returns the persona the flow continues with, or the rejection message.
func (s *Server) checkPhoneLocked(f *flow, number string) (*Persona, string) {
	phone := normalizePhone(number)
	if phone == "" {
		phone = f.phone()
	}
	p := s.st.personas.get(phone)
	if phone == f.phone() && p == nil {
		p = f.persona // the start persona was removed since: keep the flow's snapshot
	}
	switch {
	case p == nil:
		return nil, "no test user found matching the phone number " + number
	case !hasProduct(p, f.product()):
		return nil, "the phone number cannot be used with this product"
	case p.Possession.RejectPhone:
		return nil, "the phone number could not be verified"
	}
	return p, ""
}

// acceptPhoneLocked checks the number the browser sent ("" = the known
// number) before the first SMS or on a phone change, and moves the flow to
// it. It returns the rejection the SDK shows as a PhoneValidationError, or nil.
func (s *Server) acceptPhoneLocked(c *call, f *flow, number string) *envelope {
	p, why := s.checkPhoneLocked(f, number)
	if why != "" {
		c.rule = "possession.phone-rejected"
		s.noteLocked(f, "phone-rejected", why)
		return rejected(dataPhoneRejected, why)
	}
	s.switchPhoneLocked(f, p)
	c.persona = f.phone()
	return nil
}

// switchPhoneLocked moves the flow to another number after a phone change.
func (s *Server) switchPhoneLocked(f *flow, p *Persona) {
	phone := normalizePhone(p.Phone)
	if phone == f.phone() {
		return
	}
	f.persona = p
	f.d.poss.wrongLeft = p.Possession.OTP.WrongAttempts
	f.d.poss.retryLeft = p.Possession.InstantLink.Retry
	s.noteLocked(f, "phone-changed", phone)
}

// smsLimitLocked answers the SDK error that ends the check once the flow
// has sent MaxSMSPerFlow SMS, or nil while it may send one more.
func (s *Server) smsLimitLocked(c *call, f *flow) *envelope {
	if f.d.sms < MaxSMSPerFlow {
		f.d.sms++
		return nil
	}
	c.rule = "possession.sms-limit"
	msg := fmt.Sprintf("too many SMS for this flow: at most %d codes and links are sent per flow; start a new flow", MaxSMSPerFlow)
	s.failLocked(f, "sms-limit", msg)
	return terminal(sdkMaxAttempts, msg)
}

// smsText fills the flow's smsMessage (or Prove's default) with value.
func smsText(custom, def, value string) string {
	msg := custom
	if msg == "" {
		msg = def
	}
	for _, ph := range []string{"######", "#####", "####"} {
		if strings.Contains(msg, ph) {
			return strings.Replace(msg, ph, value, 1)
		}
	}
	return msg + " " + value
}

// otpLength is 4 to 6 digits, from ####, ##### or ###### in smsMessage.
func otpLength(custom string) int {
	switch {
	case strings.Contains(custom, "######"):
		return 6
	case strings.Contains(custom, "#####"):
		return 5
	}
	return 4
}

// possessionStep runs a device-API step of the possession check: it decodes
// the body into req (when not nil), then, under the flow's shard lock,
// answers the persona's configured error or the envelope that ends a closed
// check, or runs step.
func (s *Server) possessionStep(c *call, req any, step func(f *flow) (any, error)) (any, error) {
	return s.possessionStepIn(c, req, func(f *flow, _ *shard) (any, error) { return step(f) })
}

// possessionStepIn is possessionStep for a step that needs the flow's shard
// (to register an Instant Link).
func (s *Server) possessionStepIn(c *call, req any, step func(f *flow, sh *shard) (any, error)) (any, error) {
	if req != nil {
		if err := c.decode(req); err != nil {
			return nil, err
		}
	}
	var (
		out any
		err error
	)
	s.st.updateKey(c.flow, func(f *flow, sh *shard, _ uint64) {
		if f == nil {
			err = errUnauthorized("not authorized: the authToken's flow is unknown (was mockprove reset?)")
			return
		}
		if err = personaError(f.persona, c); err != nil {
			return
		}
		if env := s.possessionOpenLocked(f); env != nil {
			c.rule = "possession.closed"
			out = env
			return
		}
		out, err = step(f, sh)
	})
	return out, err
}

package mockprove

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"
)

// OTP possession check (prove-web-sdk.md §5a): otp/start sends (or
// re-sends) the SMS, otp/finish checks the code.

func (s *Server) registerOTP(r *mux.Router) {
	for path, h := range map[string]handlerFunc{
		"/v1/client/mobile/otp/start":  s.otpStart,
		"/v1/client/mobile/otp/finish": s.otpFinish,
		"/v1/client/mobile/otp/error":  s.reportedError("done", "reported-error", "reported-error"),
	} {
		r.Handle(path, s.serve(endpoint{step: path, auth: authDevice, validate: s.device, h: h})).Methods(http.MethodPost)
	}
}

type otpStartRequest struct {
	MobileNumber string `json:"mobileNumber"`
}

// otpStart sends the OTP SMS. A body with mobileNumber is a phone entry or
// change (the number is checked first); {} sends to the known number, and
// once a code was sent, {} is a resend that invalidates the old code.
func (s *Server) otpStart(c *call) (any, error) {
	var req otpStartRequest
	return s.possessionStep(c, &req, func(f *flow) (any, error) {
		if f.d.poss.Method == MethodInstantLink {
			c.rule = "possession.method"
			return terminal(sdkExternalFailure, "this flow checks possession by Instant Link, not OTP"), nil
		}
		o := f.d.poss.OTP
		if req.MobileNumber != "" || o == nil {
			if env := s.acceptPhoneLocked(c, f, req.MobileNumber); env != nil {
				return env, nil
			}
		}
		if env := s.smsLimitLocked(c, f); env != nil {
			return env, nil
		}
		if o == nil {
			max := 1
			if f.d.allowOTPRetry {
				max = otpMaxAttemptsRetry
			}
			o = &OTPState{MaxAttempts: max}
			f.d.poss.OTP = o
		}
		now := s.clock.Now()
		o.code = s.newOTP(f)
		o.SentAt, o.ExpiresAt = now, now.Add(s.opts.OTPTTL)
		o.Sends++
		s.st.outbox.send(SMS{
			Kind: SMSKindOTP, Phone: f.phone(), Code: o.code, CorrelationID: c.correlationID,
			Body:   smsText(f.d.smsMessage, defaultOTPSMS, o.code),
			SentAt: now, ExpiresAt: o.ExpiresAt,
		})
		kind := "otp-sent"
		if o.Sends > 1 {
			kind = "otp-resent"
		}
		c.rule = "otp." + kind
		s.noteLocked(f, kind, "")
		return &envelope{}, nil
	})
}

type otpFinishRequest struct {
	OTP string `json:"otp"`
}

// otpFinish checks the code the customer typed.
func (s *Server) otpFinish(c *call) (any, error) {
	var req otpFinishRequest
	return s.possessionStep(c, &req, func(f *flow) (any, error) {
		o := f.d.poss.OTP
		if o == nil {
			c.rule = "otp.not-sent"
			return rejected(dataOTPInvalid, "no OTP has been sent yet"), nil
		}
		if !s.clock.Now().Before(o.ExpiresAt) {
			c.rule = "otp.expired"
			s.failLocked(f, "otp-expired", "the OTP expired")
			return terminal(sdkAuthFailure, "OTP expired"), nil
		}
		o.Attempts++
		wrong := req.OTP != o.code
		if f.d.poss.wrongLeft > 0 { // the persona mistypes
			f.d.poss.wrongLeft--
			wrong = true
			c.rule = "persona.possession.otp.wrongAttempts"
		}
		if !wrong {
			c.rule = "otp.right"
			s.passLocked(f, "otp-right")
			return &envelope{Next: "done"}, nil
		}
		s.noteLocked(f, "otp-wrong", "")
		if o.Attempts >= o.MaxAttempts {
			if c.rule == "" {
				c.rule = "otp.exhausted"
			}
			s.failLocked(f, "otp-exhausted", "too many invalid OTP attempts")
			return terminal(sdkMaxAttempts, "too many invalid OTP attempts"), nil
		}
		if c.rule == "" {
			c.rule = "otp.wrong"
		}
		left := o.MaxAttempts - o.Attempts
		return rejected(dataOTPInvalid, fmt.Sprintf("invalid OTP, %d attempt%s left", left, plural(left))), nil
	})
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

type reportedErrorRequest struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// reportedError handles /v1/client/<x>/error: the SDK reports a client-side
// failure and continues with the answer's next. With next "done" the
// possession check has failed; otherwise (Mobile Auth) the SDK falls back to
// the step next names and the failure is only noted.
func (s *Server) reportedError(next, kind, rule string) handlerFunc {
	return func(c *call) (any, error) {
		var req reportedErrorRequest
		return s.possessionStep(c, &req, func(f *flow) (any, error) {
			detail := req.Message
			if req.Code != 0 {
				detail = fmt.Sprintf("%d: %s", req.Code, req.Message)
			}
			c.rule = rule
			if next == "done" {
				s.failLocked(f, kind, detail)
			} else {
				s.noteLocked(f, kind, detail)
				f.d.poss.Method = MethodOTP
			}
			return &envelope{Next: next}, nil
		})
	}
}

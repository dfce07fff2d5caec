package mockprove

import (
	"time"
)

// The virtual phone: every SMS mockprove "sends" lands in an outbox that
// tests and developers read instead of a real handset.

// maxOutbox bounds the outbox; the oldest messages go first.
const maxOutbox = 10000

// SMS is one text message sent to a phone.
type SMS struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"` // "otp" or "instantlink"
	Phone         string    `json:"phone"`
	Body          string    `json:"body"`
	Code          string    `json:"code,omitempty"` // OTP
	Link          string    `json:"link,omitempty"` // Instant Link
	CorrelationID string    `json:"correlationId"`
	SentAt        time.Time `json:"sentAt"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

// SMS kinds.
const (
	SMSKindOTP         = "otp"
	SMSKindInstantLink = "instantlink"
)

// SMSFilter selects messages from the outbox; zero fields match everything.
type SMSFilter struct {
	Phone         string
	CorrelationID string
	Kind          string
}

// Outbox returns the messages that match, oldest first.
func (s *Server) Outbox(f SMSFilter) []SMS {
	out, _ := s.st.outbox.list(f, 0, 0)
	return out
}

// LastSMS returns the newest message to a phone.
func (s *Server) LastSMS(phone string) (SMS, bool) {
	return s.st.outbox.last(SMSFilter{Phone: phone})
}

// LastOTP returns the code of the newest OTP sent to a phone.
func (s *Server) LastOTP(phone string) (string, bool) {
	m, ok := s.st.outbox.last(SMSFilter{Phone: phone, Kind: SMSKindOTP})
	return m.Code, ok
}

// newOTP makes the code the persona's phone receives.
func (s *Server) newOTP(f *flow) string {
	code := f.persona.Possession.OTP.Code
	if code == "" {
		code = "1234" // Prove's sandbox code
	}
	if code == "random" {
		code = s.st.ids.digits(otpLength(f.d.smsMessage))
	}
	return code
}

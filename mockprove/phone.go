package mockprove

import (
	"fmt"
	"strconv"
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

// sendSMSLocked puts a message in the outbox. The caller holds s.mu.
func (s *Server) sendSMSLocked(m SMS) {
	s.smsSeq++
	m.ID = "sms" + strconv.Itoa(s.smsSeq)
	if len(s.outbox) >= maxOutbox {
		s.outbox = append(s.outbox[:0], s.outbox[1:]...)
	}
	s.outbox = append(s.outbox, m)
}

// Outbox returns the messages that match, oldest first.
func (s *Server) Outbox(f SMSFilter) []SMS {
	phone := normalizePhone(f.Phone)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []SMS{}
	for _, m := range s.outbox {
		if (phone != "" && m.Phone != phone) || (f.CorrelationID != "" && m.CorrelationID != f.CorrelationID) ||
			(f.Kind != "" && m.Kind != f.Kind) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// LastSMS returns the newest message to a phone.
func (s *Server) LastSMS(phone string) (SMS, bool) {
	msgs := s.Outbox(SMSFilter{Phone: phone})
	if len(msgs) == 0 {
		return SMS{}, false
	}
	return msgs[len(msgs)-1], true
}

// LastOTP returns the code of the newest OTP sent to a phone.
func (s *Server) LastOTP(phone string) (string, bool) {
	msgs := s.Outbox(SMSFilter{Phone: phone, Kind: SMSKindOTP})
	if len(msgs) == 0 {
		return "", false
	}
	return msgs[len(msgs)-1].Code, true
}

// newOTPLocked makes the code the persona's phone receives.
func (s *Server) newOTPLocked(f *flow) string {
	code := f.Persona.Possession.OTP.Code
	if code == "" {
		code = "1234" // Prove's sandbox code
	}
	if code == "random" {
		n := otpLength(f.Start.SMSMessage)
		max := 1
		for i := 0; i < n; i++ {
			max *= 10
		}
		code = fmt.Sprintf("%0*d", n, s.rng.IntN(max))
	}
	return code
}

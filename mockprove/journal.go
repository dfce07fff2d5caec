package mockprove

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultJournalSize is how many requests the journal keeps by default.
const DefaultJournalSize = 1000

// JournalEntry is one request and its response, as the journal shows it:
// bodies are JSON values with ssn, dob and secrets masked.
type JournalEntry struct {
	ID            int64     `json:"id"`
	Time          time.Time `json:"time"`
	Method        string    `json:"method"`
	Path          string    `json:"path"`
	Step          string    `json:"step,omitempty"`
	Status        int       `json:"status"`
	DurationMs    float64   `json:"durationMs"`
	Client        string    `json:"client,omitempty"`
	CorrelationID string    `json:"correlationId,omitempty"`
	Persona       string    `json:"persona,omitempty"`
	Rule          string    `json:"rule,omitempty"`
	Fault         string    `json:"fault,omitempty"`
	Request       any       `json:"request,omitempty"`
	Response      any       `json:"response,omitempty"`
}

// journalRecord is what the hot path stores: raw bodies, masked on read.
type journalRecord struct {
	entry       JournalEntry
	contentType string
	reqBody     []byte
	respBody    []byte
}

// JournalFilter selects journal entries; zero fields match everything.
type JournalFilter struct {
	CorrelationID string
	Phone         string
	Step          string
	Limit         int // the newest Limit entries; 0 = all kept
}

// journal is a bounded ring of the last requests, under its own lock.
type journal struct {
	mu   sync.Mutex
	size int
	next int64
	ring []journalRecord // grows to size, then wraps at head
	head int             // index of the oldest record once full
}

func (j *journal) add(r journalRecord) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.next++
	r.entry.ID = j.next
	if len(j.ring) < j.size {
		j.ring = append(j.ring, r)
		return
	}
	j.ring[j.head] = r
	j.head = (j.head + 1) % len(j.ring)
}

// reset empties the journal; ids go on from where they were.
func (j *journal) reset(size int) {
	j.mu.Lock()
	j.size, j.ring, j.head = size, nil, 0
	j.mu.Unlock()
}

// Journal returns the entries that match, oldest first.
func (s *Server) Journal(f JournalFilter) []JournalEntry {
	picked, _ := s.journalPage(f, 0)
	return s.journalEntries(picked)
}

// journalPage picks the newest f.Limit matching records (all when 0) whose id
// is below before (0: no bound), oldest first, and whether older ones match.
func (s *Server) journalPage(f JournalFilter, before int64) (picked []journalRecord, more bool) {
	phone := normalizePhone(f.Phone)
	j := &s.journal
	j.mu.Lock()
	defer j.mu.Unlock()
	n := len(j.ring)
	for i := n - 1; i >= 0; i-- { // newest first, then reversed
		r := j.ring[(j.head+i)%n]
		e := r.entry
		if (before > 0 && e.ID >= before) || (f.CorrelationID != "" && e.CorrelationID != f.CorrelationID) ||
			(phone != "" && e.Persona != phone) || (f.Step != "" && e.Step != f.Step) {
			continue
		}
		if f.Limit > 0 && len(picked) == f.Limit {
			more = true
			break
		}
		picked = append(picked, r)
	}
	slices.Reverse(picked)
	return picked, more
}

// journalEntries masks the bodies of picked records (outside the lock).
func (s *Server) journalEntries(picked []journalRecord) []JournalEntry {
	out := make([]JournalEntry, len(picked))
	for i, r := range picked {
		e := r.entry
		e.Request = maskedBody(r.reqBody, r.contentType)
		e.Response = maskedBody(r.respBody, "application/json")
		out[i] = e
	}
	return out
}

// sensitive keys (lower case) are masked wherever they appear in a body.
var sensitive = map[string]bool{"ssn": true, "dob": true, "last4ssn": true, "client_secret": true,
	"access_token": true, "refresh_token": true, "authtoken": true}

const masked = "***"

// maskedBody decodes a JSON or form body and masks sensitive values.
func maskedBody(b []byte, contentType string) any {
	if len(b) == 0 {
		return nil
	}
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") {
		vals, err := url.ParseQuery(string(b))
		if err != nil {
			return "(unparsable form body)"
		}
		m := map[string]any{}
		for k, v := range vals {
			val := strings.Join(v, ",")
			if sensitive[strings.ToLower(k)] {
				val = masked
			}
			m[k] = val
		}
		return m
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "(not JSON: " + truncate(string(maskText(b)), 200) + ")"
	}
	return mask(v)
}

func mask(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if sensitive[strings.ToLower(k)] {
				t[k] = masked
				continue
			}
			t[k] = mask(val)
		}
	case []any:
		for i := range t {
			t[i] = mask(t[i])
		}
	}
	return v
}

// maskText hides digits in a body that is not JSON (it may hold an SSN).
func maskText(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= '0' && c <= '9' {
			c = '#'
		}
		out[i] = c
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

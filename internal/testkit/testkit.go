// Package testkit holds the helpers the test suites of mockprove and flowapp
// share: the personas they use, the instant frozen clocks start at, a mockprove
// constructor for tests, journal listings, a concurrency-safe buffer and the
// web SDK's way of reading an authToken. It is meant for tests only and does
// not depend on a test framework: helpers take a small T.
package testkit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mockprove/mockprove/mockprove"
)

// Personas of specs/personas.yaml used by the suites.
const (
	Milo    = mockprove.PhoneMiloPinson      // Milo Pinson: Pre-Fill + Identity, short-term
	Marcia  = mockprove.PhoneMarciaLongo     // Marcia Longo: Pre-Fill + Identity, NOT short-term, two addresses
	Martina = mockprove.PhoneMartinaGoodram  // Martina Goodram: Identity only, short-term, KYC with 0 hits
	Benji   = mockprove.PhoneBenjiHarper     // Benji Harper: Identity only, NOT short-term
	Dana    = mockprove.PhoneDanaWhitfield   // Dana Whitfield: /v3/validate fails
	Harold  = mockprove.PhoneHaroldWhitcomb  // Harold Whitcomb: short-term, KYC with 4 hits (3 PEP, 1 Sanctions)
	Tessa   = mockprove.PhoneTessaMorrow     // types the wrong OTP twice
	Diego   = mockprove.PhoneDiegoSalazar    // random OTP in each SMS
	Abigail = mockprove.PhoneAbigailThornton // custom OTP 654321
	Felix   = mockprove.PhoneFelixHoffmann   // never clicks the Instant Link
	Maya    = mockprove.PhoneMayaCastellanos // clicks the Instant Link by itself 30s after the SMS
	Gideon  = mockprove.PhoneGideonParks     // clicks the Instant Link after 4m (too late)
	Ingrid  = mockprove.PhoneIngridHalvorsen // phone number rejected by the carrier check (device API)
	Rashid  = mockprove.PhoneRashidKarimi    // Mobile Auth passes
	Colleen = mockprove.PhoneColleenBrennan  // Mobile Auth fails, OTP fallback
	Jordan  = mockprove.PhoneJordanEllis     // Jordan Ellis: ordinary user, OTP 1234, Instant Link clicked by hand
	Nobody  = "2000000000"                   // no persona has this number
)

// T0 is where every frozen clock of the suites starts.
var T0 = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)

// Seed is the default seed of the servers Mock builds.
const Seed = 42

// T is what the helpers need of a test: *testing.T and GinkgoT() are one.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Mock creates and starts a mockprove server on a free loopback port and
// closes it when the test ends. opts.Clock defaults to a frozen clock at T0,
// opts.Seed to Seed. It fails the test if the server cannot start.
func Mock(t T, opts mockprove.Options) *mockprove.Server {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = mockprove.NewFrozenClock(T0)
	}
	if opts.Seed == 0 {
		opts.Seed = Seed
	}
	s, err := mockprove.New(opts)
	if err != nil {
		t.Fatalf("mockprove: %v", err)
		return nil
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Start(); err != nil {
		t.Fatalf("mockprove: %v", err)
		return nil
	}
	return s
}

// StepStatuses lists mockprove's journal as "step status" lines, oldest
// first.
func StepStatuses(s *mockprove.Server) []string {
	var out []string
	for _, e := range s.Journal(mockprove.JournalFilter{}) {
		out = append(out, fmt.Sprintf("%s %d", e.Step, e.Status))
	}
	return out
}

// SDKClaims decodes an authToken exactly as the web SDK does
// (JSON.parse(atob(token.split('.')[1]))): std base64 alphabet, padding
// optional. It returns an error where atob would throw or the payload would
// not come out as the claims (non-ASCII bytes: atob yields Latin-1).
func SDKClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("a JWT has three parts: %q", token)
	}
	payload := parts[1]
	if strings.ContainsAny(payload, "-_") {
		return nil, fmt.Errorf("atob() throws on '-' and '_': %q", payload)
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return nil, fmt.Errorf("atob(%q): %w", payload, err)
	}
	for _, c := range raw {
		if c >= 0x80 {
			return nil, fmt.Errorf("atob() yields Latin-1: keep the payload ASCII: %q", raw)
		}
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return nil, fmt.Errorf("payload %s: %w", raw, err)
	}
	return claims, nil
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers (loggers, a
// program's output) while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

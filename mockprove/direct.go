package mockprove

import (
	"maps"
	"sort"
	"time"
)

// The Go side of the controls: every /_mock/ operation is also a method, for
// tests that run mockprove in-process.

// SessionSummary is one flow as the control API lists it.
type SessionSummary struct {
	CorrelationID    string            `json:"correlationId"`
	Client           string            `json:"client"`
	Product          string            `json:"product"`
	Phone            string            `json:"phone"`
	Persona          string            `json:"persona"`
	FlowType         string            `json:"flowType"`
	State            string            `json:"state"`
	Next             map[string]string `json:"next"`
	CreatedAt        time.Time         `json:"createdAt"`
	ExpiresAt        time.Time         `json:"expiresAt"`
	PossessionPassed bool              `json:"possessionPassed"`
}

// Session is one flow in full: its steps and its possession check.
type Session struct {
	SessionSummary
	Steps      []StepRecord    `json:"steps"`
	Possession PossessionState `json:"possession"`
}

func (f *flow) summary() SessionSummary {
	return SessionSummary{
		CorrelationID: f.key.String(), Client: f.client.ID, Product: f.product(), Phone: f.phone(),
		Persona: f.persona.Name, FlowType: f.flowType, State: f.stateName(), Next: maps.Clone(f.nextMap()),
		CreatedAt: f.created, ExpiresAt: f.expiresAt(), PossessionPassed: f.passed,
	}
}

// session is the flow in full; a tombstone has no steps or attempts left.
func (f *flow) session() Session {
	out := Session{SessionSummary: f.summary(), Steps: []StepRecord{}}
	if f.d == nil {
		out.Possession = PossessionState{Phone: f.phone(), Passed: f.passed, Attempts: []Attempt{}}
		return out
	}
	p := f.d.poss
	p.Phone = f.phone()
	p.Attempts = append([]Attempt{}, p.Attempts...)
	if p.OTP != nil {
		o := *p.OTP
		p.OTP = &o
	}
	if p.Link != nil {
		l := *p.Link
		l.timers = nil
		p.Link = &l
	}
	out.Steps = append(out.Steps, f.d.steps...)
	out.Possession = p
	return out
}

// Sessions lists the flows, oldest first. It locks one shard of the store
// at a time; for a large store the control API's pages are cheaper.
func (s *Server) Sessions() []SessionSummary {
	var out []SessionSummary
	var after uint64
	for {
		page, next := s.st.sessions(sessionQuery{after: after, limit: 1000})
		out = append(out, page...)
		if next == 0 {
			break
		}
		after = next
	}
	if out == nil {
		out = []SessionSummary{}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CorrelationID < out[j].CorrelationID
		}
		return out[i].CreatedAt.Before(out[j].CreatedAt)
	})
	return out
}

// Session returns one flow by correlationId.
func (s *Server) Session(correlationID string) (Session, bool) {
	var (
		out Session
		ok  bool
	)
	s.st.view(correlationID, func(f *flow) {
		if f != nil {
			out, ok = f.session(), true
		}
	})
	return out, ok
}

// ClickInstantLink opens the flow's latest Instant Link, as the phone would.
// It returns where the phone's browser is redirected.
func (s *Server) ClickInstantLink(correlationID string) (string, error) {
	token, known := "", false
	s.st.view(correlationID, func(f *flow) {
		known = f != nil
		if f != nil && f.d != nil && f.d.poss.Link != nil {
			token = f.d.poss.Link.token.String()
		}
	})
	if !known {
		return "", errInvalidCorrelationNotFound(correlationID)
	}
	if token == "" {
		return "", newError(404, CodeMalformed, "no Instant Link has been sent in flow %s", correlationID)
	}
	loc, err := s.clickLink(token, nil)
	if le, ok := err.(*linkError); ok {
		return "", newError(le.status, CodeMalformed, "%s", le.msg)
	}
	return loc, err
}

func errInvalidCorrelationNotFound(id string) *Error {
	return newError(404, CodeInvalidCorrelation, "no flow with correlationId %s", id)
}

// Personas lists the current personas, sorted by phone.
func (s *Server) Personas() []Persona { return s.st.personas.list() }

// Persona returns the persona for a phone number (with or without +1).
func (s *Server) Persona(phone string) (Persona, bool) {
	p := s.st.personas.get(normalizePhone(phone))
	if p == nil {
		return Persona{}, false
	}
	return p.clone(), true
}

// SetPersona adds or replaces a persona after checking it like a persona
// file; it reports whether the persona is new. Flows already started keep
// the persona they started with.
func (s *Server) SetPersona(p Persona) (created bool, err error) {
	if err := CheckPersona(p); err != nil {
		return false, err
	}
	return s.putPersona(p), nil
}

// putPersona adds or replaces a persona that was already checked and says
// whether it is new.
func (s *Server) putPersona(p Persona) (created bool) {
	return s.st.personas.set(p)
}

// ReplacePersonas replaces every persona; nothing changes if one is invalid.
func (s *Server) ReplacePersonas(ps []Persona) error {
	if err := checkPersonas(ps); err != nil {
		return err
	}
	s.replacePersonas(ps)
	return nil
}

// replacePersonas installs personas that were already checked.
func (s *Server) replacePersonas(ps []Persona) {
	s.st.personas.replace(ps)
}

// DeletePersona removes a persona; it reports whether it existed.
func (s *Server) DeletePersona(phone string) bool {
	return s.st.personas.delete(phone)
}

// Reset puts the server back in its start-up state: personas, flows, SMS,
// faults, journal and clock. Open status WebSockets are closed.
func (s *Server) Reset() {
	s.clock.reset(s.startTime) // first: a flow started meanwhile is then forgotten too
	s.mu.Lock()
	s.resetStateLocked()
	s.st.ids.next() // IDs after a reset never repeat those from before it
	s.mu.Unlock()
	s.hub.dropAll()
}

// SetTime moves the server's clock to t.
func (s *Server) SetTime(t time.Time) { s.clock.Set(t) }

// CheckSessionState fails the test unless the flow is in state.
func (s *Server) CheckSessionState(t Tester, correlationID, state string) {
	markHelper(t)
	if sess, ok := s.checkSession(t, correlationID); ok && sess.State != state {
		t.Fatalf("mockprove: flow %s is %s, want %s", correlationID, sess.State, state)
	}
}

// CheckPossession fails the test unless the flow's possession check passed
// (want true) or did not (want false).
func (s *Server) CheckPossession(t Tester, correlationID string, want bool) {
	markHelper(t)
	if sess, ok := s.checkSession(t, correlationID); ok && sess.Possession.Passed != want {
		t.Fatalf("mockprove: flow %s possession passed = %v, want %v (attempts: %+v)", correlationID, sess.Possession.Passed, want, sess.Possession.Attempts)
	}
}

// checkSession finds a flow for a Check* assertion, failing the test if there is none.
func (s *Server) checkSession(t Tester, correlationID string) (Session, bool) {
	markHelper(t)
	sess, ok := s.Session(correlationID)
	if !ok {
		t.Fatalf("mockprove: no flow with correlationId %s", correlationID)
	}
	return sess, ok
}

// markHelper calls t.Helper() when the Tester has it (testing.TB does).
func markHelper(t Tester) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
}

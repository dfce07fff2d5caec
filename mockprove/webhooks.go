package mockprove

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"
)

// Identity Manager webhooks (prove-unify-verify.md §5). Prove's sandbox sends
// none on its own; mockprove sends one when told (control API or Go): a POST
// of a JSON array of events to the client's webhook URL, with
// "X-Prove-Authorization: Bearer <HS256 JWT signed with the client's webhook
// secret, iss Prove Identity>" and "X-Correlation-ID", retried up to three
// attempts in all on failure, each attempt journaled. Delivery is
// synchronous: the trigger answers once the receiver accepted the events or
// the attempts ran out.
//
// Faults on step "webhook" play the receiver, one attempt per hit (scoped by
// client and by the identity's phone number as persona): kind status is an
// answer with that status, drop and reset a broken connection (the
// receiver is not contacted), delay a slow receiver: mockprove waits the
// delay (real time) and then posts, or, when the delay reaches
// Options.WebhookTimeout, waits the timeout and counts the attempt as timed
// out without posting. Each faulted attempt is journaled with the fault's id.

// Webhook event types Prove documents.
const (
	EventPhoneNumberChange   = "PHONE_NUMBER_CHANGE"
	EventDisconnect          = "DISCONNECT"
	EventPort                = "PORT"
	EventLineTypeChange      = "LINE_TYPE_CHANGE"
	EventMovedOutOfCoverage  = "MOVED_OUT_OF_COVERAGE"
	webhookAttempts          = 3
	maxWebhookDeliveries     = 100
	defaultWebhookTimeout    = 5 * time.Second
	defaultWebhookRetryDelay = time.Second
)

var eventDescriptions = map[string]string{
	EventPhoneNumberChange:  "The phone number of the identity changed owner.",
	EventDisconnect:         "The phone number was disconnected.",
	EventPort:               "The phone number was ported to another carrier.",
	EventLineTypeChange:     "The line type of the phone number changed.",
	EventMovedOutOfCoverage: "The phone number moved out of Prove's coverage.",
}

// WebhookEvent asks for one event about an enrolled identity of a client;
// the identity is named by its proveId or its phone number.
type WebhookEvent struct {
	Client      string `json:"client"`
	ProveID     string `json:"proveId,omitempty"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
	Type        string `json:"type"`
}

// WebhookDelivery is one delivery: the events sent and every attempt.
type WebhookDelivery struct {
	ID        string           `json:"id"` // X-Correlation-ID
	Client    string           `json:"client"`
	URL       string           `json:"url"`
	Events    []webhookPayload `json:"events"`
	Attempts  []WebhookAttempt `json:"attempts"`
	Delivered bool             `json:"delivered"`
}

// WebhookAttempt is one POST of a delivery.
type WebhookAttempt struct {
	At         time.Time `json:"at"`
	Status     int       `json:"status,omitempty"` // 0 when no answer came
	Error      string    `json:"error,omitempty"`
	DurationMs float64   `json:"durationMs"`
	// Fault is the id of the fault that played the receiver, if one did.
	Fault string `json:"fault,omitempty"`
}

// webhookPayload is one event as the receiver gets it. Prove does not
// publish the JSON names; these are mockprove's.
type webhookPayload struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	Description      string `json:"description"`
	SentAt           string `json:"sentAt"`
	ProveID          string `json:"proveId"`
	PhoneNumber      string `json:"phoneNumber"`
	ClientCustomerID string `json:"clientCustomerId,omitempty"`
}

// webhookConfig is where a client's events go.
type webhookConfig struct {
	URL    string `json:"url"`
	Secret string `json:"-"`
}

// webhooks holds the clients' webhook settings and the recent deliveries.
type webhooks struct {
	mu         sync.Mutex
	initial    map[string]webhookConfig // from Options.Clients, for Reset
	configs    map[string]webhookConfig
	deliveries []WebhookDelivery // newest last, at most maxWebhookDeliveries
	client     *http.Client
	timeout    time.Duration
	retryDelay time.Duration
}

func newWebhooks(clients []Client, timeout, retryDelay time.Duration) *webhooks {
	w := &webhooks{initial: map[string]webhookConfig{}, client: &http.Client{Timeout: timeout}, timeout: timeout, retryDelay: retryDelay}
	for _, c := range clients {
		if c.WebhookURL != "" {
			w.initial[c.ID] = webhookConfig{URL: c.WebhookURL, Secret: c.WebhookSecret}
		}
	}
	w.reset()
	return w
}

func (w *webhooks) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.configs = map[string]webhookConfig{}
	for k, v := range w.initial {
		w.configs[k] = v
	}
	w.deliveries = nil
}

// checkWebhookURL refuses anything but an absolute http(s) URL.
func checkWebhookURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("webhook URL %q must be an absolute http or https URL", u)
	}
	return nil
}

// SetWebhook sends the client's Identity Manager events to url, signed with
// secret; an empty url removes the webhook.
func (s *Server) SetWebhook(clientID, url, secret string) error {
	if _, known := s.clients[clientID]; !known {
		return newError(http.StatusNotFound, CodeMalformed, "no client %s", clientID)
	}
	w := s.webhooks
	w.mu.Lock()
	defer w.mu.Unlock()
	if url == "" {
		delete(w.configs, clientID)
		return nil
	}
	if err := checkWebhookURL(url); err != nil {
		return errMalformed("field 'url': %v", err)
	}
	if secret == "" {
		return errFieldMissing("secret")
	}
	w.configs[clientID] = webhookConfig{URL: url, Secret: secret}
	return nil
}

// Webhooks lists where each client's events go (secrets are not shown).
func (s *Server) Webhooks() map[string]string {
	w := s.webhooks
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]string{}
	for id, c := range w.configs {
		out[id] = c.URL
	}
	return out
}

// WebhookDeliveries returns the recent deliveries, oldest first.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	w := s.webhooks
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]WebhookDelivery{}, w.deliveries...) // [] rather than null when there are none
}

// TriggerWebhook sends one event about an enrolled, active identity to the
// client's webhook and returns the delivery. After DISCONNECT or
// MOVED_OUT_OF_COVERAGE the identity is deactivated: Prove sends no more
// events for it.
func (s *Server) TriggerWebhook(ctx context.Context, ev WebhookEvent) (WebhookDelivery, error) {
	if _, ok := eventDescriptions[ev.Type]; !ok {
		return WebhookDelivery{}, errMalformed("field 'type' must be one of: %s, %s, %s, %s, %s",
			EventPhoneNumberChange, EventDisconnect, EventPort, EventLineTypeChange, EventMovedOutOfCoverage)
	}
	w := s.webhooks
	w.mu.Lock()
	cfg, ok := w.configs[ev.Client]
	w.mu.Unlock()
	if _, known := s.clients[ev.Client]; !known {
		return WebhookDelivery{}, errMalformed("field 'client' names no configured client: %q", ev.Client)
	}
	if !ok {
		return WebhookDelivery{}, errMalformed("field 'client': client %q has no webhook: set one with PUT /_mock/webhooks/%s or a webhookUrl in the clients file", ev.Client, ev.Client)
	}
	id, err := s.eventIdentity(ev)
	if err != nil {
		return WebhookDelivery{}, err
	}
	now := s.clock.Now()
	d := WebhookDelivery{ID: s.newID(), Client: ev.Client, URL: cfg.URL, Events: []webhookPayload{{
		ID: s.newID(), Type: ev.Type, Description: eventDescriptions[ev.Type], SentAt: now.UTC().Format(time.RFC3339),
		ProveID: id.ProveID, PhoneNumber: id.PhoneNumber, ClientCustomerID: id.ClientCustomerID,
	}}}
	body, _ := json.Marshal(d.Events)
	token, err := signer{key: []byte(cfg.Secret)}.mint(map[string]any{
		"iss": "Prove Identity", "sub": ev.Client, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": d.ID,
	})
	if err != nil {
		return WebhookDelivery{}, err
	}
	for attempt := range webhookAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				attempt = webhookAttempts
			case <-time.After(w.retryDelay):
			}
			if attempt == webhookAttempts {
				break
			}
		}
		a := s.webhookAttempt(ctx, ev.Client, id.PhoneNumber, cfg.URL, token, d.ID, body)
		d.Attempts = append(d.Attempts, a)
		if a.Status >= 200 && a.Status < 300 {
			d.Delivered = true
			break
		}
	}
	if ev.Type == EventDisconnect || ev.Type == EventMovedOutOfCoverage {
		s.st.identities.setActive(ev.Client, id.ProveID, false)
	}
	w.mu.Lock()
	if len(w.deliveries) >= maxWebhookDeliveries {
		w.deliveries = slices.Delete(w.deliveries, 0, 1)
	}
	w.deliveries = append(w.deliveries, d)
	w.mu.Unlock()
	return d, nil
}

// eventIdentity finds the enrolled, active identity an event is about.
func (s *Server) eventIdentity(ev WebhookEvent) (Identity, error) {
	proveID := ev.ProveID
	if proveID == "" {
		if ev.PhoneNumber == "" {
			return Identity{}, errMalformed("name the identity: field 'proveId' or 'phoneNumber' is missing")
		}
		ids := s.st.identities.byPhone(ev.Client, normalizePhone(ev.PhoneNumber))
		if len(ids) == 0 {
			return Identity{}, errIdentityNotFound("Identity Not Found: client %s has enrolled no identity with number %s", ev.Client, ev.PhoneNumber)
		}
		proveID = ids[0].ProveID
	}
	id, ok := s.st.identities.get(ev.Client, proveID)
	if !ok {
		return Identity{}, errIdentityNotFound("Identity Not Found: client %s has enrolled no identity %s", ev.Client, proveID)
	}
	if !id.Active {
		return Identity{}, newError(http.StatusConflict, CodeMalformed, "identity %s is deactivated: Prove sends no events for it (activate it first)", proveID)
	}
	return id, nil
}

// webhookAttempt makes one attempt, or lets an armed fault on step webhook
// play the receiver, and journals it.
func (s *Server) webhookAttempt(ctx context.Context, client, phone, url, token, correlationID string, body []byte) WebhookAttempt {
	var f *Fault
	if s.faultsArmed() {
		f = s.takeFault(&call{step: StepWebhook, persona: normalizePhone(phone), client: Client{ID: client}})
	}
	if f == nil {
		return s.postWebhook(ctx, url, token, correlationID, body, nil, time.Now())
	}
	a := WebhookAttempt{At: s.clock.Now(), Fault: f.ID}
	start := time.Now()
	if f.delay > 0 {
		wait, timedOut := f.delay, false
		if wait >= s.webhooks.timeout { // a receiver slower than the timeout: the sender gives up at it
			wait, timedOut = s.webhooks.timeout, true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			a.Error = "the delivery was cancelled: " + ctx.Err().Error()
			return s.journalFaultedAttempt(a, start, url, correlationID, body, f)
		}
		if timedOut {
			a.Error = fmt.Sprintf("timeout: the receiver did not answer within %s (injected delay %s, fault %s)", s.webhooks.timeout, f.delay, f.ID)
			return s.journalFaultedAttempt(a, start, url, correlationID, body, f)
		}
	}
	switch f.Kind {
	case FaultDelay: // a slow receiver: what is left of the timeout after the delay bounds the POST
		ctx, cancel := context.WithTimeout(ctx, s.webhooks.timeout-f.delay)
		defer cancel()
		return s.postWebhook(ctx, url, token, correlationID, body, f, start)
	case FaultStatus:
		a.Status = f.Status
	case FaultDrop:
		a.Error = "the receiver closed the connection after a partial answer (injected fault " + f.ID + ")"
	default: // FaultReset
		a.Error = "the receiver reset the connection (injected fault " + f.ID + ")"
	}
	return s.journalFaultedAttempt(a, start, url, correlationID, body, f)
}

// journalFaultedAttempt ends an attempt a fault answered.
func (s *Server) journalFaultedAttempt(a WebhookAttempt, start time.Time, url, correlationID string, body []byte, f *Fault) WebhookAttempt {
	a.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	s.journalWebhook(url, correlationID, a, body, f)
	return a
}

// postWebhook makes one attempt, begun at start, and journals it (f: the
// delay fault that slowed it, or nil).
func (s *Server) postWebhook(ctx context.Context, url, token, correlationID string, body []byte, f *Fault, start time.Time) WebhookAttempt {
	a := WebhookAttempt{At: s.clock.Now()}
	if f != nil {
		a.Fault = f.ID
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Prove-Authorization", "Bearer "+token)
		req.Header.Set("X-Correlation-ID", correlationID)
		var resp *http.Response
		if resp, err = s.webhooks.client.Do(req); err == nil {
			a.Status = resp.StatusCode
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
	}
	if err != nil {
		a.Error = err.Error()
	}
	a.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	s.journalWebhook(url, correlationID, a, body, f)
	return a
}

// journalWebhook notes an outgoing delivery attempt in the journal, as
// step "webhook" with the receiver's status (0: no answer), and the fault
// that played the receiver or slowed it, if any.
func (s *Server) journalWebhook(url, correlationID string, a WebhookAttempt, body []byte, f *Fault) {
	rule := "webhook.status:" + strconv.Itoa(a.Status)
	if a.Error != "" {
		rule = "webhook.error"
	}
	if f != nil {
		rule = "fault:" + f.ID
	}
	rec := journalRecord{
		entry: JournalEntry{Time: a.At, Method: http.MethodPost, Path: url, Step: "webhook", Status: a.Status,
			DurationMs: a.DurationMs, CorrelationID: correlationID, Rule: rule},
		contentType: "application/json",
		reqBody:     body,
	}
	if f != nil {
		rec.entry.Fault = f.ID
	}
	s.journal.add(rec)
}

// The control API of webhooks.

func (s *Server) registerWebhookControls(r *mux.Router) {
	for _, rt := range []struct {
		method, path string
		h            handlerFunc
	}{
		{http.MethodGet, "/_mock/webhooks", s.ctlWebhooks},
		{http.MethodPut, "/_mock/webhooks/{client}", s.ctlSetWebhook},
		{http.MethodDelete, "/_mock/webhooks/{client}", s.ctlDeleteWebhook},
		{http.MethodPost, "/_mock/webhooks/events", s.ctlTriggerWebhook},
		{http.MethodGet, "/_mock/webhooks/deliveries", s.ctlWebhookDeliveries},
	} {
		r.Handle(rt.path, s.serve(endpoint{step: rt.path, auth: authControl, internal: true, h: rt.h})).Methods(rt.method)
	}
}

func (s *Server) ctlWebhooks(*call) (any, error) { return s.Webhooks(), nil }

func (s *Server) ctlSetWebhook(c *call) (any, error) {
	var body struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return nil, err
	}
	if body.URL == "" {
		return nil, errFieldMissing("url")
	}
	if err := s.SetWebhook(mux.Vars(c.r)["client"], body.URL, body.Secret); err != nil {
		return nil, err
	}
	return map[string]string{"client": mux.Vars(c.r)["client"], "url": body.URL}, nil
}

func (s *Server) ctlDeleteWebhook(c *call) (any, error) {
	if err := s.SetWebhook(mux.Vars(c.r)["client"], "", ""); err != nil {
		return nil, err
	}
	return noContent, nil
}

func (s *Server) ctlTriggerWebhook(c *call) (any, error) {
	var ev WebhookEvent
	if err := decodeStrict(c, &ev); err != nil {
		return nil, err
	}
	if ev.Client == "" {
		return nil, errFieldMissing("client")
	}
	if ev.Type == "" {
		return nil, errFieldMissing("type")
	}
	return s.TriggerWebhook(c.r.Context(), ev)
}

func (s *Server) ctlWebhookDeliveries(*call) (any, error) { return s.WebhookDeliveries(), nil }

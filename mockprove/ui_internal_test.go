package mockprove

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// BenchmarkUISnapshot is what open dashboards cost mockprove between two
// changes: one fingerprint per poll (every 250 ms; the personas once a
// second), here with 200 flows, their 200 SMS and the default personas.
func BenchmarkUISnapshot(b *testing.B) {
	s, err := New(Options{Seed: 1, Clock: NewFrozenClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))})
	if err != nil {
		b.Fatal(err)
	}
	c := s.HTTPClient()
	resp, err := c.PostForm("http://mockprove.test/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"identity-client"}, "client_secret": {"identity-secret"}})
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		req, _ := http.NewRequest(http.MethodPost, "http://mockprove.test/v3/start",
			strings.NewReader(`{"flowType":"mobile","phoneNumber":"2009990039"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("start: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	for _, f := range s.Sessions() {
		s.st.outbox.send(SMS{Kind: SMSKindOTP, Phone: f.Phone, Code: "1234", CorrelationID: f.CorrelationID})
	}
	b.Run("with personas", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = s.uiSnapshot(nil)
		}
	})
	b.Run("without", func(b *testing.B) {
		keep := s.uiSnapshot(nil)
		b.ReportAllocs()
		for b.Loop() {
			_ = s.uiSnapshot(&keep)
		}
	})
}

// TestDashboardFaultSteps keeps the dashboard's fault form in step with the
// server: it offers exactly the steps a fault may name.
func TestDashboardFaultSteps(t *testing.T) {
	js, err := uiFiles.ReadFile("ui/app.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(js)
	i := strings.Index(src, "const faultSteps = [")
	if i < 0 {
		t.Fatal("ui/app.js has no faultSteps list")
	}
	list := src[i+len("const faultSteps = [") : i+strings.Index(src[i:], "];")]
	offered := map[string]bool{}
	for _, item := range strings.Split(list, ",") {
		if step := strings.Trim(strings.TrimSpace(item), "'"); step != "" {
			if offered[step] {
				t.Errorf("the dashboard offers %s twice", step)
			}
			offered[step] = true
		}
	}
	for step := range faultSteps {
		if !offered[step] {
			t.Errorf("the dashboard's fault form lacks step %s", step)
		}
	}
	for step := range offered {
		if !faultSteps[step] {
			t.Errorf("the dashboard's fault form offers %s, which the server refuses", step)
		}
	}
}

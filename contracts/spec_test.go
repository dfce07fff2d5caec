package contracts_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// fake answers /v3/validate with a fixed status and body.
func fake(t *testing.T, status int, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, tr *contracts.SpecTransport, url, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return (&http.Client{Transport: tr}).Do(req)
}

func TestSpecTransport(t *testing.T) {
	cases := []struct {
		name, reqBody, respBody string
		status                  int
		checkRequests           bool
		wantErr                 string
	}{
		{"a conforming answer passes", `{"correlationId":"c"}`, `{"success":true,"challengeMissing":false,"next":{"done":"done"}}`, 200, true, ""},
		{"a missing required field fails", `{"correlationId":"c"}`, `{"success":true,"next":{"done":"done"}}`, 200, false, "challengeMissing"},
		{"a wrong type fails", `{"correlationId":"c"}`, `{"success":"yes","challengeMissing":false,"next":{}}`, 200, false, "does not conform"},
		{"an error without message fails", `{"correlationId":"c"}`, `{"code":8001}`, 400, false, "message"},
		{"a non-conforming request fails when requests are checked", `{"correlationID":"c"}`, `{}`, 200, true, "request POST /v3/validate does not conform"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fake(t, tc.status, tc.respBody)
			tr, err := contracts.NewSpecTransport(nil, specs.ProveV3)
			if err != nil {
				t.Fatal(err)
			}
			tr.CheckRequests = tc.checkRequests
			resp, err := post(t, tr, srv.URL+"/v3/validate", tc.reqBody)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				resp.Body.Close()
				if tr.Checked() != 1 {
					t.Errorf("Checked() = %d, want 1", tr.Checked())
				}
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("want an error containing %q, got none", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestSpecTransportPassesUnknownPaths(t *testing.T) {
	srv := fake(t, 200, `not json`)
	tr, err := contracts.NewSpecTransport(nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := post(t, tr, srv.URL+"/elsewhere", `{}`)
	if err != nil {
		t.Fatalf("a path no document describes must pass unchecked: %v", err)
	}
	resp.Body.Close()
	if tr.Checked() != 0 {
		t.Errorf("Checked() = %d, want 0", tr.Checked())
	}
}

// trackedBody is a request body that records whether it was closed.
type trackedBody struct {
	io.Reader
	closed bool
}

func (b *trackedBody) Close() error { b.closed = true; return nil }

// recorder is a base transport that keeps the request it was given and
// reads its body.
type recorder struct {
	got  *http.Request
	body string
	resp string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	_ = req.Body.Close()
	r.body = string(b)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(r.resp)), Request: req}, nil
}

func TestSpecTransportLeavesTheRequestAlone(t *testing.T) {
	for _, checkRequests := range []bool{false, true} {
		base := &recorder{resp: `{"success":true,"challengeMissing":false,"next":{"done":"done"}}`}
		tr, err := contracts.NewSpecTransport(base, specs.ProveV3)
		if err != nil {
			t.Fatal(err)
		}
		tr.CheckRequests = checkRequests
		const body = `{"correlationId":"c"}`
		orig := &trackedBody{Reader: strings.NewReader(body)}
		req, err := http.NewRequest(http.MethodPost, "http://mock.test/v3/validate", orig)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		header := req.Header.Clone()
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("CheckRequests=%v: %v", checkRequests, err)
		}
		resp.Body.Close()
		if req.Body != orig {
			t.Errorf("CheckRequests=%v: RoundTrip replaced the caller's req.Body", checkRequests)
		}
		if !orig.closed {
			t.Errorf("CheckRequests=%v: RoundTrip did not close the caller's req.Body", checkRequests)
		}
		if base.got == req {
			t.Errorf("CheckRequests=%v: the base transport got the caller's request, not a clone", checkRequests)
		}
		if base.body != body {
			t.Errorf("CheckRequests=%v: the base transport read body %q, want %q", checkRequests, base.body, body)
		}
		if resp.Request != req {
			t.Errorf("CheckRequests=%v: resp.Request is not the caller's request", checkRequests)
		}
		if len(req.Header) != len(header) || req.Header.Get("Content-Type") != header.Get("Content-Type") {
			t.Errorf("CheckRequests=%v: RoundTrip changed the request headers: %v", checkRequests, req.Header)
		}
	}
}

func TestSpecTransportClosesTheBodyOfARefusedRequest(t *testing.T) {
	tr, err := contracts.NewSpecTransport(&recorder{resp: `{}`}, specs.ProveV3)
	if err != nil {
		t.Fatal(err)
	}
	tr.CheckRequests = true
	orig := &trackedBody{Reader: strings.NewReader(`{"correlationID":"c"}`)}
	req, err := http.NewRequest(http.MethodPost, "http://mock.test/v3/validate", orig)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("want the non-conforming request refused")
	}
	if !orig.closed {
		t.Error("RoundTrip did not close the body of the request it refused")
	}
	if req.Body != orig {
		t.Error("RoundTrip replaced the caller's req.Body")
	}
}

// TestControlSpecDescribesThePhonePage runs mockprove's virtual phone page
// and its clock form through the control spec, requests included.
func TestControlSpecDescribesThePhonePage(t *testing.T) {
	s, err := mockprove.New(mockprove.Options{ControlToken: "tok", Clock: mockprove.NewFrozenClock(time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	tr, err := contracts.NewSpecTransport(nil, specs.Control)
	if err != nil {
		t.Fatal(err)
	}
	tr.CheckRequests = true
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, form string, want int) *http.Response {
		t.Helper()
		var body io.Reader
		if form != "" {
			body = strings.NewReader(form)
		}
		req, err := http.NewRequest(method, s.URL()+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
		}
		return resp
	}
	if loc := do(http.MethodGet, "/_mock/phone?token=tok&phone=2009990030", "", 302).Header.Get("Location"); loc != "/_mock/ui/?token=tok#/phone/2009990030" {
		t.Errorf("GET /_mock/phone: Location %q, want the dashboard's phone view", loc)
	}
	if ct := do(http.MethodGet, "/_mock/ui/?token=tok", "", 200).Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /_mock/ui/: Content-Type %q, want text/html", ct)
	}
	do(http.MethodGet, "/_mock/phone", "", 401)
	if loc := do(http.MethodPost, "/_mock/phone/advance?token=tok", "duration=2m1s", 303).Header.Get("Location"); loc != "/_mock/phone?token=tok" {
		t.Errorf("POST /_mock/phone/advance: Location %q", loc)
	}
	if now := s.Clock().Now(); !now.Equal(time.Date(2026, 1, 15, 10, 2, 1, 0, time.UTC)) {
		t.Errorf("the clock is at %v after advancing 2m1s", now)
	}
	do(http.MethodPost, "/_mock/phone/advance", "duration=1s", 401)
	tr.CheckRequests = false
	do(http.MethodPost, "/_mock/phone/advance?token=tok", "duration=soon", 400)
	tr.CheckRequests = true
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/_mock/phone/advance?token=tok", strings.NewReader("duration=soon"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := client.Do(req); err == nil || !strings.Contains(err.Error(), "does not conform") {
		t.Errorf("a form with a bad duration must not conform to the spec; got %v", err)
	}
	req, _ = http.NewRequest(http.MethodGet, s.URL()+"/_mock/sessions?state=bogus", nil)
	req.Header.Set("Authorization", "Bearer tok")
	if _, err := client.Do(req); err == nil || !strings.Contains(err.Error(), "does not conform") {
		t.Errorf("an unknown session state must not conform to the spec; got %v", err)
	}
	if n := tr.Checked(); n != 6 {
		t.Errorf("Checked() = %d, want 6: every answer above is described by the control spec", n)
	}
}

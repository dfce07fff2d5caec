package contracts_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mockprove/mockprove/contracts"
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

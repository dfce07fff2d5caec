package mockprove_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// Benchmarks go through Handler() with an httptest.ResponseRecorder: router,
// body limit, authentication, spec validation and handler, no socket.
//
//	go test -run '^$' -bench . -benchmem ./mockprove/

var startBody = []byte(`{"flowType":"mobile","phoneNumber":"2001001695"}`)

// benchServer is a server on a frozen clock with a fixed seed.
func benchServer(b *testing.B) *mockprove.Server {
	b.Helper()
	s, err := mockprove.New(mockprove.Options{Clock: mockprove.NewFrozenClock(testkit.T0), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// benchToken mints an access token through the handler.
func benchToken(b *testing.B, h http.Handler, id, secret string) string {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, "/token",
		strings.NewReader("grant_type=client_credentials&client_id="+id+"&client_secret="+secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		b.Fatal(err)
	}
	return out.AccessToken
}

// apiRequest is a POST of a JSON body with the bearer token.
func apiRequest(path, bearer string, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	return req
}

// serve runs one request and checks the status.
func serve(b *testing.B, h http.Handler, req *http.Request, want int) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s: %d %s", req.URL.Path, rec.Code, rec.Body)
	}
	return rec
}

// recycle moves the clock two hours on, so that the flows started so far are
// forgotten (a minute past their expiry; each start then removes a few), and returns a
// fresh token. It keeps memory flat in long runs. The timer is stopped.
func recycle(b *testing.B, s *mockprove.Server, id, secret string) string {
	b.StopTimer()
	defer b.StartTimer()
	s.FastForward(2 * time.Hour)
	return benchToken(b, s.Handler(), id, secret)
}

// BenchmarkStart is POST /v3/start end to end, with one token reused.
func BenchmarkStart(b *testing.B) {
	s := benchServer(b)
	h := s.Handler()
	tok := benchToken(b, h, identityID, identitySecret)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n++; n%16384 == 0 {
			tok = recycle(b, s, identityID, identitySecret)
		}
		serve(b, h, apiRequest("/v3/start", tok, startBody), http.StatusOK)
	}
}

// BenchmarkValidate is POST /v3/validate end to end on flows started (outside
// the timer) in batches.
func BenchmarkValidate(b *testing.B) {
	s := benchServer(b)
	h := s.Handler()
	tok := benchToken(b, h, identityID, identitySecret)
	const batch = 1024
	var bodies [][]byte
	refill := func() {
		b.StopTimer()
		defer b.StartTimer()
		bodies = bodies[:0]
		for range batch {
			rec := serve(b, h, apiRequest("/v3/start", tok, startBody), http.StatusOK)
			var out struct {
				CorrelationID string `json:"correlationId"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				b.Fatal(err)
			}
			bodies = append(bodies, []byte(`{"correlationId":"`+out.CorrelationID+`"}`))
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n%(16*batch) == 0 && n > 0 {
			tok = recycle(b, s, identityID, identitySecret)
		}
		if n%batch == 0 {
			refill()
		}
		rec := serve(b, h, apiRequest("/v3/validate", tok, bodies[n%batch]), http.StatusOK)
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"success":true`)) {
			b.Fatalf("validate: %s", rec.Body)
		}
		n++
	}
}

// BenchmarkBaselineKinOpenAPI is the floor to compare BenchmarkStart with: a
// trivial handler behind kin-openapi's router and openapi3filter.ValidateRequest
// on the same spec and the same request, and nothing else.
func BenchmarkBaselineKinOpenAPI(b *testing.B) {
	doc, err := specs.Load(specs.ProveV3)
	if err != nil {
		b.Fatal(err)
	}
	cp := *doc
	cp.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(&cp)
	if err != nil {
		b.Fatal(err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true}
	answer := []byte(`{"authToken":"eyJ","correlationId":"713189b8-5555-4b08-83ba-75d08780aebd","next":{"v3-validate":"/v3/validate"}}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, err := router.FindRoute(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, apiRequest("/v3/start", "token", startBody), http.StatusOK)
	}
}

// holdFlows starts n flows (outside the timer) that stay open, as a running
// server holds the flows its clients have not finished.
func holdFlows(b *testing.B, h http.Handler, tok string, n int) {
	b.Helper()
	for range n {
		serve(b, h, apiRequest("/v3/start", tok, startBody), http.StatusOK)
	}
}

// measureCPU starts counting the process's CPU time; the function it
// returns reports it per operation as cpu-ns/op. Run with -cpu 1,2: when
// the work scales (no lock contention, no spinning), cpu-ns/op stays the
// same and ns/op halves on two idle cores. cpu-ns/op holds however busy the
// machine is with other processes; ns/op does not.
func measureCPU(b *testing.B) func() {
	cpu0, ok := processCPU()
	return func() {
		if cpu1, ok1 := processCPU(); ok && ok1 && b.N > 0 {
			b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkStartParallel is POST /v3/start from GOMAXPROCS goroutines on a
// server that already holds 20,000 open flows. Compare -cpu 1 and -cpu 2:
// nothing on the path is serialised by a lock that grows with the flows.
// Compare at the same count (-benchtime 300000x): every op holds one more
// flow, so with a duration -cpu 2 ends with about twice the heap, and its
// garbage collector works harder per op for that reason alone.
func BenchmarkStartParallel(b *testing.B) {
	s := benchServer(b)
	h := s.Handler()
	tok := benchToken(b, h, identityID, identitySecret)
	holdFlows(b, h, tok, 20000)
	b.ReportAllocs()
	b.ResetTimer()
	defer measureCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serve(b, h, apiRequest("/v3/start", tok, startBody), http.StatusOK)
		}
	})
}

// Start bodies: Martina Goodram (identity, short-term: no possession step)
// on desktop, Jordan Ellis (OTP 1234) on mobile.
var (
	martinaStart = []byte(`{"flowType":"desktop","phoneNumber":"2001004000","finalTargetUrl":"https://app.example/done"}`)
	jordanStart  = []byte(`{"flowType":"mobile","phoneNumber":"2009990039"}`)
)

func correlationOf(b *testing.B, rec *httptest.ResponseRecorder) (id, authToken string) {
	var out struct {
		CorrelationID string `json:"correlationId"`
		AuthToken     string `json:"authToken"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		b.Fatal(err)
	}
	return out.CorrelationID, out.AuthToken
}

// BenchmarkDesktopFlowParallel is one whole desktop Identity flow (start,
// validate, complete) per op, from GOMAXPROCS goroutines.
func BenchmarkDesktopFlowParallel(b *testing.B) {
	s := benchServer(b)
	h := s.Handler()
	tok := benchToken(b, h, identityID, identitySecret)
	holdFlows(b, h, tok, 20000)
	b.ReportAllocs()
	b.ResetTimer()
	defer measureCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id, _ := correlationOf(b, serve(b, h, apiRequest("/v3/start", tok, martinaStart), http.StatusOK))
			cid := []byte(`{"correlationId":"` + id + `"}`)
			serve(b, h, apiRequest("/v3/validate", tok, cid), http.StatusOK)
			serve(b, h, apiRequest("/v3/complete", tok, []byte(`{"correlationId":"`+id+`","individual":{"firstName":"Martina","lastName":"Goodram"}}`)), http.StatusOK)
		}
	})
}

// BenchmarkOTPFlowParallel is one whole mobile OTP flow (start, otp/start,
// otp/finish, validate, complete) per op, from GOMAXPROCS goroutines.
func BenchmarkOTPFlowParallel(b *testing.B) {
	s := benchServer(b)
	h := s.Handler()
	tok := benchToken(b, h, identityID, identitySecret)
	holdFlows(b, h, tok, 20000)
	b.ReportAllocs()
	b.ResetTimer()
	defer measureCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id, auth := correlationOf(b, serve(b, h, apiRequest("/v3/start", tok, jordanStart), http.StatusOK))
			serve(b, h, apiRequest("/v1/client/mobile/otp/start", auth, []byte(`{}`)), http.StatusOK)
			serve(b, h, apiRequest("/v1/client/mobile/otp/finish", auth, []byte(`{"otp":"1234"}`)), http.StatusOK)
			cid := []byte(`{"correlationId":"` + id + `"}`)
			serve(b, h, apiRequest("/v3/validate", tok, cid), http.StatusOK)
			serve(b, h, apiRequest("/v3/complete", tok, []byte(`{"correlationId":"`+id+`","individual":{"firstName":"Jordan","lastName":"Ellis"}}`)), http.StatusOK)
		}
	})
}

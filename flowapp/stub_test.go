package flowapp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
)

// stubProve is a scripted Prove for answers mockprove never gives with
// flowapp's requests (Pre-Fill where Prove already knows the DOB, odd next
// maps). Its answers still have to pass the prove-v3.yaml check of flowapp's
// Prove transport.
type stubProve struct {
	mu      sync.Mutex
	answers map[string]stubAnswer // by path
	got     map[string][]string   // request bodies by path
}

type stubAnswer struct {
	status int
	body   string
}

func newStubProve(answers map[string]stubAnswer) (*stubProve, string) {
	GinkgoHelper()
	sp := &stubProve{answers: map[string]stubAnswer{
		"/token":       {200, `{"access_token":"stub-token","token_type":"Bearer","expires_in":3600}`},
		"/v3/start":    {200, `{"authToken":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","correlationId":"713189b8-5555-4b08-83ba-75d08780aebd","next":{"v3-validate":"/v3/validate"}}`},
		"/v3/complete": {200, `{"success":true,"next":{"done":"done"}}`},
	}, got: map[string][]string{}}
	for k, v := range answers {
		sp.answers[k] = v
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sp.mu.Lock()
		sp.got[r.URL.Path] = append(sp.got[r.URL.Path], string(b))
		a, ok := sp.answers[r.URL.Path]
		sp.mu.Unlock()
		if !ok {
			a = stubAnswer{404, `{"code":8001,"message":"no such endpoint"}`}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
	}))
	DeferCleanup(srv.Close)
	return sp, srv.URL
}

func (sp *stubProve) requests(path string) []string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return append([]string(nil), sp.got[path]...)
}

const milosIndividual = `{"firstName":"Milo","lastName":"Pinson","addresses":[{"address":"6377 Birchwood Hill","city":"Littleton","region":"CO","postalCode":"80161-2001"}],"dob":"1981-01-17T00:00:00.000Z","ssn":"847350596"}`

var _ = Describe("following Prove's next map (scripted Prove)", func() {
	It("calls /v3/challenge itself when Prove offers challenge and complete, and pre-fills", func() {
		sp, url := newStubProve(map[string]stubAnswer{
			"/v3/validate":  {200, `{"success":true,"challengeMissing":false,"phoneNumber":"2001001695","next":{"v3-challenge":"/v3/challenge","v3-complete":"/v3/complete"}}`},
			"/v3/challenge": {200, `{"success":true,"next":{"v3-complete":"/v3/complete"},"individual":` + milosIndividual + `}`},
		})
		w := newWorld(worldOptions{proveBaseURL: url})
		w.initialize(testkit.Milo, "mobile")
		v := w.verify()
		Expect(v.Str("next")).To(Equal("complete"))
		Expect(v.Bool("success")).To(BeTrue())
		Expect(v.Body["individual"]).To(Equal(map[string]any{
			"firstName": "Milo", "lastName": "Pinson", "dob": "1981-01-17", "ssn": "*****0596",
			"addresses": []any{map[string]any{"address": "6377 Birchwood Hill", "city": "Littleton", "region": "CO", "postalCode": "80161-2001"}},
		}))
		Expect(string(v.Raw)).NotTo(ContainSubstring("847350596"), "only the last 4 digits of the SSN reach the browser")
		Expect(sp.requests("/v3/challenge")).To(HaveLen(1))
		Expect(sp.requests("/v3/challenge")[0]).To(MatchJSON(`{"correlationId":"713189b8-5555-4b08-83ba-75d08780aebd"}`))

		Expect(w.post("/finish", map[string]any{"firstName": "Milo", "lastName": "Pinson", "ssn": "*****0596"}).Bool("success")).To(BeTrue())
		var sent map[string]any
		Expect(json.Unmarshal([]byte(sp.requests("/v3/complete")[0]), &sent)).To(Succeed())
		Expect(sent).To(HaveKeyWithValue("correlationId", "713189b8-5555-4b08-83ba-75d08780aebd"))
		Expect(sent).To(HaveKeyWithValue("individual", HaveKeyWithValue("ssn", "847350596")), "the full SSN, from the session")
	})

	It("goes on to complete without the pre-fill when that challenge fails", func() {
		_, url := newStubProve(map[string]stubAnswer{
			"/v3/validate":  {200, `{"success":true,"challengeMissing":false,"next":{"v3-challenge":"/v3/challenge","v3-complete":"/v3/complete"}}`},
			"/v3/challenge": {500, `{"code":8000,"message":"error at prove, try again later"}`},
		})
		w := newWorld(worldOptions{proveBaseURL: url})
		w.initialize(testkit.Milo, "mobile")
		v := w.verify()
		Expect(v.Body).To(Equal(map[string]any{"success": true, "phoneNumber": testkit.Milo, "next": "complete", "challengeMissing": false}))
		Expect(w.post("/finish", map[string]any{"firstName": "Milo", "lastName": "Pinson"}).Bool("success")).To(BeTrue())
	})

	It("reports the challenge's failure when complete is not offered, and /verify may be sent again", func() {
		sp, url := newStubProve(map[string]stubAnswer{
			"/v3/validate":  {200, `{"success":true,"challengeMissing":false,"next":{"v3-challenge":"/v3/challenge"}}`},
			"/v3/challenge": {500, `{"code":8000,"message":"error at prove, try again later"}`},
		})
		w := newWorld(worldOptions{proveBaseURL: url})
		w.initialize(testkit.Milo, "mobile")
		r := w.post("/verify", map[string]any{})
		expectError(r, 502, "prove_unavailable")
		Expect(r.ProveCode()).To(Equal(8000))
		Expect(string(r.Raw)).NotTo(ContainSubstring("error at prove"), "Prove's message is not forwarded")

		r = w.post("/verify", map[string]any{})
		expectError(r, 502, "prove_unavailable") // not wrong_step: the failed step did not move the flow on
		Expect(sp.requests("/v3/validate")).To(HaveLen(2))
		Expect(sp.requests("/v3/challenge")).To(HaveLen(2))
	})

	It("refuses a next map it cannot follow with 502 prove_unavailable", func() {
		_, url := newStubProve(map[string]stubAnswer{
			"/v3/validate": {200, `{"success":true,"challengeMissing":false,"next":{"v3-unify":"/v3/unify"}}`},
		})
		w := newWorld(worldOptions{proveBaseURL: url})
		w.initialize(testkit.Milo, "mobile")
		r := w.post("/verify", map[string]any{})
		expectError(r, 502, "prove_unavailable")
		Expect(r.Message()).To(ContainSubstring("v3-unify"))
	})

	It("refuses a start whose next does not offer validate", func() {
		_, url := newStubProve(map[string]stubAnswer{
			"/v3/start": {200, `{"authToken":"eyJ.e30.c2ln","correlationId":"713189b8-5555-4b08-83ba-75d08780aebd","next":{"done":"done"}}`},
		})
		w := newWorld(worldOptions{proveBaseURL: url})
		r := w.post("/initialize", map[string]any{"phoneNumber": testkit.Milo, "flowType": "mobile"})
		expectError(r, 502, "prove_unavailable")
		Expect(r.Header.Get("Set-Cookie")).To(BeEmpty())
	})
})

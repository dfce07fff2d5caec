package contracts_test

import (
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// The Recorder is the Go door to the same checks: an http.RoundTripper.
var _ = Describe("Recorder", func() {
	var (
		s   *mockprove.Server
		rec *contracts.Recorder
		hc  *http.Client
	)
	BeforeEach(func() {
		s = testkit.Mock(GinkgoT(), mockprove.Options{})
		var err error
		rec, err = contracts.NewRecorder(nil, contracts.RecorderOptions{Flows: contracts.FlowOptions{Now: s.Clock().Now}})
		Expect(err).NotTo(HaveOccurred())
		hc = &http.Client{Transport: rec}
	})
	post := func(path, bearer, body string) (int, string) {
		GinkgoHelper()
		req, _ := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if path == "/token" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := hc.Do(req)
		Expect(err).NotTo(HaveOccurred(), "a Recorder never fails a call")
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		return resp.StatusCode, string(b)
	}

	It("records the violations of a flow without failing any call, and its coverage", func() {
		status, body := post("/token", "", "grant_type=client_credentials&client_id=identity-client&client_secret=identity-secret")
		Expect(status).To(Equal(http.StatusOK))
		tok := strings.Split(strings.Split(body, `"access_token":"`)[1], `"`)[0]
		status, body = post("/v3/start", tok, `{"flowType":"mobile","phoneNumber":"`+testkit.Martina+`"}`)
		Expect(status).To(Equal(http.StatusOK))
		cid := strings.Split(strings.Split(body, `"correlationId":"`)[1], `"`)[0]
		status, _ = post("/v3/complete", tok, cidBody(cid, martinaIndividual))
		Expect(status).To(Equal(http.StatusForbidden))
		Expect(rec.Violations()).To(ConsistOf(contracts.Violation{Side: contracts.SideClient, Operation: "POST /v3/complete", Where: "flow",
			Rule: "flow.validate-first", Expected: "a successful /v3/validate before /v3/complete", Got: "no /v3/validate", CorrelationID: cid}))
		Expect(rec.Warnings()).To(BeEmpty())
		Expect(calls(rec.Report(), "POST /v3/complete")).To(Equal(1))
		Expect(rec.Coverage().Missed()).To(ContainElement("path OTP expired"))
		rec.Reset()
		Expect(rec.Report().Violations).To(BeEmpty())
		Expect(rec.Report().Exchanges).To(Equal(0))
	})

	It("hands the caller the platform's exact bytes", func() {
		status, body := post("/v3/start", "nope", `{"flowType":"mobile"}`)
		Expect(status).To(Equal(http.StatusUnauthorized))
		Expect(body).To(MatchJSON(`{"code":8002,"message":"` + strings.Split(strings.Split(body, `"message":"`)[1], `"`)[0] + `"}`))
		Expect(rec.Report().Exchanges).To(Equal(1))
	})

	It("keeps at most MaxViolations, and counts the rest", func() {
		small, err := contracts.NewRecorder(nil, contracts.RecorderOptions{MaxViolations: 1})
		Expect(err).NotTo(HaveOccurred())
		hc = &http.Client{Transport: small}
		post("/v3/validate", "", `{"correlationId":"a"}`)
		post("/v3/validate", "", `{"correlationId":"b"}`)
		rep := small.Report()
		Expect(rep.Violations).To(HaveLen(1))
		Expect(rep.Dropped).To(Equal(1))
		Expect(rep.Exchanges).To(Equal(2))
		Expect(rep.Fails(contracts.FailOnAny)).To(BeTrue())
	})

	It("keeps SpecTransport's behaviour available: a failing response check fails the call", func() {
		st, err := contracts.NewSpecTransport(rec)
		Expect(err).NotTo(HaveOccurred())
		st.CheckRequests = true
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v3/validate", strings.NewReader(`{"correlationID":"c"}`))
		req.Header.Set("Content-Type", "application/json")
		_, err = (&http.Client{Transport: st}).Do(req)
		Expect(err).To(MatchError(ContainSubstring(
			"request POST /v3/validate does not conform to the spec: client POST /v3/validate request body correlationID [schema.unknown-field]: " +
				"expected no field correlationID (known: correlationId), got field correlationID; " +
				"client POST /v3/validate request body correlationId [schema.required]: expected field correlationId, got nothing")))
		Expect(err.Error()).To(oneLine())
	})
})

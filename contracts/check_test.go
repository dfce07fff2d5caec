package contracts_test

import (
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/specs"
)

var _ = Describe("Checker", func() {
	var ch *contracts.Checker
	BeforeEach(func() {
		var err error
		ch, err = contracts.NewChecker(contracts.CheckerOptions{})
		Expect(err).NotTo(HaveOccurred())
	})
	request := func(path, body string) *http.Request {
		req, err := http.NewRequest(http.MethodPost, "http://prove.test"+path, strings.NewReader(body))
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer t")
		return req
	}
	response := func(status int, header ...string) *http.Response {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	check := func(path, reqBody string, resp *http.Response, respBody string) []string {
		GinkgoHelper()
		var out []string
		for _, v := range ch.Check(request(path, reqBody), []byte(reqBody), resp, []byte(respBody)) {
			Expect(v.String()).To(oneLine())
			out = append(out, v.String())
		}
		return out
	}

	It("finds the operation of a request, server-side or client-side", func() {
		r := ch.Find(request("/v3/start", ""))
		Expect(r).NotTo(BeNil())
		Expect(r.Operation).To(Equal("POST /v3/start"))
		Expect(r.OperationID).To(Equal("V3StartRequest"))
		Expect(r.Spec).To(Equal(specs.ProveV3))
		srv, _ := http.NewRequest(http.MethodGet, "/v1/link/abc", nil)
		srv.URL.Host, srv.URL.Scheme = "", ""
		Expect(ch.Find(srv).Operation).To(Equal("GET /v1/link/{token}"))
		Expect(ch.Find(request("/elsewhere", ""))).To(BeNil())
	})

	It("accepts a conforming exchange", func() {
		Expect(check("/v3/validate", `{"correlationId":"c"}`, response(200), `{"success":true,"challengeMissing":false,"next":{"v3-complete":"/v3/complete"}}`)).To(BeEmpty())
	})

	It("leaves exchanges no document describes alone", func() {
		Expect(check("/elsewhere", `not json`, response(200), `not json`)).To(BeEmpty())
	})

	It("names the request's problems one line each, the client's fault", func() {
		Expect(check("/v3/start", `{"flowType":"tablet","phoneNumber":"12","extra":true}`, response(400), `{"code":8001,"message":"m"}`)).To(ConsistOf(
			"client POST /v3/start request body flowType [schema.enum]: expected one of desktop, mobile, got \"tablet\"",
			"client POST /v3/start request body phoneNumber [schema.pattern]: expected a string matching ^\\+?[0-9]{7,15}$, got \"12\"",
			"client POST /v3/start request body extra [schema.unknown-field]: expected no field extra (known: allowOTPRetry, dob, emailAddress, finalTargetUrl, flowType, ipAddress, phoneNumber, smsMessage, ssn), got field extra",
		))
		Expect(check("/v3/complete", `{"correlationId":"c"}`, nil, "")).To(ConsistOf(
			"client POST /v3/complete request body individual [schema.required]: expected field individual, got nothing"))
		Expect(check("/v1/client/mobile/otp/finish", `{"otp":1234}`, nil, "")).To(ConsistOf(
			"client POST /v1/client/mobile/otp/finish request body otp [schema.type]: expected string, got number 1234"))
		Expect(check("/v3/validate", `{"correlationId":`, nil, "")).To(ConsistOf(
			`client POST /v3/validate request body [body.json]: expected valid JSON, got "{\"correlationId\":"`))
	})

	It("names only the problems of the oneOf branch a body was meant for", func() {
		Expect(check("/v3/verify", `{"possessionType":"mobile","phoneNumber":"2001004053","firstName":"E","lastName":"C","verificationType":"verifiedUser"}`, nil, "")).To(ConsistOf(
			"client POST /v3/verify request body verificationType [schema.unknown-field]: expected no field verificationType (known: allowOTPRetry, clientCustomerId, clientRequestId, emailAddress, finalTargetUrl, firstName, lastName, phoneNumber, possessionType, smsMessage), got field verificationType"))
		Expect(check("/v3/verify", `{"phoneNumber":"2001004053","verificationType":"bot"}`, nil, "")).To(ConsistOf(
			"client POST /v3/verify request body verificationType [schema.enum]: expected one of verifiedUser, accountOpening, humanAssurance, prefill, prefillForBiz, identityResolution, got \"bot\""))
		Expect(check("/v3/verify", `{"phoneNumber":"2001004053","verificationType":"humanAssurance"}`, response(200),
			`{"success":"true","correlationId":"c","phoneNumber":"2001004053","identity":{"reasons":["AL2a"]}}`)).To(ConsistOf(
			"platform POST /v3/verify response body identity.assuranceLevel [schema.required]: expected field assuranceLevel, got nothing"))
	})

	It("names a wrong media type or a missing body", func() {
		req := request("/v3/start", "")
		req.Header.Set("Content-Type", "text/plain")
		resp := response(200)
		resp.Header.Set("Content-Type", "text/html")
		var lines []string
		for _, v := range ch.Check(req, []byte(`{"flowType":"mobile"}`), resp, []byte("<html>")) {
			lines = append(lines, v.String())
		}
		Expect(lines).To(ConsistOf(
			`client POST /v3/start request header Content-Type [body.content-type]: expected application/json, got "text/plain"`,
			`platform POST /v3/start response header Content-Type [body.content-type]: expected application/json, got "text/html"`))
		Expect(check("/v3/start", "", nil, "")).To(ConsistOf("client POST /v3/start request body [body.required]: expected a body, got nothing"))
	})

	It("masks the digits of an SSN or a DOB", func() {
		Expect(check("/v3/challenge", `{"correlationId":"c","ssn":"12-345"}`, nil, "")).To(ConsistOf(
			`client POST /v3/challenge request body ssn [schema.pattern]: expected a string matching ^([0-9]{4}|[0-9]{9})$, got "##-###"`))
	})

	It("wants a bearer token on the API calls, not on /token", func() {
		req := request("/v3/validate", `{"correlationId":"c"}`)
		req.Header.Del("Authorization")
		Expect(ch.CheckRequest(req, []byte(`{"correlationId":"c"}`))).To(ConsistOf(contracts.Violation{Side: contracts.SideClient,
			Operation: "POST /v3/validate", Where: "request header Authorization", Rule: "auth.bearer",
			Expected: "Authorization: Bearer <token>", Got: "no bearer token"}))
		tok, _ := http.NewRequest(http.MethodPost, "http://prove.test/token", strings.NewReader("grant_type=client_credentials&client_id=a&client_secret=b"))
		tok.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		Expect(ch.CheckRequest(tok, []byte("grant_type=client_credentials&client_id=a&client_secret=b"))).To(BeEmpty())
	})

	It("names the response's problems one line each, the platform's fault", func() {
		Expect(check("/v3/validate", `{"correlationId":"c"}`, response(200), `{"success":"yes","next":{}}`)).To(ConsistOf(
			`platform POST /v3/validate response body success [schema.type]: expected boolean, got string "yes"`,
			`platform POST /v3/validate response body challengeMissing [schema.required]: expected field challengeMissing, got nothing`))
		Expect(check("/v3/start", `{"flowType":"mobile","phoneNumber":"2009990039"}`, response(429), `{"message":"slow down"}`)).To(ConsistOf(
			"platform POST /v3/start response header Retry-After [header.required]: expected the header Retry-After, got nothing"))
		Expect(check("/v3/start", `{"flowType":"mobile","phoneNumber":"2009990039"}`, response(429, "Retry-After", "soon"), `{"message":"slow down"}`)).To(ConsistOf(
			`platform POST /v3/start response header Retry-After [header.invalid]: expected a valid Retry-After, got "soon"`))
		Expect(check("/v3/start", `{"flowType":"mobile","phoneNumber":"2009990039"}`, response(400), `{"code":8001}`)).To(ConsistOf(
			"platform POST /v3/start response body message [schema.required]: expected field message, got nothing"))
		Expect(check("/v3/validate", `{"correlationId":"c"}`, response(200), `<html>`)).To(ConsistOf(
			`platform POST /v3/validate response body [body.json]: expected valid JSON, got "<html>"`))
	})

	It("names an undocumented status with the documented ones", func() {
		fa, err := contracts.NewChecker(contracts.CheckerOptions{Specs: []string{specs.Flowapp}})
		Expect(err).NotTo(HaveOccurred())
		req, _ := http.NewRequest(http.MethodGet, "http://app.test/healthz", nil)
		vs := fa.CheckResponse(req, nil, response(503), []byte(`{}`))
		Expect(vs).To(HaveLen(1))
		Expect(vs[0].String()).To(Equal("platform GET /healthz status [status.documented]: expected one of 200, got 503"))
	})

	It("refuses an unknown document", func() {
		_, err := contracts.NewChecker(contracts.CheckerOptions{Specs: []string{"nope.yaml"}})
		Expect(err).To(HaveOccurred())
	})
})

package contracts_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
)

// Flows on exchanges built by hand: the bounds and the rules that need
// a clock.
var _ = Describe("Flows", func() {
	var (
		now time.Time
		f   *contracts.Flows
	)
	BeforeEach(func() {
		now = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
		f = contracts.NewFlows(contracts.FlowOptions{Now: func() time.Time { return now }, MaxFlows: 3, FlowTTL: 20 * time.Minute})
	})
	ex := func(method, path, auth, reqBody string, status int, respBody string, header ...string) contracts.Exchange {
		req, _ := http.NewRequest(method, "http://prove.test"+path, strings.NewReader(reqBody))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		if status == http.StatusTooManyRequests {
			resp.Header.Set("Retry-After", "2")
		}
		return contracts.Exchange{Request: req, RequestBody: []byte(reqBody), Response: resp, ResponseBody: []byte(respBody)}
	}
	start := func(id string) {
		f.Observe(ex("POST", "/v3/start", "t", `{"flowType":"mobile"}`, 200,
			fmt.Sprintf(`{"correlationId":%q,"authToken":"auth-%s","next":{"v3-validate":"/v3/validate"}}`, id, id)))
	}
	complete := func(id string) contracts.Observation {
		return f.Observe(ex("POST", "/v3/complete", "t", `{"correlationId":"`+id+`","individual":{}}`, 403, `{"code":8003,"message":"m"}`))
	}

	It("bounds the flows it tracks, forgetting the oldest", func() {
		for _, id := range []string{"a", "b", "c", "d"} {
			start(id)
		}
		Expect(f.Tracked()).To(Equal(3))
		Expect(complete("a").Violations).To(BeEmpty(), "a forgotten flow is not judged")
		Expect(rules(complete("d").Violations)).To(Equal([]string{"flow.validate-first"}))
	})

	It("forgets flows after FlowTTL", func() {
		start("a")
		now = now.Add(20 * time.Minute)
		Expect(complete("a").Violations).To(BeEmpty())
		Expect(f.Tracked()).To(Equal(0))
	})

	It("finds the flow of a device API call by its authToken", func() {
		start("a")
		o := f.Observe(ex("POST", "/v1/client/mobile/otp/start", "auth-a", `{}`, 200, `{}`))
		Expect(o.CorrelationID).To(Equal("a"))
		Expect(o.Sends).To(Equal(1))
	})

	It("honours Retry-After on its clock", func() {
		Expect(f.Observe(ex("POST", "/v3/validate", "t", `{"correlationId":"x"}`, 429, `{"message":"m"}`)).Violations).To(BeEmpty())
		now = now.Add(1999 * time.Millisecond)
		Expect(rules(f.Observe(ex("POST", "/v3/validate", "t", `{"correlationId":"x"}`, 200, `{}`)).Violations)).To(Equal([]string{"rate.retry-after"}))
		now = now.Add(time.Millisecond)
		Expect(f.Observe(ex("POST", "/v3/validate", "t", `{"correlationId":"x"}`, 200, `{}`)).Violations).To(BeEmpty())
	})

	It("lets a client fetch a new token after a 401", func() {
		tok := func() contracts.Observation {
			return f.Observe(ex("POST", "/token", "", "grant_type=client_credentials&client_id=a&client_secret=b", 200,
				`{"access_token":"t1","token_type":"Bearer","expires_in":3600}`))
		}
		Expect(tok().Violations).To(BeEmpty())
		f.Observe(ex("POST", "/v3/start", "t1", `{"flowType":"mobile"}`, 401, `{"code":8002,"message":"m"}`))
		Expect(tok().Violations).To(BeEmpty())
		Expect(rules(tok().Violations)).To(Equal([]string{"token.reuse"}))
	})

	It("finds SSN and DOB in query strings and device calls", func() {
		start("a")
		o := f.Observe(ex("POST", "/v1/client/mobile/otp/start?dob=1990-01-01", "auth-a", `{"mobileNumber":"1","user":{"ssn":"1"}}`, 200, `{}`))
		Expect(o.Violations).To(HaveLen(2))
		Expect(o.Violations[0].Where).To(Equal("request body user.ssn"))
		Expect(o.Violations[1].Where).To(Equal("request query dob"))
		Expect(f.Observe(ex("POST", "/v3/start", "t", `{"flowType":"mobile","dob":"1990-01-01","ssn":"1234"}`, 400, `{}`)).Violations).To(BeEmpty())
	})

	Describe("Unify", func() {
		const cid = "713189b8-5555-4b08-83ba-75d08780aebd"
		unify := func(bearer string) {
			f.Observe(ex("POST", "/v3/unify", bearer, `{"possessionType":"none","clientRequestId":"r1","phoneNumber":"2001004014"}`, 200,
				`{"correlationId":"`+cid+`","success":"pending","authToken":"a"}`))
		}
		status := func(bearer, success string) contracts.Observation {
			return f.Observe(ex("POST", "/v3/unify-status", bearer, `{"correlationId":"`+cid+`"}`, 200, `{"success":"`+success+`"}`))
		}
		bind := func(bearer string, code int, resp string) contracts.Observation {
			return f.Observe(ex("POST", "/v3/unify-bind", bearer, `{"correlationId":"`+cid+`","phoneNumber":"2001004014"}`, code, resp))
		}
		lines := func(o contracts.Observation) []string {
			var out []string
			for _, v := range o.Violations {
				out = append(out, v.String())
			}
			return out
		}

		It("takes unify, status pending, possession_required, then one bind", func() {
			unify("t")
			Expect(status("t", "pending").Violations).To(BeEmpty())
			Expect(status("t", "possession_required").Violations).To(BeEmpty())
			Expect(bind("t", 200, `{"success":"true","proveId":"p","deviceId":"d"}`).Violations).To(BeEmpty())
			Expect(f.Tracked()).To(Equal(1))
		})

		It("names a bind before unify-status said possession_required", func() {
			unify("t")
			Expect(lines(bind("t", 403, `{"code":8003,"message":"m"}`))).To(ConsistOf(
				`client POST /v3/unify-bind flow [unify.bind-before-required]: expected /v3/unify-bind only after /v3/unify-status answered "possession_required", got no /v3/unify-status (correlationId ` + cid + ")"))
			Expect(lines(status("t", "pending"))).To(BeEmpty())
			Expect(lines(bind("t", 403, `{"code":8003,"message":"m"}`))).To(ConsistOf(
				`client POST /v3/unify-bind flow [unify.bind-before-required]: expected /v3/unify-bind only after /v3/unify-status answered "possession_required", got /v3/unify-status answered "pending" (correlationId ` + cid + ")"))
			Expect(status("t", "possession_required").Violations).To(BeEmpty())
			Expect(bind("t", 200, `{"success":"true"}`).Violations).To(BeEmpty(), "the same bind, now in order, is no retry of a 4xx")
		})

		It("names a bind once the session said true", func() {
			unify("t")
			status("t", "true")
			Expect(lines(bind("t", 403, `{"code":8003,"message":"m"}`))).To(ConsistOf(
				`client POST /v3/unify-bind flow [unify.bind-after-true]: expected no /v3/unify-bind once the session answered "true", got /v3/unify-status answered "true" (correlationId ` + cid + ")"))
		})

		It("names a second bind after one passed", func() {
			unify("t")
			status("t", "possession_required")
			bind("t", 200, `{"success":"true"}`)
			Expect(lines(bind("t", 403, `{"code":8003,"message":"m"}`))).To(ConsistOf(
				`client POST /v3/unify-bind flow [unify.bind-after-true]: expected no /v3/unify-bind once the session answered "true", got /v3/unify-bind answered "true" (correlationId ` + cid + ")"))
		})

		token := func(client, tok string) {
			f.Observe(ex("POST", "/token", "", "grant_type=client_credentials&client_id="+client+"&client_secret=s", 200,
				`{"access_token":"`+tok+`","token_type":"Bearer","expires_in":3600}`))
		}

		It("names a status or bind on another client's session, without its token", func() {
			token("unify-a", "t")
			token("unify-b", "u")
			unify("t")
			Expect(lines(status("u", "pending"))).To(ConsistOf(
				"client POST /v3/unify-status request body correlationId [unify.same-client]: expected a correlationId from a /v3/unify of the same client, got the correlationId of a /v3/unify by client unify-a (correlationId " + cid + ")"))
			Expect(rules(bind("u", 400, `{"code":8008,"message":"m"}`).Violations)).To(Equal([]string{"unify.same-client"}))
			Expect(status("t", "pending").Violations).To(BeEmpty(), "the owner's session is untouched")
		})

		It("does not judge the client of a session when it cannot tell: a token it never saw issued may be the same client's", func() {
			unify("t") // a token taken before the proxy watched
			token("unify-a", "u")
			Expect(status("u", "pending").Violations).To(BeEmpty(), "the client renewed its token mid-session")
			Expect(status("v", "pending").Violations).To(BeEmpty(), "another unseen token: perhaps the same client")
			Expect(status("t", "possession_required").Violations).To(BeEmpty())
			Expect(bind("u", 200, `{"success":"true"}`).Violations).To(BeEmpty())
		})

		It("names a correlationId of the other kind: a flow's at unify-status, a session's at validate", func() {
			unify("t")
			start("a")
			o := f.Observe(ex("POST", "/v3/unify-status", "t", `{"correlationId":"a"}`, 400, `{"code":8008,"message":"m"}`))
			Expect(lines(o)).To(ConsistOf(
				"client POST /v3/unify-status request body correlationId [unify.session]: expected the correlationId of a /v3/unify, got the correlationId of a /v3/start flow (correlationId a)"))
			o = f.Observe(ex("POST", "/v3/validate", "t", `{"correlationId":"`+cid+`"}`, 403, `{"code":8003,"message":"m"}`))
			Expect(lines(o)).To(ConsistOf(
				"client POST /v3/validate request body correlationId [unify.session]: expected the correlationId of a /v3/start flow, got the correlationId of a /v3/unify session"))
		})

		It("does not judge a session it never saw, and forgets sessions after FlowTTL", func() {
			Expect(bind("t", 403, `{"code":8003,"message":"m"}`).Violations).To(BeEmpty())
			unify("t")
			now = now.Add(20 * time.Minute)
			Expect(bind("u", 403, `{"code":8003,"message":"m"}`).Violations).To(BeEmpty())
			Expect(f.Tracked()).To(Equal(0))
		})
	})

	It("warns about Instant Link from a mobile User-Agent", func() {
		start("a")
		o := f.Observe(ex("POST", "/v1/client/mobile/instantlink/start", "auth-a", `{"isMobile":false}`, 200, `{"data":{}}`,
			"User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"))
		Expect(o.Violations).To(BeEmpty())
		Expect(rules(o.Warnings)).To(Equal([]string{"instantlink.mobile-web"}))
		Expect(o.Warnings[0].Where).To(Equal("request header User-Agent"))
		Expect(o.Warnings[0].Got).To(HavePrefix("Mozilla/5.0 (iPhone"))
	})
})

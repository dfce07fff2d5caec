package prove_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/flowapp/prove"
	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

// fixture is a mockprove server on a frozen clock and a client whose every
// request and response is checked against specs/prove-v3.yaml.
type fixture struct {
	s    *mockprove.Server
	spec *contracts.SpecTransport
	c    *prove.Client
	gate *testkit.Gate // with setup.gated
}

type setup struct {
	clientID, secret string
	timeout          time.Duration
	unchecked        bool // plain transport: for answers the spec forbids (malformed)
	realClock        bool // the client measures token expiry on time.Now, not mockprove's clock
	gated            bool // a gate between the client and mockprove (f.gate)
}

func newFixture(o setup) *fixture {
	GinkgoHelper()
	s := testkit.Mock(GinkgoT(), mockprove.Options{Seed: 7})
	f := &fixture{s: s}
	var rt http.RoundTripper = http.DefaultTransport
	if !o.unchecked {
		st, err := contracts.NewSpecTransport(http.DefaultTransport, specs.ProveV3)
		Expect(err).NotTo(HaveOccurred())
		st.CheckRequests = true
		f.spec, rt = st, st
	}
	if o.clientID == "" {
		o.clientID, o.secret = "identity-client", "identity-secret"
	}
	base := s.URL()
	if o.gated {
		f.gate = testkit.NewGate(GinkgoT(), base)
		base = f.gate.URL
	}
	cfg := prove.Config{
		BaseURL: base, ClientID: o.clientID, ClientSecret: o.secret,
		HTTP: &http.Client{Transport: rt}, Timeout: o.timeout, Now: s.Clock().Now,
	}
	if o.realClock {
		cfg.Now = nil
	}
	c, err := prove.New(cfg)
	Expect(err).NotTo(HaveOccurred())
	f.c = c
	return f
}

// steps lists the journal as "step status" lines, oldest first.
func (f *fixture) steps() []string { return testkit.StepStatuses(f.s) }

func (f *fixture) start(phone string) *prove.StartResponse {
	GinkgoHelper()
	rsp, err := f.c.Start(context.Background(), prove.StartRequest{FlowType: prove.FlowMobile, PhoneNumber: phone, AllowOTPRetry: true})
	Expect(err).NotTo(HaveOccurred())
	return rsp
}

var _ = Describe("Client", func() {
	ctx := context.Background()

	Describe("New", func() {
		It("refuses a missing or non-HTTP base URL and missing credentials", func() {
			_, err := prove.New(prove.Config{ClientID: "a", ClientSecret: "b"})
			Expect(err).To(MatchError(ContainSubstring("base URL")))
			_, err = prove.New(prove.Config{BaseURL: "ftp://x", ClientID: "a", ClientSecret: "b"})
			Expect(err).To(MatchError(ContainSubstring("base URL")))
			_, err = prove.New(prove.Config{BaseURL: "http://127.0.0.1:1"})
			Expect(err).To(MatchError(ContainSubstring("client ID and client secret")))
		})
		It("defaults the timeout to 10 s and trims the base URL", func() {
			c, err := prove.New(prove.Config{BaseURL: "http://127.0.0.1:8080/", ClientID: "a", ClientSecret: "b"})
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Timeout()).To(Equal(10 * time.Second))
			Expect(c.BaseURL).To(Equal("http://127.0.0.1:8080"))
			Expect(c.HTTP).NotTo(BeNil())
		})
	})

	Describe("the Prove Identity flow", func() {
		It("runs start → validate → complete for Martina with spec-conforming requests", func() {
			f := newFixture(setup{})
			st := f.start(testkit.Martina)
			Expect(st.AuthToken).To(HavePrefix("eyJ"))
			Expect(st.Next.Has(prove.StepValidate)).To(BeTrue())

			v, err := f.c.Validate(ctx, st.CorrelationID)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Success).To(BeTrue())
			Expect(v.ChallengeMissing).To(BeFalse())
			Expect(v.PhoneNumber).To(Equal(testkit.Martina))
			Expect(v.Next.Has(prove.StepComplete)).To(BeTrue())
			Expect(v.Next.Has(prove.StepChallenge)).To(BeFalse())

			cp, err := f.c.Complete(ctx, prove.CompleteRequest{CorrelationID: st.CorrelationID, Individual: prove.CompleteIndividual{
				FirstName: "Martina", LastName: "Goodram", DOB: "1995-07-26", SSN: "490959347",
				EmailAddresses: []string{"mgoodram0@nasa.gov"},
				Addresses:      []prove.AddressEntry{{Address: "28965 Homewood Plaza", City: "Little Rock", Region: "AR", PostalCode: "72204"}},
			}})
			Expect(err).NotTo(HaveOccurred())
			Expect(cp.Success).To(BeTrue())
			Expect(cp.Next.Has(prove.StepDone)).To(BeTrue())
			Expect(cp.Next.Done()).To(BeTrue())
			Expect(cp.IDV).NotTo(BeNil())
			Expect(cp.IDV.MultiCIPConfidence).To(Equal("high"))
			Expect(cp.IDV.DataSource1.ReasonCodes).To(Equal([]string{"NA"}))
			Expect(cp.KYC).NotTo(BeNil())
			Expect(cp.KYC.TotalHits).To(HaveValue(BeZero()), "present, and 0")

			Expect(f.spec.Checked()).To(Equal(4), "token, start, validate and complete were checked against the spec")
			Expect(f.steps()).To(Equal([]string{"/token 200", "/v3/start 200", "/v3/validate 200", "/v3/complete 200"}))
		})

		It("runs the Pre-Fill challenge for Milo", func() {
			f := newFixture(setup{clientID: "prefill-client", secret: "prefill-secret"})
			st := f.start(testkit.Milo)
			v, err := f.c.Validate(ctx, st.CorrelationID)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.ChallengeMissing).To(BeTrue())
			Expect(v.Next.Has(prove.StepChallenge)).To(BeTrue())

			ch, err := f.c.Challenge(ctx, prove.ChallengeRequest{CorrelationID: st.CorrelationID, DOB: "1981-01-17"})
			Expect(err).NotTo(HaveOccurred())
			Expect(ch.Success).To(BeTrue())
			Expect(ch.Next.Has(prove.StepComplete)).To(BeTrue())
			Expect(ch.Individual).NotTo(BeNil())
			Expect(ch.Individual.FirstName).To(Equal("Milo"))
			Expect(ch.Individual.Addresses).To(HaveLen(1))
			Expect(ch.Individual.Addresses[0].City).To(Equal("Littleton"))
			Expect(ch.Individual.DOB).To(HavePrefix("1981-01-17"))
		})

		It("reports a failed validate as success false with next done (not an error)", func() {
			f := newFixture(setup{})
			st := f.start("2009990039") // not short-term: no possession yet
			v, err := f.c.Validate(ctx, st.CorrelationID)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Success).To(BeFalse())
			Expect(v.Next.Done()).To(BeTrue())
		})
	})

	Describe("the access token", func() {
		It("is fetched once and reused for several calls", func() {
			f := newFixture(setup{})
			for i := 0; i < 3; i++ {
				f.start(testkit.Martina)
			}
			Expect(f.s.Journal(mockprove.JournalFilter{Step: "/token"})).To(HaveLen(1))
			Expect(f.s.Journal(mockprove.JournalFilter{Step: "/v3/start"})).To(HaveLen(3))
		})

		It("is fetched once by concurrent first calls", func() {
			f := newFixture(setup{})
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := f.c.Start(ctx, prove.StartRequest{FlowType: prove.FlowMobile, PhoneNumber: testkit.Martina})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
			Expect(f.s.Journal(mockprove.JournalFilter{Step: "/token"})).To(HaveLen(1))
		})

		It("is fetched again once it is within 60 s of expiry (clock moved 61 minutes)", func() {
			f := newFixture(setup{})
			f.start(testkit.Martina)
			f.s.FastForward(61 * time.Minute)
			_, err := f.c.Start(ctx, prove.StartRequest{FlowType: prove.FlowMobile, PhoneNumber: testkit.Martina})
			Expect(err).NotTo(HaveOccurred())
			Expect(f.steps()).To(Equal([]string{"/token 200", "/v3/start 200", "/token 200", "/v3/start 200"}),
				"a fresh token before the call, no 401 round trip")
		})

		It("is used until 60 s before expiry and no later", func() {
			f := newFixture(setup{})
			f.start(testkit.Martina)
			f.s.FastForward(58*time.Minute + 59*time.Second)
			f.start(testkit.Martina)
			Expect(f.s.Journal(mockprove.JournalFilter{Step: "/token"})).To(HaveLen(1))
			f.s.FastForward(time.Second)
			f.start(testkit.Martina)
			Expect(f.s.Journal(mockprove.JournalFilter{Step: "/token"})).To(HaveLen(2))
		})

		It("is fetched again after a 401 when the client's clock does not know it expired", func() {
			f := newFixture(setup{realClock: true})
			f.start(testkit.Martina)
			f.s.FastForward(61 * time.Minute)
			f.start(testkit.Martina)
			Expect(f.steps()).To(Equal([]string{"/token 200", "/v3/start 200", "/v3/start 401", "/token 200", "/v3/start 200"}))
		})

		It("is fetched again after a 401 from an API call, and the call retried once", func() {
			f := newFixture(setup{})
			st := f.start(testkit.Martina)
			_, err := f.s.AddFault(mockprove.FaultSpec{Step: "/v3/validate", Status: 401, Code: 8002, Count: 1})
			Expect(err).NotTo(HaveOccurred())
			v, err := f.c.Validate(ctx, st.CorrelationID)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Success).To(BeTrue())
			Expect(f.steps()).To(Equal([]string{"/token 200", "/v3/start 200", "/v3/validate 401", "/token 200", "/v3/validate 200"}))
		})

		It("gives up after one retry when Prove keeps answering 401", func() {
			f := newFixture(setup{})
			st := f.start(testkit.Martina)
			_, err := f.s.AddFault(mockprove.FaultSpec{Step: "/v3/validate", Status: 401, Code: 8002})
			Expect(err).NotTo(HaveOccurred())
			_, err = f.c.Validate(ctx, st.CorrelationID)
			var pe *prove.Error
			Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
			Expect(pe.Status).To(Equal(401))
			Expect(pe.Code).To(Equal(prove.CodeUnauthorized))
			Expect(f.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(HaveLen(2))
		})

		It("is used until half its life when it lives less than 2 minutes", func() {
			var tokens atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/token" {
					n := tokens.Add(1)
					fmt.Fprintf(w, `{"access_token":"tok%d","token_type":"Bearer","expires_in":60}`, n)
					return
				}
				fmt.Fprint(w, `{"success":true,"challengeMissing":false,"next":{"v3-complete":"/v3/complete"}}`)
			}))
			DeferCleanup(srv.Close)
			now := testkit.T0
			c, err := prove.New(prove.Config{BaseURL: srv.URL, ClientID: "a", ClientSecret: "b", Now: func() time.Time { return now }})
			Expect(err).NotTo(HaveOccurred())
			validate := func() {
				GinkgoHelper()
				_, err := c.Validate(ctx, "x")
				Expect(err).NotTo(HaveOccurred())
			}
			validate()
			now = now.Add(29 * time.Second)
			validate()
			Expect(tokens.Load()).To(BeEquivalentTo(1), "a 60 s token is used for 30 s")
			now = now.Add(time.Second)
			validate()
			Expect(tokens.Load()).To(BeEquivalentTo(2), "and no longer")
		})

		It("fails with Prove's error when the credentials are wrong", func() {
			f := newFixture(setup{clientID: "identity-client", secret: "wrong"})
			_, err := f.c.Start(ctx, prove.StartRequest{FlowType: prove.FlowMobile, PhoneNumber: testkit.Martina})
			var pe *prove.Error
			Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
			Expect(pe.Op).To(Equal("/token"))
			Expect(pe.Status).To(Equal(401))
			Expect(pe.Code).To(Equal(prove.CodeUnauthorized))
			Expect(f.s.Journal(mockprove.JournalFilter{Step: "/v3/start"})).To(BeEmpty())
		})
	})

	Describe("errors", func() {
		It("types Prove's error answer: 8007 for an unknown phone number", func() {
			f := newFixture(setup{})
			_, err := f.c.Start(ctx, prove.StartRequest{FlowType: prove.FlowMobile, PhoneNumber: testkit.Nobody})
			var pe *prove.Error
			Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
			Expect(pe.Op).To(Equal("/v3/start"))
			Expect(pe.Status).To(Equal(http.StatusBadRequest))
			Expect(pe.Code).To(Equal(prove.CodeUserNotFound))
			Expect(pe.Message).To(ContainSubstring("no test user"))
			Expect(err.Error()).To(ContainSubstring("code 8007"))
		})

		It("types 8009 for a persona of another product", func() {
			f := newFixture(setup{clientID: "prefill-client", secret: "prefill-secret"})
			_, err := f.c.Start(ctx, prove.StartRequest{FlowType: prove.FlowMobile, PhoneNumber: testkit.Martina})
			var pe *prove.Error
			Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
			Expect(pe.Status).To(Equal(http.StatusForbidden))
			Expect(pe.Code).To(Equal(prove.CodeAccessDenied))
		})

		It("types a 500 with code 8000", func() {
			f := newFixture(setup{})
			Expect(f.s.FailNext("/v3/start", 500)).To(Succeed())
			_, err := f.c.Start(ctx, prove.StartRequest{FlowType: prove.FlowMobile, PhoneNumber: testkit.Martina})
			var pe *prove.Error
			Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
			Expect(pe.Status).To(Equal(500))
			Expect(pe.Code).To(Equal(prove.CodeInternal))
			// The fault was one-shot: the next call works.
			f.start(testkit.Martina)
		})

		It("reports a timeout when Prove answers too late", func() {
			// The gate holds /v3/validate until the spec ends: Prove never
			// answers in time, whatever the machine's load; the 2 s timeout
			// only has to be long enough for /token and /v3/start.
			f := newFixture(setup{timeout: 2 * time.Second, gated: true})
			st := f.start(testkit.Martina)
			f.gate.Hold("/v3/validate")
			_, err := f.c.Validate(ctx, st.CorrelationID)
			Expect(f.gate.Arrived).To(Receive(Equal("/v3/validate")), "the call was held, not refused")
			Expect(err).To(HaveOccurred())
			Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue(), "%v", err)
			Expect(prove.IsTimeout(err)).To(BeTrue())
			var te *prove.TimeoutError
			Expect(errors.As(err, &te)).To(BeTrue())
			Expect(te.Timeout()).To(BeTrue())
			Expect(te.Op).To(Equal("/v3/validate"))
			Expect(te.After).To(Equal(2 * time.Second))
			Expect(f.s.Journal(mockprove.JournalFilter{Step: "/v3/validate"})).To(BeEmpty(), "the held call never reached Prove")
		})

		It("waits for an answer slower than usual but within the timeout", func() {
			f := newFixture(setup{timeout: time.Minute, gated: true})
			st := f.start(testkit.Martina)
			f.gate.Hold("/v3/validate")
			type answer struct {
				v   *prove.ValidateResponse
				err error
			}
			done := make(chan answer, 1)
			go func() {
				v, err := f.c.Validate(ctx, st.CorrelationID)
				done <- answer{v, err}
			}()
			Eventually(f.gate.Arrived).WithTimeout(time.Minute).Should(Receive(Equal("/v3/validate")))
			Expect(done).NotTo(Receive(), "the client waits while Prove has not answered")
			f.gate.Release()
			var a answer
			Eventually(done).WithTimeout(time.Minute).Should(Receive(&a))
			Expect(a.err).NotTo(HaveOccurred())
			Expect(a.v.Success).To(BeTrue())
		})

		It("reports a malformed answer clearly", func() {
			f := newFixture(setup{unchecked: true})
			st := f.start(testkit.Martina)
			_, err := f.s.AddFault(mockprove.FaultSpec{Step: "/v3/validate", Kind: mockprove.FaultMalformed, Count: 1})
			Expect(err).NotTo(HaveOccurred())
			_, err = f.c.Validate(ctx, st.CorrelationID)
			Expect(errors.Is(err, prove.ErrMalformed)).To(BeTrue(), "%v", err)
			var me *prove.MalformedError
			Expect(errors.As(err, &me)).To(BeTrue())
			Expect(me.Op).To(Equal("/v3/validate"))
			Expect(err.Error()).To(ContainSubstring("malformed answer"))
			Expect(err.Error()).To(ContainSubstring("not a JSON object"))
			Expect(prove.IsTimeout(err)).To(BeFalse())
			var pe *prove.Error
			Expect(errors.As(err, &pe)).To(BeFalse())
		})

		It("reports a dropped connection as a transport error", func() {
			f := newFixture(setup{unchecked: true})
			st := f.start(testkit.Martina)
			_, err := f.s.AddFault(mockprove.FaultSpec{Step: "/v3/validate", Kind: mockprove.FaultDrop, Count: 1})
			Expect(err).NotTo(HaveOccurred())
			_, err = f.c.Validate(ctx, st.CorrelationID)
			var tre *prove.TransportError
			Expect(errors.As(err, &tre)).To(BeTrue(), "%v", err)
			Expect(prove.IsTimeout(err)).To(BeFalse())
		})
	})

	Describe("answers of a server that is not Prove-shaped", func() {
		// fake answers /token with the given token_type and /v3/validate with body.
		fake := func(tokenType string, status int, body string) *prove.Client {
			GinkgoHelper()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer GinkgoRecover() // the handler runs on the server's goroutine
				if r.URL.Path == "/token" {
					Expect(r.ParseForm()).To(Succeed())
					Expect(r.PostForm.Get("grant_type")).To(Equal("client_credentials"))
					Expect(r.Header.Get("Content-Type")).To(Equal("application/x-www-form-urlencoded"))
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprintf(w, `{"access_token":"tok","token_type":%q,"expires_in":3600}`, tokenType)
					return
				}
				Expect(r.Header.Get("Authorization")).To(Equal("Bearer tok"))
				w.WriteHeader(status)
				fmt.Fprint(w, body)
			}))
			DeferCleanup(srv.Close)
			c, err := prove.New(prove.Config{BaseURL: srv.URL, ClientID: "a", ClientSecret: "b"})
			Expect(err).NotTo(HaveOccurred())
			return c
		}

		It("accepts token_type bearer in any case", func() {
			c := fake("BEARER", 200, `{"success":true,"challengeMissing":false,"next":{"v3-complete":"/v3/complete"}}`)
			v, err := c.Validate(ctx, "x")
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Next.Has(prove.StepComplete)).To(BeTrue())
		})

		It("refuses a token that is not a bearer token", func() {
			c := fake("mac", 200, `{}`)
			_, err := c.Validate(ctx, "x")
			Expect(errors.Is(err, prove.ErrMalformed)).To(BeTrue(), "%v", err)
			Expect(err.Error()).To(ContainSubstring(`token_type is "mac"`))
		})

		It("refuses an answer without a required field", func() {
			c := fake("Bearer", 200, `{"success":true,"next":{"v3-complete":"/v3/complete"}}`)
			_, err := c.Validate(ctx, "x")
			Expect(errors.Is(err, prove.ErrMalformed)).To(BeTrue(), "%v", err)
			Expect(err.Error()).To(ContainSubstring(`"challengeMissing" is missing`))
		})

		It("refuses a field of the wrong type", func() {
			c := fake("Bearer", 200, `{"success":"yes","challengeMissing":false,"next":{}}`)
			_, err := c.Validate(ctx, "x")
			Expect(errors.Is(err, prove.ErrMalformed)).To(BeTrue(), "%v", err)
		})

		It("keeps the status of an error answer that is not Prove's JSON", func() {
			c := fake("Bearer", 502, `<html>bad gateway</html>`)
			_, err := c.Validate(ctx, "x")
			var pe *prove.Error
			Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
			Expect(pe.Status).To(Equal(502))
			Expect(pe.Code).To(BeZero())
			Expect(pe.Message).To(ContainSubstring("not Prove's error JSON"))
		})
	})

	Describe("Next", func() {
		It("tells the allowed steps", func() {
			n := prove.Next{"v3-challenge": "/v3/challenge", "v3-complete": "/v3/complete"}
			Expect(n.Has(prove.StepChallenge)).To(BeTrue())
			Expect(n.Has(prove.StepValidate)).To(BeFalse())
			Expect(n.Done()).To(BeFalse())
			Expect(prove.Next{"done": "done"}.Done()).To(BeTrue())
			Expect(prove.Next(nil).Has(prove.StepDone)).To(BeFalse())
		})
	})
})

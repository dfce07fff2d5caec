package prove_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp/prove"
)

// unifyUser is a Unify sandbox user of mockprove's personas (Lorant Nerger).
const unifyUser = "2001004014"

var _ = Describe("Unified Authentication", func() {
	ctx := context.Background()

	unifyFixture := func() *fixture {
		return newFixture(setup{clientID: "unify-client", secret: "unify-secret"})
	}

	It("opens a mobile session: success is the string pending, with an authToken; status is pending until the SDK ran", func() {
		f := unifyFixture()
		u, err := f.c.Unify(ctx, prove.UnifyRequest{PossessionType: prove.PossessionMobile, ClientRequestID: "req-1", PhoneNumber: unifyUser, AllowOTPRetry: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Success).To(Equal(prove.UnifyPending))
		Expect(u.AuthToken).To(HavePrefix("eyJ"))
		Expect(u.CorrelationID).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`))

		st, err := f.c.UnifyStatus(ctx, prove.UnifyStatusRequest{CorrelationID: u.CorrelationID, ClientRequestID: "req-1"})
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Success).To(Equal(prove.UnifyPending))
		Expect(f.spec.Checked()).To(Equal(3), "token, unify and unify-status were checked against the spec")
	})

	It("refuses a bind before Prove asked for the customer's own check (403, 8003)", func() {
		f := unifyFixture()
		u, err := f.c.Unify(ctx, prove.UnifyRequest{PossessionType: prove.PossessionNone, ClientRequestID: "req-2", PhoneNumber: unifyUser})
		Expect(err).NotTo(HaveOccurred())
		_, err = f.c.UnifyBind(ctx, prove.UnifyBindRequest{CorrelationID: u.CorrelationID, PhoneNumber: unifyUser})
		var pe *prove.Error
		Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
		Expect(pe.Status).To(Equal(http.StatusForbidden))
		Expect(pe.Code).To(Equal(prove.CodeOutOfOrder))
	})

	It("types an unknown Prove Key on revoke as 404 with 8011", func() {
		f := unifyFixture()
		_, err := f.c.DeviceRevoke(ctx, prove.DeviceRevokeRequest{ClientRequestID: "req-3", DeviceID: "no-such-device"})
		var pe *prove.Error
		Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
		Expect(pe.Status).To(Equal(http.StatusNotFound))
		Expect(pe.Code).To(Equal(prove.CodeIdentityNotFound))
	})

	It("gets 8009 with a client not provisioned for Unify", func() {
		f := newFixture(setup{})
		_, err := f.c.Unify(ctx, prove.UnifyRequest{PossessionType: prove.PossessionMobile, ClientRequestID: "req-4", PhoneNumber: unifyUser})
		var pe *prove.Error
		Expect(errors.As(err, &pe)).To(BeTrue(), "%v", err)
		Expect(pe.Code).To(Equal(prove.CodeAccessDenied))
	})

	Describe("the success type trap", func() {
		// fake answers /token and every other call with body.
		fake := func(body string) *prove.Client {
			GinkgoHelper()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/token" {
					fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
					return
				}
				fmt.Fprint(w, body)
			}))
			DeferCleanup(srv.Close)
			c, err := prove.New(prove.Config{BaseURL: srv.URL, ClientID: "a", ClientSecret: "b"})
			Expect(err).NotTo(HaveOccurred())
			return c
		}

		It("refuses a boolean success in unify-status and unify-bind (Prove sends a string)", func() {
			c := fake(`{"success":true,"proveId":"p"}`)
			_, err := c.UnifyStatus(ctx, prove.UnifyStatusRequest{CorrelationID: "x"})
			Expect(errors.Is(err, prove.ErrMalformed)).To(BeTrue(), "%v", err)
			_, err = c.UnifyBind(ctx, prove.UnifyBindRequest{CorrelationID: "x", PhoneNumber: unifyUser})
			Expect(errors.Is(err, prove.ErrMalformed)).To(BeTrue(), "%v", err)
		})

		It("reads the string success of unify-status", func() {
			st, err := fake(`{"success":"possession_required","phoneNumber":"2001004014"}`).UnifyStatus(ctx, prove.UnifyStatusRequest{CorrelationID: "x"})
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Success).To(Equal(prove.UnifyPossessionRequired))
		})

		It("refuses a string success in device revoke (Prove sends a boolean)", func() {
			_, err := fake(`{"success":"true"}`).DeviceRevoke(ctx, prove.DeviceRevokeRequest{ClientRequestID: "r", DeviceID: "d"})
			Expect(errors.Is(err, prove.ErrMalformed)).To(BeTrue(), "%v", err)
		})

		It("refuses a unify answer without a correlationId", func() {
			_, err := fake(`{"success":"pending","authToken":"eyJ"}`).Unify(ctx, prove.UnifyRequest{PossessionType: "mobile", ClientRequestID: "r"})
			Expect(errors.Is(err, prove.ErrMalformed)).To(BeTrue(), "%v", err)
			Expect(err.Error()).To(ContainSubstring(`"correlationId" is missing`))
		})
	})
})

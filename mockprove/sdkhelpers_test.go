package mockprove_test

import (
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// The Go helpers that play the web SDK and the phone for a backend test.
var _ = Describe("client-side helpers", func() {
	var c *client

	// startFlow starts a flow and returns its correlationId and authToken.
	startFlow := func(phone, flowType string, extra ...map[string]any) (string, string) {
		GinkgoHelper()
		fields := map[string]any{"phoneNumber": phone, "flowType": flowType}
		for _, x := range extra {
			for k, v := range x {
				fields[k] = v
			}
		}
		if flowType == "desktop" {
			fields["finalTargetUrl"] = "https://app.example.com/done"
		}
		r := c.startWith(fields)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		return r.Str("correlationId"), r.Str("authToken")
	}
	validated := func(id string) bool {
		GinkgoHelper()
		r := c.validate(id)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		return r.Body["success"] == true
	}

	BeforeEach(func() {
		c = inMemory()
		c.login("identity-client", "identity-secret")
	})

	It("PassOTP reads the code from the virtual phone and passes the check", func() {
		id, tok := startFlow(mockprove.PhoneDiegoSalazar, "mobile") // a random code in each SMS
		Expect(c.srv.PassOTP(tok)).To(Succeed())
		c.srv.CheckPossession(GinkgoT(), id, true)
		Expect(validated(id)).To(BeTrue())
		sms, ok := c.srv.LastSMSOfFlow(id)
		Expect(ok).To(BeTrue())
		Expect(sms.Kind).To(Equal(mockprove.SMSKindOTP))
		Expect(sms.CorrelationID).To(Equal(id))
	})

	It("PassOTP fails for a persona that types the wrong code first", func() {
		_, tok := startFlow(mockprove.PhoneTessaMorrow, "mobile")
		err := c.srv.PassOTP(tok)
		Expect(err).To(MatchError(ContainSubstring("was not accepted")))
	})

	It("SendOTP and EnterOTP give the SDK's answers: a wrong code, then the right one", func() {
		id, tok := startFlow(mockprove.PhoneJordanEllis, "mobile", map[string]any{"allowOTPRetry": true})
		a, err := c.srv.SendOTP(tok, "")
		Expect(err).NotTo(HaveOccurred())
		Expect(a.CorrelationID).To(Equal(id))
		wrong, err := c.srv.EnterOTP(tok, "9999")
		Expect(err).NotTo(HaveOccurred())
		Expect(wrong.Done()).To(BeFalse())
		right, err := c.srv.EnterOTP(tok, "1234")
		Expect(err).NotTo(HaveOccurred())
		Expect(right.Done()).To(BeTrue(), right.String())
	})

	It("SendOTP with a rejected number answers the SDK's phone error", func() {
		_, tok := startFlow(mockprove.PhoneIngridHalvorsen, "mobile")
		a, err := c.srv.SendOTP(tok, "")
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Data).To(HaveKey("code"))
		Expect(c.srv.PassOTP(tok)).To(MatchError(ContainSubstring("was not sent")))
	})

	It("FailOTP ends the check as failed, and validate fails", func() {
		id, tok := startFlow(mockprove.PhoneJordanEllis, "mobile")
		a, err := c.srv.FailOTP(tok)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Next).To(Equal("done"))
		Expect(a.Error).NotTo(BeNil())
		c.srv.CheckPossession(GinkgoT(), id, false)
		Expect(validated(id)).To(BeFalse())
	})

	It("PassInstantLink opens the link from the SMS and lands on finalTargetUrl", func() {
		id, tok := startFlow(mockprove.PhoneJordanEllis, "desktop")
		loc, err := c.srv.PassInstantLink(tok)
		Expect(err).NotTo(HaveOccurred())
		u, err := url.Parse(loc)
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Host).To(Equal("app.example.com"))
		Expect(u.Query().Get("asc")).To(Equal("true"))
		c.srv.CheckPossession(GinkgoT(), id, true)
		Expect(validated(id)).To(BeTrue())
	})

	It("SendOTP in a desktop flow gets the SDK's terminal error", func() {
		_, tok := startFlow(mockprove.PhoneJordanEllis, "desktop")
		a, err := c.srv.SendOTP(tok, "") // a desktop flow checks by Instant Link
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Error).NotTo(BeNil())
	})

	It("PassMobileAuth passes silently for a Mobile Auth persona", func() {
		id, tok := startFlow(mockprove.PhoneRashidKarimi, "mobile")
		a, err := c.srv.PassMobileAuth(tok)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Done()).To(BeTrue())
		_, sent := c.srv.LastSMSOfFlow(id)
		Expect(sent).To(BeFalse(), "Mobile Auth sends no SMS")
		Expect(validated(id)).To(BeTrue())
	})

	It("PassMobileAuth falls back to OTP when the carrier does not know the phone", func() {
		id, tok := startFlow(mockprove.PhoneColleenBrennan, "mobile")
		a, err := c.srv.PassMobileAuth(tok)
		Expect(err).To(MatchError(mockprove.ErrMobileAuthUnavailable))
		Expect(a.Next).To(Equal("mobile/otp"))
		Expect(c.srv.PassOTP(tok)).To(Succeed())
		Expect(validated(id)).To(BeTrue())
	})

	It("reports a bad authToken as the device API's 401", func() {
		_, err := c.srv.SendOTP("not-a-token", "")
		Expect(err).To(MatchError(ContainSubstring("401")))
		Expect(strings.Contains(err.Error(), "8002")).To(BeTrue(), err.Error())
	})

	It("meets injected faults as the SDK would", func() {
		_, tok := startFlow(mockprove.PhoneJordanEllis, "mobile")
		Expect(c.srv.FailNext("/v1/client/mobile/otp/start", http.StatusServiceUnavailable)).To(Succeed())
		Expect(c.srv.PassOTP(tok)).To(MatchError(ContainSubstring("503")))
	})
})

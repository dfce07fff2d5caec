package browsertest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// Unified Authentication with the real web SDK: the backend calls
// /v3/unify and /v3/unify-status (and unify-bind, device/revoke) as the
// built-in unify-client; the page runs authenticate() on the authToken.
// The Prove Key lives in the browser profile (IndexedDB, localStorage), so
// the runs of one spec share one page.
var _ = Describe("Prove web SDK 3.6.2, Unify with the Prove Key", func() {
	var (
		s   *mockprove.Server
		api *backend
	)

	BeforeEach(func() {
		s = newMock()
		api = newBackendAs(s, "unify-client", "unify-secret")
	})

	unify := func(phone, possession string) started {
		GinkgoHelper()
		body := map[string]any{"possessionType": possession, "clientRequestId": "req-browser", "phoneNumber": phone}
		if possession == mockprove.PossessionDesktop {
			body["finalTargetUrl"] = harnessURL + "/landing"
		}
		var st started
		api.post("/v3/unify", body, &st)
		Expect(st.AuthToken).NotTo(BeEmpty())
		st.AuthID, st.Endpoint = authClaims(st.AuthToken)
		return st
	}

	type status struct {
		Success     string `json:"success"`
		ProveID     string `json:"proveId"`
		DeviceID    string `json:"deviceId"`
		PhoneNumber string `json:"phoneNumber"`
	}
	unifyStatus := func(id string) status {
		GinkgoHelper()
		var st status
		api.post("/v3/unify-status", map[string]string{"correlationId": id}, &st)
		return st
	}

	finished := func(o outcome, st started) {
		GinkgoHelper()
		Expect(o.Error).To(BeEmpty())
		Expect(o.Resolved).To(BeTrue(), "authenticate() must resolve")
		Expect(o.FinishCalls).To(Equal(1))
		Expect(o.FinishCalledWith).To(Equal(st.AuthID))
		Expect(o.events("script-exhausted")).To(BeEmpty(), "the SDK asked the user more often than scripted: %v", o.eventTypes())
	}

	deviceID := func(p *page) string {
		GinkgoHelper()
		var id string
		Expect(chromedp.Run(p.ctx, chromedp.Evaluate(`window.harness.deviceId() || ""`, &id))).To(Succeed())
		return id
	}

	smsOf := func(st started) []mockprove.SMS {
		return s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID})
	}

	It("mobile: OTP places a key, the next run is recognised by the key alone (no SMS), a revoked key falls back to OTP", func() {
		p := openPage(true)

		first := unify(mockprove.PhoneLaneyDyball, mockprove.PossessionMobile)
		o := p.run(s, first, script{OTP: []otpEntry{fromSMS()}})
		finished(o, first)
		Expect(o.events("otpStart")).To(HaveLen(1), "no key yet: the SDK falls back to OTP")
		Expect(smsOf(first)).To(HaveLen(1))
		st := unifyStatus(first.CorrelationID)
		Expect(st.Success).To(Equal("true"))
		Expect(st.DeviceID).NotTo(BeEmpty())
		Expect(deviceID(p)).To(Equal(st.DeviceID), "the SDK keeps the deviceId mockprove answered")
		key, ok := s.ProveKey(st.DeviceID)
		Expect(ok).To(BeTrue())
		Expect(key.Bound).To(BeTrue())
		Expect(journalRules(s, first.CorrelationID)).To(ContainElement("POST /v1/client/device/passive/register key.registered"))

		second := unify(mockprove.PhoneLaneyDyball, mockprove.PossessionMobile)
		o = p.run(s, second, script{}) // no OTP entry: the SDK must not ask
		finished(o, second)
		Expect(o.events("otpStart")).To(BeEmpty())
		Expect(smsOf(second)).To(BeEmpty(), "recognised by the Prove Key: no SMS")
		st2 := unifyStatus(second.CorrelationID)
		Expect(st2.Success).To(Equal("true"))
		Expect(st2.DeviceID).To(Equal(st.DeviceID))
		Expect(st2.ProveID).To(Equal(st.ProveID))
		Expect(journalRules(s, second.CorrelationID)).To(ContainElement("POST /v1/client/device/passive/verify key.verify.pass"))

		var revoked struct {
			Success bool `json:"success"`
		}
		api.post("/v3/device/revoke", map[string]string{"clientRequestId": "lost-phone", "deviceId": st.DeviceID}, &revoked)
		Expect(revoked.Success).To(BeTrue())

		third := unify(mockprove.PhoneLaneyDyball, mockprove.PossessionMobile)
		o = p.run(s, third, script{OTP: []otpEntry{fromSMS()}})
		finished(o, third)
		Expect(smsOf(third)).To(HaveLen(1), "a revoked key is not recognised: OTP again")
		Expect(journalRules(s, third.CorrelationID)).To(ContainElements(
			"POST /v1/client/device/passive/verify key.verify.inactive",
			"POST /v1/client/device/passive/register key.registered"))
		st3 := unifyStatus(third.CorrelationID)
		Expect(st3.Success).To(Equal("true"))
		Expect(st3.DeviceID).NotTo(BeEmpty())
		Expect(st3.DeviceID).NotTo(Equal(st.DeviceID), "a new key was placed")
		Expect(deviceID(p)).To(Equal(st3.DeviceID), "the SDK wiped the revoked key (10006) and kept the new one")
	})

	It("desktop: Instant Link, no key and no deviceId", func() {
		p := openPage(false)
		st := unify(mockprove.PhoneLorantNerger, mockprove.PossessionDesktop)
		p.start(s, st, script{})
		Eventually(func() []mockprove.SMS { return smsOf(st) }).WithTimeout(10 * time.Second).Should(HaveLen(1))
		Eventually(func() []string { return journalRules(s, st.CorrelationID) }).
			WithTimeout(10 * time.Second).Should(ContainElement("GET /v1/client/status ws.open"))
		link := smsOf(st)[0].Link
		resp, err := noRedirects.Get(link)
		Expect(err).NotTo(HaveOccurred())
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusFound))
		loc, err := url.Parse(resp.Header.Get("Location"))
		Expect(err).NotTo(HaveOccurred())
		Expect(loc.Query().Get("authId")).To(Equal(st.AuthID))

		o := p.outcome()
		Expect(o.Mobile).To(BeFalse())
		finished(o, st)
		res := unifyStatus(st.CorrelationID)
		Expect(res.Success).To(Equal("true"))
		Expect(res.ProveID).NotTo(BeEmpty())
		Expect(res.DeviceID).To(BeEmpty(), "no Prove Key on desktop")
		Expect(s.ProveKeys("")).To(BeEmpty())
		Expect(deviceID(p)).To(BeEmpty())
	})

	It("possessionType none: the key is placed, possession_required, then bind", func() {
		p := openPage(true)
		st := unify(mockprove.PhoneLorantNerger, mockprove.PossessionNone)
		o := p.run(s, st, script{})
		finished(o, st)
		Expect(o.events("otpStart")).To(BeEmpty())
		Expect(smsOf(st)).To(BeEmpty())
		Expect(unifyStatus(st.CorrelationID).Success).To(Equal("possession_required"))

		// The customer's own possession check passed: bind.
		var bound status
		api.post("/v3/unify-bind", map[string]string{"correlationId": st.CorrelationID, "phoneNumber": mockprove.PhoneLorantNerger}, &bound)
		Expect(bound.Success).To(Equal("true"))
		Expect(bound.DeviceID).NotTo(BeEmpty())
		Expect(deviceID(p)).To(Equal(bound.DeviceID))

		again := unify(mockprove.PhoneLorantNerger, mockprove.PossessionNone)
		finished(p.run(s, again, script{}), again)
		res := unifyStatus(again.CorrelationID)
		Expect(res.Success).To(Equal("true"), "the bound key passes alone")
		Expect(res.DeviceID).To(Equal(bound.DeviceID))
	})
})

// newBackendAs is newBackend with other client credentials.
func newBackendAs(s *mockprove.Server, id, secret string) *backend {
	GinkgoHelper()
	b := &backend{base: s.URL(), http: &http.Client{Timeout: 10 * time.Second}}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	resp, err := b.http.PostForm(b.base+"/token", form)
	Expect(err).NotTo(HaveOccurred())
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	expectJSON(resp, http.StatusOK, &tok)
	b.token = tok.AccessToken
	return b
}

// authClaims reads auth.id and auth.endp from an authToken, as the SDK does.
func authClaims(token string) (id, endp string) {
	GinkgoHelper()
	parts := strings.Split(token, ".")
	Expect(parts).To(HaveLen(3))
	Expect(parts[1]).NotTo(ContainSubstring("-"), "the payload must survive atob()")
	Expect(parts[1]).NotTo(ContainSubstring("_"), "the payload must survive atob()")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	Expect(err).NotTo(HaveOccurred())
	var claims struct {
		Auth struct {
			ID   string `json:"id"`
			Endp string `json:"endp"`
		} `json:"auth"`
	}
	Expect(json.Unmarshal(payload, &claims)).To(Succeed())
	return claims.Auth.ID, claims.Auth.Endp
}

package browsertest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// The possession-era /v3/verify of Prove's previous Node SDK: its authToken
// runs in Prove's unmodified web SDK like /v3/start's, and /v3/verify-status
// then reads the result.
var _ = Describe("Prove web SDK 3.6.2 on a possession-era /v3/verify", func() {
	It("passes the OTP step in a mobile browser; verify-status answers \"true\"/success/success", func() {
		s := newMock()
		api := newBackend(s)
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"unify-client"}, "client_secret": {"unify-secret"}}
		resp, err := api.http.PostForm(api.base+"/token", form)
		Expect(err).NotTo(HaveOccurred())
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		expectJSON(resp, http.StatusOK, &tok)
		api.token = tok.AccessToken

		var v struct {
			started
			Success          string `json:"success"`
			PossessionResult string `json:"possessionResult"`
		}
		api.post("/v3/verify", map[string]any{"possessionType": "mobile", "phoneNumber": mockprove.PhoneElenaColdman,
			"firstName": "Elena", "lastName": "Coldman"}, &v)
		Expect(v.Success).To(Equal("pending"))
		Expect(v.PossessionResult).To(Equal("pending"))
		st := v.started
		st.AuthID = authIDOf(st.AuthToken)

		o := openPage(true).run(s, st, script{OTP: []otpEntry{fromSMS()}})
		Expect(o.Error).To(BeEmpty())
		Expect(o.Resolved).To(BeTrue(), "authenticate() must resolve")
		Expect(o.FinishCalls).To(Equal(1))
		Expect(o.FinishCalledWith).To(Equal(st.AuthID))
		Expect(s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID})).To(HaveLen(1))

		var status map[string]any
		api.post("/v3/verify-status", map[string]any{"correlationId": st.CorrelationID}, &status)
		Expect(status).To(HaveKeyWithValue("success", "true"))
		Expect(status).To(HaveKeyWithValue("possessionResult", "success"))
		Expect(status).To(HaveKeyWithValue("verifyResult", "success"))
		Expect(status).To(HaveKey("identityId"))
		Expect(attemptKinds(session(s, st.CorrelationID))).To(Equal([]string{"otp-sent", "otp-right"}))
	})
})

// authIDOf reads auth.id from an authToken's payload.
func authIDOf(token string) string {
	GinkgoHelper()
	parts := strings.Split(token, ".")
	Expect(parts).To(HaveLen(3))
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	Expect(err).NotTo(HaveOccurred())
	var claims struct {
		Auth struct {
			ID string `json:"id"`
		} `json:"auth"`
	}
	Expect(json.Unmarshal(payload, &claims)).To(Succeed())
	Expect(claims.Auth.ID).NotTo(BeEmpty())
	return claims.Auth.ID
}

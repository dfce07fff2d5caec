package flowapp_test

import (
	"net/http"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp"
)

// sessionCookie is the browser's flowapp session cookie, or "".
func (w *world) sessionCookie() string {
	GinkgoHelper()
	u, err := url.Parse(w.app.URL())
	Expect(err).NotTo(HaveOccurred())
	for _, c := range w.c.Jar.Cookies(u) {
		if c.Name == flowapp.SessionCookie {
			return c.Value
		}
	}
	return ""
}

// postWithCookie posts v as JSON with the given session cookie and no jar.
func (w *world) postWithCookie(path, cookie, body string) result {
	GinkgoHelper()
	req := w.request(path, "application/json", body)
	req.AddCookie(&http.Cookie{Name: flowapp.SessionCookie, Value: cookie})
	c, _ := newBrowser()
	return w.do(c, req)
}

// A Prove scripted for a sign-in: a short-term user (no authToken), status
// "true" with a Prove Key, and a revoke answer the spec sets.
const (
	stubUnify       = `{"correlationId":"a1b2c3d4-5555-4b08-83ba-75d08780aebd","success":"pending"}`
	stubUnifyStatus = `{"success":"true","proveId":"b1b2c3d4-5555-4b08-83ba-75d08780aebd","deviceId":"c1b2c3d4-5555-4b08-83ba-75d08780aebd"}`
)

var _ = Describe("Sign in with Prove: review fixes", func() {
	It("does not count a Prove Key as revoked when Prove's revoke answers success false, and keeps it to try again", func() {
		sp, base := newStubProve(map[string]stubAnswer{
			"/v3/unify":         {200, stubUnify},
			"/v3/unify-status":  {200, stubUnifyStatus},
			"/v3/device/revoke": {200, `{"success":false}`},
		})
		w := newWorld(worldOptions{proveBaseURL: base})
		Expect(w.post("/signin/start", map[string]any{"phoneNumber": unifyUser, "possessionType": "mobile"}).Status).To(Equal(200))
		r := w.post("/signin/finish", map[string]any{})
		Expect(r.Str("status")).To(Equal("signed_in"), "%s", r)
		Expect(r.Str("device")).To(Equal("new"))

		r = w.post("/signin/lost-phone", map[string]any{})
		expectError(r, 502, "prove_unavailable")
		Expect(r.Message()).NotTo(ContainSubstring("success"), "Prove's wording stays out of the customer's message")
		Expect(w.logs.String()).To(ContainSubstring("still active"))

		sp.mu.Lock()
		sp.answers["/v3/device/revoke"] = stubAnswer{200, `{"success":true}`}
		sp.mu.Unlock()
		r = w.post("/signin/lost-phone", map[string]any{})
		Expect(r.Status).To(Equal(200), "%s", r)
		Expect(r.Body).To(HaveKeyWithValue("revoked", BeNumerically("==", 1)), "the key was kept after the refused revoke")
		Expect(sp.requests("/v3/device/revoke")).To(HaveLen(2))
	})

	It("gives the session a new id once signed in: the cookie of the start no longer works", func() {
		w := newWorld(worldOptions{})
		tok := w.startSignin(unifyUser, "desktop")
		before := w.sessionCookie()
		Expect(before).NotTo(BeEmpty())
		Expect(w.device(tok, "/v1/client/mobile/instantlink/start", `{"sourceIp":null,"isMobile":false}`)).NotTo(HaveKey("error"))
		w.clickLink(unifyUser)
		r := w.post("/signin/finish", map[string]any{})
		Expect(r.Str("status")).To(Equal("signed_in"), "%s", r)
		after := w.sessionCookie()
		Expect(after).NotTo(BeEmpty())
		Expect(after).NotTo(Equal(before), "a new session id at the privilege change")
		expectError(w.postWithCookie("/signin/lost-phone", before, `{}`), 409, "no_session")
		Expect(w.post("/signin/lost-phone", map[string]any{}).Status).To(Equal(200), "the new cookie is the signed-in session")
	})

	It("revokes at Prove the Prove Key it stops remembering (the oldest, past 5 per account): lost-phone could not revoke it later", func() {
		w := newWorld(worldOptions{startsPerPhone: flowapp.Limit{Off: true}, startsPerIP: flowapp.Limit{Off: true}})
		var keys []proveKey
		for i := range 6 {
			tok := w.startSignin(unifyUser, "mobile")
			keys = append(keys, w.placeKey(tok))
			w.passOTP(tok)
			r := w.post("/signin/finish", map[string]any{})
			Expect(r.Str("device")).To(Equal("new"), "sign-in %d: %s", i+1, r)
		}
		Expect(w.lastRequest("/v3/device/revoke")).To(HaveKeyWithValue("deviceId", keys[0].deviceID))
		tok := w.startSignin(unifyUser, "mobile")
		Expect(w.verifyKey(tok, keys[0])).To(HaveKeyWithValue("error", HaveKeyWithValue("code", BeNumerically("==", 10006))),
			"the forgotten key no longer signs in")
	})

	It("never logs its own code when a real CodeSender texts it, even with developer hints on", func() {
		on := true
		sender := flowapp.NewCodeOutbox(10, nil) // stands for the customer's SMS provider
		w := newWorld(worldOptions{devHints: &on, codeSender: sender})
		w.placeKey(w.startSignin(unifyUser, "none"))
		Expect(w.post("/signin/finish", map[string]any{}).Str("status")).To(Equal("code_sent"))
		msgs := sender.Messages(unifyUser)
		Expect(msgs).To(HaveLen(1))
		Expect(w.logs.String()).To(ContainSubstring("own possession code sent"))
		Expect(w.logs.String()).NotTo(ContainSubstring(msgs[0].Code))
	})

	It("refuses the sign-in when Prove's answer names another phone number than the one typed", func() {
		_, base := newStubProve(map[string]stubAnswer{
			"/v3/unify":        {200, stubUnify},
			"/v3/unify-status": {200, `{"success":"true","proveId":"b1b2c3d4-5555-4b08-83ba-75d08780aebd","phoneNumber":"2001004015"}`},
		})
		w := newWorld(worldOptions{proveBaseURL: base})
		Expect(w.post("/signin/start", map[string]any{"phoneNumber": "+1" + unifyUser, "possessionType": "desktop"}).Status).To(Equal(200))
		r := w.post("/signin/finish", map[string]any{})
		Expect(r.Str("status")).To(Equal("failed"), "%s", r)
		expectError(w.post("/signin/lost-phone", map[string]any{}), 409, "no_session")
	})

	It("takes Prove's phoneNumber written another way for the same number", func() {
		_, base := newStubProve(map[string]stubAnswer{
			"/v3/unify":        {200, stubUnify},
			"/v3/unify-status": {200, `{"success":"true","proveId":"b1b2c3d4-5555-4b08-83ba-75d08780aebd","phoneNumber":"2001004014"}`},
		})
		w := newWorld(worldOptions{proveBaseURL: base})
		Expect(w.post("/signin/start", map[string]any{"phoneNumber": "+1" + unifyUser, "possessionType": "desktop"}).Status).To(Equal(200))
		Expect(w.post("/signin/finish", map[string]any{}).Str("status")).To(Equal("signed_in"))
	})

	It("stops checking its own code for a number after 10 wrong codes in 24 hours, over all sign-ins, never binding", func() {
		w := newWorld(worldOptions{startsPerPhone: flowapp.Limit{Off: true}, startsPerIP: flowapp.Limit{Off: true}})
		own := func() string { // a sign-in with Acme's own code; its code
			GinkgoHelper()
			w.placeKey(w.startSignin(unifyUser, "none"))
			r := w.post("/signin/finish", map[string]any{})
			Expect(r.Str("status")).To(Equal("code_sent"), "%s", r)
			return w.ownCode(unifyUser, len(w.app.CodeOutbox().Messages(unifyUser)))
		}
		wrong := 0
		for wrong < flowapp.OwnCodeFailuresPerPhone.N {
			code := own()
			for range flowapp.OwnCodeAttempts {
				if wrong == flowapp.OwnCodeFailuresPerPhone.N {
					break
				}
				w.post("/signin/code", map[string]any{"code": wrongCode(code)})
				wrong++
			}
		}
		// 3+3+3+1: the session of the 10th wrong code is still open, and its right code is refused too.
		code := w.ownCode(unifyUser, len(w.app.CodeOutbox().Messages(unifyUser)))
		expectError(w.post("/signin/code", map[string]any{"code": code}), 429, "rate_limited")
		expectError(w.post("/signin/code", map[string]any{"code": code}), 409, "no_session")
		texts := len(w.app.CodeOutbox().Messages(unifyUser))
		w.placeKey(w.startSignin(unifyUser, "none"))
		r := w.post("/signin/finish", map[string]any{})
		expectError(r, 429, "rate_limited")
		Expect(r.Header.Get("Retry-After")).NotTo(BeEmpty())
		Expect(w.app.CodeOutbox().Messages(unifyUser)).To(HaveLen(texts), "no code texted")
		Expect(w.proveCalls()).NotTo(ContainElement(HavePrefix("/v3/unify-bind")))

		w.s.Clock().Advance(flowapp.OwnCodeFailuresPerPhone.Per)
		code = own()
		r = w.post("/signin/code", map[string]any{"code": code})
		Expect(r.Str("status")).To(Equal("signed_in"), "%s", r)
	})
})

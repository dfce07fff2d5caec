package e2e_test

import (
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// "Sign in with Prove" (/signin): Prove's Unified Authentication with the
// real web SDK. On a phone the SDK checks the Prove Key it keeps in the
// browser profile first: the first sign-in passes Prove's SMS code and
// places a key, the return visit in the same profile is recognised by the
// key alone. A computer uses the Instant Link and holds no key. With
// possessionType none flowapp checks the phone with its own code, then
// binds the key.

// The Unify test users (mockprove's personas of Prove's Unify sandbox).
const (
	unifyUser = "2001004014" // Lorant Nerger: Unified Auth user (OTP on a phone, Instant Link on a computer)
)

// openSignin loads the sign-in page (a visit: the browser profile keeps
// what the SDK stored).
func (e *env) openSignin() {
	GinkgoHelper()
	e.run("open the sign-in page",
		chromedp.Navigate(e.appURL+"/signin"),
		chromedp.WaitReady(`body[data-ready="true"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#phone", chromedp.ByID),
	)
}

// signedIn waits for the signed-in view and returns its device note's
// kind: recognised, new or none.
func (e *env) signedIn() string {
	GinkgoHelper()
	e.waitVisible("#view-account")
	var device string
	e.run("read the device note", chromedp.AttributeValue("#device-note", "data-device", &device, nil, chromedp.ByID))
	return device
}

// unifyAnswers lists mockprove's answers to a Unify operation, oldest
// first.
func (e *env) unifyAnswers(path string) []map[string]any {
	GinkgoHelper()
	var out []map[string]any
	for _, j := range e.prove.Journal(mockprove.JournalFilter{Step: path}) {
		if m, ok := j.Response.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (e *env) unifyRequests(path string) []map[string]any {
	GinkgoHelper()
	var out []map[string]any
	for _, j := range e.prove.Journal(mockprove.JournalFilter{Step: path}) {
		if m, ok := j.Request.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// signOut signs out and waits for the phone form.
func (e *env) signOut() {
	GinkgoHelper()
	e.click("#logout")
	e.waitVisible("#phone")
}

var _ = Describe("Sign in with Prove on a phone (Unify, Prove Key)", func() {
	var e *env

	BeforeEach(func() {
		e = newEnv(envOptions{Mobile: true})
		e.openSignin()
	})

	// otpSignIn signs in with Prove's n-th texted code and returns the
	// deviceId Prove placed.
	otpSignIn := func(phone string, n int) string {
		GinkgoHelper()
		e.startWith(phone)
		e.enterOTP(e.otpFromPhone(phone, n))
		Expect(e.signedIn()).To(Equal("new"), "a new Prove Key was placed")
		st := e.unifyAnswers("/v3/unify-status")
		Expect(st).NotTo(BeEmpty())
		last := st[len(st)-1]
		Expect(last).To(HaveKeyWithValue("success", "true"), "success is a string")
		Expect(last).To(HaveKeyWithValue("deviceId", Not(BeEmpty())))
		return last["deviceId"].(string)
	}

	It("passes Prove's code the first time and places a Prove Key; the return visit is recognised by the key alone, with no text", func() {
		device := otpSignIn(unifyUser, 1)
		Expect(e.text("#device-note")).To(ContainSubstring("now holds a Prove Key"))
		var kept string
		e.run("read the SDK's device id", evalString(`localStorage.getItem('ProveAuth.DeviceId') || ''`, &kept))
		Expect(kept).To(Equal(device), "the SDK keeps the Prove Key's deviceId in this browser profile")
		Expect(e.calls()).To(inOrder("POST /v3/unify", "POST /v1/client/device/passive/register",
			"POST /v1/client/mobile/otp/start", "POST /v1/client/mobile/otp/finish", "POST /v3/unify-status"))
		unify := e.unifyRequests("/v3/unify")[0]
		Expect(unify).To(HaveKeyWithValue("possessionType", "mobile"))
		Expect(unify).To(HaveKeyWithValue("phoneNumber", unifyUser))
		Expect(unify).To(HaveKeyWithValue("clientRequestId", MatchRegexp(`^[0-9a-f-]{36}$`)))
		Expect(unify).NotTo(HaveKey("finalTargetUrl"))
		e.shot("first")

		e.signOut()
		e.openSignin() // the return visit, same browser profile
		e.startWith(unifyUser)
		Expect(e.signedIn()).To(Equal("recognised"))
		Expect(e.text("#device-note")).To(ContainSubstring("recognised you by its Prove Key"))

		second := e.unifyAnswers("/v3/unify")[1]["correlationId"].(string)
		Expect(e.prove.Outbox(mockprove.SMSFilter{CorrelationID: second})).To(BeEmpty(), "no text for the return visit")
		Expect(e.prove.Outbox(mockprove.SMSFilter{Phone: unifyUser})).To(HaveLen(1), "one text in all: the first visit's code")
		Expect(e.unifyAnswers("/v3/unify-status")[1]).To(SatisfyAll(
			HaveKeyWithValue("success", "true"), HaveKeyWithValue("deviceId", device)))
		Expect(e.calls()).To(inOrder("POST /v3/unify-status", "POST /v3/unify", "POST /v1/client/device/passive/verify", "POST /v3/unify-status"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/unify", "/v3/unify-status", "/v3/unify", "/v3/unify-status"))
	})

	It("revokes the Prove Key when the phone is lost; the next sign-in needs Prove's code again", func() {
		device := otpSignIn(unifyUser, 1)
		e.click("#lost-phone")
		e.waitVisible("#lost-note")
		Expect(e.text("#lost-note")).To(ContainSubstring("We revoked the Prove Key"))
		revoke := e.unifyRequests("/v3/device/revoke")
		Expect(revoke).To(HaveLen(1))
		Expect(revoke[0]).To(HaveKeyWithValue("deviceId", device))
		Expect(e.unifyAnswers("/v3/device/revoke")[0]).To(HaveKeyWithValue("success", true), "success is a boolean here")

		e.signOut()
		e.openSignin()
		e.startWith(unifyUser)
		e.enterOTP(e.otpFromPhone(unifyUser, 2))
		Expect(e.signedIn()).To(Equal("new"), "the revoked key was not recognised: a new one was placed")
		st := e.unifyAnswers("/v3/unify-status")
		Expect(st[len(st)-1]).To(HaveKeyWithValue("deviceId", SatisfyAll(Not(BeEmpty()), Not(Equal(device)))))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/unify", "/v3/unify-status", "/v3/device/revoke",
			"/v3/unify", "/v3/unify-status"))
	})

	It("says the sign-in failed when Prove's code expired, and starting again works", func() {
		e.startWith(unifyUser)
		code := e.otpFromPhone(unifyUser, 1)
		e.waitVisible("#otp")
		e.advanceClock("2m1s") // Prove's codes live 2 minutes
		e.enterOTP(code)
		e.waitVisible("#view-error")
		Expect(e.text("#error-title")).To(Equal("We couldn't sign you in"))
		Expect(e.unifyAnswers("/v3/unify-status")[0]).To(HaveKeyWithValue("success", "false"))

		e.click("#restart")
		e.waitVisible("#phone")
		e.startWith(unifyUser)
		e.enterOTP(e.otpFromPhone(unifyUser, 2))
		Expect(e.signedIn()).To(Equal("new"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/unify", "/v3/unify-status", "/v3/unify", "/v3/unify-status"))
	})

	It("checks the phone with Acme's own code, binds the key only then, and recognises the key on the return visit", func() {
		e.click("#method-own")
		e.startWith(unifyUser)
		e.waitVisible("#own-code")
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/unify", "/v3/unify-status"), "no bind before Acme's check")
		Expect(e.unifyRequests("/v3/unify")[0]).To(HaveKeyWithValue("possessionType", "none"))
		Expect(e.unifyAnswers("/v3/unify-status")[0]).To(HaveKeyWithValue("success", "possession_required"))
		codes := e.app.CodeOutbox().Messages(unifyUser)
		Expect(codes).To(HaveLen(1), "flowapp texted its own code")
		Expect(codes[0].Code).To(MatchRegexp(`^[0-9]{6}$`))

		wrong := "000000"
		if codes[0].Code == wrong {
			wrong = "111111"
		}
		e.fill("#own-code", wrong)
		e.click("#own-code-submit")
		e.waitVisible("#own-code-error")
		Expect(e.text("#own-code-error")).To(ContainSubstring("2 tries left"))
		Expect(e.proveCalls()).NotTo(ContainElement("/v3/unify-bind"), "a wrong code binds nothing")

		e.fill("#own-code", codes[0].Code)
		e.click("#own-code-submit")
		Expect(e.signedIn()).To(Equal("new"))
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/unify", "/v3/unify-status", "/v3/unify-bind"))
		bind := e.unifyRequests("/v3/unify-bind")[0]
		Expect(bind).To(HaveKeyWithValue("phoneNumber", unifyUser))
		Expect(e.unifyAnswers("/v3/unify-bind")[0]).To(SatisfyAll(
			HaveKeyWithValue("success", "true"), HaveKeyWithValue("deviceId", Not(BeEmpty()))))
		Expect(e.prove.Outbox(mockprove.SMSFilter{Phone: unifyUser})).To(BeEmpty(), "Prove texted nothing")

		e.signOut()
		e.openSignin()
		e.click("#method-own")
		e.startWith(unifyUser)
		Expect(e.signedIn()).To(Equal("recognised"), "the bound key passes without Acme's code")
		Expect(e.app.CodeOutbox().Messages(unifyUser)).To(HaveLen(1), "no second code from Acme")
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/unify", "/v3/unify-status", "/v3/unify-bind",
			"/v3/unify", "/v3/unify-status"))
	})
})

var _ = Describe("Sign in with Prove on a computer (Unify, Instant Link)", func() {
	It("signs in with the link opened on the phone, and places no Prove Key", func() {
		e := newEnv(envOptions{})
		e.openSignin()
		Expect(e.visible("#method-box")).To(BeFalse(), "Acme's own code is offered on phones only")
		e.startWith(unifyUser)
		e.waitVisible("#view-wait")
		Expect(e.text("#wait-phone")).To(Equal("(200) 100-4014"))
		e.openLinkOnPhone(e.linkFromPhone(unifyUser))
		Expect(e.signedIn()).To(Equal("none"))

		unify := e.unifyRequests("/v3/unify")[0]
		Expect(unify).To(HaveKeyWithValue("possessionType", "desktop"))
		Expect(unify).To(HaveKeyWithValue("finalTargetUrl", e.appURL+"/landing"))
		st := e.unifyAnswers("/v3/unify-status")[0]
		Expect(st).To(HaveKeyWithValue("success", "true"))
		Expect(st).NotTo(HaveKey("deviceId"), "no Prove Key on a computer")
		Expect(e.proveCalls()).To(HaveExactElements("/token", "/v3/unify", "/v3/unify-status"))
		Expect(e.calls()).NotTo(ContainElement(ContainSubstring("/v1/client/device/")))
	})
})

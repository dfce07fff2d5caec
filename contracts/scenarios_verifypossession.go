package contracts

import (
	"net/http"
	"strings"
)

// Scenarios of the possession-era Verify (docs/verify-possession.md):
// POST /v3/verify with possessionType and POST /v3/verify-status, which
// Prove's previous Node SDK still sends. The possession check runs on the
// device API with the authToken, as the web SDK does.

// PossessionVerify is a possession-era /v3/verify body.
func PossessionVerify(phone, possessionType, first, last string, extra ...any) map[string]any {
	return with(map[string]any{"possessionType": possessionType, "phoneNumber": phone, "firstName": first, "lastName": last}, extra)
}

// VerifyResults asserts the three string results of a possession-era
// answer.
func (x *X) VerifyResults(r *Resp, success, possession, verify string) {
	x.Status(r, http.StatusOK)
	x.Field(r, "success", success)
	x.Field(r, "possessionResult", possession)
	x.Field(r, "verifyResult", verify)
}

// VerifyPending posts a possession-era /v3/verify that needs the SDK and
// asserts "pending" three times; the flow in hand carries its authToken.
func (x *X) VerifyPending(body map[string]any) *Flow {
	r := x.API(Unify, "/v3/verify", body)
	x.VerifyResults(r, "pending", "pending", "pending")
	f := &Flow{Product: Unify, CorrelationID: r.Str("correlationId"), AuthToken: r.Str("authToken")}
	x.cid = f.CorrelationID
	x.Check(f.CorrelationID != "", r, "response body correlationId", "flow.start", "a correlationId", "nothing")
	f.Endp = endpOf(f.AuthToken)
	x.Check(f.Endp != "", r, "response body authToken", "flow.authToken", "a JWT whose auth.endp names the device API", short(f.AuthToken))
	return f
}

// VerifyStatus posts /v3/verify-status for the session.
func (x *X) VerifyStatus(f *Flow) *Resp {
	return x.API(Unify, "/v3/verify-status", map[string]any{"correlationId": f.CorrelationID})
}

func init() {
	register(
		Scenario{Area: "verifypossession", Name: "status-before-sdk", Doc: `mobile: /v3/verify and /v3/verify-status answer "pending" three times while the SDK has not run`,
			Needs: []Need{NeedUnify, NeedPossessionEra},
			Body: func(x *X) {
				f := x.VerifyPending(PossessionVerify(elena, "mobile", "Elena", "Coldman"))
				x.VerifyResults(x.VerifyStatus(f), "pending", "pending", "pending")
			}},
		Scenario{Area: "verifypossession", Name: "mobile-otp", Doc: `mobile: the OTP from the SMS passes; status "true"/success/success with identityId, the person's proveId`,
			Needs: []Need{NeedUnify, NeedPossessionEra, NeedPhone},
			Body: func(x *X) {
				f := x.VerifyPending(PossessionVerify(elena, "mobile", "Elena", "Coldman", "clientRequestId", "req-pv-1"))
				x.DeviceNext(x.Device(f, otpFinish, map[string]any{"otp": x.OTPSent(f)}), "done")
				r := x.VerifyStatus(f)
				x.VerifyResults(r, "true", "success", "success")
				id := x.ProveID(x.Verified(VerifyBody(elena, "humanAssurance"), "true"), "proveId")
				x.Field(r, "identityId", id)
				x.Field(x.VerifyStatus(f), "success", "true") // the result stays
			}},
		Scenario{Area: "verifypossession", Name: "desktop-instant-link", Doc: `desktop: the Instant Link from the SMS redirects to finalTargetUrl; status "true"/success/success`,
			Needs: []Need{NeedUnify, NeedPossessionEra, NeedPhone},
			Body: func(x *X) {
				f := x.VerifyPending(PossessionVerify(elena, "desktop", "Elena", "Coldman", "finalTargetUrl", finalTarget))
				x.DeviceNext(x.Device(f, "/v1/client/mobile/instantlink/start", map[string]any{"sourceIp": nil, "isMobile": false}), "")
				r := x.OpenLink(x.LastSMS(f).Link)
				x.Status(r, http.StatusFound)
				x.Check(strings.HasPrefix(r.Header.Get("Location"), finalTarget), r, "response header Location", "instantlink.redirect", finalTarget+"?…", r.Header.Get("Location"))
				x.VerifyResults(x.VerifyStatus(f), "true", "success", "success")
			}},
		Scenario{Area: "verifypossession", Name: "none", Doc: `none: "true"/not_applicable/success at once, no authToken; verify-status says the same`,
			Needs: []Need{NeedUnify, NeedPossessionEra},
			Body: func(x *X) {
				r := x.API(Unify, "/v3/verify", PossessionVerify(elena, "none", "Elena", "Coldman"))
				x.VerifyResults(r, "true", "not_applicable", "success")
				_, hasToken := r.Get("authToken")
				x.Check(!hasToken, r, "response body authToken", "flow.field", "no authToken (no SDK step)", short(r.JSON["authToken"]))
				x.VerifyResults(x.VerifyStatus(&Flow{CorrelationID: r.Str("correlationId")}), "true", "not_applicable", "success")
			}},
		Scenario{Area: "verifypossession", Name: "none-not-verified", Doc: `none, a sandbox user who does not verify: "false"/not_applicable/failed`,
			Needs: []Need{NeedUnify, NeedPossessionEra},
			Body: func(x *X) {
				x.VerifyResults(x.API(Unify, "/v3/verify", PossessionVerify(alf, "none", "Alf", "Novotni")), "false", "not_applicable", "failed")
			}},
		Scenario{Area: "verifypossession", Name: "short-term", Doc: `mobile, Prove's short-term Verified Users sandbox user: verify-status "true"/success/success with no client SDK`,
			Needs: []Need{NeedUnify, NeedPossessionEra},
			Body: func(x *X) {
				f := x.VerifyPending(PossessionVerify(sheila, "mobile", "Sheilakathryn", "Butrimovich"))
				r := x.VerifyStatus(f)
				x.VerifyResults(r, "true", "success", "success")
				x.Check(r.Str("identityId") != "", r, "response body identityId", "flow.field", "the person's proveId", "nothing")
			}},
		Scenario{Area: "verifypossession", Name: "otp-wrong", Doc: `a wrong OTP ends the check: status "false"/failed/not_applicable`,
			Needs: []Need{NeedUnify, NeedPossessionEra, NeedPhone},
			Body: func(x *X) {
				f := x.VerifyPending(PossessionVerify(elena, "mobile", "Elena", "Coldman"))
				x.OTPSent(f)
				x.DeviceTerminal(x.Device(f, otpFinish, map[string]any{"otp": "0000"}), sdkMaxTries)
				x.VerifyResults(x.VerifyStatus(f), "false", "failed", "not_applicable")
			}},
		Scenario{Area: "verifypossession", Name: "name-mismatch", Doc: `possession passes but the name is another's: "false"/success/failed`,
			Needs: []Need{NeedUnify, NeedPossessionEra, NeedPhone},
			Body: func(x *X) {
				f := x.VerifyPending(PossessionVerify(elena, "mobile", "Elena", "Smith"))
				x.DeviceNext(x.Device(f, otpFinish, map[string]any{"otp": x.OTPSent(f)}), "done")
				x.VerifyResults(x.VerifyStatus(f), "false", "success", "failed")
			}},
		Scenario{Area: "verifypossession", Name: "expired", Doc: `a session 15 minutes old without possession: "false"/failed/not_applicable; a minute later 400 code 8008`,
			Needs: []Need{NeedUnify, NeedPossessionEra, NeedClock},
			Body: func(x *X) {
				f := x.VerifyPending(PossessionVerify(elena, "mobile", "Elena", "Coldman"))
				x.Advance(longWait)
				x.VerifyResults(x.VerifyStatus(f), "false", "failed", "not_applicable")
				x.Advance(FlowLifetime / 15)
				x.Error(x.VerifyStatus(f), http.StatusBadRequest, 8008)
			}},
		Scenario{Area: "verifypossession", Name: "mixed-body", Doc: "possessionType beside verificationType: 400 code 8001 naming verificationType",
			Needs: []Need{NeedUnify, NeedPossessionEra},
			Body: func(x *X) {
				x.Error(x.BadAPI(Unify, "/v3/verify", PossessionVerify(elena, "mobile", "Elena", "Coldman", "verificationType", "verifiedUser")),
					http.StatusBadRequest, 8001, "verificationType")
			}},
		Scenario{Area: "verifypossession", Name: "desktop-without-target", Doc: "desktop without finalTargetUrl: 400 code 8001 naming it",
			Needs: []Need{NeedUnify, NeedPossessionEra},
			Body: func(x *X) {
				x.Error(x.API(Unify, "/v3/verify", PossessionVerify(elena, "desktop", "Elena", "Coldman")), http.StatusBadRequest, 8001, "finalTargetUrl")
			}},
		Scenario{Area: "verifypossession", Name: "status-unknown-id", Doc: "verify-status with a correlationId no session has: 400 code 8008",
			Needs: []Need{NeedUnify, NeedPossessionEra},
			Body: func(x *X) {
				x.Error(x.VerifyStatus(&Flow{CorrelationID: "00000000-0000-4000-8000-000000000000"}), http.StatusBadRequest, 8008)
			}},
		Scenario{Area: "verifypossession", Name: "status-of-a-start-flow", Doc: "verify-status with the correlationId of a /v3/start flow: 400 code 8008",
			Needs: []Need{NeedUnify, NeedPossessionEra, NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Error(x.VerifyStatus(f), http.StatusBadRequest, 8008)
			}},
	)
}

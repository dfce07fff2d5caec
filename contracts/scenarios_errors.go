package contracts

import (
	"net/http"
	"strings"
	"time"
)

// Scenarios of the flow rules (order, replay, foreign and unknown
// correlationIds, lifetimes), of every documented error code and of bad
// input.

func init() {
	register(
		// ---- order, replay, correlationIds ----
		Scenario{Area: "order", Name: "complete-before-validate", Doc: "complete straight after start: 403 code 8003",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Error(x.Complete(f, Person("Martina", "Goodram")), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "order", Name: "challenge-before-validate", Doc: "challenge straight after start: 403 code 8003",
			Needs: []Need{NeedPrefill},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(milo))
				x.Error(x.Challenge(f, "dob", "1981-01-17"), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "order", Name: "challenge-in-identity", Doc: "Identity has no challenge: 403 code 8003 after validate",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(milo))
				x.Validated(f, false, "v3-complete")
				x.Error(x.Challenge(f, "dob", "1981-01-17"), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "order", Name: "validate-replayed", Doc: "validate called again after it passed: 403 code 8003",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				x.Error(x.Validate(f), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "order", Name: "complete-replayed", Doc: "complete called again after done: 403 code 8003",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				x.Completed(f, Person("Martina", "Goodram"))
				x.Error(x.Complete(f, Person("Martina", "Goodram")), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "order", Name: "step-after-done", Doc: "validate after the flow is done: 403 code 8003",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				x.Completed(f, Person("Martina", "Goodram"))
				x.Error(x.Validate(f), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "order", Name: "step-after-failure", Doc: "a challenge after a failed challenge: 403 code 8003",
			Needs: []Need{NeedPrefill},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(milo))
				x.Validated(f, true, "v3-challenge")
				x.BusinessFailure(x.Challenge(f, "dob", "1990-01-01"))
				x.Error(x.Challenge(f, "dob", "1981-01-17"), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "order", Name: "unknown-correlation-id", Doc: "a correlationId no flow has: 400 code 8008",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := &Flow{Product: Identity, CorrelationID: "00000000-0000-4000-8000-000000000000"}
				x.Error(x.Validate(f), http.StatusBadRequest, 8008)
			}},
		Scenario{Area: "order", Name: "other-clients-correlation-id", Doc: "another client's correlationId: 400 code 8008",
			Needs: []Need{NeedIdentity, NeedPrefill},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(milo))
				theirs := &Flow{Product: Identity, CorrelationID: f.CorrelationID}
				x.Error(x.Validate(theirs), http.StatusBadRequest, 8008)
				x.Validated(f, true, "v3-challenge") // the owner's flow is untouched
			}},
		Scenario{Area: "order", Name: "flow-expired", Doc: "a correlationId 15 minutes after start: 400 code 8008",
			Needs: []Need{NeedIdentity, NeedClock},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Advance(longWait)
				x.Error(x.Validate(f), http.StatusBadRequest, 8008)
			}},
		Scenario{Area: "order", Name: "flow-alive", Doc: "a flow still answers within 15 minutes",
			Needs: []Need{NeedIdentity, NeedClock},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Advance(15*time.Minute - 10*time.Second) // margin for a target on a running clock
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "order", Name: "auth-token-expired", Doc: "the device API refuses an authToken 15 minutes after start: 401 code 8002",
			Needs: []Need{NeedIdentity, NeedPersonas, NeedClock},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.Advance(longWait)
				x.Error(x.Device(f, otpStart, map[string]any{}), http.StatusUnauthorized, 8002)
			}},
		Scenario{Area: "order", Name: "device-bad-token", Doc: "the device API refuses a made-up authToken: 401 code 8002",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				f.AuthToken = "not.a.token"
				x.Error(x.Device(f, otpStart, map[string]any{}), http.StatusUnauthorized, 8002)
			}},

		// ---- error codes ----
		personaError("start-8000", Identity, "2009990010", "/v3/start", 500, 8000),
		personaError("validate-8000", Identity, "2009990011", "/v3/validate", 500, 8000),
		personaError("challenge-8000", Prefill, "2009990012", "/v3/challenge", 500, 8000),
		personaError("complete-8000", Identity, "2009990013", "/v3/complete", 500, 8000),
		personaError("start-429", Identity, "2009990014", "/v3/start", 429, 8000),
		personaError("validate-8002", Identity, "2009990015", "/v3/validate", 401, 8002),
		personaError("start-8001", Identity, "2009990016", "/v3/start", 400, 8001),
		personaError("complete-8003", Identity, "2009990017", "/v3/complete", 403, 8003),
		personaError("validate-8008", Identity, "2009990018", "/v3/validate", 400, 8008),
		personaError("start-8009", Identity, "2009990019", "/v3/start", 403, 8009),
		Scenario{Area: "errors", Name: "unknown-user-8007", Doc: "a number that is no test user: 400 code 8007",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				x.Error(x.API(Identity, "/v3/start", Mobile(nobody)), http.StatusBadRequest, 8007)
			}},
		Scenario{Area: "errors", Name: "fault-503", Doc: "an injected 503 comes in Prove's error shape, once; the next call works",
			Needs: []Need{NeedIdentity, NeedFaults},
			Body: func(x *X) {
				x.Token(Identity)
				x.Fault(map[string]any{"step": "/v3/start", "status": 503, "count": 1, "persona": martina})
				r := x.API(Identity, "/v3/start", Mobile(martina))
				x.Status(r, http.StatusServiceUnavailable)
				x.Check(r.Str("message") != "", r, "response body message", "error.message", "a message", "nothing")
				x.Start(Identity, Mobile(martina))
			}},
		Scenario{Area: "errors", Name: "fault-device-500", Doc: "an injected 500 on the device API: code 8000",
			Needs: []Need{NeedIdentity, NeedPersonas, NeedFaults},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.Fault(map[string]any{"step": otpStart, "status": 500, "count": 1, "persona": jordan})
				x.Error(x.Device(f, otpStart, map[string]any{}), http.StatusInternalServerError, 8000)
				x.OTPSent(f)
			}},
		Scenario{Area: "errors", Name: "token-under-v3", Doc: "the token endpoint under /v3 is not there",
			Body: func(x *X) {
				r := x.Do(Request{Method: http.MethodPost, Path: "/v3/token", Form: map[string][]string{"grant_type": {"client_credentials"}}})
				x.Check(r.Status == http.StatusForbidden || r.Status == http.StatusNotFound, r, "status", "status", "403 or 404", short(r.Status))
			}},

		// ---- bad input ----
		badStart("missing-flow-type", map[string]any{"phoneNumber": milo}, "flowType"),
		badStart("wrong-flow-type", map[string]any{"flowType": "tablet", "phoneNumber": milo}, "flowType"),
		badStart("phone-as-number", map[string]any{"flowType": "mobile", "phoneNumber": 2001001695}, "phoneNumber"),
		badStart("phone-with-letters", map[string]any{"flowType": "mobile", "phoneNumber": "200-100-1695"}, "phoneNumber"),
		badStart("desktop-without-target", map[string]any{"flowType": "desktop", "phoneNumber": milo}, "finalTargetUrl"),
		badStart("target-too-long", Desktop(milo, "finalTargetUrl", "https://app.example.com/"+strings.Repeat("a", 120)), "finalTargetUrl"),
		badStart("sms-message-too-long", Mobile(milo, "smsMessage", strings.Repeat("#", 161)), "smsMessage"),
		badStart("ssn-wrong", Mobile(milo, "ssn", "12345"), "ssn"),
		badStart("dob-wrong", Mobile(milo, "dob", "17/01/1981"), "dob"),
		badStart("unknown-field", Mobile(milo, "favouriteColour", "blue"), "favouriteColour"),
		badStart("retry-as-string", Mobile(milo, "allowOTPRetry", "yes"), "allowOTPRetry"),
		Scenario{Area: "input", Name: "body-over-4kb", Doc: "a body over 4 KB: 400 code 8001",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				raw := []byte(`{"flowType":"mobile","phoneNumber":"` + milo + `","smsMessage":"` + strings.Repeat("a", 4200) + `"}`)
				r := x.Do(Request{Method: http.MethodPost, Path: "/v3/start", Bearer: x.Token(Identity), Raw: raw, Invalid: true})
				x.Error(r, http.StatusBadRequest, 8001, "4 KB")
			}},
		Scenario{Area: "input", Name: "body-size-limit", Doc: "a 4000-byte body is taken, a 4097-byte one (valid JSON, padded) answers 400 code 8001",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				padded := func(n int) []byte {
					b := []byte(`{"flowType":"mobile","phoneNumber":"` + martina + `"`)
					return append(append(b, strings.Repeat(" ", n-len(b)-1)...), '}')
				}
				r := x.Do(Request{Method: http.MethodPost, Path: "/v3/start", Bearer: x.Token(Identity), Raw: padded(4000)})
				x.Status(r, http.StatusOK)
				r = x.Do(Request{Method: http.MethodPost, Path: "/v3/start", Bearer: x.Token(Identity), Raw: padded(4097)})
				x.Error(r, http.StatusBadRequest, 8001, "4 KB")
			}},
		Scenario{Area: "input", Name: "malformed-json", Doc: "a body that is not JSON: 400 code 8001",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				r := x.Do(Request{Method: http.MethodPost, Path: "/v3/start", Bearer: x.Token(Identity), Raw: []byte(`{"flowType":"mobile",`), Invalid: true})
				x.Error(r, http.StatusBadRequest, 8001)
			}},
		Scenario{Area: "input", Name: "validate-without-id", Doc: "validate without correlationId: 400 code 8001 naming it",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				x.Error(x.BadAPI(Identity, "/v3/validate", map[string]any{}), http.StatusBadRequest, 8001, "correlationId")
			}},
		Scenario{Area: "input", Name: "correlation-id-too-long", Doc: "a correlationId over 64 characters: 400 code 8001",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				x.Error(x.BadAPI(Identity, "/v3/validate", map[string]any{"correlationId": strings.Repeat("a", 65)}), http.StatusBadRequest, 8001, "correlationId")
			}},
		Scenario{Area: "input", Name: "complete-without-individual", Doc: "complete without individual: 400 code 8001 naming it",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				x.Error(x.BadAPI(Identity, "/v3/complete", map[string]any{"correlationId": f.CorrelationID}), http.StatusBadRequest, 8001, "individual")
			}},
		Scenario{Area: "input", Name: "complete-without-names", Doc: "an individual with neither first + last name nor SSN: 400 code 8001",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				x.Error(x.Complete(f, map[string]any{"firstName": "Martina"}), http.StatusBadRequest, 8001)
			}},
		Scenario{Area: "input", Name: "complete-bad-dob", Doc: "an individual dob in the wrong format: 400 code 8001 naming it",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				bad := map[string]any{"correlationId": f.CorrelationID, "individual": Person("Martina", "Goodram", "dob", "1995/07/26")}
				x.Error(x.BadAPI(Identity, "/v3/complete", bad), http.StatusBadRequest, 8001, "dob")
			}},
		Scenario{Area: "input", Name: "complete-bad-postal-code", Doc: "an address postalCode in the wrong format: 400 code 8001",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				addr := []any{map[string]any{"address": "1 Main St", "city": "Denver", "region": "CO", "postalCode": "ABCDE"}}
				bad := map[string]any{"correlationId": f.CorrelationID, "individual": Person("Martina", "Goodram", "addresses", addr)}
				x.Error(x.BadAPI(Identity, "/v3/complete", bad), http.StatusBadRequest, 8001, "postalCode")
			}},
		Scenario{Area: "input", Name: "otp-finish-without-otp", Doc: "otp/finish without otp: 400 code 8001 naming it",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				r := x.Do(Request{Method: http.MethodPost, Base: f.Endp, Path: otpFinish, Bearer: f.AuthToken, JSON: map[string]any{}, Invalid: true})
				x.Error(r, http.StatusBadRequest, 8001, "otp")
			}},
		Scenario{Area: "input", Name: "device-malformed-json", Doc: "a device call whose body is not JSON: 400 code 8001",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				r := x.Do(Request{Method: http.MethodPost, Base: f.Endp, Path: otpFinish, Bearer: f.AuthToken, Raw: []byte(`{"otp":`), Invalid: true})
				x.Error(r, http.StatusBadRequest, 8001)
			}},
	)
}

// personaError is a scenario of an edge persona whose step answers an
// error: the status, the code, and Retry-After on a 429.
func personaError(name, product, phone, step string, status, code int) Scenario {
	need := NeedIdentity
	if product == Prefill {
		need = NeedPrefill
	}
	return Scenario{Area: "errors", Name: name, Doc: step + " answers " + short(status) + " code " + short(code) + " for its persona",
		Needs: []Need{need, NeedPersonas},
		Body: func(x *X) {
			var r *Resp
			if step == "/v3/start" {
				r = x.API(product, step, Mobile(phone))
			} else {
				f := x.Start(product, Mobile(phone))
				if step != "/v3/validate" {
					x.Validated(f, product == Prefill, map[bool]string{true: "v3-challenge", false: "v3-complete"}[product == Prefill])
				}
				switch step {
				case "/v3/validate":
					r = x.Validate(f)
				case "/v3/challenge":
					r = x.Challenge(f, "dob", "1980-01-01")
				default:
					r = x.Complete(f, Person("A", "B"))
				}
			}
			x.Error(r, status, code)
			if status == http.StatusTooManyRequests {
				x.Check(r.Header.Get("Retry-After") != "", r, "response header Retry-After", "ratelimit.retry-after", "seconds to wait", "nothing")
			}
		}}
}

// badStart is a scenario of a /v3/start body that breaks the spec: 400
// code 8001 with a message naming the field.
func badStart(name string, body map[string]any, field string) Scenario {
	invalid := name != "desktop-without-target" // the one rule the schema cannot say
	return Scenario{Area: "input", Name: "start-" + name, Doc: "/v3/start with " + name + ": 400 code 8001 naming " + field,
		Needs: []Need{NeedIdentity},
		Body: func(x *X) {
			x.Error(x.Do(Request{Method: http.MethodPost, Path: "/v3/start", Bearer: x.Token(Identity), JSON: body, Invalid: invalid}),
				http.StatusBadRequest, 8001, field)
		}}
}

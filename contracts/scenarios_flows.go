package contracts

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Scenarios of OAuth and of each product's flows (server API only, or with
// the possession check done on the virtual phone).

// Personas (specs/personas.yaml) the scenarios use.
const (
	milo     = "2001001695" // Prove sandbox, short-term, Pre-Fill and Identity
	martina  = "2001004000" // Prove sandbox, short-term, Identity with KYC
	jordan   = "2009990039" // ordinary user: OTP 1234, Instant Link clicked by hand
	dana     = "2009990001" // validate fails
	marcus   = "2009990002" // challenge fails
	priya    = "2009990003" // complete fails
	harold   = "2009990004" // KYC with AML hits
	lena     = "2009990005" // low CIP confidence
	theo     = "2009990006" // Pre-Fill only
	rosa     = "2009990007" // Identity only
	tessa    = "2009990030" // types 2 wrong OTPs first
	diego    = "2009990031" // random OTP per SMS
	abigail  = "2009990032" // OTP 654321
	felix    = "2009990033" // never clicks the link
	maya     = "2009990034" // link clicked automatically after 30s
	ingrid   = "2009990036" // phone rejected
	rashid   = "2009990037" // Mobile Auth passes
	colleen  = "2009990038" // Mobile Auth fails, OTP fallback
	nobody   = "2019990000" // no persona: 8007
	longWait = 15*time.Minute + time.Second
)

var (
	miloPerson   = Person("Milo", "Pinson")
	jordanPerson = Person("Jordan", "Ellis")
)

func init() {
	register(
		// ---- OAuth ----
		Scenario{Area: "oauth", Name: "token", Doc: "client credentials give a bearer token for 3600 s",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				c := x.Client(Identity)
				r := x.TokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {c.Secret}})
				x.Status(r, http.StatusOK)
				x.Check(strings.EqualFold(r.Str("token_type"), "bearer"), r, "response body token_type", "oauth.token_type", `"bearer" (any case)`, r.Str("token_type"))
				x.Number(r, "expires_in", 3600)
			}},
		Scenario{Area: "oauth", Name: "wrong-secret", Doc: "a wrong secret answers 401 code 8002",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				r := x.TokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {x.Client(Identity).ID}, "client_secret": {"not-the-secret"}})
				x.Error(r, http.StatusUnauthorized, 8002)
			}},
		Scenario{Area: "oauth", Name: "unknown-client", Doc: "an unknown client answers 401 code 8002",
			Body: func(x *X) {
				r := x.TokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {"no-such-client"}, "client_secret": {"x"}})
				x.Error(r, http.StatusUnauthorized, 8002)
			}},
		Scenario{Area: "oauth", Name: "wrong-grant", Doc: "grant_type other than client_credentials answers 400 code 8001",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				c := x.Client(Identity)
				r := x.Do(Request{Method: http.MethodPost, Path: "/token", Invalid: true,
					Form: url.Values{"grant_type": {"password"}, "client_id": {c.ID}, "client_secret": {c.Secret}}})
				x.Error(r, http.StatusBadRequest, 8001, "grant_type")
			}},
		Scenario{Area: "oauth", Name: "missing-grant", Doc: "no grant_type answers 400 code 8001",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				c := x.Client(Identity)
				r := x.Do(Request{Method: http.MethodPost, Path: "/token", Invalid: true, Form: url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}}})
				x.Error(r, http.StatusBadRequest, 8001)
			}},
		Scenario{Area: "oauth", Name: "no-authorization", Doc: "/v3/start without a token answers 401 code 8002",
			Body: func(x *X) {
				r := x.Do(Request{Method: http.MethodPost, Path: "/v3/start", JSON: Mobile(milo)})
				x.Error(r, http.StatusUnauthorized, 8002)
			}},
		Scenario{Area: "oauth", Name: "garbage-token", Doc: "/v3/start with a made-up token answers 401 code 8002",
			Body: func(x *X) {
				r := x.Do(Request{Method: http.MethodPost, Path: "/v3/start", Bearer: "not.a.token", JSON: Mobile(milo)})
				x.Error(r, http.StatusUnauthorized, 8002)
			}},
		Scenario{Area: "oauth", Name: "token-expired", Doc: "an access token stops working after 60 minutes",
			Needs: []Need{NeedIdentity, NeedClock},
			Body: func(x *X) {
				x.Token(Identity)
				x.Advance(59 * time.Minute)
				x.Start(Identity, Mobile(milo)) // still good at 59 minutes
				x.Advance(time.Minute + time.Second)
				r := x.API(Identity, "/v3/start", Mobile(milo))
				x.Error(r, http.StatusUnauthorized, 8002)
			}},
		Scenario{Area: "oauth", Name: "token-reused", Doc: "one token serves many calls",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				for range 3 {
					x.Start(Identity, Mobile(milo))
				}
			}},

		// ---- Prove Identity ----
		Scenario{Area: "identity", Name: "short-term-user", Doc: "a short-term user passes start, validate, complete with no SDK step; complete returns idv and kyc",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				r := x.Validated(f, false, "v3-complete")
				x.Field(r, "phoneNumber", martina)
				r = x.Completed(f, Person("Martina", "Goodram", "ssn", "490959347"))
				x.Field(r, "idv.multiCIPConfidence", "high")
				x.Number(r, "kyc.totalHits", 0)
			}},
		Scenario{Area: "identity", Name: "auth-token-lifetime", Doc: "the authToken of /v3/start expires 15 minutes after it was issued",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				var claims struct {
					IssuedAt  int64 `json:"iat"`
					ExpiresAt int64 `json:"exp"`
				}
				ok := jwtClaims(f.AuthToken, &claims)
				life := time.Duration(claims.ExpiresAt-claims.IssuedAt) * time.Second
				// exp may be rounded up to the next second
				x.Check(ok && life >= FlowLifetime && life <= FlowLifetime+time.Second, &Resp{Op: "POST /v3/start"},
					"response body authToken", "lifetime.authToken", "exp = iat + 15m0s", life.String())
			}},
		Scenario{Area: "identity", Name: "pre-fill-user", Doc: "a sandbox user of both products passes Identity without the challenge",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile("+1"+milo))
				x.Validated(f, false, "v3-complete")
				x.Completed(f, miloPerson)
			}},
		Scenario{Area: "identity", Name: "desktop-instant-link", Doc: "desktop: Instant Link opened from the SMS redirects to finalTargetUrl with authId and asc=true; the flow completes",
			Needs: []Need{NeedIdentity, NeedPersonas, NeedPhone},
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				r := x.Device(f, "/v1/client/mobile/instantlink/start", map[string]any{"sourceIp": nil, "isMobile": false})
				x.DeviceNext(r, "")
				x.Field(r, "data", map[string]any{})
				link := x.LastSMS(f).Link
				r = x.OpenLink(link)
				x.Status(r, http.StatusFound)
				loc, _ := url.Parse(r.Header.Get("Location"))
				x.Check(loc != nil && strings.HasPrefix(loc.String(), finalTarget) && loc.Query().Get("asc") == "true" && loc.Query().Get("authId") != "",
					r, "response header Location", "instantlink.redirect", finalTarget+"?authId=…&asc=true", r.Header.Get("Location"))
				x.Validated(f, false, "v3-complete")
				x.Completed(f, jordanPerson)
			}},
		Scenario{Area: "identity", Name: "mobile-otp", Doc: "mobile: the OTP from the SMS passes possession; the flow completes",
			Needs: []Need{NeedIdentity, NeedPersonas, NeedPhone},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				code := x.OTPSent(f)
				x.DeviceNext(x.Device(f, "/v1/client/mobile/otp/finish", map[string]any{"otp": code}), "done")
				x.Validated(f, false, "v3-complete")
				x.Completed(f, jordanPerson)
			}},
		Scenario{Area: "identity", Name: "no-possession", Doc: "validate before the possession check answers 200 success false, next done",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.NotValidated(f)
			}},
		Scenario{Area: "identity", Name: "complete-mismatch", Doc: "complete with another person's name answers 200 success false, next done",
			Needs: []Need{NeedIdentity},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				x.BusinessFailure(x.Complete(f, Person("Someone", "Else")))
			}},
		Scenario{Area: "identity", Name: "validate-fails", Doc: "a persona whose number does not validate: success false, then complete is refused (403 code 8003)",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(dana))
				x.NotValidated(f)
				x.Error(x.Complete(f, Person("Dana", "Whitfield")), http.StatusForbidden, 8003)
			}},
		Scenario{Area: "identity", Name: "complete-fails", Doc: "a persona complete does not verify: 200 success false",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(priya))
				x.Validated(f, false, "v3-complete")
				x.BusinessFailure(x.Complete(f, Person("Priya", "Ramanathan")))
			}},
		Scenario{Area: "identity", Name: "kyc-hits", Doc: "KYC with AML hits: complete succeeds with kyc.totalHits and amlTypeLists",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(harold))
				x.Validated(f, false, "v3-complete")
				r := x.Completed(f, Person("Harold", "Whitcomb"))
				hits, _ := r.Get("kyc.totalHits")
				n, _ := hits.(float64)
				x.Check(n > 0, r, "response body kyc.totalHits", "flow.field", "more than 0", short(hits))
				lists, _ := r.Get("kyc.amlTypeLists")
				l, _ := lists.([]any)
				x.Check(len(l) > 0, r, "response body kyc.amlTypeLists", "flow.field", "at least one list", short(lists))
			}},
		Scenario{Area: "identity", Name: "low-confidence", Doc: "low CIP confidence is reported in idv",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(lena))
				x.Validated(f, false, "v3-complete")
				r := x.Complete(f, Person("Lena", "Kowalczyk"))
				x.Status(r, http.StatusOK)
				x.Field(r, "idv.multiCIPConfidence", "low")
			}},
		Scenario{Area: "identity", Name: "prefill-only-user", Doc: "a Pre-Fill-only user at an Identity client: 403 code 8009",
			Needs: []Need{NeedIdentity, NeedPersonas},
			Body: func(x *X) {
				x.Error(x.API(Identity, "/v3/start", Mobile(theo)), http.StatusForbidden, 8009)
			}},

		// ---- Pre-Fill ----
		Scenario{Area: "prefill", Name: "challenge-dob", Doc: "validate asks for the challenge; the DOB returns the individual; the flow completes",
			Needs: []Need{NeedPrefill},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(milo))
				x.Validated(f, true, "v3-challenge")
				r := x.Challenge(f, "dob", "1981-01-17")
				x.Status(r, http.StatusOK)
				x.Field(r, "success", true)
				x.Next(r, "v3-complete")
				x.Field(r, "individual.firstName", "Milo")
				x.Field(r, "individual.lastName", "Pinson")
				x.Completed(f, Person("Milo", "Pinson", "dob", "1981-01-17"))
			}},
		Scenario{Area: "prefill", Name: "challenge-ssn4", Doc: "the last 4 of the SSN pass the challenge",
			Needs: []Need{NeedPrefill},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(milo))
				x.Validated(f, true, "v3-challenge")
				r := x.Challenge(f, "ssn", "0596")
				x.Status(r, http.StatusOK)
				x.Field(r, "success", true)
				x.Next(r, "v3-complete")
			}},
		Scenario{Area: "prefill", Name: "challenge-at-start", Doc: "a DOB given at start: validate offers challenge or complete, challengeMissing false",
			Needs: []Need{NeedPrefill},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(milo, "dob", "1981-01-17"))
				x.Validated(f, false, "v3-challenge", "v3-complete")
				x.Completed(f, miloPerson)
			}},
		Scenario{Area: "prefill", Name: "wrong-dob", Doc: "a wrong DOB: 200 success false, next done",
			Needs: []Need{NeedPrefill},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(milo))
				x.Validated(f, true, "v3-challenge")
				x.BusinessFailure(x.Challenge(f, "dob", "1990-01-01"))
			}},
		Scenario{Area: "prefill", Name: "challenge-fails", Doc: "a persona whose challenge fails: 200 success false, next done",
			Needs: []Need{NeedPrefill, NeedPersonas},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(marcus))
				x.Validated(f, true, "v3-challenge")
				x.BusinessFailure(x.Challenge(f, "dob", "1979-11-03"))
			}},
		Scenario{Area: "prefill", Name: "challenge-without-values", Doc: "a challenge with neither dob nor ssn answers 400 code 8001 naming them",
			Needs: []Need{NeedPrefill},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(milo))
				x.Validated(f, true, "v3-challenge")
				x.Error(x.Challenge(f), http.StatusBadRequest, 8001, "dob")
			}},
		Scenario{Area: "prefill", Name: "identity-only-user", Doc: "an Identity-only user at a Pre-Fill client: 403 code 8009",
			Needs: []Need{NeedPrefill, NeedPersonas},
			Body: func(x *X) {
				x.Error(x.API(Prefill, "/v3/start", Mobile(rosa)), http.StatusForbidden, 8009)
			}},
		Scenario{Area: "prefill", Name: "mobile-otp", Doc: "Pre-Fill with an OTP possession check, then the challenge",
			Needs: []Need{NeedPrefill, NeedPersonas, NeedPhone},
			Body: func(x *X) {
				f := x.Start(Prefill, Mobile(jordan))
				code := x.OTPSent(f)
				x.DeviceNext(x.Device(f, "/v1/client/mobile/otp/finish", map[string]any{"otp": code}), "done")
				x.Validated(f, true, "v3-challenge")
				r := x.Challenge(f, "dob", "1988-03-21")
				x.Field(r, "success", true)
				x.Completed(f, Person("Jordan", "Ellis", "dob", "1988-03-21"))
			}},
	)
}

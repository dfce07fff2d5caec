package contracts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Scenarios of the device API: every possession outcome of OTP, Instant
// Link and Mobile Auth, driven as Prove's web SDK drives it.

const (
	otpStart    = "/v1/client/mobile/otp/start"
	otpFinish   = "/v1/client/mobile/otp/finish"
	otpError    = "/v1/client/mobile/otp/error"
	linkStart   = "/v1/client/mobile/instantlink/start"
	linkError   = "/v1/client/mobile/instantlink/error"
	instStart   = "/v1/client/mobile/instant/start"
	instFinish  = "/v1/client/mobile/instant/finish"
	instError   = "/v1/client/mobile/instant/error"
	sdkAuthFail = 10000
	sdkExternal = 10001
	sdkMaxTries = 10005
	dataPhone   = 1001
	dataOTP     = 1002
)

var desktopLink = map[string]any{"sourceIp": nil, "isMobile": false}

func otp(code string) map[string]any { return map[string]any{"otp": code} }

func phoneNeeds(product Need, more ...Need) []Need {
	return append([]Need{product, NeedPersonas, NeedPhone}, more...)
}

// statusSocket opens the Instant Link status WebSocket as the SDK does.
func (x *X) statusSocket(f *Flow) *websocket.Conn {
	u := strings.Replace(f.Endp, "http", "ws", 1) + "/v1/client/status?token=" + url.QueryEscape(f.AuthToken)
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.DialContext(x.ctx, u, nil)
	if resp != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		got := err.Error()
		if resp != nil {
			got = resp.Status
		}
		x.Fail("GET /v1/client/status", "status", "status", "101 (a WebSocket)", got)
	}
	x.Cleanup(func() { _ = conn.Close() })
	return conn
}

// statusMessage reads the one result message of the status WebSocket.
func (x *X) statusMessage(conn *websocket.Conn) map[string]any {
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		x.Fail("GET /v1/client/status", "message", "ws.message", "a result message", err.Error())
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		x.Fail("GET /v1/client/status", "message", "ws.message", "a JSON AuthResponse", string(data))
	}
	return m
}

func init() {
	register(
		// ---- OTP ----
		Scenario{Area: "otp", Name: "right", Doc: "the right code: next done; validate passes",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.DeviceNext(x.Device(f, otpFinish, otp(x.OTPSent(f))), "done")
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "otp", Name: "wrong-no-retry", Doc: "without allowOTPRetry one wrong code fails the check (10005, next done); validate says success false",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.OTPSent(f)
				x.DeviceTerminal(x.Device(f, otpFinish, otp("0000")), sdkMaxTries)
				x.NotValidated(f)
			}},
		Scenario{Area: "otp", Name: "retry", Doc: "with allowOTPRetry a wrong code leaves attempts (data 1002), then the right one passes",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan, "allowOTPRetry", true))
				code := x.OTPSent(f)
				r := x.Device(f, otpFinish, otp("0000"))
				x.DeviceData(r, dataOTP)
				x.Contains(r, "data.message", "2 attempts left")
				x.DeviceNext(x.Device(f, otpFinish, otp(code)), "done")
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "otp", Name: "retry-exhausted", Doc: "three wrong codes: 1002, 1002, then 10005 next done",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan, "allowOTPRetry", true))
				x.OTPSent(f)
				x.DeviceData(x.Device(f, otpFinish, otp("0000")), dataOTP)
				x.DeviceData(x.Device(f, otpFinish, otp("0000")), dataOTP)
				x.DeviceTerminal(x.Device(f, otpFinish, otp("0000")), sdkMaxTries)
				x.NotValidated(f)
			}},
		Scenario{Area: "otp", Name: "resend", Doc: "a resend sends a new code; the old one stops working, the new one passes",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(diego, "allowOTPRetry", true))
				first := x.OTPSent(f)
				second := x.OTPSent(f)
				n := len(x.Outbox(f))
				x.Check(n == 2, &Resp{Op: "GET /_mock/sms"}, "response body", "phone.resend", "2 SMS", fmt.Sprintf("%d SMS", n))
				if first != second {
					x.DeviceData(x.Device(f, otpFinish, otp(first)), dataOTP)
				}
				x.DeviceNext(x.Device(f, otpFinish, otp(second)), "done")
			}},
		Scenario{Area: "otp", Name: "expired", Doc: "a code entered after 2 minutes: 10000 next done; validate says success false",
			Needs: phoneNeeds(NeedIdentity, NeedClock),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				code := x.OTPSent(f)
				x.Advance(2*time.Minute + time.Second)
				x.DeviceTerminal(x.Device(f, otpFinish, otp(code)), sdkAuthFail)
				x.NotValidated(f)
			}},
		Scenario{Area: "otp", Name: "in-time", Doc: "a code entered within 2 minutes passes",
			Needs: phoneNeeds(NeedIdentity, NeedClock),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				code := x.OTPSent(f)
				x.Advance(2*time.Minute - 10*time.Second) // margin for a target on a running clock
				x.DeviceNext(x.Device(f, otpFinish, otp(code)), "done")
			}},
		Scenario{Area: "otp", Name: "persona-mistypes", Doc: "a persona that mistypes twice passes at the third attempt",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(tessa, "allowOTPRetry", true))
				code := x.OTPSent(f)
				x.DeviceData(x.Device(f, otpFinish, otp(code)), dataOTP)
				x.DeviceData(x.Device(f, otpFinish, otp(code)), dataOTP)
				x.DeviceNext(x.Device(f, otpFinish, otp(code)), "done")
			}},
		Scenario{Area: "otp", Name: "six-digits", Doc: "a smsMessage with ###### sends a 6-digit code in that text",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(diego, "smsMessage", "Your code is ######."))
				x.OTPSent(f)
				sms := x.LastSMS(f)
				ok := len(sms.Code) == 6 && sms.Body == "Your code is "+sms.Code+"."
				x.Check(ok, &Resp{Op: "GET /_mock/sms"}, "response body body", "phone.smsMessage", "Your code is NNNNNN.", sms.Body)
			}},
		Scenario{Area: "otp", Name: "sms-lifetime", Doc: "the OTP SMS says the code lives 2 minutes",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.OTPSent(f)
				sms := x.LastSMS(f)
				life := sms.ExpiresAt.Sub(sms.SentAt)
				x.Check(life == 2*time.Minute, &Resp{Op: "GET /_mock/sms"}, "response body expiresAt", "lifetime.otp", "sentAt + 2m0s", life.String())
			}},
		Scenario{Area: "otp", Name: "phone-rejected", Doc: "a number that cannot get SMS: data 1001, no next",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(ingrid))
				x.DeviceData(x.Device(f, otpStart, map[string]any{}), dataPhone)
			}},
		Scenario{Area: "otp", Name: "finish-before-start", Doc: "a code before any SMS: data 1002",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.DeviceData(x.Device(f, otpFinish, otp("1234")), dataOTP)
			}},
		Scenario{Area: "otp", Name: "after-pass", Doc: "otp/start after the check passed: next done",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.DeviceNext(x.Device(f, otpFinish, otp(x.OTPSent(f))), "done")
				x.DeviceNext(x.Device(f, otpStart, map[string]any{}), "done")
			}},
		Scenario{Area: "otp", Name: "after-validate", Doc: "otp/start once validate was called: 10001 next done",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(martina))
				x.Validated(f, false, "v3-complete")
				x.DeviceTerminal(x.Device(f, otpStart, map[string]any{}), sdkExternal)
			}},
		Scenario{Area: "otp", Name: "on-desktop-flow", Doc: "OTP asked in a desktop (Instant Link) flow: 10001 next done",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				x.DeviceTerminal(x.Device(f, otpStart, map[string]any{}), sdkExternal)
			}},
		Scenario{Area: "otp", Name: "reported-error", Doc: "a failure reported by the SDK: next done; validate says success false",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.OTPSent(f)
				x.DeviceNext(x.Device(f, otpError, map[string]any{"message": "otpFinish callback rejected"}), "done")
				x.NotValidated(f)
			}},
		Scenario{Area: "otp", Name: "number-entered", Doc: "a number typed in the SDK gets the SMS",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				r := x.Device(f, otpStart, map[string]any{"mobileNumber": "+1" + abigail})
				x.DeviceNext(r, "")
				sms := x.LastSMS(f)
				x.Check(sms.Phone == abigail && sms.Code == "654321", r, "GET /_mock/sms", "phone.number", "an SMS to "+abigail+" with 654321", short(sms))
				x.DeviceNext(x.Device(f, otpFinish, otp(sms.Code)), "done")
			}},

		// ---- Instant Link ----
		Scenario{Area: "instantlink", Name: "clicked-ws", Doc: "the status WebSocket gets next done when the link is clicked",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				conn := x.statusSocket(f)
				x.DeviceNext(x.Device(f, linkStart, desktopLink), "")
				x.Status(x.OpenLink(x.LastSMS(f).Link), http.StatusFound)
				m := x.statusMessage(conn)
				x.Check(m["next"] == "done" && m["error"] == nil, &Resp{Op: "GET /v1/client/status"}, "message", "ws.message", `{"next":"done"}`, short(m))
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "instantlink", Name: "clicked-control", Doc: "POST /_mock/link/click clicks the latest link and gives the redirect",
			Needs: phoneNeeds(NeedIdentity, NeedControl),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				x.DeviceNext(x.Device(f, linkStart, desktopLink), "")
				r := x.Do(Request{Method: http.MethodPost, Path: "/_mock/link/click", JSON: map[string]any{"correlationId": f.CorrelationID}, Control: true})
				x.Status(r, http.StatusOK)
				x.Check(strings.Contains(r.Str("location"), "asc=true"), r, "response body location", "instantlink.redirect", "finalTargetUrl with asc=true", r.Str("location"))
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "instantlink", Name: "expired", Doc: "a link opened after 3 minutes answers 410; the WebSocket gets 10000; validate says success false",
			Needs: phoneNeeds(NeedIdentity, NeedClock),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				conn := x.statusSocket(f)
				x.DeviceNext(x.Device(f, linkStart, desktopLink), "")
				link := x.LastSMS(f).Link
				x.Advance(3*time.Minute + time.Second)
				m := x.statusMessage(conn)
				e, _ := m["error"].(map[string]any)
				x.Check(m["next"] == "done" && e != nil && e["code"] == float64(sdkAuthFail), &Resp{Op: "GET /v1/client/status"}, "message", "ws.message",
					`{"error":{"code":10000,...},"next":"done"}`, short(m))
				x.Status(x.OpenLink(link), http.StatusGone)
				x.NotValidated(f)
			}},
		Scenario{Area: "instantlink", Name: "replaced", Doc: "a resend replaces the link: the old one answers 410, the new one 302",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				x.DeviceNext(x.Device(f, linkStart, desktopLink), "")
				old := x.LastSMS(f).Link
				x.DeviceNext(x.Device(f, linkStart, map[string]any{"sourceIp": nil, "mobileNumber": "", "isMobile": false}), "")
				latest := x.LastSMS(f).Link
				x.Check(latest != old, &Resp{Op: "GET /_mock/sms"}, "response body link", "phone.resend", "a new link", latest)
				x.Status(x.OpenLink(old), http.StatusGone)
				x.Status(x.OpenLink(latest), http.StatusFound)
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "instantlink", Name: "sms-lifetime", Doc: "the Instant Link SMS says the link lives 3 minutes",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				x.DeviceNext(x.Device(f, linkStart, desktopLink), "")
				sms := x.LastSMS(f)
				life := sms.ExpiresAt.Sub(sms.SentAt)
				x.Check(life == 3*time.Minute, &Resp{Op: "GET /_mock/sms"}, "response body expiresAt", "lifetime.instantlink", "sentAt + 3m0s", life.String())
			}},
		Scenario{Area: "instantlink", Name: "unknown-link", Doc: "a link mockprove never sent answers 404",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				r := x.Do(Request{Method: http.MethodGet, Path: "/v1/link/00000000000000000000000000000000"})
				x.Status(r, http.StatusNotFound)
			}},
		Scenario{Area: "instantlink", Name: "never-clicked", Doc: "a persona that never clicks: after 3 minutes validate says success false",
			Needs: phoneNeeds(NeedIdentity, NeedClock),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(felix))
				x.DeviceNext(x.Device(f, linkStart, desktopLink), "")
				x.Advance(3*time.Minute + time.Second)
				x.NotValidated(f)
			}},
		Scenario{Area: "instantlink", Name: "auto-click", Doc: "a persona that clicks after 30 seconds: validate passes once the clock has moved",
			Needs: phoneNeeds(NeedIdentity, NeedClock),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(maya))
				conn := x.statusSocket(f)
				x.DeviceNext(x.Device(f, linkStart, desktopLink), "")
				x.Advance(31 * time.Second)
				m := x.statusMessage(conn)
				x.Check(m["next"] == "done" && m["error"] == nil, &Resp{Op: "GET /v1/client/status"}, "message", "ws.message", `{"next":"done"}`, short(m))
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "instantlink", Name: "mobile-web", Doc: "a mobile flow with no finalTargetUrl: the link answers 200 with a page",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(jordan))
				x.DeviceNext(x.Device(f, linkStart, map[string]any{"sourceIp": nil, "isMobile": true}), "")
				r := x.OpenLink(x.LastSMS(f).Link)
				x.Status(r, http.StatusOK)
				x.Check(strings.HasPrefix(r.Header.Get("Content-Type"), "text/html"), r, "response header Content-Type", "instantlink.page", "text/html", r.Header.Get("Content-Type"))
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "instantlink", Name: "phone-rejected", Doc: "a number that cannot get SMS: data 1001",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(ingrid))
				x.DeviceData(x.Device(f, linkStart, desktopLink), dataPhone)
			}},
		Scenario{Area: "instantlink", Name: "reported-error", Doc: "a failure reported by the SDK: next done; validate says success false",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				x.DeviceNext(x.Device(f, linkStart, desktopLink), "")
				x.DeviceNext(x.Device(f, linkError, map[string]any{"message": "Failed to receive secondary authentication with status code 1000. Normal closure"}), "done")
				x.NotValidated(f)
			}},
		Scenario{Area: "instantlink", Name: "status-bad-token", Doc: "the status WebSocket with an unknown token answers 401 code 8002",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Desktop(jordan))
				r := x.Do(Request{Method: http.MethodGet, Base: f.Endp, Path: "/v1/client/status?token=not-a-token"})
				x.Error(r, http.StatusUnauthorized, 8002)
			}},

		// ---- Mobile Auth ----
		Scenario{Area: "mobileauth", Name: "pass", Doc: "Mobile Auth gives an https redirectUrl with testVfp; the vfp finishes the check",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(rashid))
				r := x.Device(f, instStart, map[string]any{"cellularIp": nil, "implementation": "fetch"})
				x.DeviceNext(r, "")
				u, err := url.Parse(r.Str("data.redirectUrl"))
				vfp := ""
				if err == nil {
					vfp = u.Query().Get("testVfp")
				}
				x.Check(err == nil && u.Scheme == "https" && vfp != "", r, "response body data.redirectUrl", "mobileauth.redirect", "an https URL with testVfp", r.Str("data.redirectUrl"))
				x.DeviceNext(x.Device(f, instFinish, map[string]any{"vfp": vfp}), "done")
				x.Validated(f, false, "v3-complete")
				n := len(x.Outbox(f))
				x.Check(n == 0, r, "GET /_mock/sms", "mobileauth.silent", "no SMS", fmt.Sprintf("%d SMS", n))
			}},
		Scenario{Area: "mobileauth", Name: "fallback", Doc: "Mobile Auth fails: an http redirectUrl, the reported error sends the SDK to OTP, which passes",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(colleen))
				r := x.Device(f, instStart, map[string]any{"cellularIp": nil, "implementation": "fetch"})
				x.Check(strings.HasPrefix(r.Str("data.redirectUrl"), "http://"), r, "response body data.redirectUrl", "mobileauth.redirect", "an http:// URL (refused by the SDK)", r.Str("data.redirectUrl"))
				x.DeviceNext(x.Device(f, instError, map[string]any{"code": 10002, "message": "Web SDK cannot make http request"}), "mobile/otp")
				x.DeviceNext(x.Device(f, otpFinish, otp(x.OTPSent(f))), "done")
				x.Validated(f, false, "v3-complete")
			}},
		Scenario{Area: "mobileauth", Name: "wrong-vfp", Doc: "an unknown vfp sends the SDK to OTP",
			Needs: phoneNeeds(NeedIdentity),
			Body: func(x *X) {
				f := x.Start(Identity, Mobile(rashid))
				x.DeviceNext(x.Device(f, instStart, map[string]any{"cellularIp": nil, "implementation": "fetch"}), "")
				x.DeviceNext(x.Device(f, instFinish, map[string]any{"vfp": "not-the-vfp"}), "mobile/otp")
			}},
	)
}

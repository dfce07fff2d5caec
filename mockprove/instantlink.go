package mockprove

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"
)

// Instant Link possession check (prove-web-sdk.md §5c, §6): instantlink/start
// sends an SMS with a link to mockprove; opening the link (GET /v1/link/{token})
// passes the check, pushes {"next":"done"} to the flow's status WebSockets
// and redirects to finalTargetUrl?authId=…&asc=true.

const linkPath = "/v1/link/"

func (s *Server) registerInstantLink(r *mux.Router) {
	r.Handle("/v1/client/mobile/instantlink/start", s.serve(endpoint{step: "/v1/client/mobile/instantlink/start",
		auth: authDevice, validate: s.device, h: s.instantLinkStart})).Methods(http.MethodPost)
	r.Handle("/v1/client/mobile/instantlink/error", s.serve(endpoint{step: "/v1/client/mobile/instantlink/error",
		auth: authDevice, validate: s.device, h: s.reportedError("done", "reported-error", "reported-error")})).Methods(http.MethodPost)
	r.Handle(linkPath+"{token}", s.serve(endpoint{step: "/v1/link", h: s.openLink})).Methods(http.MethodGet)
}

// mobileWebInstantLink is the warning of an Instant Link asked for from a
// mobile browser: Prove's guide says Instant Link is not supported on mobile
// web; mockprove completes it (the SDK has a code path for it) but says so.
const mobileWebInstantLink = "Instant Link from a mobile web browser: Prove does not support it (use OTP on mobile web)"

// retryStepNote is the detail of a link-sent or link-resent attempt answered
// with {} (the SDK calls the app's retry step).
const retryStepNote = "answered {}: the SDK calls the app's retry step"

type instantLinkStartRequest struct {
	SourceIP     *string `json:"sourceIp"`
	MobileNumber *string `json:"mobileNumber"`
	IsMobile     bool    `json:"isMobile"`
}

// instantLinkStart sends the Instant Link SMS (or a new one on resend) and
// answers {"data":{}}: the SDK then waits on the status WebSocket. While the
// persona's possession.instantLink.retry lasts, or when an instantlink-retry
// fault hits, it answers {} instead (neither data nor next): the SDK then
// calls the app's retry step (Resend / Change number), the WebSocket still
// waiting for the click.
func (s *Server) instantLinkStart(c *call) (any, error) {
	var req instantLinkStartRequest
	origin := s.publicOrigin(c.r)
	return s.possessionStepIn(c, &req, func(f *flow, sh *shard) (any, error) {
		number := ""
		if req.MobileNumber != nil {
			number = *req.MobileNumber
		}
		if number != "" || f.d.poss.Link == nil {
			if env := s.acceptPhoneLocked(c, f, number); env != nil {
				return env, nil
			}
		}
		if env := s.smsLimitLocked(c, f); env != nil {
			return env, nil
		}
		f.d.poss.Method = MethodInstantLink
		kind := "link-sent"
		if old := f.d.poss.Link; old != nil {
			old.stopTimers() // the old token stays known: opening it answers 410
			kind = "link-resent"
		}
		now := s.clock.Now()
		lk := s.st.newLinkKey(f.key)
		token := lk.String()
		l := &LinkState{SentAt: now, ExpiresAt: now.Add(s.opts.InstantLinkTTL), token: lk}
		f.d.poss.Link = l
		f.d.links = append(f.d.links, lk) // at most MaxSMSPerFlow
		sh.links[lk] = f.key
		link := origin + linkPath + token
		s.st.outbox.send(SMS{
			Kind: SMSKindInstantLink, Phone: f.phone(), Link: link, CorrelationID: c.correlationID,
			Body:   smsText(f.d.smsMessage, defaultInstantLinkSMS, link),
			SentAt: now, ExpiresAt: l.ExpiresAt,
		})
		l.timers = append(l.timers, s.clock.AfterFunc(s.opts.InstantLinkTTL, func() { s.expireLink(token) }))
		if b := f.persona.Possession.InstantLink; b.Click == "auto" {
			d, _ := time.ParseDuration(b.ClickAfter) // checked when the persona was loaded
			l.timers = append(l.timers, s.clock.AfterFunc(d, func() { _, _ = s.clickLink(token, nil) }))
		}
		retry := f.d.poss.retryLeft > 0 // an answer counts towards the persona's retries whatever made it {}
		if retry {
			f.d.poss.retryLeft--
		}
		retry = retry || (c.fault != nil && c.fault.Kind == FaultInstantLinkRetry)
		c.rule = "instantlink." + kind
		detail := ""
		if retry {
			c.rule += ".retry"
			detail = retryStepNote
		}
		s.noteLocked(f, kind, detail)
		if req.IsMobile {
			c.warning = mobileWebInstantLink
		}
		if retry {
			return &envelope{}, nil
		}
		return &envelope{Data: map[string]any{}}, nil
	})
}

// expireLink fires when an Instant Link's lifetime ends unclicked.
func (s *Server) expireLink(token string) {
	s.st.updateLink(token, func(f *flow, _ *shard, _ uint64) {
		if f == nil || f.d == nil || f.d.poss.Link == nil || f.d.poss.Link.token.String() != token {
			return
		}
		s.expireLinkLocked(f)
	})
}

func (s *Server) expireLinkLocked(f *flow) {
	l := f.d.poss.Link
	if l.expired || l.ClickedAt != nil {
		return
	}
	l.expired = true
	l.stopTimers()
	s.failLocked(f, "link-expired", "the Instant Link expired")
	s.hub.publish(f.key.String(), statusExpired)
}

// Status messages pushed on the status WebSocket.
var (
	statusDone        = []byte(`{"next":"done"}`)
	statusExpired     = []byte(`{"error":{"code":10000,"message":"Instant Link expired"},"next":"done"}`)
	statusFlowExpired = []byte(`{"error":{"code":10000,"message":"the flow has expired"},"next":"done"}`)
)

// linkError is a link that cannot be used, with its HTTP status.
type linkError struct {
	status int
	msg    string
}

func (e *linkError) Error() string { return e.msg }

// clickLink is the phone opening an Instant Link. It returns where the
// phone's browser goes next ("" when the flow has no finalTargetUrl). When c
// is not nil, it notes the flow, persona and client the link belongs to.
func (s *Server) clickLink(token string, c *call) (loc string, err error) {
	s.st.updateLink(token, func(f *flow, _ *shard, _ uint64) {
		if f == nil || f.d == nil {
			err = &linkError{http.StatusNotFound, "This link is not known to mockprove (was it reset?)."}
			return
		}
		if c != nil {
			c.correlationID, c.persona, c.client = f.key.String(), f.phone(), *f.client
		}
		now := s.clock.Now()
		l := f.d.poss.Link
		switch {
		case l == nil || l.token.String() != token:
			err = &linkError{http.StatusGone, "This link has expired: a newer link was sent."}
			return
		case l.ClickedAt == nil && (l.expired || !now.Before(l.ExpiresAt) || !now.Before(f.expiresAt())):
			s.expireLinkLocked(f)
			err = &linkError{http.StatusGone, "This link has expired."}
			return
		case l.ClickedAt == nil && f.d.poss.Failed:
			err = &linkError{http.StatusGone, "This link can no longer be used: " + f.d.poss.Reason + "."}
			return
		case l.ClickedAt == nil && f.state != stateStarted:
			err = &linkError{http.StatusGone, "This link can no longer be used: the flow is past the possession check."}
			return
		}
		if l.ClickedAt == nil {
			l.ClickedAt = &now
			l.stopTimers()
			s.passLocked(f, "link-clicked")
			s.hub.publish(f.key.String(), statusDone)
		}
		loc = finalTarget(f.d.finalTargetURL, f.d.authKey.String())
	})
	return loc, err
}

// finalTarget adds authId and asc=true to the query of the app's landing
// page (before any #fragment).
func finalTarget(target, authID string) string {
	if target == "" {
		return ""
	}
	u, err := url.Parse(target)
	if err != nil { // /v3/start only accepts http(s) URLs
		return target
	}
	extra := "authId=" + url.QueryEscape(authID) + "&asc=true"
	if u.RawQuery == "" {
		u.RawQuery = extra
	} else {
		u.RawQuery += "&" + extra
	}
	return u.String()
}

// openLink is GET /v1/link/{token}: what the phone's browser does with the SMS.
func (s *Server) openLink(c *call) (any, error) {
	token := mux.Vars(c.r)["token"]
	location, err := s.clickLink(token, c)
	var le *linkError
	if errors.As(err, &le) {
		c.rule = "link.refused"
		return htmlPage(le.status, "Instant Link", le.msg), nil
	}
	c.rule = "link.clicked"
	if location == "" {
		return htmlPage(http.StatusOK, "Verified", "Your phone number is verified. You can close this page."), nil
	}
	return &reply{status: http.StatusFound, header: http.Header{"Location": {location}, "Content-Type": {"text/html; charset=utf-8"}},
		raw: []byte(fmt.Sprintf(`<a href="%s">Continue</a>`, html.EscapeString(location)))}, nil
}

func htmlPage(status int, title, msg string) *reply {
	body := fmt.Sprintf(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">`+
		`<title>%s</title></head><body style="font-family:system-ui;max-width:32rem;margin:3rem auto;padding:0 1rem">`+
		`<h1>%s</h1><p>%s</p><p><small>mockprove virtual phone</small></p></body></html>`,
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
	return &reply{status: status, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, raw: []byte(body)}
}

package mockprove

import (
	"encoding/hex"
	"net/http"

	"github.com/gorilla/mux"
)

// Mobile Auth (prove-web-sdk.md §5b): the carrier recognises the phone
// without any user action. mockprove uses the SDK's offline test path: a
// redirectUrl with testVfp=<vfp> makes the SDK return <vfp> with no network
// call. For a persona whose Mobile Auth fails, the redirectUrl is an http://
// URL, which the SDK refuses; it then reports instant/error and mockprove
// answers next "mobile/otp" (OTP fallback).

const (
	mobileAuthPassURL = "https://mobileauth.mockprove.invalid/?testVfp="
	mobileAuthFailURL = "http://mobileauth.mockprove.invalid/unavailable"
)

func (s *Server) registerMobileAuth(r *mux.Router) {
	for path, h := range map[string]handlerFunc{
		"/v1/client/mobile/instant/start":  s.mobileAuthStart,
		"/v1/client/mobile/instant/finish": s.mobileAuthFinish,
		"/v1/client/mobile/instant/error":  s.reportedError("mobile/otp", "mobileauth-fail", "mobileauth.fallback"),
	} {
		r.Handle(path, s.serve(endpoint{step: path, auth: authDevice, validate: s.device, h: h})).Methods(http.MethodPost)
	}
}

func (s *Server) mobileAuthStart(c *call) (any, error) {
	return s.possessionStep(c, nil, func(f *flow) (any, error) {
		if f.persona.Possession.MobileAuth != "pass" {
			c.rule = "persona.possession.mobileAuth"
			s.noteLocked(f, "mobileauth-unavailable", "")
			return &envelope{Data: map[string]any{"redirectUrl": mobileAuthFailURL}}, nil
		}
		f.d.poss.vfp = hex.EncodeToString(s.st.ids.bytes(12))
		c.rule = "mobileauth.start"
		s.noteLocked(f, "mobileauth-start", "")
		return &envelope{Data: map[string]any{"redirectUrl": mobileAuthPassURL + f.d.poss.vfp}}, nil
	})
}

type mobileAuthFinishRequest struct {
	VFP string `json:"vfp"`
}

func (s *Server) mobileAuthFinish(c *call) (any, error) {
	var req mobileAuthFinishRequest
	return s.possessionStep(c, &req, func(f *flow) (any, error) {
		if f.d.poss.vfp == "" || req.VFP != f.d.poss.vfp {
			c.rule = "mobileauth.vfp"
			s.noteLocked(f, "mobileauth-fail", "unknown vfp")
			return &envelope{Next: "mobile/otp"}, nil
		}
		c.rule = "mobileauth.pass"
		f.d.poss.Method = MethodMobileAuth
		s.passLocked(f, "mobileauth-pass")
		return &envelope{Next: "done"}, nil
	})
}

package mockprove

import (
	"net/http"
	"net/url"
)

// GET /_mock/phone: the virtual phone, for people, is the dashboard's phone
// view (ui.go); this address redirects there, keeping ?phone= and ?token=.

// phonePage redirects to the dashboard's phone view.
func (s *Server) phonePage(c *call) (any, error) {
	view := "phone"
	if phone := normalizePhone(c.r.URL.Query().Get("phone")); phone != "" {
		view += "/" + url.PathEscape(phone)
	}
	return &reply{status: http.StatusFound, header: http.Header{"Location": {uiURL(c.r, view)}}, raw: []byte{}}, nil
}

// phoneAdvance is the page's clock buttons (a form post).
func (s *Server) phoneAdvance(c *call) (any, error) {
	vals, _ := url.ParseQuery(string(c.body))
	d, err := s.clockStep(vals.Get("duration"))
	if err != nil {
		return nil, err
	}
	s.clock.Advance(d)
	loc := "/_mock/phone"
	if tok := c.r.URL.Query().Get("token"); tok != "" {
		loc += "?token=" + url.QueryEscape(tok)
	}
	return &reply{status: http.StatusSeeOther, header: http.Header{"Location": {loc}}, raw: []byte{}}, nil
}

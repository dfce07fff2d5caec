package mockprove

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"time"
)

// GET /_mock/phone: the virtual phone as a web page, for people. It lists
// the SMS outbox (newest first) with OTP codes and clickable Instant Links,
// shows the clock and offers buttons that move it. It refreshes itself.
// When a control token is set, pass it as ?token=… (the page keeps it in
// its own links).

var phoneTemplate = template.Must(template.New("phone").Funcs(template.FuncMap{
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="2"><title>mockprove virtual phone</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:1rem 1.5rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
h1{font-size:1.1rem;margin:0} main{max-width:46rem;margin:1.5rem auto;padding:0 1rem}
.sms{background:#fff;border-radius:12px;padding:1rem 1.25rem;margin-bottom:.75rem;box-shadow:0 1px 3px #0002}
.meta{font-size:.8rem;color:#5b6475;display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}
.code{font-size:1.6rem;letter-spacing:.3rem;font-weight:700} .expired{opacity:.55}
a.link{display:inline-block;margin-top:.5rem;background:#2457d6;color:#fff;padding:.5rem .9rem;border-radius:8px;text-decoration:none}
form{display:inline} button{font:inherit;padding:.35rem .7rem;border-radius:6px;border:1px solid #fff6;background:#fff1;color:#fff;cursor:pointer}
</style></head><body>
<header><h1>mockprove virtual phone</h1>
<div>clock {{clock .Now}} UTC{{if .Offset}} (+{{.Offset}}){{end}}
{{range .Steps}}<form method="post" action="/_mock/phone/advance{{$.Query}}"><input type="hidden" name="duration" value="{{.}}"><button>+{{.}}</button></form> {{end}}</div></header>
<main>
{{if not .Messages}}<p>No messages yet. Start a flow: OTP codes and Instant Links sent by mockprove appear here.</p>{{end}}
{{range .Messages}}<div class="sms{{if $.Now.After .ExpiresAt}} expired{{end}}">
<div class="meta"><span>to {{.Phone}} · {{.Kind}}</span><span>sent {{clock .SentAt}} · expires {{clock .ExpiresAt}}</span></div>
<p>{{.Body}}</p>
{{if .Code}}<div class="code" aria-label="one-time code">{{.Code}}</div>{{end}}
{{if .Link}}<a class="link" href="{{.Link}}" target="_blank" rel="noopener">Open the link</a>{{end}}
</div>{{end}}
</main></body></html>`))

// phonePage renders the page.
func (s *Server) phonePage(c *call) (any, error) {
	msgs := s.Outbox(SMSFilter{Phone: c.r.URL.Query().Get("phone")})
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	query := ""
	if tok := c.r.URL.Query().Get("token"); tok != "" {
		query = "?token=" + url.QueryEscape(tok)
	}
	var buf bytes.Buffer
	err := phoneTemplate.Execute(&buf, map[string]any{
		"Now": s.clock.Now(), "Offset": s.clock.Offset(), "Messages": msgs, "Query": query,
		"Steps": []string{"30s", "2m1s", "3m1s", "15m"},
	})
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, raw: buf.Bytes()}, nil
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

package mockprove_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// sse is one server-sent event, or a comment (event ":").
type sse struct{ event, data string }

// eventStream is an open GET /_mock/ui/events: one goroutine reads it and
// hands each event over; events is closed when the stream ends.
type eventStream struct {
	resp   *http.Response
	events chan sse
	cancel context.CancelFunc
}

// eventWait bounds the wait for an event: the streams of these specs poll
// every 20 ms (personas every 80 ms), so this only absorbs a loaded machine.
const eventWait = 5 * time.Second

var allChanged = sse{"change", `{"topics":["clock","sms","flows","journal","personas","faults","webhooks"]}`}

// openEvents opens the stream at path (with its query) and sends header.
func openEvents(s *mockprove.Server, path string, header map[string]string) *eventStream {
	GinkgoHelper()
	ctx, cancel := context.WithCancel(context.Background())
	DeferCleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+path, nil)
	Expect(err).NotTo(HaveOccurred())
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	st := &eventStream{resp: resp, events: make(chan sse, 64), cancel: cancel}
	if resp.StatusCode != http.StatusOK {
		close(st.events)
		return st
	}
	go func() {
		defer close(st.events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" {
					st.events <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, ":"):
				st.events <- sse{":", strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "event: "):
				ev.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return st
}

func (st *eventStream) body() string {
	GinkgoHelper()
	defer st.resp.Body.Close()
	b, err := io.ReadAll(st.resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

func changed(topics ...string) sse {
	return sse{"change", `{"topics":["` + strings.Join(topics, `","`) + `"]}`}
}

var _ = Describe("the dashboard", func() {
	const tok = "s3cret"
	var s *mockprove.Server
	bearer := map[string]string{"Authorization": "Bearer " + tok}

	BeforeEach(func() {
		DeferCleanup(mockprove.SetUITiming(20*time.Millisecond, time.Hour))
		s = testkit.Mock(GinkgoT(), mockprove.Options{ControlToken: tok})
	})

	get := func(path string, header map[string]string) (*http.Response, string) {
		GinkgoHelper()
		req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		Expect(err).NotTo(HaveOccurred())
		for k, v := range header {
			req.Header.Set(k, v)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		return resp, string(b)
	}

	Describe("GET /_mock/ui/events", func() {
		It("names every topic first, then the topics that changed", func() {
			st := openEvents(s, "/_mock/ui/events", bearer)
			Expect(st.resp.Header.Get("Content-Type")).To(Equal("text/event-stream; charset=utf-8"))
			Eventually(st.events, eventWait).Should(Receive(Equal(allChanged)))

			_, err := s.AddFault(mockprove.FaultSpec{Step: "/v3/start"})
			Expect(err).NotTo(HaveOccurred())
			Eventually(st.events, eventWait).Should(Receive(Equal(changed("faults"))))

			s.FastForward(time.Minute)
			Eventually(st.events, eventWait).Should(Receive(Equal(changed("clock"))))

			p, _ := s.Persona(testkit.Jordan)
			p.Name = "Jordan Renamed"
			_, err = s.SetPersona(p)
			Expect(err).NotTo(HaveOccurred())
			Eventually(st.events, eventWait).Should(Receive(Equal(changed("personas"))))

			resp, err := s.HTTPClient().PostForm(s.URL()+"/token", url.Values{"grant_type": {"client_credentials"},
				"client_id": {"identity-client"}, "client_secret": {"identity-secret"}})
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Eventually(st.events, eventWait).Should(Receive(Equal(changed("journal"))))

			Expect(s.SetWebhook("unify-client", "http://127.0.0.1:9/prove/events", "k")).To(Succeed())
			Eventually(st.events, eventWait).Should(Receive(Equal(changed("webhooks"))))

			s.Reset() // not atomic: the clock goes back first, so this may take two events
			seen := map[string]bool{}
			Eventually(func() map[string]bool {
				select {
				case ev := <-st.events:
					var m struct{ Topics []string }
					Expect(json.Unmarshal([]byte(ev.data), &m)).To(Succeed(), "event %+v", ev)
					for _, t := range m.Topics {
						seen[t] = true
					}
				default:
				}
				return seen
			}, eventWait).Should(Equal(map[string]bool{"clock": true, "journal": true, "personas": true, "faults": true, "webhooks": true}))
			Consistently(st.events, 100*time.Millisecond).ShouldNot(Receive(), "nothing changed since")
		})

		It("is guarded like the control API: a Bearer header or ?token=", func() {
			for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}} {
				st := openEvents(s, "/_mock/ui/events", h)
				Expect(st.resp.StatusCode).To(Equal(http.StatusUnauthorized))
				Expect(st.body()).To(MatchJSON(`{"code":8002,"message":"not authorized: the control API needs 'Authorization: Bearer <control token>'"}`))
			}
			Expect(openEvents(s, "/_mock/ui/events?token=wrong", nil).resp.StatusCode).To(Equal(http.StatusUnauthorized))
			st := openEvents(s, "/_mock/ui/events?token="+tok, nil)
			Expect(st.resp.StatusCode).To(Equal(http.StatusOK))
			Eventually(st.events, eventWait).Should(Receive(Equal(allChanged)))
		})

		It("refuses more than MaxUIStreams streams at once with 503, and takes one again when one ends", func() {
			DeferCleanup(mockprove.SetUITiming(time.Hour, time.Hour))
			open := make([]*eventStream, 0, mockprove.MaxUIStreams)
			for range mockprove.MaxUIStreams {
				st := openEvents(s, "/_mock/ui/events", bearer)
				Expect(st.resp.StatusCode).To(Equal(http.StatusOK))
				Eventually(st.events, eventWait).Should(Receive(Equal(allChanged)))
				open = append(open, st)
			}
			st := openEvents(s, "/_mock/ui/events", bearer)
			Expect(st.resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
			Expect(st.resp.Header.Get("Retry-After")).To(Equal("5"))
			Expect(st.body()).To(MatchJSON(`{"code":8000,"message":"too many dashboard event streams are open (at most 32): close a dashboard tab"}`))

			open[0].cancel()
			Eventually(func() int {
				st := openEvents(s, "/_mock/ui/events", bearer)
				if st.resp.StatusCode != http.StatusOK {
					st.resp.Body.Close()
				}
				return st.resp.StatusCode
			}, eventWait).Should(Equal(http.StatusOK))
		})

		It("sends heartbeats", func() {
			DeferCleanup(mockprove.SetUITiming(time.Hour, 10*time.Millisecond))
			st := openEvents(s, "/_mock/ui/events", bearer)
			Eventually(st.events, eventWait).Should(Receive(Equal(allChanged)))
			Eventually(st.events, eventWait).Should(Receive(Equal(sse{":", "heartbeat"})))
		})

		It("says bye and ends when the server closes, so that Close does not wait for it", func() {
			st := openEvents(s, "/_mock/ui/events", bearer)
			Eventually(st.events, eventWait).Should(Receive(Equal(allChanged)))
			Expect(s.Close()).To(Succeed())
			// Only the graceful end writes "bye": Close's forced path would cut the
			// connection after its 5 s timeout without it.
			Eventually(st.events, eventWait).Should(Receive(Equal(sse{"bye", "{}"})))
			Eventually(st.events, eventWait).Should(BeClosed())
		})
	})

	Describe("GET /_mock/ui/", func() {
		It("serves the page and its assets with the control token, and the token in the asset URLs", func() {
			resp, body := get("/_mock/ui/?token="+tok, nil)
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(resp.Header.Get("Content-Type")).To(Equal("text/html; charset=utf-8"))
			Expect(resp.Header.Get("Referrer-Policy")).To(Equal("no-referrer"))
			Expect(body).To(ContainSubstring(`<script type="module" src="app.js?token=` + tok + `"></script>`))

			resp, body = get("/_mock/ui/app.js", bearer)
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(resp.Header.Get("Content-Type")).To(Equal("text/javascript; charset=utf-8"))
			Expect(body).To(ContainSubstring("new EventSource("))
			resp, _ = get("/_mock/ui/app.css?token="+tok, nil)
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(resp.Header.Get("Content-Type")).To(Equal("text/css; charset=utf-8"))

			for _, path := range []string{"/_mock/ui/", "/_mock/ui/app.js", "/_mock/ui/app.css?token=wrong"} {
				resp, _ = get(path, nil)
				Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), path)
			}
		})

		It("escapes the token it puts in the page", func() {
			s := testkit.Mock(GinkgoT(), mockprove.Options{ControlToken: `a"b<c>`})
			req, _ := http.NewRequest(http.MethodGet, s.URL()+"/_mock/ui/?token="+url.QueryEscape(`a"b<c>`), nil)
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(string(b)).To(ContainSubstring(`src="app.js?token=a%22b%3cc%3e"`))
		})

		It("is where /_mock/ui and /_mock/phone lead", func() {
			resp, _ := get("/_mock/ui?token="+tok, nil)
			Expect(resp.StatusCode).To(Equal(http.StatusMovedPermanently))
			Expect(resp.Header.Get("Location")).To(Equal("/_mock/ui/?token=" + tok))
			resp, _ = get("/_mock/phone?phone=%2B12009990039", bearer)
			Expect(resp.StatusCode).To(Equal(http.StatusFound))
			Expect(resp.Header.Get("Location")).To(Equal("/_mock/ui/#/phone/2009990039"))
			resp, _ = get("/_mock/phone", nil)
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
		})

		It("is gone with the control API", func() {
			s := testkit.Mock(GinkgoT(), mockprove.Options{ControlDisabled: true})
			for _, path := range []string{"/_mock/ui/", "/_mock/ui/events", "/_mock/phone"} {
				resp, err := http.Get(s.URL() + path)
				Expect(err).NotTo(HaveOccurred())
				resp.Body.Close()
				Expect(resp.StatusCode).To(Equal(http.StatusNotFound), path)
			}
		})
	})
})

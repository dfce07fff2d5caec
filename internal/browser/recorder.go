package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Limits of what the recorder keeps.
const (
	maxLines   = 5000
	maxLineLen = 800
)

type recorderKey struct{}

// recorder collects what the browser says: console messages, exceptions,
// log entries, requests and WebSocket frames, and chromium's own output.
type recorder struct {
	mu      sync.Mutex
	start   time.Time
	buf     []string
	dropped int
	urls    map[network.RequestID]string
	repeats map[string]int // noisy messages: how often each was seen
}

func newRecorder() *recorder {
	return &recorder{start: time.Now(), urls: map[network.RequestID]string{}, repeats: map[string]int{}}
}

// noisy are messages that say nothing about the page: Chromium without a
// D-Bus, and chromedp's cdproto not knowing an enum value of a newer
// Chromium (the event is dropped; chromedp goes on). Each is kept once, then
// only counted.
var noisy = []string{"ERROR:dbus/", "could not unmarshal event"}

// once reports whether line is noise seen before (and counts it).
func (r *recorder) once(line string) bool {
	for _, n := range noisy {
		if i := strings.Index(line, n); i >= 0 {
			key := line[i:]
			if n == "ERROR:dbus/" {
				key = n
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			r.repeats[key]++
			return r.repeats[key] > 1
		}
	}
	return false
}

func (r *recorder) add(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if r.once(line) {
		return
	}
	if len(line) > maxLineLen {
		line = line[:maxLineLen] + "…"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) >= maxLines {
		r.dropped++
		return
	}
	r.buf = append(r.buf, fmt.Sprintf("%7.3fs %s", time.Since(r.start).Seconds(), line))
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.buf...)
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.buf, "\n")
	for key, n := range r.repeats {
		if n > 1 {
			s += fmt.Sprintf("\n(%d× %s)", n, key)
		}
	}
	if r.dropped > 0 {
		s += fmt.Sprintf("\n… %d more lines dropped", r.dropped)
	}
	return s
}

// logf adapts the recorder to chromedp's logging options.
func (r *recorder) logf(prefix string) func(string, ...any) {
	return func(format string, args ...any) {
		r.add("%s: %s", prefix, fmt.Sprintf(format, args...))
	}
}

// writer adapts the recorder to a process's output, one entry per line.
func (r *recorder) writer(prefix string) io.Writer {
	return &lineWriter{add: func(line string) { r.add("%s: %s", prefix, line) }}
}

type lineWriter struct {
	mu   sync.Mutex
	add  func(string)
	part []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(w.part[:i])); line != "" {
			w.add(line)
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

// listen subscribes to the tab's events.
func (r *recorder) listen(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			parts := make([]string, 0, len(e.Args))
			for _, a := range e.Args {
				parts = append(parts, remoteString(a))
			}
			r.add("console.%s: %s", e.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			r.add("EXCEPTION %s (%s:%d:%d)", msg, d.URL, d.LineNumber, d.ColumnNumber)
		case *cdplog.EventEntryAdded:
			r.add("log.%s [%s] %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL)
		case *network.EventRequestWillBeSent:
			r.mu.Lock()
			r.urls[e.RequestID] = e.Request.URL
			r.mu.Unlock()
			if !strings.HasPrefix(e.Request.URL, "data:") {
				r.add("→ %s %s", e.Request.Method, e.Request.URL)
			}
		case *network.EventResponseReceived:
			if !strings.HasPrefix(e.Response.URL, "data:") {
				r.add("← %d %s", e.Response.Status, e.Response.URL)
			}
		case *network.EventLoadingFailed:
			r.mu.Lock()
			u := r.urls[e.RequestID]
			r.mu.Unlock()
			cors := ""
			if e.CorsErrorStatus != nil {
				cors = fmt.Sprintf(" cors=%s %s", e.CorsErrorStatus.CorsError, e.CorsErrorStatus.FailedParameter)
			}
			r.add("✗ %s: %s%s canceled=%v", u, e.ErrorText, cors, e.Canceled)
		case *network.EventWebSocketCreated:
			r.add("ws open %s", e.URL)
		case *network.EventWebSocketFrameSent:
			r.add("ws → %s", e.Response.PayloadData)
		case *network.EventWebSocketFrameReceived:
			r.add("ws ← %s", e.Response.PayloadData)
		case *network.EventWebSocketFrameError:
			r.add("ws error %s", e.ErrorMessage)
		case *network.EventWebSocketClosed:
			r.add("ws closed")
		}
	})
}

// remoteString renders a console argument.
func remoteString(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	}
	if o.Description != "" {
		return o.Description
	}
	if o.UnserializableValue != "" {
		return string(o.UnserializableValue)
	}
	return string(o.Type)
}

// mobileEmulation makes the tab look like Chrome on a Pixel 8.
func mobileEmulation() chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := emulation.SetUserAgentOverride(MobileUserAgent).
			WithPlatform("Linux armv8l").
			WithAcceptLanguage("en-US").
			Do(ctx); err != nil {
			return fmt.Errorf("user agent override: %w", err)
		}
		if err := emulation.SetDeviceMetricsOverride(412, 915, 2.625, true).Do(ctx); err != nil {
			return fmt.Errorf("device metrics: %w", err)
		}
		return emulation.SetTouchEmulationEnabled(true).Do(ctx)
	})
}

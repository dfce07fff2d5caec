package cli

import (
	"io"
	"sync"
)

// logWriterLimit bounds the log bytes waiting to be written: beyond it, a
// request that logs waits for the writer, as it waited for stderr before.
const logWriterLimit = 256 << 10

// logWriter is what the binary's log handler writes to: each Write (one log
// line from log/slog) is copied to a buffer, and one goroutine writes the
// buffer to the real writer (stderr) outside every lock. Under load, slog's
// handler held its mutex for the whole write syscall, so requests queued
// behind each other's log lines, and behind any line whose thread the
// kernel descheduled mid-write; now they wait only for a copy. Lines keep
// the order in which slog wrote them; Close writes what is left.
type logWriter struct {
	w     io.Writer
	limit int

	mu      sync.Mutex
	data    *sync.Cond // for run: lines arrived, or closed
	room    *sync.Cond // for writers: run took the buffer, or closed
	buf     []byte     // lines not yet handed to w
	idle    bool       // run waits on data
	closed  bool
	waiting int // writers waiting for room (tests)
	done    chan struct{}
}

func newLogWriter(w io.Writer, limit int) *logWriter {
	l := &logWriter{w: w, limit: limit, done: make(chan struct{})}
	l.data, l.room = sync.NewCond(&l.mu), sync.NewCond(&l.mu)
	go l.run()
	return l
}

// Write queues p; it waits while more than the limit is queued.
func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	for len(l.buf) > 0 && len(l.buf)+len(p) > l.limit && !l.closed {
		l.waiting++
		l.room.Wait()
		l.waiting--
	}
	if l.closed { // after Close: straight through
		l.mu.Unlock()
		return l.w.Write(p)
	}
	l.buf = append(l.buf, p...)
	if l.idle {
		l.data.Signal()
	}
	l.mu.Unlock()
	return len(p), nil
}

// run hands the queued lines to w, a batch at a time.
func (l *logWriter) run() {
	defer close(l.done)
	var out []byte
	l.mu.Lock()
	for {
		for len(l.buf) == 0 && !l.closed {
			l.idle = true
			l.data.Wait()
			l.idle = false
		}
		if len(l.buf) == 0 { // closed, and everything written
			l.mu.Unlock()
			return
		}
		out, l.buf = l.buf, out[:0]
		if l.waiting > 0 {
			l.room.Broadcast()
		}
		l.mu.Unlock()
		_, _ = l.w.Write(out) // as before: slog's callers ignore write errors
		if cap(out) > 4*l.limit {
			out = nil // a burst's buffer is not kept
		}
		l.mu.Lock()
	}
}

// Close writes what is queued and returns once it is written.
func (l *logWriter) Close() error {
	l.mu.Lock()
	l.closed = true
	l.data.Broadcast()
	l.room.Broadcast()
	l.mu.Unlock()
	<-l.done
	return nil
}

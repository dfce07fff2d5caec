package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// conn is one keep-alive HTTP/1.1 client connection, the unit of the load
// generator. It writes requests itself and reads answers with
// http.ReadResponse: much less work per request than http.Transport, so that
// the generator, which shares the cores with the server, takes as little CPU
// as it can (wrk's role in the first measurements).
type conn struct {
	addr    string // host:port
	timeout time.Duration
	c       net.Conn
	r       *bufio.Reader
	buf     bytes.Buffer
	body    bytes.Buffer
}

// newConn is a connection to addr (host:port); it dials on first use.
func newConn(addr string, timeout time.Duration) *conn {
	return &conn{addr: addr, timeout: timeout}
}

// header is one request header.
type header struct{ k, v string }

// do sends one request and returns the status and body. The body slice is
// valid until the next call. On a transport error the connection is closed
// and dialled again by the next call.
func (c *conn) do(method, path string, headers []header, body []byte) (int, []byte, error) {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return 0, nil, err
		}
		c.c = nc
		c.r = bufio.NewReaderSize(nc, 16<<10)
	}
	c.buf.Reset()
	c.buf.WriteString(method)
	c.buf.WriteByte(' ')
	c.buf.WriteString(path)
	c.buf.WriteString(" HTTP/1.1\r\nHost: ")
	c.buf.WriteString(c.addr)
	c.buf.WriteString("\r\n")
	for _, h := range headers {
		c.buf.WriteString(h.k)
		c.buf.WriteString(": ")
		c.buf.WriteString(h.v)
		c.buf.WriteString("\r\n")
	}
	if body != nil || method == http.MethodPost || method == http.MethodPut {
		c.buf.WriteString("Content-Length: ")
		c.buf.WriteString(strconv.Itoa(len(body)))
		c.buf.WriteString("\r\n")
	}
	c.buf.WriteString("\r\n")
	c.buf.Write(body)
	if c.timeout > 0 {
		_ = c.c.SetDeadline(time.Now().Add(c.timeout))
	}
	if _, err := c.c.Write(c.buf.Bytes()); err != nil {
		c.close()
		return 0, nil, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.close()
		return 0, nil, err
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.close()
		return 0, nil, err
	}
	if resp.Close {
		c.close()
	}
	return resp.StatusCode, c.body.Bytes(), nil
}

// close drops the connection.
func (c *conn) close() {
	if c.c != nil {
		_ = c.c.Close()
		c.c, c.r = nil, nil
	}
}

// postJSON posts a JSON body with a bearer token.
func (c *conn) postJSON(path, bearer string, body []byte) (int, []byte, error) {
	return c.do(http.MethodPost, path, []header{
		{"Content-Type", "application/json"},
		{"Authorization", "Bearer " + bearer},
	}, body)
}

// statusError is an answer the driver did not expect.
type statusError struct {
	path   string
	status int
	body   string
}

func (e *statusError) Error() string {
	b := e.body
	if len(b) > 200 {
		b = b[:200] + "…"
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.path, e.status, b)
}

// expect returns a statusError unless status is want.
func expect(path string, status int, body []byte, err error, want int) error {
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if status != want {
		return &statusError{path: path, status: status, body: string(body)}
	}
	return nil
}

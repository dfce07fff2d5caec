package mockprove

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
)

// Who may reach the control API, and which origin goes into tokens and
// links. The control API hands out OTP codes and moves the clock: beyond
// this machine it needs a token, and a web page must not reach it through
// DNS rebinding (a name of the attacker's that resolves to 127.0.0.1, so
// that the browser sends the page's own name as Host).

// inMemoryKey marks requests of HTTPClient(), which no network can reach.
type inMemoryKey struct{}

// generateControlToken is Serve's token for a listener beyond loopback when
// none was configured (and Options.ControlOpen is not set).
func generateControlToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// ControlToken is the token the control API requires: Options.ControlToken,
// or the one Serve generated because the listener is reachable beyond this
// machine; "" when none is required.
func (s *Server) ControlToken() string {
	if p := s.ctlToken.Load(); p != nil {
		return *p
	}
	return s.opts.ControlToken
}

// loopbackListener says whether a listener only accepts local connections.
func loopbackListener(l net.Listener) bool {
	tcp, ok := l.Addr().(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// loopbackHost says whether a host (no port) names this machine's loopback.
func loopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// splitHost returns the host of a Host header, without port or brackets.
func splitHost(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// configuredHost says whether host is one of Options.AllowedHosts ("*" for
// any) or the host of Options.PublicURL.
func (s *Server) configuredHost(host string) bool {
	for _, h := range s.opts.AllowedHosts {
		if h == "*" || strings.EqualFold(strings.TrimSuffix(h, "."), strings.TrimSuffix(host, ".")) {
			return true
		}
	}
	return s.publicHost != "" && strings.EqualFold(host, s.publicHost)
}

// trustedHost says whether the request's Host may name the public origin:
// a request in memory, a loopback name, or a configured host.
func (s *Server) trustedHost(r *http.Request) bool {
	if r.Context().Value(inMemoryKey{}) != nil {
		return true
	}
	host := splitHost(r.Host)
	return loopbackHost(host) || s.configuredHost(host)
}

// localAddr is the address the request's connection arrived on, if any.
func localAddr(r *http.Request) (*net.TCPAddr, bool) {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	return a, ok && a != nil
}

// checkControlHost refuses /_mock/ requests whose Host is a DNS name that
// is neither a loopback name nor configured. IP addresses are accepted: a
// rebinding page makes the browser send the attacker's DNS name, never an
// address.
func (s *Server) checkControlHost(r *http.Request) error {
	if s.trustedHost(r) {
		return nil
	}
	host := splitHost(r.Host)
	if net.ParseIP(host) != nil {
		return nil
	}
	return newError(http.StatusForbidden, CodeUnauthorized,
		"host %q is not allowed to call the control API (DNS rebinding protection): use an IP address or localhost, or list the name in -allowed-hosts", host)
}

// requestOrigin is the public origin of a request when none is configured
// (a wildcard listener, or Handler() on a server of the caller's): the Host
// header when it is trusted, else the address the connection arrived on,
// never a name the client chose.
func (s *Server) requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if s.trustedHost(r) {
		return scheme + "://" + r.Host
	}
	if la, ok := localAddr(r); ok {
		return scheme + "://" + la.String()
	}
	return scheme + "://127.0.0.1"
}

// inMemory marks a request of HTTPClient().
func inMemory(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), inMemoryKey{}, true))
}

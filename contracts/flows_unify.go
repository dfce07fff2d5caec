package contracts

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The flow rules of Unified Authentication, per session (the correlationId
// of a /v3/unify): unify-status and unify-bind with a correlationId of a
// /v3/unify of the same client; unify-bind only after unify-status answered
// "possession_required"; no unify-bind once the session answered "true".

// Unify's operations.
const (
	pathUnify       = "/v3/unify"
	pathUnifyStatus = "/v3/unify-status"
	pathUnifyBind   = "/v3/unify-bind"
	pathRevoke      = "/v3/device/revoke"
)

// unifyState is what a session's answers taught.
type unifyState struct {
	id      string
	started time.Time
	caller  string // the client that opened it
	status  string // the last success unify-status or unify-bind answered ("" before any)
	from    string // the operation that answered it
	version int    // answers so far: a 4xx before one may be retried
}

// unifyOf finds the session a Unify status or bind request names, and its
// correlationId (which may be one the proxy never saw).
func (f *Flows) unifyOf(req *http.Request, body []byte) (*unifyState, string) {
	if req.Method != http.MethodPost || (req.URL.Path != pathUnifyStatus && req.URL.Path != pathUnifyBind) {
		return nil, ""
	}
	var b struct {
		CorrelationID string `json:"correlationId"`
	}
	if json.Unmarshal(body, &b) != nil || b.CorrelationID == "" {
		return nil, ""
	}
	return f.unify[b.CorrelationID], b.CorrelationID
}

// checkUnify adds the violations of a status or bind call of session s
// (nil: a session the proxy never saw, which is not judged).
func checkUnify(req *http.Request, s *unifyState, caller string, add func(where, rule, expected, got string)) {
	if s == nil {
		return
	}
	if otherClient(s.caller, caller) {
		add("request body correlationId", "unify.same-client", "a correlationId from a /v3/unify of the same client",
			"the correlationId of a /v3/unify by "+callerName(s.caller))
		return
	}
	if req.URL.Path != pathUnifyBind {
		return
	}
	switch s.status {
	case "possession_required":
	case "true":
		add("flow", "unify.bind-after-true", `no /v3/unify-bind once the session answered "true"`, s.from+` answered "true"`)
	case "":
		add("flow", "unify.bind-before-required", `/v3/unify-bind only after /v3/unify-status answered "possession_required"`, "no /v3/unify-status")
	default:
		add("flow", "unify.bind-before-required", `/v3/unify-bind only after /v3/unify-status answered "possession_required"`,
			s.from+" answered "+strconv.Quote(s.status))
	}
}

// otherClient reports whether two callers are surely different OAuth
// clients: both identified by the access token a /token answer gave them.
// An access token the proxy never saw issued (taken before it watched, or
// forgotten) may be the same client's renewed token, so it is not judged.
func otherClient(a, b string) bool {
	return a != b && strings.HasPrefix(a, "client ") && strings.HasPrefix(b, "client ")
}

// callerName names a caller in a report without its token.
func callerName(key string) string {
	kind, name, _ := strings.Cut(key, " ")
	switch kind {
	case "client":
		return "client " + name
	case "bearer":
		return "another access token"
	}
	return "another caller"
}

// checkSessionKind refuses a correlationId of the other kind: a /v3/start
// flow's at unify-status or unify-bind, a Unify session's at a /v3/start
// step (/v3/validate, /v3/challenge, /v3/complete).
func (f *Flows) checkSessionKind(req *http.Request, body []byte, fl *flowState, add func(where, rule, expected, got string)) {
	path := req.URL.Path
	switch {
	case (path == pathUnifyStatus || path == pathUnifyBind) && fl != nil:
		add("request body correlationId", "unify.session", "the correlationId of a /v3/unify", "the correlationId of a /v3/start flow")
	case steps[path] != "" && fl == nil:
		var b struct {
			CorrelationID string `json:"correlationId"`
		}
		if json.Unmarshal(body, &b) == nil && f.unify[b.CorrelationID] != nil {
			add("request body correlationId", "unify.session", "the correlationId of a /v3/start flow", "the correlationId of a /v3/unify session")
		}
	}
}

// learnUnify records a session's answer: a new session on /v3/unify, its
// status on unify-status and unify-bind.
func (f *Flows) learnUnify(req *http.Request, s *unifyState, caller string, body map[string]any, now time.Time) string {
	success, _ := body["success"].(string)
	switch req.URL.Path {
	case pathUnify:
		id, _ := body["correlationId"].(string)
		if id == "" {
			return ""
		}
		if _, known := f.unify[id]; !known {
			f.unifyOrder = append(f.unifyOrder, id)
		}
		f.unify[id] = &unifyState{id: id, started: now, caller: caller}
		for len(f.unify) > f.opts.MaxFlows && len(f.unifyOrder) > 0 {
			delete(f.unify, f.unifyOrder[0])
			f.unifyOrder = f.unifyOrder[1:]
		}
		return id
	case pathUnifyStatus, pathUnifyBind:
		if s == nil || success == "" || otherClient(s.caller, caller) {
			return ""
		}
		s.version++
		// A bind that answers "false" does not take back the
		// possession_required it followed.
		if req.URL.Path == pathUnifyBind && success != "true" {
			return ""
		}
		s.status, s.from = success, req.URL.Path
	}
	return ""
}

// expireUnify forgets the sessions older than FlowTTL.
func (f *Flows) expireUnify(now time.Time) {
	n := 0
	for _, id := range f.unifyOrder {
		s, ok := f.unify[id]
		if ok && now.Sub(s.started) < f.opts.FlowTTL {
			break
		}
		delete(f.unify, id)
		n++
	}
	f.unifyOrder = f.unifyOrder[n:]
}

package contracts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
)

// The steps of the scenarios of Prove's current suite: Verify, Identity
// Manager, ProveX and the webhooks of Identity Manager.

// Get sends a GET to a /v3 path (with its query) with the product's token.
func (x *X) Get(product, path string) *Resp {
	return x.Do(Request{Method: http.MethodGet, Path: path, Bearer: x.Token(product)})
}

// Delete sends a DELETE to a /v3 path with the product's token.
func (x *X) Delete(product, path string) *Resp {
	return x.Do(Request{Method: http.MethodDelete, Path: path, Bearer: x.Token(product)})
}

// VerifyBody is a /v3/verify body.
func VerifyBody(phone, verificationType string, extra ...any) map[string]any {
	return with(map[string]any{"phoneNumber": phone, "verificationType": verificationType}, extra)
}

// Verified posts /v3/verify and asserts 200 with success the string
// want ("true" or "false"), the number echoed and a correlationId.
func (x *X) Verified(body map[string]any, want string) *Resp {
	r := x.API(Unify, "/v3/verify", body)
	x.Status(r, http.StatusOK)
	x.cid = r.Str("correlationId")
	x.Field(r, "success", want)
	x.Field(r, "phoneNumber", body["phoneNumber"])
	x.Check(x.cid != "", r, "response body correlationId", "flow.field", "a correlationId", "nothing")
	return r
}

// ProveID is the proveId of a successful answer; the scenario fails
// without one.
func (x *X) ProveID(r *Resp, path string) string {
	id := r.Str(path)
	x.Check(id != "", r, "response body "+path, "flow.field", "a proveId", "nothing")
	return id
}

// Enrol enrols a phone number in Identity Manager and returns its proveId.
func (x *X) Enrol(phone string, extra ...any) string {
	r := x.API(Unify, "/v3/identity", with(map[string]any{"phoneNumber": phone}, extra))
	x.Status(r, http.StatusOK)
	x.Field(r, "success", true)
	return x.ProveID(r, "proveId")
}

// Identity reads an enrolled identity (GET /v3/identity/{proveId}).
func (x *X) Identity(proveID string) *Resp {
	r := x.Get(Unify, "/v3/identity/"+url.PathEscape(proveID))
	x.Status(r, http.StatusOK)
	x.Field(r, "proveId", proveID)
	return r
}

// ListAll pages through GET /v3/identity limit at a time, following
// lastKey, and returns every proveId listed (at most 1000 pages: a page
// beyond means the platform never stops).
func (x *X) ListAll(limit int, showInactive bool) map[string]bool {
	seen := map[string]bool{}
	key := ""
	for range 1000 {
		q := url.Values{"limit": {itoa(limit)}}
		if showInactive {
			q.Set("showInactive", "true")
		}
		if key != "" {
			q.Set("startKey", key)
		}
		r := x.Get(Unify, "/v3/identity?"+q.Encode())
		x.Status(r, http.StatusOK)
		page := r.List("results")
		x.Check(len(page) <= limit, r, "response body results", "identity.limit", "at most "+itoa(limit)+" identities", itoa(len(page)))
		for i := range page {
			seen[r.Str("results."+itoa(i)+".proveId")] = true
		}
		if key = r.Str("lastKey"); key == "" {
			return seen
		}
	}
	x.Fail("GET /v3/identity", "response body lastKey", "identity.lastKey", "a last page (no lastKey) within 1000 pages", "a lastKey on every page")
	return nil
}

// NotFound asserts Prove's 404 of an unknown id: code 8011.
func (x *X) NotFound(r *Resp) { x.Error(r, http.StatusNotFound, 8011) }

// Refused asserts that a client not provisioned for the operation's
// product gets 403 code 8009.
func (x *X) Refused(r *Resp) { x.Error(r, http.StatusForbidden, 8009) }

func itoa(n int) string { return short(n) }

// ---- webhooks ------------------------------------------------------------

// Delivery is one POST a webhook receiver got.
type Delivery struct {
	Header http.Header
	Body   []byte
}

// Receiver is a webhook receiver on loopback: it answers each POST with
// the next of its statuses (the last one repeats) and keeps what it got.
type Receiver struct {
	URL string

	mu       sync.Mutex
	statuses []int
	got      []Delivery
}

// Received is what the receiver got so far.
func (rc *Receiver) Received() []Delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Delivery(nil), rc.got...)
}

// Receiver starts a webhook receiver for the scenario (closed when it
// ends) answering with statuses in turn (default 200).
func (x *X) Receiver(statuses ...int) *Receiver {
	if len(statuses) == 0 {
		statuses = []int{http.StatusOK}
	}
	rc := &Receiver{statuses: statuses}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		rc.mu.Lock()
		rc.got = append(rc.got, Delivery{Header: r.Header.Clone(), Body: body})
		status := rc.statuses[min(len(rc.got), len(rc.statuses))-1]
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	rc.URL = srv.URL + "/prove-events"
	x.Cleanup(srv.Close)
	return rc
}

// Webhook points the client's webhook at url, signed with secret, and
// removes it when the scenario ends.
func (x *X) Webhook(clientID, url, secret string) {
	path := "/_mock/webhooks/" + clientID
	r := x.Do(Request{Method: http.MethodPut, Path: path, JSON: map[string]any{"url": url, "secret": secret}, Control: true})
	x.Status(r, http.StatusOK)
	x.Cleanup(func() { x.Do(Request{Method: http.MethodDelete, Path: path, Control: true}) })
}

// Event asks the control API for one Identity Manager event.
func (x *X) Event(clientID, proveID, eventType string) *Resp {
	return x.Do(Request{Method: http.MethodPost, Path: "/_mock/webhooks/events", Control: true,
		JSON: map[string]any{"client": clientID, "proveId": proveID, "type": eventType}})
}

// hs256Claims checks a JWT's HS256 signature with secret and decodes its
// claims; ok is false when the header, the signature or the claims are
// wrong.
func hs256Claims(token, secret string, claims any) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	var head struct {
		Alg string `json:"alg"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &head) != nil || head.Alg != "HS256" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return false
	}
	return jwtClaims(token, claims)
}

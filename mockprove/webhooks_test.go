package mockprove_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// receiver is a team's webhook endpoint: it records what it gets and
// answers the statuses it is given, one per request (then 200).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []*http.Request
	bodies   [][]byte
	block    chan struct{} // when not nil, every request waits for it
}

func newReceiver(statuses ...int) *receiver {
	rc := &receiver{statuses: statuses}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, r)
		rc.bodies = append(rc.bodies, body)
		status, block := http.StatusOK, rc.block
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		rc.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(status)
	}))
	DeferCleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() ([]*http.Request, [][]byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*http.Request(nil), rc.got...), append([][]byte(nil), rc.bodies...)
}

// hs256Claims checks an HS256 JWT with secret and returns its claims.
func hs256Claims(token, secret string) map[string]any {
	GinkgoHelper()
	parts := strings.Split(token, ".")
	Expect(parts).To(HaveLen(3))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	Expect(base64.RawURLEncoding.EncodeToString(mac.Sum(nil))).To(Equal(parts[2]), "signed with the client's webhook secret")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	Expect(err).NotTo(HaveOccurred())
	var claims map[string]any
	Expect(json.Unmarshal(raw, &claims)).To(Succeed())
	return claims
}

var _ = Describe("Identity Manager webhooks", func() {
	var (
		c   *client
		rc  *receiver
		pid string
	)
	// A receiver that answers gets far more time than it needs; the one that
	// must time out never answers (no race between the two).
	opts := mockprove.Options{WebhookRetryDelay: time.Millisecond, WebhookTimeout: 30 * time.Second}

	enrolMerla := func() string {
		GinkgoHelper()
		r := c.post("/v3/identity", map[string]any{"phoneNumber": mockprove.PhoneMerlaSchumacher, "clientCustomerId": "cust-9"})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		return r.Str("proveId")
	}
	trigger := func(typ string) (mockprove.WebhookDelivery, error) {
		return c.srv.TriggerWebhook(context.Background(), mockprove.WebhookEvent{Client: unifyID, ProveID: pid, Type: typ})
	}

	BeforeEach(func() {
		c = inMemory(opts).login(unifyID, unifySecret)
		pid = enrolMerla()
	})

	It("posts a signed JSON array of events to the client's webhook", func() {
		rc = newReceiver()
		Expect(c.srv.SetWebhook(unifyID, rc.URL+"/prove/events", "s3cret")).To(Succeed())
		d, err := trigger(mockprove.EventPhoneNumberChange)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Delivered).To(BeTrue())
		Expect(d.Attempts).To(HaveLen(1))
		reqs, bodies := rc.requests()
		Expect(reqs).To(HaveLen(1))
		Expect(reqs[0].URL.Path).To(Equal("/prove/events"))
		Expect(reqs[0].Header.Get("X-Correlation-ID")).To(Equal(d.ID))
		auth := reqs[0].Header.Get("X-Prove-Authorization")
		Expect(auth).To(HavePrefix("Bearer "))
		claims := hs256Claims(strings.TrimPrefix(auth, "Bearer "), "s3cret")
		Expect(claims).To(HaveKeyWithValue("iss", "Prove Identity"))
		var events []map[string]any
		Expect(json.Unmarshal(bodies[0], &events)).To(Succeed())
		Expect(events).To(ConsistOf(And(HaveKeyWithValue("type", "PHONE_NUMBER_CHANGE"), HaveKeyWithValue("proveId", pid),
			HaveKeyWithValue("clientCustomerId", "cust-9"), HaveKeyWithValue("phoneNumber", mockprove.PhoneMerlaSchumacher),
			HaveKey("id"), HaveKey("description"), HaveKey("sentAt"))))
		Expect(c.srv.Journal(mockprove.JournalFilter{Step: "webhook"})).To(ConsistOf(HaveField("Status", 200)))
	})

	It("retries a failing receiver, three attempts in all", func() {
		rc = newReceiver(http.StatusInternalServerError, http.StatusServiceUnavailable)
		Expect(c.srv.SetWebhook(unifyID, rc.URL, "k")).To(Succeed())
		d, err := trigger(mockprove.EventPort)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Delivered).To(BeTrue())
		Expect(d.Attempts).To(HaveLen(3))
		Expect([]int{d.Attempts[0].Status, d.Attempts[1].Status, d.Attempts[2].Status}).To(Equal([]int{500, 503, 200}))

		rc2 := newReceiver(500, 500, 500, 500)
		Expect(c.srv.SetWebhook(unifyID, rc2.URL, "k")).To(Succeed())
		d2, err := trigger(mockprove.EventLineTypeChange)
		Expect(err).NotTo(HaveOccurred())
		Expect(d2.Delivered).To(BeFalse())
		Expect(d2.Attempts).To(HaveLen(3), "no fourth attempt")
		Expect(c.srv.WebhookDeliveries()).To(HaveLen(2))
	})

	It("gives up on a receiver that does not answer in time", func() {
		rc = newReceiver()
		rc.block = make(chan struct{})
		DeferCleanup(func() { close(rc.block) })
		o := opts
		o.WebhookTimeout = 50 * time.Millisecond
		c = inMemory(o).login(unifyID, unifySecret)
		pid = enrolMerla()
		Expect(c.srv.SetWebhook(unifyID, rc.URL, "k")).To(Succeed())
		d, err := trigger(mockprove.EventPort)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Delivered).To(BeFalse())
		Expect(d.Attempts).To(HaveLen(3))
		Expect(d.Attempts[0].Error).NotTo(BeEmpty())
	})

	It("stops the events of a disconnected identity", func() {
		rc = newReceiver()
		Expect(c.srv.SetWebhook(unifyID, rc.URL, "k")).To(Succeed())
		_, err := trigger(mockprove.EventDisconnect)
		Expect(err).NotTo(HaveOccurred())
		_, err = trigger(mockprove.EventPort)
		Expect(err).To(MatchError(ContainSubstring("deactivated")))
	})

	It("works over the control API and refuses what it cannot send", func() {
		rc = newReceiver()
		put := c.send(http.MethodPut, "/_mock/webhooks/"+unifyID, "application/json", `{"url":"`+rc.URL+`","secret":"k"}`)
		Expect(put.Status).To(Equal(http.StatusOK), string(put.Raw))
		Expect(c.send(http.MethodGet, "/_mock/webhooks", "", "").Body).To(HaveKeyWithValue(unifyID, rc.URL))
		ev := c.send(http.MethodPost, "/_mock/webhooks/events", "application/json",
			`{"client":"`+unifyID+`","phoneNumber":"`+mockprove.PhoneMerlaSchumacher+`","type":"PORT"}`)
		Expect(ev.Status).To(Equal(http.StatusOK), string(ev.Raw))
		Expect(ev.Body).To(HaveKeyWithValue("delivered", true))
		Expect(c.send(http.MethodGet, "/_mock/webhooks/deliveries", "", "").Raw).To(ContainSubstring(`"type":"PORT"`))

		expectError(c.send(http.MethodPost, "/_mock/webhooks/events", "application/json", `{"client":"`+unifyID+`","proveId":"`+pid+`","type":"HACKED"}`),
			http.StatusBadRequest, mockprove.CodeMalformed, "field 'type' must be one of")
		expectError(c.send(http.MethodPost, "/_mock/webhooks/events", "application/json", `{"client":"`+unifyID+`","proveId":"nope","type":"PORT"}`),
			http.StatusNotFound, mockprove.CodeIdentityNotFound, "")
		expectError(c.send(http.MethodPost, "/_mock/webhooks/events", "application/json", `{"client":"prefill-client","proveId":"`+pid+`","type":"PORT"}`),
			http.StatusBadRequest, mockprove.CodeMalformed, "has no webhook")
		expectError(c.send(http.MethodPut, "/_mock/webhooks/"+unifyID, "application/json", `{"url":"ftp://x","secret":"k"}`),
			http.StatusBadRequest, mockprove.CodeMalformed, "field 'url'")
		expectError(c.send(http.MethodPut, "/_mock/webhooks/"+unifyID, "application/json", `{"url":"http://x.test"}`),
			http.StatusBadRequest, mockprove.CodeMalformed, "field 'secret' is missing")
		expectError(c.send(http.MethodPut, "/_mock/webhooks/nobody", "application/json", `{"url":"http://x.test","secret":"k"}`),
			http.StatusNotFound, mockprove.CodeMalformed, "no client nobody")
		Expect(c.send(http.MethodDelete, "/_mock/webhooks/"+unifyID, "", "").Status).To(Equal(http.StatusNoContent))
		Expect(c.srv.Webhooks()).To(BeEmpty())
	})

	It("takes a webhook from the clients and refuses one without a secret", func() {
		rc = newReceiver()
		s := newServer(mockprove.Options{Clients: []mockprove.Client{
			{ID: "suite", Secret: "x", Products: mockprove.SuiteProducts, WebhookURL: rc.URL, WebhookSecret: "k"}}})
		Expect(s.Webhooks()).To(HaveKeyWithValue("suite", rc.URL))
		_, err := mockprove.New(mockprove.Options{Clients: []mockprove.Client{
			{ID: "suite", Secret: "x", Products: mockprove.SuiteProducts, WebhookURL: rc.URL}}})
		Expect(err).To(MatchError(ContainSubstring("needs a webhookSecret")))
	})
})

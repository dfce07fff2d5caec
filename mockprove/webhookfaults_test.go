package mockprove_test

import (
	"context"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// Faults on step "webhook" play the receiver of Identity Manager webhook
// deliveries. Real-time waits are options shortened here, and never raced
// against a timeout of similar size: a receiver that must answer gets 30 s
// for a 20 ms delay; one that must time out gets a 50 ms timeout against a
// delay of a minute, which mockprove compares, never waits out.
var _ = Describe("Webhook delivery faults", func() {
	var (
		c   *client
		rc  *receiver
		pid string
	)
	opts := mockprove.Options{WebhookRetryDelay: time.Millisecond, WebhookTimeout: 30 * time.Second}

	setup := func(o mockprove.Options) {
		GinkgoHelper()
		c = inMemory(o).login(unifyID, unifySecret)
		r := c.post("/v3/identity", map[string]any{"phoneNumber": mockprove.PhoneMerlaSchumacher})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		pid = r.Str("proveId")
		rc = newReceiver()
		Expect(c.srv.SetWebhook(unifyID, rc.URL, "k")).To(Succeed())
	}
	trigger := func() mockprove.WebhookDelivery {
		GinkgoHelper()
		d, err := c.srv.TriggerWebhook(context.Background(), mockprove.WebhookEvent{Client: unifyID, ProveID: pid, Type: mockprove.EventPort})
		Expect(err).NotTo(HaveOccurred())
		return d
	}
	received := func() int {
		reqs, _ := rc.requests()
		return len(reqs)
	}
	journaled := func() []mockprove.JournalEntry {
		return c.srv.Journal(mockprove.JournalFilter{Step: mockprove.StepWebhook})
	}

	It("retries past a receiver that fails twice, and journals each attempt with the fault", func() {
		setup(opts)
		f, err := c.srv.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Status: http.StatusServiceUnavailable, Count: 2})
		Expect(err).NotTo(HaveOccurred())
		d := trigger()
		Expect(d.Delivered).To(BeTrue())
		Expect(d.Attempts).To(HaveLen(3))
		Expect([]int{d.Attempts[0].Status, d.Attempts[1].Status, d.Attempts[2].Status}).To(Equal([]int{503, 503, 200}))
		Expect([]string{d.Attempts[0].Fault, d.Attempts[1].Fault, d.Attempts[2].Fault}).To(Equal([]string{f.ID, f.ID, ""}))
		Expect(received()).To(Equal(1), "the faulted attempts never reach the receiver")
		Expect(c.srv.Faults()).To(BeEmpty(), "a fault of count 2 is spent")

		j := journaled()
		Expect(j).To(HaveLen(3))
		for i, want := range []struct {
			status      int
			rule, fault string
		}{{503, "fault:" + f.ID, f.ID}, {503, "fault:" + f.ID, f.ID}, {200, "webhook.status:200", ""}} {
			Expect(j[i].Status).To(Equal(want.status), "attempt %d", i+1)
			Expect(j[i].Rule).To(Equal(want.rule), "attempt %d", i+1)
			Expect(j[i].Fault).To(Equal(want.fault), "attempt %d", i+1)
			Expect(j[i].CorrelationID).To(Equal(d.ID))
		}
	})

	It("gives up after three attempts on a receiver that resets every connection", func() {
		setup(opts)
		f, err := c.srv.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Kind: mockprove.FaultReset})
		Expect(err).NotTo(HaveOccurred())
		d := trigger()
		Expect(d.Delivered).To(BeFalse())
		Expect(d.Attempts).To(HaveLen(3), "no fourth attempt")
		for _, a := range d.Attempts {
			Expect(a.Status).To(BeZero())
			Expect(a.Error).To(ContainSubstring("reset the connection (injected fault " + f.ID + ")"))
		}
		Expect(received()).To(BeZero())
		Expect(c.srv.Faults()).To(ConsistOf(HaveField("Hits", 3)))
		Expect(journaled()).To(HaveEach(And(HaveField("Status", 0), HaveField("Fault", f.ID))))
	})

	It("counts a dropped connection as a failed attempt and retries", func() {
		setup(opts)
		_, err := c.srv.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Kind: mockprove.FaultDrop, Count: 1})
		Expect(err).NotTo(HaveOccurred())
		d := trigger()
		Expect(d.Delivered).To(BeTrue())
		Expect(d.Attempts).To(HaveLen(2))
		Expect(d.Attempts[0].Error).To(ContainSubstring("closed the connection after a partial answer"))
		Expect(d.Attempts[1].Status).To(Equal(http.StatusOK))
		Expect(received()).To(Equal(1))
	})

	It("delivers through a slow receiver that answers within the timeout", func() {
		setup(opts)
		f, err := c.srv.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Kind: mockprove.FaultDelay, Delay: "20ms", Count: 1})
		Expect(err).NotTo(HaveOccurred())
		d := trigger()
		Expect(d.Delivered).To(BeTrue())
		Expect(d.Attempts).To(HaveLen(1))
		Expect(d.Attempts[0].Status).To(Equal(http.StatusOK))
		Expect(d.Attempts[0].Fault).To(Equal(f.ID))
		Expect(d.Attempts[0].DurationMs).To(BeNumerically(">=", 20))
		Expect(received()).To(Equal(1))
	})

	It("times a receiver slower than the timeout out, without waiting for its delay", func() {
		o := opts
		o.WebhookTimeout = 50 * time.Millisecond
		setup(o)
		f, err := c.srv.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Kind: mockprove.FaultDelay, Delay: "1m"})
		Expect(err).NotTo(HaveOccurred())
		d := trigger()
		Expect(d.Delivered).To(BeFalse())
		Expect(d.Attempts).To(HaveLen(3))
		for _, a := range d.Attempts {
			Expect(a.Error).To(ContainSubstring("timeout: the receiver did not answer within 50ms (injected delay 1m0s, fault " + f.ID + ")"))
			Expect(a.DurationMs).To(BeNumerically(">=", 50))
			Expect(a.DurationMs).To(BeNumerically("<", 60_000), "the minute is never waited out")
		}
		Expect(received()).To(BeZero())
	})

	It("applies only to the client and the identity's number it names", func() {
		setup(opts)
		_, err := c.srv.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Persona: mockprove.PhoneJaimieBeddo})
		Expect(err).NotTo(HaveOccurred())
		_, err = c.srv.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Client: identityID})
		Expect(err).NotTo(HaveOccurred())
		d := trigger()
		Expect(d.Delivered).To(BeTrue())
		Expect(d.Attempts).To(HaveLen(1))
		Expect(d.Attempts[0].Fault).To(BeEmpty())
		Expect(c.srv.Faults()).To(HaveEach(HaveField("Hits", 0)))

		_, err = c.srv.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Persona: mockprove.PhoneMerlaSchumacher, Client: unifyID, Count: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(trigger().Attempts).To(HaveLen(2))
	})

	It("works over the control API and refuses what does not apply to a receiver", func() {
		setup(opts)
		r := c.send(http.MethodPost, "/_mock/faults", "application/json", `{"step":"webhook","status":500,"count":1}`)
		Expect(r.Status).To(Equal(http.StatusCreated), string(r.Raw))
		ev := c.send(http.MethodPost, "/_mock/webhooks/events", "application/json",
			`{"client":"`+unifyID+`","proveId":"`+pid+`","type":"PORT"}`)
		Expect(ev.Status).To(Equal(http.StatusOK), string(ev.Raw))
		Expect(ev.Body).To(HaveKeyWithValue("delivered", true))
		Expect(ev.Body["attempts"]).To(HaveLen(2))
		Expect(ev.Body["attempts"].([]any)[0]).To(And(HaveKeyWithValue("status", 500.0), HaveKeyWithValue("fault", r.Str("id"))))

		expectError(c.send(http.MethodPost, "/_mock/faults", "application/json", `{"step":"webhook","kind":"malformed"}`),
			http.StatusBadRequest, mockprove.CodeMalformed, "field 'kind' malformed does not apply to step webhook")
		expectError(c.send(http.MethodPost, "/_mock/faults", "application/json", `{"step":"webhook","status":503,"code":8000}`),
			http.StatusBadRequest, mockprove.CodeMalformed, "fields 'code' and 'message' do not apply to step webhook")
		expectError(c.send(http.MethodPost, "/_mock/faults", "application/json", `{"step":"webhook","kind":"ws-close"}`),
			http.StatusBadRequest, mockprove.CodeMalformed, "ws-close only applies to step /v1/client/status")
	})
})

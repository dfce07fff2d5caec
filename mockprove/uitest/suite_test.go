package uitest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// The views of Prove's current suite: webhooks, Prove Keys, and Unify and
// possession-era Verify sessions among the flows.

const (
	unifyClient = "unify-client"
	unifySecret = "unify-secret"
)

// receiver is a team's webhook endpoint: it keeps the event types it got.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	types []string
}

func newReceiver() *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var events []struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(body, &events)
		rc.mu.Lock()
		for _, ev := range events {
			rc.types = append(rc.types, ev.Type)
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	DeferCleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.types...)
}

// as calls the server API with a client's access token.
func (e *env) as(bearer, path string, body any) answer {
	GinkgoHelper()
	return e.post(path, map[string]string{"Authorization": "Bearer " + bearer}, body)
}

// unify opens a mobile Unify session as unify-client and returns its correlationId and authToken.
func (e *env) unify(bearer, phone string) (id, token string) {
	GinkgoHelper()
	res := e.as(bearer, "/v3/unify", map[string]any{"possessionType": "mobile", "clientRequestId": "req-1", "phoneNumber": phone})
	Expect(res.status).To(Equal(http.StatusOK), string(res.raw))
	m := res.json()
	Expect(m).To(HaveKeyWithValue("success", "pending"))
	id, _ = m["correlationId"].(string)
	token, _ = m["authToken"].(string)
	return id, token
}

// keyRow is one row of the Prove Keys view: device, phone, proveId, client, state and why.
func keyRow(deviceID string) string {
	return `(() => { const tr = [...document.querySelectorAll('#keys-body tr')].find(tr => tr.querySelector('.c-device').textContent === ` + jsString(deviceID) + `);
		return tr ? ['.c-phone', '.c-prove', '.c-client', '.c-state', '.c-why'].map(s => tr.querySelector(s).textContent).join(' | ') : 'missing' })()`
}

var _ = Describe("the dashboard's suite views", func() {
	Describe("webhooks", func() {
		It("sets a client's webhook and triggers an event from the forms; the deliveries appear live", func() {
			// Retries wait 1 ms (real time): the fault below costs one retry.
			e := newEnv(mockprove.Options{WebhookRetryDelay: time.Millisecond})
			rc := newReceiver()
			unify := e.accessToken(unifyClient, unifySecret)
			e.open("webhooks")
			e.waitFor(`document.querySelector('#wh-empty').hidden`, BeFalse())
			e.waitFor(`document.querySelector('#deliveries-empty').hidden`, BeFalse())
			e.waitFor(`document.querySelector('#ev-send').disabled`, BeTrue()) // nobody enrolled yet
			e.waitFor(`[...document.querySelectorAll('#view-webhooks input, #view-webhooks select')]
				.filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.id)`, BeEmpty())

			By("naming the field the API refuses")
			e.typeInto("#wh-client", unifyClient)
			e.typeInto("#wh-url", "ftp://127.0.0.1/events")
			e.typeInto("#wh-secret", "s3cret")
			e.click("#wh-save")
			e.waitFor(`document.querySelector('#wh-url-err').textContent`, ContainSubstring("field 'url'"))
			e.waitFor(`document.querySelector('#wh-url').getAttribute('aria-invalid')`, Equal("true"))
			e.waitFor(`document.activeElement.id`, Equal("wh-url"))
			e.typeInto("#wh-url", rc.URL+"/prove/events")
			e.run(chromedpClear("#wh-secret"))
			e.click("#wh-save")
			e.waitFor(`document.querySelector('#wh-secret-err').textContent`, ContainSubstring("field 'secret' is missing"))
			e.typeInto("#wh-client", "nobody")
			e.typeInto("#wh-secret", "s3cret")
			e.click("#wh-save")
			e.waitFor(`document.querySelector('#wh-client-err').textContent`, ContainSubstring("no client nobody"))
			Expect(e.s.Webhooks()).To(BeEmpty())

			e.typeInto("#wh-client", unifyClient)
			e.typeInto("#wh-secret", "s3cret")
			e.click("#wh-save")
			e.waitFor(texts("#wh-body td:nth-child(-n+2)"), Equal([]any{unifyClient, rc.URL + "/prove/events"}))
			Expect(e.s.Webhooks()).To(HaveKeyWithValue(unifyClient, rc.URL+"/prove/events"))

			By("offering the identities enrolled meanwhile, live")
			res := e.as(unify, "/v3/identity", map[string]any{"phoneNumber": mockprove.PhoneMerlaSchumacher, "clientCustomerId": "cust-9"})
			Expect(res.status).To(Equal(http.StatusOK), string(res.raw))
			proveID, _ := res.json()["proveId"].(string)
			e.waitFor(`document.querySelector('#ev-client').value`, Equal(unifyClient))
			e.waitFor(`document.querySelector('#ev-identity').value`, Equal(proveID))
			e.waitFor(`document.querySelector('#ev-send').disabled`, BeFalse())

			By("triggering an event from the form, with the keyboard")
			e.choose("#ev-type", mockprove.EventPort)
			e.run(chromedp.Focus("#ev-send", chromedp.ByQuery), chromedp.KeyEvent("\r"))
			e.waitFor(texts("#deliveries-list .c-type"), Equal([]any{"PORT"}))
			e.waitFor(texts("#deliveries-list .c-delivered"), Equal([]any{"Delivered"}))
			e.waitFor(texts("#deliveries-list .c-status"), Equal([]any{"200"}))
			Expect(rc.got()).To(Equal([]string{"PORT"}))

			By("showing a delivery triggered elsewhere, live")
			_, err := e.s.TriggerWebhook(context.Background(), mockprove.WebhookEvent{Client: unifyClient, PhoneNumber: mockprove.PhoneMerlaSchumacher, Type: mockprove.EventLineTypeChange})
			Expect(err).NotTo(HaveOccurred())
			e.waitFor(texts("#deliveries-list .c-type"), Equal([]any{"LINE_TYPE_CHANGE", "PORT"})) // newest first

			By("showing each attempt, with the fault that played a failing receiver")
			f, err := e.s.AddFault(mockprove.FaultSpec{Step: mockprove.StepWebhook, Kind: mockprove.FaultStatus, Status: 503, Count: 1})
			Expect(err).NotTo(HaveOccurred())
			e.choose("#ev-type", mockprove.EventDisconnect)
			e.click("#ev-send")
			e.waitFor(texts("#deliveries-list .c-type"), Equal([]any{"DISCONNECT", "LINE_TYPE_CHANGE", "PORT"}))
			e.waitFor(texts("#deliveries-list li:first-child .c-status"), Equal([]any{"503", "200"}))
			e.waitFor(texts("#deliveries-list li:first-child .c-fault"), Equal([]any{f.ID, "—"}))
			Expect(rc.got()).To(Equal([]string{"PORT", "LINE_TYPE_CHANGE", "DISCONNECT"}), "the faulted attempt never reached the receiver")

			By("marking the disconnected identity deactivated: it cannot be picked any more")
			e.waitFor(`[...document.querySelectorAll('#ev-identity option')].map(o => [o.textContent, o.disabled])`,
				Equal([]any{[]any{"No active identity of this client", false}, []any{mockprove.PhoneMerlaSchumacher + " · " + proveID[:8] + "… · cust-9 (deactivated)", true}}))
			e.waitFor(`document.querySelector('#ev-identity').value`, Equal(""))
			e.notReloaded()
			e.shotOf("dashboard-webhooks.png", "#ev-title")
			e.click("#ev-send")
			e.waitFor(`document.querySelector('#ev-identity-err').textContent`, ContainSubstring("field 'proveId' is missing"))
			Expect(e.s.WebhookDeliveries()).To(HaveLen(3))

			By("removing the webhook")
			e.click(`#wh-body button`)
			e.waitFor(`document.querySelector('#wh-empty').hidden`, BeFalse())
			Expect(e.s.Webhooks()).To(BeEmpty())
		})
	})

	Describe("Prove Keys", func() {
		It("shows the key a Unify flow placed, recognised on the next run, then inactive after a revoke", func() {
			e := newEnv()
			unify := e.accessToken(unifyClient, unifySecret)
			e.open("keys")
			e.waitFor(`document.querySelector('#keys-empty').hidden`, BeFalse())

			By("registering the key in the SDK's key step: pending")
			id1, token := e.unify(unify, mockprove.PhoneLaneyDyball)
			k, err := mockprove.NewDeviceKey()
			Expect(err).NotTo(HaveOccurred())
			a, err := e.s.RunProveKey(token, k)
			Expect(err).NotTo(HaveOccurred())
			Expect(a.Next).To(Equal("mobile/otp"), a.String())
			e.waitFor(keyRow(k.DeviceID), Equal("— | — | unify-client | pending | until its session's possession check passes"))

			By("binding it when the OTP passes: active, with the number and proveId")
			Expect(e.s.PassOTP(token)).To(Succeed())
			status := e.as(unify, "/v3/unify-status", map[string]any{"correlationId": id1})
			Expect(status.json()).To(HaveKeyWithValue("success", "true"))
			proveID, _ := status.json()["proveId"].(string)
			Expect(proveID).NotTo(BeEmpty())
			e.waitFor(keyRow(k.DeviceID), Equal(mockprove.PhoneLaneyDyball+" | "+proveID+" | unify-client | active | "))

			By("recognising it on the next run, without an SMS")
			id2, token2 := e.unify(unify, mockprove.PhoneLaneyDyball)
			a, err = e.s.RunProveKey(token2, k)
			Expect(err).NotTo(HaveOccurred())
			Expect(a.Done()).To(BeTrue(), a.String())

			By("turning inactive after /v3/device/revoke, live")
			res := e.as(unify, "/v3/device/revoke", map[string]any{"clientRequestId": "r-2", "deviceId": k.DeviceID})
			Expect(res.status).To(Equal(http.StatusOK), string(res.raw))
			revoked := k.DeviceID
			e.waitFor(keyRow(revoked), MatchRegexp(`^`+mockprove.PhoneLaneyDyball+` \| .* \| unify-client \| inactive \| revoked 2026-03-02 09:30:00 UTC$`))
			e.notReloaded()

			By("placing a new key on the next run: the revoked one is not recognised")
			_, token3 := e.unify(unify, mockprove.PhoneLaneyDyball)
			a, err = e.s.RunProveKey(token3, k) // 10006: the SDK wipes its key and registers a new one
			Expect(err).NotTo(HaveOccurred())
			Expect(a.Next).To(Equal("mobile/otp"), a.String())
			Expect(k.DeviceID).NotTo(Equal(revoked))
			Expect(e.s.PassOTP(token3)).To(Succeed())
			e.waitFor(keyRow(k.DeviceID), Equal(mockprove.PhoneLaneyDyball+" | "+proveID+" | unify-client | active | "))
			e.waitFor(`[...document.querySelectorAll('#keys-body .c-device')].map(el => el.textContent)`, Equal([]any{k.DeviceID, revoked})) // newest first
			e.shot("dashboard-keys.png")

			By("showing the Unify sessions among the flows: product unify, possessionType mobile, passed by the Prove Key")
			e.click(`nav a[href="#/flows"]`)
			e.waitFor(flowRows, ConsistOf(
				"unify /v3/unify mobile possessionType completed", // unify-status answered "true"
				"unify /v3/unify mobile possessionType started",   // recognised by its key, no status asked yet
				"unify /v3/unify mobile possessionType started"))  // OTP passed after the revoke, no status asked yet
			e.goTo("flows/" + id2)
			e.waitFor(`[...document.querySelectorAll('#flow-summary dt')].map(dt => dt.textContent + ': ' + dt.nextElementSibling.textContent)`,
				ContainElements("Product: unify (/v3/unify)", "Possession type: mobile", "Possession: Prove Key · passed"))
			e.waitFor(texts("#flow-timeline li.possession"), ContainElement(ContainSubstring("possession: key-verified")))
			e.goTo("flows/" + id1)
			e.waitFor(`[...document.querySelectorAll('#flow-summary dt')].map(dt => dt.textContent + ': ' + dt.nextElementSibling.textContent)`,
				ContainElement("Possession: OTP · passed"))
		})

		It("shows a possession-era Verify session as product verify with its possessionType", func() {
			e := newEnv()
			unify := e.accessToken(unifyClient, unifySecret)
			res := e.as(unify, "/v3/verify", map[string]any{"phoneNumber": mockprove.PhoneElenaColdman, "possessionType": "mobile",
				"firstName": "Elena", "lastName": "Coldman"})
			Expect(res.status).To(Equal(http.StatusOK), string(res.raw))
			id, _ := res.json()["correlationId"].(string)
			Expect(id).NotTo(BeEmpty())
			e.start(mockprove.PhoneJordanEllis, nil)
			e.open("flows")
			e.waitFor(flowRows, ConsistOf("verify /v3/verify mobile possessionType started", "identity /v3/start mobile flowType started"))
			e.shot("dashboard-flows-suite.png")
			e.goTo("flows/" + id)
			e.waitFor(`[...document.querySelectorAll('#flow-summary dt')].map(dt => dt.textContent + ': ' + dt.nextElementSibling.textContent)`,
				ContainElements("Product: verify (/v3/verify)", "Possession type: mobile"))
		})
	})
})

// goTo moves the open dashboard to another view, as a link would.
func (e *env) goTo(view string) {
	GinkgoHelper()
	e.eval(`location.hash = `+jsString("#/"+view), nil)
	e.waitFor(`location.hash`, Equal("#/"+view))
}

// chromedpClear empties an input, as selecting its text and deleting it would.
func chromedpClear(sel string) chromedp.Action {
	return chromedp.Evaluate(`(() => { const el = document.querySelector(`+jsString(sel)+`); el.value = '';
		el.dispatchEvent(new Event('input', {bubbles: true})); return true })()`, nil)
}

// flowRows is each row of the Flows view: product, its API, type, what the type is, state.
const flowRows = `[...document.querySelectorAll('#flows-body tr')].map(tr => ['.c-product', '.c-api', '.c-type', '.c-type-kind', '.c-state']
	.map(s => tr.querySelector(s).textContent).join(' '))`

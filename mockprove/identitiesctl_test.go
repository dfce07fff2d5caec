package mockprove_test

import (
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/mockprove"
	"github.com/mockprove/mockprove/specs"
)

var _ = Describe("GET /_mock/identities", func() {
	var (
		a, b *client
		ctl  *contracts.SpecTransport // every answer checked against specs/mockprove-control.yaml
	)
	// Two clients of Prove's current suite, one control token.
	clients := []mockprove.Client{
		{ID: "suite-a", Secret: "secret-a", Products: mockprove.SuiteProducts},
		{ID: "suite-b", Secret: "secret-b", Products: mockprove.SuiteProducts},
	}

	BeforeEach(func() {
		a = inMemory(mockprove.Options{Clients: clients, ControlToken: "ctl"}).login("suite-a", "secret-a")
		b = a.as("suite-b", "secret-b")
		var err error
		ctl, err = contracts.NewSpecTransport(a.srv.HTTPClient().Transport, specs.Control)
		Expect(err).NotTo(HaveOccurred())
	})

	enrol := func(c *client, phone, customer string) string {
		GinkgoHelper()
		r := c.post("/v3/identity", map[string]any{"phoneNumber": phone, "clientCustomerId": customer})
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		return r.Str("proveId")
	}
	// get calls the control API with the control token, the answer checked against its spec.
	get := func(path string) result {
		GinkgoHelper()
		cp := *a
		cp.bearer = "ctl"
		return cp.roundTrip(ctl, cp.request(http.MethodGet, path, "", nil))
	}
	list := func(path string) []mockprove.EnrolledIdentity {
		GinkgoHelper()
		r := get(path)
		Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
		var out []mockprove.EnrolledIdentity
		Expect(json.Unmarshal(r.Raw, &out)).To(Succeed())
		return out
	}
	phones := func(ids []mockprove.EnrolledIdentity) []string {
		var out []string
		for _, id := range ids {
			out = append(out, id.Client+" "+id.PhoneNumber)
		}
		return out
	}

	It("lists every client's identities in enrolment order, with their client and state", func() {
		Expect(list("/_mock/identities")).To(BeEmpty())
		merla := enrol(a, mockprove.PhoneMerlaSchumacher, "cust-9")
		enrol(b, mockprove.PhoneJaimieBeddo, "")
		enrol(a, mockprove.PhoneJaimieBeddo, "cust-10")
		Expect(a.post("/v3/identity/"+merla+"/deactivate", map[string]any{}).Status).To(Equal(http.StatusOK))

		all := list("/_mock/identities")
		Expect(phones(all)).To(Equal([]string{"suite-a " + mockprove.PhoneMerlaSchumacher, "suite-b " + mockprove.PhoneJaimieBeddo, "suite-a " + mockprove.PhoneJaimieBeddo}))
		Expect(all[0]).To(And(HaveField("ProveID", merla), HaveField("Active", false), HaveField("ClientCustomerID", "cust-9"),
			HaveField("EnrolledAt", a.srv.Clock().Now())))
		Expect(all[1].Active).To(BeTrue())
		Expect(all[1].ProveID).To(Equal(all[2].ProveID), "one proveId per persona, whichever client enrolled it")

		By("filtering by client, number and state")
		Expect(phones(list("/_mock/identities?client=suite-b"))).To(Equal([]string{"suite-b " + mockprove.PhoneJaimieBeddo}))
		Expect(phones(list("/_mock/identities?phone=%2B1" + mockprove.PhoneJaimieBeddo))).To(HaveLen(2))
		Expect(phones(list("/_mock/identities?active=false"))).To(Equal([]string{"suite-a " + mockprove.PhoneMerlaSchumacher}))
		Expect(phones(list("/_mock/identities?active=true&client=suite-a"))).To(Equal([]string{"suite-a " + mockprove.PhoneJaimieBeddo}))
		Expect(a.srv.EnrolledIdentities(mockprove.IdentityFilter{Client: "suite-b"})).To(HaveLen(1))

		By("forgetting them all on reset")
		a.srv.Reset()
		Expect(list("/_mock/identities")).To(BeEmpty())
	})

	It("pages with limit and X-Next-Cursor", func() {
		for _, p := range []string{mockprove.PhoneMerlaSchumacher, mockprove.PhoneJaimieBeddo, mockprove.PhoneStanlyOvid} {
			enrol(a, p, "")
			enrol(b, p, "")
		}
		var seen []string
		path := "/_mock/identities?limit=4"
		for pages := 0; ; pages++ {
			Expect(pages).To(BeNumerically("<", 3))
			r := get(path)
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			var page []mockprove.EnrolledIdentity
			Expect(json.Unmarshal(r.Raw, &page)).To(Succeed())
			Expect(len(page)).To(BeNumerically("<=", 4))
			seen = append(seen, phones(page)...)
			next := r.Header.Get("X-Next-Cursor")
			if next == "" {
				break
			}
			path = "/_mock/identities?limit=4&cursor=" + next
		}
		Expect(seen).To(Equal(phones(a.srv.EnrolledIdentities(mockprove.IdentityFilter{}))))
		Expect(seen).To(HaveLen(6))
	})

	It("refuses bad parameters in Prove's error shape, naming them, and a missing control token", func() {
		expectError(get("/_mock/identities?active=yes"), http.StatusBadRequest, mockprove.CodeMalformed, "parameter 'active'")
		expectError(get("/_mock/identities?phone=%20%20"), http.StatusBadRequest, mockprove.CodeMalformed, "parameter 'phone'")
		expectError(get("/_mock/identities?limit=0"), http.StatusBadRequest, mockprove.CodeMalformed, "parameter 'limit'")
		expectError(get("/_mock/identities?limit=1001"), http.StatusBadRequest, mockprove.CodeMalformed, "parameter 'limit'")
		expectError(get("/_mock/identities?cursor=%21%21"), http.StatusBadRequest, mockprove.CodeMalformed, "parameter 'cursor'")
		cp := *a
		cp.bearer = ""
		expectError(cp.roundTrip(ctl, cp.request(http.MethodGet, "/_mock/identities", "", nil)), http.StatusUnauthorized, mockprove.CodeUnauthorized, "Authorization")
	})
})

var _ = Describe("GET /_mock/keys in pages", func() {
	It("pages the Prove Keys with limit and X-Next-Cursor, filtered by client, and refuses a bad limit", func() {
		c := inMemory(mockprove.Options{StrictResponses: true}).login(unifyID, unifySecret)
		ctl, err := contracts.NewSpecTransport(c.srv.HTTPClient().Transport, specs.Control)
		Expect(err).NotTo(HaveOccurred())
		var placed []string
		for range 3 { // three browsers, three pending keys
			_, token := c.unifyStart(mockprove.PhoneLaneyDyball, "mobile")
			k := newKey()
			Expect(c.runKey(token, k).Next).To(Equal("mobile/otp"))
			placed = append(placed, k.DeviceID)
		}
		get := func(path string) result {
			GinkgoHelper()
			return c.roundTrip(ctl, c.request(http.MethodGet, path, "", nil))
		}
		var seen []string
		path := "/_mock/keys?limit=2&client=" + unifyID
		for pages := 0; ; pages++ {
			Expect(pages).To(BeNumerically("<", 2))
			r := get(path)
			Expect(r.Status).To(Equal(http.StatusOK), string(r.Raw))
			var keys []mockprove.ProveKey
			Expect(json.Unmarshal(r.Raw, &keys)).To(Succeed())
			Expect(len(keys)).To(BeNumerically("<=", 2))
			for _, k := range keys {
				seen = append(seen, k.DeviceID)
			}
			next := r.Header.Get("X-Next-Cursor")
			if next == "" {
				break
			}
			path = "/_mock/keys?limit=2&client=" + unifyID + "&cursor=" + next
		}
		Expect(seen).To(Equal(placed), "oldest first, each once")
		Expect(get("/_mock/keys?client=other-client").Raw).To(MatchJSON(`[]`))
		expectError(get("/_mock/keys?limit=5000"), http.StatusBadRequest, mockprove.CodeMalformed, "parameter 'limit'")
		expectError(get("/_mock/keys?cursor=zz!"), http.StatusBadRequest, mockprove.CodeMalformed, "parameter 'cursor'")
	})
})

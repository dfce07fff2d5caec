package mockprove_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// One meaning of a fault's count, over HTTP as in Go, and an echo that
// says what the fault will do.
var _ = Describe("faults over the control API", func() {
	var c *client
	BeforeEach(func() { c = inMemory().login(identityID, identitySecret) })

	addFault := func(body string) result {
		GinkgoHelper()
		r := c.send(http.MethodPost, "/_mock/faults", "application/json", body)
		Expect(r.Status).To(Equal(http.StatusCreated), string(r.Raw))
		return r
	}
	startStatus := func() int {
		GinkgoHelper()
		return c.startWith(map[string]any{"phoneNumber": testkit.Milo}).Status
	}

	It("stays until cleared when no count is given, as FaultSpec.Count 0 does in Go", func() {
		r := addFault(`{"step":"/v3/start","status":503}`)
		Expect(r.Body).NotTo(HaveKey("remaining"), "an uncounted fault has nothing remaining to count")
		Expect(r.Body).To(HaveKeyWithValue("count", 0.0))
		for range 3 {
			Expect(startStatus()).To(Equal(http.StatusServiceUnavailable))
		}
		Expect(c.send(http.MethodDelete, "/_mock/faults", "", "").Status).To(Equal(http.StatusNoContent))
		Expect(startStatus()).To(Equal(http.StatusOK))
	})

	It("fires once with count 1", func() {
		r := addFault(`{"step":"/v3/start","status":503,"count":1}`)
		Expect(r.Body).To(HaveKeyWithValue("remaining", 1.0))
		Expect(startStatus()).To(Equal(http.StatusServiceUnavailable))
		Expect(startStatus()).To(Equal(http.StatusOK))
	})

	It("echoes a delay fault without a status or code it will never send", func() {
		r := addFault(`{"step":"/v3/validate","kind":"delay","delay":"1ms"}`)
		Expect(r.Body).To(HaveKeyWithValue("kind", "delay"))
		Expect(r.Body).NotTo(HaveKey("status"))
		Expect(r.Body).NotTo(HaveKey("code"))
		Expect(r.Body).NotTo(HaveKey("remaining"))
	})

	It("refuses a status, code or message on another kind", func() {
		r := c.send(http.MethodPost, "/_mock/faults", "application/json", `{"step":"/v3/start","kind":"drop","status":500}`)
		expectError(r, http.StatusBadRequest, mockprove.CodeMalformed, "only apply to kind status, not drop")
	})
})

package browsertest_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// A drop fault must reach the SDK. Chromium sends a POST again, without a
// word to the page, when a reused keep-alive connection closes before any
// byte of the answer; kind drop therefore sends part of the answer's head
// first, so the one dropped request is the SDK's failure.
var _ = Describe("Prove web SDK 3.6.2 and a drop fault", func() {
	const otpStart = "/v1/client/mobile/otp/start"

	It("fails the SDK's OTP start once (count 1): Chromium does not send it again; the SDK reports the error", func() {
		s := newMock()
		api := newBackend(s)
		p := openPage(true)
		st := api.start(startReq{FlowType: "mobile", PhoneNumber: testkit.Jordan})
		f, err := s.AddFault(mockprove.FaultSpec{Step: otpStart, Kind: mockprove.FaultDrop, Count: 1})
		Expect(err).NotTo(HaveOccurred())

		o := p.run(s, st, script{OTP: []otpEntry{fromSMS()}})

		// The SDK saw the failed fetch, reported it (otp/error) and, as for
		// any failed step, still called the finish step.
		Expect(o.SDKLog).To(ContainElement(And(ContainSubstring("mobile/otp failed"), ContainSubstring("Failed to fetch"))))
		Expect(o.events("otpFinish")).To(BeEmpty(), "the SDK never got to the OTP prompt")
		Expect(o.FinishCalls).To(Equal(1))
		starts := s.Journal(mockprove.JournalFilter{Step: otpStart})
		Expect(starts).To(HaveLen(1), "one OTP start, dropped, and no silent second try: %v", journalRules(s, st.CorrelationID))
		Expect(starts[0].Fault).To(Equal(f.ID))
		Expect(starts[0].Status).To(BeZero(), "dropped, not answered")
		Expect(journalRules(s, st.CorrelationID)).To(ContainElement("POST /v1/client/mobile/otp/error reported-error"))
		Expect(s.Outbox(mockprove.SMSFilter{CorrelationID: st.CorrelationID})).To(BeEmpty(), "no OTP was sent")
		Expect(s.Faults()).To(BeEmpty(), "the fault is used up")
		Expect(api.validate(st.CorrelationID).Success).To(BeFalse())
	})
})

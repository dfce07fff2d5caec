package devicetest_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// Prove's guide: Instant Link is not supported on mobile web. mockprove
// completes it (the SDK has a code path for it) but marks it.
var _ = Describe("an Instant Link asked for from a mobile web browser", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	It("still sends the link, with an X-Mockprove-Warning header and a journal warning", func() {
		f := e.startDesktop(testkit.Jordan)
		res := e.device(f.Token, linkStart, `{"sourceIp":null,"isMobile":true}`)
		Expect(res.Status).To(Equal(http.StatusOK), string(res.Raw))
		Expect(res.JSON()).To(Equal(map[string]any{"data": map[string]any{}}))
		Expect(res.Header.Get("X-Mockprove-Warning")).To(ContainSubstring("Instant Link from a mobile web browser"))
		entries := e.s.Journal(mockprove.JournalFilter{CorrelationID: f.ID, Step: linkStart})
		Expect(entries).To(ConsistOf(HaveField("Warning", ContainSubstring("Prove does not support it"))))
		Expect(e.open(e.lastLink(f)).Status).To(Equal(http.StatusFound), "the link still works")
	})

	It("adds no warning on a desktop browser", func() {
		f := e.startDesktop(testkit.Jordan)
		res := e.device(f.Token, linkStart, `{"sourceIp":null,"isMobile":false}`)
		Expect(res.Header.Get("X-Mockprove-Warning")).To(BeEmpty())
		Expect(e.s.Journal(mockprove.JournalFilter{CorrelationID: f.ID, Step: linkStart})).To(ConsistOf(HaveField("Warning", "")))
	})
})

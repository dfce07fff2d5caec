package devicetest_test

import (
	"net/http"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/mockprove"
)

// Defects found by hostile testing (issue 8).
var _ = Describe("hardening", func() {
	DescribeTable("refuses a clock step that would overflow, on the control API and on the virtual phone",
		func(path string, body func(string) string, moved int) {
			e := newEnv(mockprove.Options{Clock: mockprove.NewClock()}) // a running clock keeps an offset
			// The largest step a time.Duration holds: accepted once...
			e.ctl(http.MethodPost, path, body("2562047h"), moved)
			before := e.s.Clock().Now()
			Expect(before.Year()).To(BeNumerically(">", time.Now().Year()+290))
			// ...and then one more hour would wrap the offset: the clock would go backwards.
			res := e.control(http.MethodPost, path, body("1h"))
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			Expect(res.Code()).To(Equal(mockprove.CodeMalformed))
			Expect(string(res.Raw)).To(ContainSubstring("field 'duration' is out of range"))
			Expect(e.s.Clock().Now()).NotTo(BeTemporally("<", before))
		},
		Entry("POST /_mock/clock/advance", "/_mock/clock/advance", func(d string) string { return `{"duration":"` + d + `"}` }, http.StatusOK),
		Entry("POST /_mock/phone/advance", "/_mock/phone/advance", func(d string) string { return "duration=" + d }, http.StatusSeeOther),
	)

	DescribeTable("names a bad persona field by the same path over HTTP as in a persona file",
		func(persona, field string) {
			e := newEnv()
			const phone = "2009990097"
			body := `{"phone":"` + phone + `","name":"A","products":["identity"],` + persona + `}`
			fieldRe := regexp.MustCompile(`field '([^']+)'`)

			_, fileErr := mockprove.ParsePersonas([]byte(`{"personas":[`+body+`]}`), "personas.yaml")
			Expect(fileErr).To(HaveOccurred())
			Expect(fieldRe.FindStringSubmatch(fileErr.Error())).To(Equal([]string{"field '" + field + "'", field}), fileErr.Error())

			res := e.control(http.MethodPut, "/_mock/personas/"+phone, body)
			Expect(res.Status).To(Equal(http.StatusBadRequest), string(res.Raw))
			msg, _ := res.JSON()["message"].(string)
			Expect(fieldRe.FindStringSubmatch(msg)).To(Equal([]string{"field '" + field + "'", field}), msg)
			_, known := e.s.Persona(phone)
			Expect(known).To(BeFalse())
		},
		Entry("a misspelt nested field", `"individual":{"firstNam":"A"}`, "individual.firstNam"),
		Entry("a nested field of the wrong type", `"individual":{"firstName":3}`, "individual.firstName"),
		Entry("a field deep in possession", `"individual":{"firstName":"A"},"possession":{"otp":{"code":"12ab"}}`, "possession.otp.code"),
		Entry("a misspelt top-level field", `"individual":{"firstName":"A"},"shortTerms":true`, "shortTerms"),
	)
})

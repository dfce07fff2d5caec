package mockprove_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

// personaYAML is a valid persona file of two personas; tests break it.
const personaYAML = `
personas:
  - phone: "2009990101"
    name: Ada Test
    products: [identity]
    shortTerm: true
    individual:
      firstName: Ada
      lastName: Test
      dob: "1990-05-06"
      ssn: "900101101"
  - phone: "2009990102"
    name: Bo Test
    products: [prefill, identity]
    individual:
      firstName: Bo
      lastName: Test
      addresses:
        - {address: 1 Main Street, city: Springfield, region: IL, postalCode: "62701"}
    possession:
      otp: {code: "1234"}
      instantLink: {click: auto, clickAfter: 30s}
`

var _ = Describe("personas", func() {
	Describe("DefaultPersonas", func() {
		It("holds Prove's sandbox users and mockprove's edge personas", func() {
			ps, err := mockprove.DefaultPersonas()
			Expect(err).NotTo(HaveOccurred())
			byPhone := map[string]mockprove.Persona{}
			for _, p := range ps {
				Expect(byPhone).NotTo(HaveKey(p.Phone), "duplicate %s", p.Phone)
				byPhone[p.Phone] = p
			}
			Expect(byPhone[testkit.Milo].Name).To(Equal("Milo Pinson"))
			Expect(byPhone[testkit.Milo].Products).To(ConsistOf(mockprove.ProductPrefill, mockprove.ProductIdentity))
			Expect(byPhone[testkit.Milo].ShortTerm).To(BeTrue())
			Expect(byPhone[testkit.Martina].Name).To(Equal("Martina Goodram"))
			Expect(byPhone[testkit.Martina].Products).To(ConsistOf(mockprove.ProductIdentity))
			Expect(byPhone[testkit.Martina].ShortTerm).To(BeTrue())
			Expect(byPhone[testkit.Marcia].ShortTerm).To(BeFalse())
			Expect(byPhone[testkit.Benji].ShortTerm).To(BeFalse())
			for _, phone := range []string{"2009990001", "2009990002", "2009990003", "2009990004", "2009990005",
				"2009990006", "2009990007", "2009990010", "2009990011", "2009990012", "2009990013", "2009990014",
				"2009990015", "2009990016", "2009990017", "2009990018", "2009990019"} {
				Expect(byPhone).To(HaveKey(phone))
			}
			Expect(byPhone).NotTo(HaveKey(testkit.Nobody))
		})

		It("passes CheckPersona one by one", func() {
			ps, err := mockprove.DefaultPersonas()
			Expect(err).NotTo(HaveOccurred())
			for _, p := range ps {
				Expect(mockprove.CheckPersona(p)).To(Succeed(), p.Phone)
			}
		})

		It("returns a fresh copy each time", func() {
			a, _ := mockprove.DefaultPersonas()
			a[0].Name = "changed"
			b, _ := mockprove.DefaultPersonas()
			Expect(b[0].Name).NotTo(Equal("changed"))
		})
	})

	Describe("ParsePersonas", func() {
		It("reads a YAML persona file", func() {
			ps, err := mockprove.ParsePersonas([]byte(personaYAML), "mine.yaml")
			Expect(err).NotTo(HaveOccurred())
			Expect(ps).To(HaveLen(2))
			Expect(ps[0]).To(Equal(mockprove.Persona{
				Phone: "2009990101", Name: "Ada Test", Products: []string{"identity"}, ShortTerm: true,
				Individual: mockprove.Individual{FirstName: "Ada", LastName: "Test", DOB: "1990-05-06", SSN: "900101101"},
			}))
			Expect(ps[1].Individual.Addresses).To(Equal([]mockprove.Address{
				{Address: "1 Main Street", City: "Springfield", Region: "IL", PostalCode: "62701"},
			}))
			Expect(ps[1].Possession.InstantLink).To(Equal(mockprove.InstantLinkBehaviour{Click: "auto", ClickAfter: "30s"}))
		})

		It("reads a JSON persona file", func() {
			ps, err := mockprove.ParsePersonas([]byte(`{"personas":[{"phone":"+442071838750","name":"Intl",
				"products":["prefill"],"individual":{"firstName":"I","lastName":"N"}}]}`), "mine.json")
			Expect(err).NotTo(HaveOccurred())
			Expect(ps).To(HaveLen(1))
			Expect(ps[0].Phone).To(Equal("+442071838750"))
		})

		DescribeTable("refuses a file that does not fit the schema, naming the file, the persona and the field",
			func(from, to, msg string) {
				Expect(personaYAML).To(ContainSubstring(from))
				_, err := mockprove.ParsePersonas([]byte(strings.Replace(personaYAML, from, to, 1)), "mine.yaml")
				Expect(err).To(MatchError(msg))
			},
			Entry("an unknown product", "products: [identity]", "products: [kyc]",
				"mine.yaml: persona 0 (2009990101): field 'products[0]' must be one of: identity, prefill, unify, verify, identity-manager, provex"),
			Entry("no products", "    products: [identity]\n", "",
				"mine.yaml: persona 0 (2009990101): field 'products' is missing"),
			Entry("a misspelt field", "shortTerm: true", "shortterm: true",
				"mine.yaml: persona 0 (2009990101): field 'shortterm' is not allowed"),
			Entry("a short phone", `"2009990102"`, `"200999010"`,
				"mine.yaml: persona 1 (200999010): field 'phone' has an invalid format"),
			Entry("an unquoted phone", `"2009990102"`, `2009990102`,
				"mine.yaml: persona 1 (2009990102): field 'phone' must be a string"),
			Entry("a dob in another format", `"1990-05-06"`, `"05/06/1990"`,
				"mine.yaml: persona 0 (2009990101): field 'individual.dob' has an invalid format"),
			Entry("a short ssn", `"900101101"`, `"0101"`,
				"mine.yaml: persona 0 (2009990101): field 'individual.ssn' has an invalid format"),
			Entry("a bad postal code", `postalCode: "62701"`, `postalCode: "627"`,
				"mine.yaml: persona 1 (2009990102): field 'individual.addresses[0].postalCode' has an invalid format"),
			Entry("a bad OTP code", `code: "1234"`, `code: "12"`,
				"mine.yaml: persona 1 (2009990102): field 'possession.otp.code' has an invalid format"),
			Entry("an unknown click", "click: auto", "click: sometimes",
				"mine.yaml: persona 1 (2009990102): field 'possession.instantLink.click' must be one of: manual, auto, never"),
			Entry("more Instant Link retries than a flow has SMS", "click: auto,", "retry: 11, click: auto,",
				"mine.yaml: persona 1 (2009990102): field 'possession.instantLink.retry' is invalid: number must be at most 10"),
			Entry("an outcome that is not pass or fail", "    shortTerm: true\n", "    shortTerm: true\n    outcomes: {validate: maybe}\n",
				"mine.yaml: persona 0 (2009990101): field 'outcomes.validate' must be one of: pass, fail"),
			Entry("an error status under 400", "    shortTerm: true\n",
				"    shortTerm: true\n    errors: [{step: /v3/start, status: 200, code: 8000}]\n",
				"mine.yaml: persona 0 (2009990101): field 'errors[0].status' is invalid: number must be at least 400"),
			Entry("an error on an unknown step", "    shortTerm: true\n",
				"    shortTerm: true\n    errors: [{step: /v3/mfa, status: 500, code: 8000}]\n",
				"mine.yaml: persona 0 (2009990101): field 'errors[0].step' must be one of: /v3/start, /v3/validate, /v3/challenge, /v3/complete, /v1/client/mobile/otp/start, /v1/client/mobile/otp/finish, /v1/client/mobile/instantlink/start, /v1/client/mobile/instant/start, /v1/client/mobile/instant/finish, /v3/verify, /v3/identity, /v3/discover, /v3/fetch"),
			Entry("a name that is not a string", "name: Bo Test", "name: [Bo]",
				"mine.yaml: persona 1 (2009990102): field 'name' must be a string"),
			Entry("no personas at all", personaYAML, "personas: []",
				"mine.yaml: field 'personas' is invalid: minimum number of items is 1"),
			Entry("a top-level typo", "personas:", "persona:",
				"mine.yaml: field 'persona' is not allowed"),
			Entry("a persona that is not an object", "personas:\n", "personas:\n  - just a string\n",
				"mine.yaml: persona 0 (?): persona must be an object"),
		)

		// A persona error on /token could never fire: a token request names
		// no phone number, so no persona. It is refused rather than ignored.
		It("refuses a persona error on /token", func() {
			data := strings.Replace(personaYAML, "    shortTerm: true\n",
				"    shortTerm: true\n    errors: [{step: /v3/start, status: 500, code: 8000}, {step: /token, status: 401, code: 8002}]\n", 1)
			_, err := mockprove.ParsePersonas([]byte(data), "mine.yaml")
			Expect(err).To(MatchError(HavePrefix("mine.yaml: persona 0 (2009990101): field 'errors[1].step' must be one of: /v3/start,")))
		})

		It("refuses a clickAfter that is no Go duration, naming the field", func() {
			_, err := mockprove.ParsePersonas([]byte(strings.Replace(personaYAML, "clickAfter: 30s", "clickAfter: 99999999999999999999h", 1)), "mine.yaml")
			Expect(err).To(MatchError(`mine.yaml: persona 1 (2009990102): field 'possession.instantLink.clickAfter' is not a duration: "99999999999999999999h"`))
		})

		DescribeTable("refuses two personas with the same number",
			func(second string) {
				data := strings.Replace(personaYAML, `"2009990102"`, second, 1)
				_, err := mockprove.ParsePersonas([]byte(data), "dup.yaml")
				Expect(err).To(MatchError(HavePrefix("dup.yaml: persona 1 (")))
				Expect(err).To(MatchError(HaveSuffix("field 'phone' repeats persona 0")))
			},
			Entry("written the same way", `"2009990101"`),
			Entry("once with +1", `"+12009990101"`),
		)

		It("refuses a file that is not YAML", func() {
			_, err := mockprove.ParsePersonas([]byte("personas: [\n"), "broken.yaml")
			Expect(err).To(MatchError(HavePrefix("broken.yaml: not valid YAML")))
		})

		It("can be called from many goroutines at once", func() {
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = mockprove.ParsePersonas([]byte(personaYAML), "mine.yaml")
				}()
			}
			wg.Wait()
			for _, err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
		})
	})

	Describe("LoadPersonasFile", func() {
		var dir string

		BeforeEach(func() { dir = GinkgoT().TempDir() })

		It("reads a file", func() {
			path := filepath.Join(dir, "personas.yaml")
			Expect(os.WriteFile(path, []byte(personaYAML), 0o600)).To(Succeed())
			ps, err := mockprove.LoadPersonasFile(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(ps).To(HaveLen(2))
		})

		It("names the file in its errors", func() {
			path := filepath.Join(dir, "bad.yaml")
			Expect(os.WriteFile(path, []byte(strings.Replace(personaYAML, "products: [identity]", "products: []", 1)), 0o600)).To(Succeed())
			_, err := mockprove.LoadPersonasFile(path)
			Expect(err).To(MatchError(path + ": persona 0 (2009990101): field 'products' is invalid: minimum number of items is 1"))
		})

		It("reports a missing file", func() {
			_, err := mockprove.LoadPersonasFile(filepath.Join(dir, "missing.yaml"))
			Expect(err).To(MatchError(ContainSubstring("missing.yaml")))
			Expect(err).To(MatchError(os.ErrNotExist))
		})
	})

	Describe("CheckPersona", func() {
		It("accepts a valid persona and names the field of an invalid one", func() {
			p := mockprove.Persona{Phone: "2009990101", Name: "Ada", Products: []string{"identity"},
				Individual: mockprove.Individual{FirstName: "Ada", LastName: "Test"}}
			Expect(mockprove.CheckPersona(p)).To(Succeed())
			p.Individual.SSN = "12"
			Expect(mockprove.CheckPersona(p)).To(MatchError("persona 2009990101: field 'individual.ssn' has an invalid format"))
		})
	})

	Describe("New with Options.Personas", func() {
		var ps []mockprove.Persona

		BeforeEach(func() {
			var err error
			ps, err = mockprove.ParsePersonas([]byte(personaYAML), "mine.yaml")
			Expect(err).NotTo(HaveOccurred())
		})

		It("uses the given personas instead of the defaults", func() {
			c := inMemory(mockprove.Options{Personas: ps}).login(identityID, identitySecret)
			id := c.start("2009990101")
			Expect(c.validate(id).Body).To(HaveKeyWithValue("success", true))
			r := c.complete(id, map[string]any{"firstName": "ada", "lastName": "TEST", "ssn": "1101", "dob": "05-06"})
			Expect(r.Body).To(HaveKeyWithValue("success", true))

			expectError(c.startWith(map[string]any{"phoneNumber": testkit.Milo}), http.StatusBadRequest, mockprove.CodeUserNotFound, testkit.Milo)
		})

		It("uses no persona at all for an empty list", func() {
			c := inMemory(mockprove.Options{Personas: []mockprove.Persona{}}).login(identityID, identitySecret)
			expectError(c.startWith(map[string]any{"phoneNumber": testkit.Milo}), http.StatusBadRequest, mockprove.CodeUserNotFound, testkit.Milo)
		})

		It("is not affected by later changes to the slice", func() {
			c := inMemory(mockprove.Options{Personas: ps}).login(identityID, identitySecret)
			ps[0].ShortTerm = false
			ps[0].Products = []string{"prefill"}
			Expect(c.validate(c.start("2009990101")).Body).To(HaveKeyWithValue("success", true))
		})

		It("refuses duplicates", func() {
			dup := append(ps, ps[0])
			_, err := mockprove.New(mockprove.Options{Personas: dup})
			Expect(err).To(MatchError("persona 2 (2009990101): field 'phone' repeats persona 0"))
		})

		// A persona given in Go is held to the same schema as a persona file:
		// before the fix, a status of 0 was accepted and the request that met
		// it panicked in WriteHeader.
		DescribeTable("refuses a persona that a persona file could not hold",
			func(change func(p *mockprove.Persona), msg string) {
				change(&ps[1])
				s, err := mockprove.New(mockprove.Options{Personas: ps})
				Expect(err).To(MatchError(msg))
				Expect(s).To(BeNil())
			},
			Entry("an error without a status", func(p *mockprove.Persona) {
				p.Errors = []mockprove.StepError{{Step: "/v3/start", Code: 8000}}
			}, "persona 1 (2009990102): field 'errors[0].status' is invalid: number must be at least 400"),
			Entry("an unknown product", func(p *mockprove.Persona) {
				p.Products = []string{"kyc"}
			}, "persona 1 (2009990102): field 'products[0]' must be one of: identity, prefill, unify, verify, identity-manager, provex"),
			Entry("no name", func(p *mockprove.Persona) {
				p.Name = ""
			}, "persona 1 (2009990102): field 'name' must not be empty"),
			Entry("a bad phone", func(p *mockprove.Persona) {
				p.Phone = "555-0100"
			}, "persona 1 (555-0100): field 'phone' has an invalid format"),
		)
	})
})

package prove_test

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockprove/mockprove/flowapp/prove"
	"github.com/mockprove/mockprove/specs"
)

// The Go types must carry every field of prove-v3.yaml under the same name:
// each example of the document decodes into its type with unknown fields
// refused, and encodes back to the same JSON (so tags and omitempty match).
var _ = Describe("the request and response types", func() {
	var doc *openapi3.T
	BeforeEach(func() {
		var err error
		doc, err = specs.Load(specs.ProveV3)
		Expect(err).NotTo(HaveOccurred())
	})

	roundTrip := func(what string, example any, into any) {
		GinkgoHelper()
		Expect(example).NotTo(BeNil(), "%s has an example", what)
		raw, err := json.Marshal(example)
		Expect(err).NotTo(HaveOccurred())
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		v := reflect.New(reflect.TypeOf(into)).Interface()
		Expect(dec.Decode(v)).To(Succeed(), "%s: %s", what, raw)
		back, err := json.Marshal(v)
		Expect(err).NotTo(HaveOccurred())
		Expect(back).To(MatchJSON(raw), what)
	}

	schemaExample := func(name string) any {
		GinkgoHelper()
		ref := doc.Components.Schemas[name]
		Expect(ref).NotTo(BeNil(), name)
		return ref.Value.Example
	}

	DescribeTable("match the schema examples",
		func(schema string, into any) { roundTrip(schema, schemaExample(schema), into) },
		Entry("V3StartRequest", "V3StartRequest", prove.StartRequest{}),
		Entry("V3StartResponse", "V3StartResponse", prove.StartResponse{}),
		Entry("V3ValidateRequest", "V3ValidateRequest", prove.ValidateRequest{}),
		Entry("V3ValidateResponse", "V3ValidateResponse", prove.ValidateResponse{}),
		Entry("V3ChallengeRequest", "V3ChallengeRequest", prove.ChallengeRequest{}),
		Entry("V3ChallengeResponse", "V3ChallengeResponse", prove.ChallengeResponse{}),
		Entry("V3ChallengeIndividualResponse", "V3ChallengeIndividualResponse", prove.ChallengeIndividual{}),
		Entry("V3CompleteRequest", "V3CompleteRequest", prove.CompleteRequest{}),
		Entry("V3CompleteIndividualRequest", "V3CompleteIndividualRequest", prove.CompleteIndividual{}),
		Entry("V3CompleteAddressEntryRequest", "V3CompleteAddressEntryRequest", prove.AddressEntry{}),
		Entry("V3ChallengeAddressEntryResponse", "V3ChallengeAddressEntryResponse", prove.AddressEntry{}),
		Entry("V3CompleteResponse", "V3CompleteResponse", prove.CompleteResponse{}),
		Entry("IDVDataInternal", "IDVDataInternal", prove.IDV{}),
		Entry("IDVDataSource", "IDVDataSource", prove.IDVDataSource{}),
		Entry("KYCInternal", "KYCInternal", prove.KYC{}),
		Entry("AmlTypeListResponseInternal", "AmlTypeListResponseInternal", prove.AmlTypeList{}),
		Entry("KYCFieldTypeResponseInternal", "KYCFieldTypeResponseInternal", prove.KYCField{}),
	)

	It("match every example of the /v3/complete answer", func() {
		op := doc.Paths.Find("/v3/complete").Post
		mt := op.Responses.Status(200).Value.Content.Get("application/json")
		Expect(mt.Examples).NotTo(BeEmpty())
		for name, ex := range mt.Examples {
			roundTrip(name, ex.Value.Value, prove.CompleteResponse{})
		}
	})

	It("declare every property of the schemas", func() {
		for schema, typ := range map[string]any{
			"V3StartRequest": prove.StartRequest{}, "V3StartResponse": prove.StartResponse{},
			"V3ValidateResponse": prove.ValidateResponse{}, "V3ChallengeRequest": prove.ChallengeRequest{},
			"V3ChallengeResponse": prove.ChallengeResponse{}, "V3ChallengeIndividualResponse": prove.ChallengeIndividual{},
			"V3CompleteRequest": prove.CompleteRequest{}, "V3CompleteIndividualRequest": prove.CompleteIndividual{},
			"V3CompleteResponse": prove.CompleteResponse{}, "IDVDataInternal": prove.IDV{}, "IDVDataSource": prove.IDVDataSource{},
			"DataSourceAddressResponseInternal": prove.DataSourceAddress{}, "DataSourceIdentifiersResponseInternal": prove.DataSourceIdentifiers{},
			"DataSourceNameResponseInternal": prove.DataSourceName{}, "DataSourceEmailAddressResponseInternal": prove.DataSourceEmail{},
			"KYCInternal": prove.KYC{}, "AmlTypeListResponseInternal": prove.AmlTypeList{}, "KYCFieldTypeResponseInternal": prove.KYCField{},
		} {
			s := doc.Components.Schemas[schema].Value
			tags := map[string]string{}
			t := reflect.TypeOf(typ)
			for i := 0; i < t.NumField(); i++ {
				tags[t.Field(i).Tag.Get("json")] = t.Field(i).Name
			}
			Expect(tags).To(HaveLen(len(s.Properties)), "%s: as many fields as properties", schema)
			for prop := range s.Properties {
				tag := prop + ",omitempty"
				if s.Required != nil && contains(s.Required, prop) {
					tag = prop
				}
				Expect(tags).To(HaveKey(tag), "%s.%s", schema, prop)
			}
		}
	})
})

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

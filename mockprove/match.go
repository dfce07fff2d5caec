package mockprove

import (
	"strings"
)

// Matching of what a customer submitted against a persona's identity.
// Only fields the customer submitted are compared.

// dobMatches compares a submitted date of birth (YYYY-MM-DD, YYYY-MM or
// MM-DD) with the persona's YYYY-MM-DD.
func dobMatches(submitted, want string) bool {
	if want == "" {
		return false
	}
	switch len(submitted) {
	case 10: // YYYY-MM-DD
		return submitted == want
	case 7: // YYYY-MM
		return strings.HasPrefix(want, submitted)
	case 5: // MM-DD
		return strings.HasSuffix(want, "-"+submitted)
	}
	return false
}

// ssnMatches compares a full SSN or its last four digits.
func ssnMatches(submitted, want string) bool {
	if want == "" {
		return false
	}
	if len(submitted) == 4 {
		return strings.HasSuffix(want, submitted)
	}
	return submitted == want
}

// rfc3339Date renders YYYY-MM-DD the way Prove returns dates of birth.
func rfc3339Date(d string) string {
	if d == "" {
		return ""
	}
	return d + "T00:00:00Z"
}

func fold(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// match records, per submitted field, whether it matched; nil = not submitted.
type match struct {
	firstName, lastName, dob, ssn, email *bool
	street, city, region, postalCode     *bool
}

func check(submitted string, ok bool) *bool {
	if strings.TrimSpace(submitted) == "" { // blank is not submitted
		return nil
	}
	return &ok
}

func matchIndividual(in, p Individual) match {
	m := match{
		firstName: check(in.FirstName, fold(in.FirstName) == fold(p.FirstName)),
		lastName:  check(in.LastName, fold(in.LastName) == fold(p.LastName)),
		dob:       check(in.DOB, dobMatches(in.DOB, p.DOB)),
		ssn:       check(in.SSN, ssnMatches(in.SSN, p.SSN)),
	}
	if len(in.EmailAddresses) > 0 { // only the first is processed
		e := in.EmailAddresses[0]
		found := false
		for _, pe := range p.EmailAddresses {
			found = found || strings.EqualFold(strings.TrimSpace(e), pe)
		}
		m.email = check(e, found)
	}
	if len(in.Addresses) > 0 { // only the first is processed
		a := in.Addresses[0]
		best := Address{}
		for _, pa := range p.Addresses { // the persona address that matches best
			if fold(pa.Address) == fold(a.Address) || best.Address == "" {
				best = pa
			}
		}
		m.street = check(a.Address, fold(a.Address) == fold(best.Address))
		m.city = check(a.City, fold(a.City) == fold(best.City))
		m.region = check(a.Region, fold(a.Region) == fold(best.Region))
		m.postalCode = check(a.PostalCode, zip5(a.PostalCode) == zip5(best.PostalCode))
	}
	return m
}

func zip5(z string) string {
	if len(z) >= 5 {
		return z[:5]
	}
	return z
}

func (m match) fields() []struct {
	name string
	v    *bool
} {
	return []struct {
		name string
		v    *bool
	}{
		{"firstName", m.firstName}, {"lastName", m.lastName}, {"dob", m.dob}, {"ssn", m.ssn},
		{"address", m.street}, {"city", m.city}, {"region", m.region}, {"postalCode", m.postalCode},
		{"emailAddress", m.email},
	}
}

func (m match) ok() bool { return m.firstMismatch() == "" }

func (m match) firstMismatch() string {
	for _, f := range m.fields() {
		if f.v != nil && !*f.v {
			return f.name
		}
	}
	return ""
}

// idv builds an IDVDataInternal block that reflects the comparison.
func (m match) idv() map[string]any {
	yes := func(b *bool) bool { return b == nil || *b }
	score := func(b *bool) int {
		if yes(b) {
			return 100
		}
		return 0
	}
	conf := "high"
	var reasons []any
	if !m.ok() {
		conf = "low"
		for _, f := range m.fields() {
			if f.v != nil && !*f.v {
				reasons = append(reasons, "mismatch:"+f.name)
			}
		}
	} else {
		reasons = []any{"NA"}
	}
	addrScore := 0
	for _, b := range []*bool{m.street, m.city, m.region, m.postalCode} {
		addrScore += score(b) / 4
	}
	return map[string]any{
		"multiCIPConfidence": conf,
		"dataSource1": map[string]any{
			"cipConfidence": conf,
			"reasonCodes":   reasons,
			"address": map[string]any{
				"addressScore": addrScore, "city": yes(m.city), "distance": 0.0,
				"postalCode": yes(m.postalCode), "region": yes(m.region), "street": yes(m.street),
				"streetNumber": score(m.street),
			},
			"identifiers": map[string]any{"dob": yes(m.dob), "last4": yes(m.ssn), "ssn": yes(m.ssn)},
			"name": map[string]any{
				"firstName": score(m.firstName), "lastName": score(m.lastName),
				"nameScore": (score(m.firstName) + score(m.lastName)) / 2,
			},
			"email": map[string]any{"emailAddress": yes(m.email)},
		},
	}
}

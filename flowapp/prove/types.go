package prove

// The request and response bodies of Prove's server API, written to match
// specs/prove-v3.yaml field for field: required fields have plain json tags,
// optional ones omitempty (Prove's responses "omit optional fields with no
// value, empty JSON objects and empty JSON arrays"). Optional numbers and
// booleans of responses are pointers, so that 0 and false stay apart from
// "absent" (an addressScore of 0 is a result).

// Int64 returns *p, or 0 for nil.
func Int64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Step names: the keys of Prove's "next" map.
const (
	StepValidate  = "v3-validate"
	StepChallenge = "v3-challenge"
	StepComplete  = "v3-complete"
	StepDone      = "done"
)

// Next is the "next" map of every flow response: the set of calls Prove
// allows next, keyed by step name ("v3-validate": "/v3/validate", ...; the
// terminal step is "done": "done"). An integration follows it instead of
// hard-coding the sequence.
type Next map[string]string

// Has reports whether step is allowed next.
func (n Next) Has(step string) bool {
	_, ok := n[step]
	return ok
}

// Done reports whether the flow is over: "done" is the only way on, or
// nothing is.
func (n Next) Done() bool {
	for k := range n {
		if k != StepDone {
			return false
		}
	}
	return true
}

// StartRequest is V3StartRequest. FlowType is required by Prove, PhoneNumber
// by mockprove (Prove can discover it with Mobile Auth); FinalTargetURL is
// required when FlowType is "desktop".
type StartRequest struct {
	FlowType       string `json:"flowType"`
	PhoneNumber    string `json:"phoneNumber"`
	FinalTargetURL string `json:"finalTargetUrl,omitempty"`
	SSN            string `json:"ssn,omitempty"`
	DOB            string `json:"dob,omitempty"`
	EmailAddress   string `json:"emailAddress,omitempty"`
	IPAddress      string `json:"ipAddress,omitempty"`
	SMSMessage     string `json:"smsMessage,omitempty"`
	AllowOTPRetry  bool   `json:"allowOTPRetry,omitempty"`
}

// Flow types of StartRequest.FlowType.
const (
	FlowMobile  = "mobile"
	FlowDesktop = "desktop"
)

// StartResponse is V3StartResponse (all three fields required).
type StartResponse struct {
	AuthToken     string `json:"authToken"`
	CorrelationID string `json:"correlationId"`
	Next          Next   `json:"next"`
}

// ValidateRequest is V3ValidateRequest.
type ValidateRequest struct {
	CorrelationID string `json:"correlationId"`
}

// ValidateResponse is V3ValidateResponse.
type ValidateResponse struct {
	Success          bool           `json:"success"`
	ChallengeMissing bool           `json:"challengeMissing"`
	Next             Next           `json:"next"`
	PhoneNumber      string         `json:"phoneNumber,omitempty"`
	Evaluation       map[string]any `json:"evaluation,omitempty"`
}

// ChallengeRequest is V3ChallengeRequest (Pre-Fill only): a DOB
// (YYYY-MM-DD, YYYY-MM or MM-DD) and/or an SSN (last 4 or 9 digits).
type ChallengeRequest struct {
	CorrelationID string `json:"correlationId"`
	DOB           string `json:"dob,omitempty"`
	SSN           string `json:"ssn,omitempty"`
}

// ChallengeResponse is V3ChallengeResponse.
type ChallengeResponse struct {
	Success    bool                 `json:"success"`
	Next       Next                 `json:"next"`
	Individual *ChallengeIndividual `json:"individual,omitempty"`
	Evaluation map[string]any       `json:"evaluation,omitempty"`
}

// Individual is a person as Prove's API carries them: the identity
// /v3/challenge pre-fills (V3ChallengeIndividualResponse; DOB is then
// typically an RFC 3339 timestamp, "1981-01-17T00:00:00Z") and the identity
// /v3/complete verifies (V3CompleteIndividualRequest: at least FirstName and
// LastName, or SSN; only the first address and email address are processed).
// Both schemas have the same fields.
type Individual struct {
	FirstName      string         `json:"firstName,omitempty"`
	LastName       string         `json:"lastName,omitempty"`
	Addresses      []AddressEntry `json:"addresses,omitempty"`
	EmailAddresses []string       `json:"emailAddresses,omitempty"`
	DOB            string         `json:"dob,omitempty"`
	SSN            string         `json:"ssn,omitempty"`
}

// ChallengeIndividual is V3ChallengeIndividualResponse.
type ChallengeIndividual = Individual

// CompleteIndividual is V3CompleteIndividualRequest.
type CompleteIndividual = Individual

// AddressEntry is one address: V3ChallengeAddressEntryResponse and
// V3CompleteAddressEntryRequest have the same fields.
type AddressEntry struct {
	Address         string `json:"address,omitempty"`
	ExtendedAddress string `json:"extendedAddress,omitempty"`
	City            string `json:"city,omitempty"`
	Region          string `json:"region,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
}

// CompleteRequest is V3CompleteRequest.
type CompleteRequest struct {
	CorrelationID string             `json:"correlationId"`
	Individual    CompleteIndividual `json:"individual"`
}

// CompleteResponse is V3CompleteResponse.
type CompleteResponse struct {
	Success    bool           `json:"success"`
	Next       Next           `json:"next"`
	IDV        *IDV           `json:"idv,omitempty"`
	KYC        *KYC           `json:"kyc,omitempty"`
	Evaluation map[string]any `json:"evaluation,omitempty"`
}

// IDV is IDVDataInternal: the identity-verification (CIP) detail.
type IDV struct {
	MultiCIPConfidence string         `json:"multiCIPConfidence,omitempty"`
	DataSource1        *IDVDataSource `json:"dataSource1,omitempty"`
	DataSource2        *IDVDataSource `json:"dataSource2,omitempty"`
}

// IDVDataSource is the match result of one data source.
type IDVDataSource struct {
	CIPConfidence string                 `json:"cipConfidence,omitempty"`
	ReasonCodes   []string               `json:"reasonCodes,omitempty"`
	Address       *DataSourceAddress     `json:"address,omitempty"`
	Identifiers   *DataSourceIdentifiers `json:"identifiers,omitempty"`
	Name          *DataSourceName        `json:"name,omitempty"`
	Email         *DataSourceEmail       `json:"email,omitempty"`
}

// DataSourceAddress is DataSourceAddressResponseInternal.
type DataSourceAddress struct {
	AddressScore *int64   `json:"addressScore,omitempty"`
	City         *bool    `json:"city,omitempty"`
	Distance     *float64 `json:"distance,omitempty"`
	PostalCode   *bool    `json:"postalCode,omitempty"`
	Region       *bool    `json:"region,omitempty"`
	Street       *bool    `json:"street,omitempty"`
	StreetNumber *int64   `json:"streetNumber,omitempty"`
}

// DataSourceIdentifiers is DataSourceIdentifiersResponseInternal.
type DataSourceIdentifiers struct {
	DOB   *bool `json:"dob,omitempty"`
	Last4 *bool `json:"last4,omitempty"`
	SSN   *bool `json:"ssn,omitempty"`
}

// DataSourceName is DataSourceNameResponseInternal.
type DataSourceName struct {
	FirstName *int64 `json:"firstName,omitempty"`
	LastName  *int64 `json:"lastName,omitempty"`
	NameScore *int64 `json:"nameScore,omitempty"`
}

// DataSourceEmail is DataSourceEmailAddressResponseInternal.
type DataSourceEmail struct {
	EmailAddress *bool `json:"emailAddress,omitempty"`
}

// KYC is KYCInternal: the KYC / AML detail.
type KYC struct {
	TotalHits    *int64        `json:"totalHits,omitempty"`
	AmlTypeLists []AmlTypeList `json:"amlTypeLists,omitempty"`
}

// AmlTypeList is AmlTypeListResponseInternal: one AML list type and its hits.
type AmlTypeList struct {
	AmlType  string     `json:"amlType,omitempty"`
	ListHits *int64     `json:"listHits,omitempty"`
	Fields   []KYCField `json:"fields,omitempty"`
}

// KYCField is KYCFieldTypeResponseInternal.
type KYCField struct {
	Name   string `json:"name,omitempty"`
	Source string `json:"source,omitempty"`
	Value  string `json:"value,omitempty"`
}

// tokenResponse is V3TokenResponse (snake_case).
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	TokenType        string `json:"token_type"`
	RefreshToken     string `json:"refresh_token,omitempty"`
	RefreshExpiresIn int64  `json:"refresh_expires_in,omitempty"`
}

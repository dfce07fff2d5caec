package mockprove

// Personas are the data that decide what mockprove does for a phone number.
// A persona file is YAML (or JSON) of the form
//
//	personas:
//	  - phone: "2001001695"
//	    name: Milo Pinson
//	    ...
//
// and is checked against specs/persona.schema.yaml before any persona is used.
// Nothing in the code branches on a particular phone number: a new scenario is
// a new entry in the file.

// PersonaFile is the top-level document of a persona file.
type PersonaFile struct {
	Personas []Persona `json:"personas"`
}

// Persona is one emulated end user, keyed by phone number.
type Persona struct {
	// Phone is the national number for US/Canada (10 digits, no +1) or
	// "+<country><number>" for international numbers.
	Phone string `json:"phone"`
	// Name is a display name, e.g. "Milo Pinson" or "Edge: fails validate".
	Name string `json:"name"`
	// Description says what the persona is for (shown in the persona table of docs/personas.md).
	Description string `json:"description,omitempty"`
	// Products lists the Prove products whose clients may use this persona:
	// "identity" (Prove Identity) and/or "prefill" (Pre-Fill). A client whose
	// product is not listed gets 403 code 8009.
	Products []string `json:"products"`
	// ShortTerm personas pass /v3/validate without any client SDK possession
	// step (Prove's Milo Pinson and Martina Goodram).
	ShortTerm bool `json:"shortTerm,omitempty"`
	// Individual is the identity Prove holds for this phone number.
	Individual Individual `json:"individual"`
	// Outcomes forces step results; every step passes by default when the
	// submitted data matches Individual.
	Outcomes Outcomes `json:"outcomes,omitzero"`
	// IDV is returned as "idv" by /v3/complete (IDVDataInternal shape).
	IDV map[string]any `json:"idv,omitempty"`
	// KYC is returned as "kyc" by /v3/complete (KYCInternal shape).
	KYC map[string]any `json:"kyc,omitempty"`
	// Errors makes a step answer with a platform error for this persona.
	Errors []StepError `json:"errors,omitempty"`
	// Possession describes what happens on the phone during the client SDK
	// possession check (OTP, Instant Link, Mobile Auth).
	Possession Possession `json:"possession,omitzero"`

	// ProveID is Prove's id for this person, the same in Verify, Identity
	// Manager and ProveX; default: a UUID derived from the phone number.
	ProveID string `json:"proveId,omitempty"`
	// Line is the phone line as Identity Manager reports it.
	Line Line `json:"line,omitzero"`
	// Verify is what /v3/verify answers for this persona.
	Verify VerifyBehaviour `json:"verify,omitzero"`
	// Attributes are the partner attributes ProveX discovers and fetches.
	Attributes []Attribute `json:"attributes,omitempty"`
}

// Line describes the persona's phone line; empty fields take defaults
// (Verizon, mobile, and the country of the number).
type Line struct {
	Carrier     string `json:"carrier,omitempty"`
	LineType    string `json:"lineType,omitempty"`
	CountryCode string `json:"countryCode,omitempty"`
}

// VerifyBehaviour is the persona's answer to /v3/verify.
type VerifyBehaviour struct {
	// Outcome is "pass" (the default: success "true" when the names sent
	// match) or "fail" (success "false").
	Outcome string `json:"outcome,omitempty"`
	// AssuranceLevel is the identity's level, AL-1 to AL3; default AL2 on
	// pass and AL0 on fail.
	AssuranceLevel string `json:"assuranceLevel,omitempty"`
	// Reasons explain the assurance level; default ["AL2a"] or ["AL0b"].
	Reasons []string `json:"reasons,omitempty"`
	// FailureReasons are the evaluation's authentication failure reasons
	// (code → text) when the outcome is fail.
	FailureReasons map[string]string `json:"failureReasons,omitempty"`
	// AdditionalIdentities are other people on the same number.
	AdditionalIdentities []Individual `json:"additionalIdentities,omitempty"`
	// Businesses are answered to verificationType prefillForBiz.
	Businesses []Business `json:"businesses,omitempty"`
	// ProvePhoneAlias is the persistent subscriber id; default: derived
	// from the phone number.
	ProvePhoneAlias string `json:"provePhoneAlias,omitempty"`
}

// Business is a business behind a number (verificationType prefillForBiz).
type Business struct {
	BusinessName    string  `json:"businessName"`
	TradeName       string  `json:"tradeName,omitempty"`
	TaxID           string  `json:"taxId,omitempty"`
	BusinessAddress Address `json:"businessAddress,omitzero"`
}

// Attribute is one partner attribute of a person (ProveX), e.g. a wallet id.
type Attribute struct {
	// ID is the attribute's UUID (attributeId).
	ID string `json:"id"`
	// Issuer is the partner that holds it (issuerId), e.g. "AcmeWallet".
	Issuer string `json:"issuer"`
	// Value is what /v3/fetch answers (attributeValue).
	Value string `json:"value"`
}

// Individual is a person's identity data, shaped like Prove's "individual".
type Individual struct {
	FirstName      string    `json:"firstName,omitempty"`
	LastName       string    `json:"lastName,omitempty"`
	Addresses      []Address `json:"addresses,omitempty"`
	EmailAddresses []string  `json:"emailAddresses,omitempty"`
	// DOB is YYYY-MM-DD.
	DOB string `json:"dob,omitempty"`
	// SSN is the full 9-digit social security number.
	SSN string `json:"ssn,omitempty"`
}

// Address is one postal address.
type Address struct {
	Address         string `json:"address,omitempty"`
	ExtendedAddress string `json:"extendedAddress,omitempty"`
	City            string `json:"city,omitempty"`
	Region          string `json:"region,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
}

// Outcomes forces the result of a step: "pass" (the default: pass when the
// data matches) or "fail" (HTTP 200 with success:false and next done).
type Outcomes struct {
	Validate  string `json:"validate,omitempty"`
	Challenge string `json:"challenge,omitempty"`
	Complete  string `json:"complete,omitempty"`
}

// StepError makes a step return an error for this persona, e.g.
// {step: /v3/validate, status: 500, code: 8000}.
type StepError struct {
	// Step is a path: /v3/start, /v3/validate, /v3/challenge, /v3/complete
	// or a device API path such as /v1/client/mobile/otp/start.
	Step    string `json:"step"`
	Status  int    `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
	// RetryAfter is sent as Retry-After (seconds) with status 429.
	RetryAfter int `json:"retryAfter,omitempty"`
}

// Possession is the persona's behaviour on the phone.
type Possession struct {
	// MobileAuth: "off" (default: the carrier does not support it), "pass"
	// (Mobile Auth succeeds silently) or "fail" (it fails and the SDK falls
	// back to OTP).
	MobileAuth string `json:"mobileAuth,omitempty"`
	// OTP behaviour for the mobile flow.
	OTP OTPBehaviour `json:"otp,omitzero"`
	// InstantLink behaviour for the desktop flow.
	InstantLink InstantLinkBehaviour `json:"instantLink,omitzero"`
	// RejectPhone: the device API refuses this persona's number when the
	// browser sends it (phone-number entry or change), as a carrier lookup
	// that fails would.
	RejectPhone bool `json:"rejectPhone,omitempty"`
}

// OTPBehaviour describes the one-time passcode sent by SMS.
type OTPBehaviour struct {
	// Code is the code the SMS carries: digits ("1234", Prove's sandbox
	// default) or "random" for a fresh random code per SMS, of the length
	// smsMessage asks for (####..######).
	Code string `json:"code,omitempty"`
	// WrongAttempts: the user mistypes the PIN this many times first; that
	// many submissions are refused whatever they contain.
	WrongAttempts int `json:"wrongAttempts,omitempty"`
}

// InstantLinkBehaviour describes what the user does with the Instant Link SMS.
type InstantLinkBehaviour struct {
	// Click: "manual" (default: the link is clicked through the SMS outbox),
	// "auto" (the virtual phone clicks it ClickAfter after it was sent) or
	// "never" (the user never clicks; the link expires unless someone opens
	// it from the outbox).
	Click string `json:"click,omitempty"`
	// ClickAfter is a Go duration ("30s"), with Click "auto".
	ClickAfter string `json:"clickAfter,omitempty"`
	// Retry: the first Retry instantlink/start answers of a flow are {}
	// (neither data nor next), which makes the web SDK call the app's retry
	// step (Resend / Change number). The SMS is sent as usual.
	Retry int `json:"retry,omitempty"`
}

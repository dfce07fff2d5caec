package mockprove

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// Verify (prove-unify-verify.md §4): one synchronous call that verifies a
// user by phone number (and name), answering the identity Prove associates
// with the number, its assurance level, the evaluation and the proveId. The
// persona decides (persona field verify). success is a string here.

func (s *Server) registerVerify(r *mux.Router) {
	r.Handle("/v3/verify", s.serve(endpoint{step: "/v3/verify", auth: authAccess, validate: s.prove, h: s.verify})).Methods(http.MethodPost)
	r.Handle("/v3/verify/batch", s.serve(endpoint{step: "/v3/verify/batch", auth: authAccess, validate: s.prove,
		maxBody: maxBatchBodyBytes, h: s.verifyBatch})).Methods(http.MethodPost)
	r.Handle("/v3/verify-status", s.serve(endpoint{step: "/v3/verify-status", auth: authAccess, validate: s.prove, h: s.verifyStatus})).Methods(http.MethodPost)
}

// Verification types of /v3/verify.
var verificationTypes = []string{"verifiedUser", "accountOpening", "humanAssurance", "prefill", "prefillForBiz", "identityResolution"}

// Evaluation failure reasons mockprove uses (prove-unify-verify.md §9).
const (
	reasonNameMismatch = "9013"
	reasonNoIdentity   = "9175"
	reasonNoInfo       = "9177"
)

// verifyRequest is V3VerifyRequest (and a batch item).
type verifyRequest struct {
	PhoneNumber      string `json:"phoneNumber"`
	VerificationType string `json:"verificationType"`
	FirstName        string `json:"firstName,omitempty"`
	LastName         string `json:"lastName,omitempty"`
	ClientRequestID  string `json:"clientRequestId,omitempty"`
	ClientCustomerID string `json:"clientCustomerId,omitempty"`
	ClientHumanID    string `json:"clientHumanId,omitempty"`
	ProveID          string `json:"proveId,omitempty"`
}

// verifyResponse is V3VerifyResponse.
type verifyResponse struct {
	Success              string                        `json:"success"`
	CorrelationID        string                        `json:"correlationId"`
	PhoneNumber          string                        `json:"phoneNumber"`
	ProveID              string                        `json:"proveId,omitempty"`
	ProvePhoneAlias      string                        `json:"provePhoneAlias,omitempty"`
	Identity             *verifyIdentity               `json:"identity,omitempty"`
	AdditionalIdentities []verifyIdentity              `json:"additionalIdentities,omitempty"`
	Businesses           []verifyBusiness              `json:"businesses,omitempty"`
	Evaluation           map[string]evaluationCategory `json:"evaluation,omitempty"`
	IsEnrolled           *bool                         `json:"isEnrolled,omitempty"`
	ClientCustomerID     string                        `json:"clientCustomerId,omitempty"`
	ClientHumanID        string                        `json:"clientHumanId,omitempty"`
	ClientRequestID      string                        `json:"clientRequestId,omitempty"`
}

type verifyIdentity struct {
	AssuranceLevel string          `json:"assuranceLevel"`
	Reasons        []string        `json:"reasons"`
	FirstName      string          `json:"firstName,omitempty"`
	LastName       string          `json:"lastName,omitempty"`
	DateOfBirth    string          `json:"dateOfBirth,omitempty"`
	NationalID     string          `json:"nationalId,omitempty"`
	Emails         []string        `json:"emails,omitempty"`
	Addresses      []verifyAddress `json:"addresses,omitempty"`
}

type verifyAddress struct {
	Address         string `json:"address,omitempty"`
	ExtendedAddress string `json:"extendedAddress,omitempty"`
	City            string `json:"city,omitempty"`
	Region          string `json:"region,omitempty"`
	ZipCode         string `json:"zipCode,omitempty"`
}

type verifyBusiness struct {
	BusinessName    string         `json:"businessName,omitempty"`
	TradeName       string         `json:"tradeName,omitempty"`
	TaxID           string         `json:"taxId,omitempty"`
	BusinessAddress *verifyAddress `json:"businessAddress,omitempty"`
}

type evaluationCategory struct {
	Result         string            `json:"result"`
	FailureReasons map[string]string `json:"failureReasons,omitempty"`
}

func (s *Server) verify(c *call) (any, error) {
	if err := requireProduct(c, ProductVerify, "POST /v3/verify"); err != nil {
		return nil, err
	}
	possession, err := verifyBodyKind(c)
	if err != nil {
		return nil, err
	}
	if possession {
		return s.verifyPossession(c)
	}
	var req verifyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if needsName(req.VerificationType) {
		if req.FirstName == "" {
			c.rule = "verify.name"
			return nil, errMalformed("field 'firstName' is missing: verificationType %s needs the first and last name", req.VerificationType)
		}
		if req.LastName == "" {
			c.rule = "verify.name"
			return nil, errMalformed("field 'lastName' is missing: verificationType %s needs the first and last name", req.VerificationType)
		}
	}
	p, err := s.suiteUser(c, req.PhoneNumber, ProductVerify)
	if err != nil {
		return nil, err
	}
	resp := s.verifyPersona(c, p, req)
	resp.CorrelationID = s.newID()
	c.correlationID = resp.CorrelationID
	return resp, nil
}

// needsName: Prove's docs require the name for these types.
func needsName(t string) bool { return t == "verifiedUser" || t == "accountOpening" }

// verifyPersona is the persona's answer to one verification.
func (s *Server) verifyPersona(c *call, p *Persona, req verifyRequest) verifyResponse {
	v := p.Verify
	pass := v.Outcome != "fail"
	eval := map[string]evaluationCategory{
		"authentication": {Result: "pass"}, "identification": {Result: "pass"}, "risk": {Result: "pass"},
	}
	c.rule = "verify.pass"
	switch {
	case !pass:
		reasons := v.FailureReasons
		if len(reasons) == 0 {
			reasons = map[string]string{reasonNoIdentity: "No active identity can be associated with the phone number."}
		}
		eval["authentication"] = evaluationCategory{Result: "fail", FailureReasons: reasons}
		c.rule = "persona.verify.outcome"
	case needsName(req.VerificationType) && !sameName(p.Individual, req.FirstName, req.LastName):
		pass = false
		eval["identification"] = evaluationCategory{Result: "fail", FailureReasons: map[string]string{reasonNameMismatch: "The name does not match the identity of the phone number."}}
		c.rule = "verify.name.mismatch"
	}
	level, why := v.AssuranceLevel, v.Reasons
	if level == "" {
		level = "AL2"
		if !pass {
			level = "AL0"
		}
	}
	if len(why) == 0 {
		why = []string{level + "a"}
		if !pass {
			why = []string{level + "b"}
		}
	}
	resp := verifyResponse{
		Success: "false", PhoneNumber: req.PhoneNumber, ProveID: p.proveID(), ProvePhoneAlias: p.provePhoneAlias(),
		Evaluation: eval, ClientCustomerID: req.ClientCustomerID, ClientHumanID: req.ClientHumanID, ClientRequestID: req.ClientRequestID,
	}
	if pass {
		resp.Success = "true"
	}
	id := identityOfType(p.Individual, req.VerificationType, level, why)
	resp.Identity = &id
	for _, other := range v.AdditionalIdentities {
		resp.AdditionalIdentities = append(resp.AdditionalIdentities, identityOfType(other, req.VerificationType, "AL1", []string{"AL1a"}))
	}
	if req.VerificationType == "prefillForBiz" {
		for _, b := range v.Businesses {
			vb := verifyBusiness{BusinessName: b.BusinessName, TradeName: b.TradeName, TaxID: b.TaxID}
			if b.BusinessAddress != (Address{}) {
				a := verifyAddr(b.BusinessAddress)
				vb.BusinessAddress = &a
			}
			resp.Businesses = append(resp.Businesses, vb)
		}
	}
	if c.client.Grants(ProductIdentityManager) {
		if pass && req.VerificationType == "verifiedUser" {
			_, _ = s.enrolPersona(c, p, enrolRequest{ClientCustomerID: req.ClientCustomerID, ClientHumanID: req.ClientHumanID})
		}
		enrolled := s.st.identities.enrolled(c.client.ID, p.proveID())
		resp.IsEnrolled = &enrolled
	}
	return resp
}

// identityOfType is the identity data a verification type answers: every
// type answers the assurance level; the pre-fill and account types the
// person's data too.
func identityOfType(ind Individual, verificationType, level string, reasons []string) verifyIdentity {
	id := verifyIdentity{AssuranceLevel: level, Reasons: reasons}
	switch verificationType {
	case "humanAssurance", "prefillForBiz":
		return id
	}
	id.FirstName, id.LastName = ind.FirstName, ind.LastName
	if verificationType == "identityResolution" {
		return id
	}
	id.DateOfBirth, id.NationalID, id.Emails = ind.DOB, ind.SSN, ind.EmailAddresses
	for _, a := range ind.Addresses {
		id.Addresses = append(id.Addresses, verifyAddr(a))
	}
	return id
}

func verifyAddr(a Address) verifyAddress {
	return verifyAddress{Address: a.Address, ExtendedAddress: a.ExtendedAddress, City: a.City, Region: a.Region, ZipCode: a.PostalCode}
}

func sameName(ind Individual, first, last string) bool {
	return strings.EqualFold(strings.TrimSpace(first), ind.FirstName) && strings.EqualFold(strings.TrimSpace(last), ind.LastName)
}

// verifyBatchRequest is V3VerifyBatchRequest.
type verifyBatchRequest struct {
	ClientRequestID string          `json:"clientRequestId,omitempty"`
	Items           []verifyRequest `json:"items"`
}

// verifyBatchResult is VerifyBatchResultItem.
type verifyBatchResult struct {
	Success              string                        `json:"success"`
	PhoneNumber          string                        `json:"phoneNumber"`
	AssuranceLevel       string                        `json:"assuranceLevel"`
	ClientCustomerID     string                        `json:"clientCustomerId"`
	ClientHumanID        string                        `json:"clientHumanId,omitempty"`
	ProveID              string                        `json:"proveId,omitempty"`
	ProvePhoneAlias      string                        `json:"provePhoneAlias,omitempty"`
	Identity             *verifyIdentity               `json:"identity,omitempty"`
	AdditionalIdentities []verifyIdentity              `json:"additionalIdentities,omitempty"`
	Evaluation           map[string]evaluationCategory `json:"evaluation,omitempty"`
	Error                string                        `json:"error"`
}

func (s *Server) verifyBatch(c *call) (any, error) {
	if err := requireProduct(c, ProductVerify, "POST /v3/verify/batch"); err != nil {
		return nil, err
	}
	var req verifyBatchRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	results := make([]verifyBatchResult, 0, len(req.Items))
	for _, it := range req.Items {
		res := verifyBatchResult{Success: "false", PhoneNumber: it.PhoneNumber, ClientCustomerID: it.ClientCustomerID, ClientHumanID: it.ClientHumanID}
		p := s.personaByPhone(it.PhoneNumber)
		switch {
		case !validVerificationType(it.VerificationType):
			res.Error = "invalid verificationType " + it.VerificationType + ": use one of " + strings.Join(verificationTypes, ", ")
		case p == nil:
			res.Error = "no test user found matching the phone number " + it.PhoneNumber
		case !hasProduct(p, ProductVerify):
			res.Error = "sandbox test user access denied: " + it.PhoneNumber + " is not a test user of Verified Users"
		default:
			one := s.verifyPersona(c, p, it)
			res.Success, res.ProveID, res.ProvePhoneAlias = one.Success, one.ProveID, one.ProvePhoneAlias
			res.Identity, res.AdditionalIdentities, res.Evaluation = one.Identity, one.AdditionalIdentities, one.Evaluation
			res.AssuranceLevel = one.Identity.AssuranceLevel
		}
		results = append(results, res)
	}
	c.rule = "verify.batch"
	id := s.newID()
	c.correlationID = id
	return map[string]any{"correlationId": id, "clientRequestId": req.ClientRequestID, "results": results}, nil
}

func validVerificationType(t string) bool {
	for _, v := range verificationTypes {
		if v == t {
			return true
		}
	}
	return false
}

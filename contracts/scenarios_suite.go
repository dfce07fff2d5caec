package contracts

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Scenarios of Prove's current suite beyond Unify: Verify (one and in
// batch), Identity Manager, ProveX, which products a client is provisioned
// for, and the webhooks of Identity Manager (the control API's). The
// scenarios that need only the unify-client use Prove's documented sandbox
// users; mockprove's edge personas are marked with NeedPersonas.

// Personas of the suite (specs/personas.yaml).
const (
	elena  = "2001004053" // Prove sandbox (Verified Users, SDK example): verifies, AL2; ProveX knows a wallet id
	alf    = "2001004054" // Prove sandbox (Verified Users, SDK example): does not verify, AL0, 9175 and 9177
	sheila = "2001004011" // Prove sandbox (Verified Users): short-term user with her full identity
	merla  = "2001004031" // Prove sandbox (Identity Manager)
	batchX = "2001004032" // Prove sandbox (Identity Manager): the second number of the batch example
	jaimie = "2001004035" // Prove sandbox (Identity Manager)
	stanly = "2001004036" // Prove sandbox (Identity Manager)
	noor   = "2009990040" // two people on the number: additionalIdentities
	ruth   = "2009990041" // prefillForBiz: her bakery
	omar   = "2009990042" // /v3/verify answers 500 code 8000

	unknownProveID = "00000000-0000-4000-8000-0000000000ff" // no person, no attribute
)

var elenaVerify = VerifyBody(elena, "verifiedUser", "firstName", "Elena", "lastName", "Coldman")

// batchItem is a /v3/verify/batch item.
func batchItem(phone, first, last, verificationType string, extra ...any) map[string]any {
	return with(map[string]any{"phoneNumber": phone, "firstName": first, "lastName": last, "verificationType": verificationType}, extra)
}

// suiteOps are the operations of the suite one call each, for the
// product checks: method, path and body.
var suiteOps = []struct {
	method, path string
	body         any
}{
	{http.MethodPost, "/v3/unify", UnifyBody(laney, "mobile")},
	{http.MethodPost, "/v3/unify-status", map[string]any{"correlationId": "00000000-0000-4000-8000-000000000000"}},
	{http.MethodPost, "/v3/unify-bind", map[string]any{"correlationId": "00000000-0000-4000-8000-000000000000", "phoneNumber": lorant}},
	{http.MethodPost, "/v3/device/revoke", map[string]any{"clientRequestId": "req-revoke", "deviceId": unknownProveID}},
	{http.MethodPost, "/v3/verify", elenaVerify},
	{http.MethodPost, "/v3/verify/batch", map[string]any{"items": []any{batchItem(elena, "Elena", "Coldman", "verifiedUser")}}},
	{http.MethodPost, "/v3/identity", map[string]any{"phoneNumber": merla}},
	{http.MethodPost, "/v3/identity/batch", map[string]any{"items": []any{map[string]any{"phoneNumber": merla}}}},
	{http.MethodGet, "/v3/identity?limit=10", nil},
	{http.MethodGet, "/v3/identity/" + merla + "/lookup", nil},
	{http.MethodGet, "/v3/identity/" + unknownProveID, nil},
	{http.MethodGet, "/v3/discover?proveId=" + unknownProveID, nil},
	{http.MethodGet, "/v3/fetch?proveId=" + unknownProveID + "&attributeId=" + unknownProveID, nil},
}

func init() {
	register(
		// ---- Verify ----
		Scenario{Area: "verify", Name: "verified-user", Doc: `verifiedUser of a sandbox user: success "true", AL2, evaluation pass, proveId, the ids echoed`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.Verified(with(VerifyBody(elena, "verifiedUser", "firstName", "Elena", "lastName", "Coldman"),
					[]any{"clientRequestId", "req-verify-1", "clientCustomerId", "cust-elena"}), "true")
				x.Field(r, "identity.assuranceLevel", "AL2")
				x.Field(r, "evaluation.authentication.result", "pass")
				x.Field(r, "clientRequestId", "req-verify-1")
				x.Field(r, "clientCustomerId", "cust-elena")
				x.ProveID(r, "proveId")
			}},
		Scenario{Area: "verify", Name: "not-verified", Doc: `a sandbox user who does not verify: success "false", AL0 [AL0b], authentication fails with 9175 and 9177`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.Verified(VerifyBody(alf, "verifiedUser", "firstName", "Alf", "lastName", "Novotni"), "false")
				x.Field(r, "identity.assuranceLevel", "AL0")
				x.Field(r, "identity.reasons", []string{"AL0b"})
				x.Field(r, "evaluation.authentication.result", "fail")
				for _, code := range []string{"9175", "9177"} {
					_, ok := r.Get("evaluation.authentication.failureReasons." + code)
					x.Check(ok, r, "response body evaluation.authentication.failureReasons", "verify.reasons", "failure reason "+code, short(r.JSON["evaluation"]))
				}
			}},
		Scenario{Area: "verify", Name: "name-mismatch", Doc: `verifiedUser with another person's name: success "false"`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Verified(VerifyBody(elena, "verifiedUser", "firstName", "John", "lastName", "Smith"), "false")
			}},
		Scenario{Area: "verify", Name: "type-account-opening", Doc: `accountOpening: success "true" with the person's name and an assurance level`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.Verified(VerifyBody(sheila, "accountOpening", "firstName", "Sheilakathryn", "lastName", "Butrimovich"), "true")
				x.Field(r, "identity.firstName", "Sheilakathryn")
				x.Check(r.Str("identity.assuranceLevel") != "", r, "response body identity.assuranceLevel", "flow.field", "an assurance level", "nothing")
			}},
		Scenario{Area: "verify", Name: "type-human-assurance", Doc: `humanAssurance, no name needed: success "true" with an assurance level`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.Verified(VerifyBody(sheila, "humanAssurance"), "true")
				x.Check(r.Str("identity.assuranceLevel") != "", r, "response body identity.assuranceLevel", "flow.field", "an assurance level", "nothing")
			}},
		Scenario{Area: "verify", Name: "type-prefill", Doc: `prefill: success "true" with the identity: name, date of birth, national id, email, address`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.Verified(VerifyBody(sheila, "prefill"), "true")
				x.Field(r, "identity.firstName", "Sheilakathryn")
				x.Field(r, "identity.lastName", "Butrimovich")
				x.Field(r, "identity.dateOfBirth", "1974-12-09")
				x.Field(r, "identity.nationalId", "148882298")
				x.Field(r, "identity.emails.0", "sbutrimovichb@who.int")
				x.Field(r, "identity.addresses.0.zipCode", "15205")
			}},
		Scenario{Area: "verify", Name: "type-identity-resolution", Doc: `identityResolution: success "true" with the name on the number`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.Verified(VerifyBody(sheila, "identityResolution"), "true")
				x.Field(r, "identity.firstName", "Sheilakathryn")
				x.Field(r, "identity.lastName", "Butrimovich")
			}},
		Scenario{Area: "verify", Name: "type-prefill-for-biz", Doc: `prefillForBiz: success "true" with the person's businesses`,
			Needs: []Need{NeedUnify, NeedPersonas},
			Body: func(x *X) {
				r := x.Verified(VerifyBody(ruth, "prefillForBiz"), "true")
				x.Field(r, "businesses.0.businessName", "Calloway Bakery LLC")
				x.Field(r, "businesses.0.businessAddress.zipCode", "05401")
			}},
		Scenario{Area: "verify", Name: "additional-identities", Doc: "two people on one number: the best identity and additionalIdentities",
			Needs: []Need{NeedUnify, NeedPersonas},
			Body: func(x *X) {
				r := x.Verified(VerifyBody(noor, "verifiedUser", "firstName", "Noor", "lastName", "Haddad"), "true")
				x.Field(r, "identity.assuranceLevel", "AL3")
				x.Field(r, "additionalIdentities.0.firstName", "Karim")
			}},
		Scenario{Area: "verify", Name: "is-enrolled", Doc: "after an Identity Manager enrolment, verify answers isEnrolled true and the same proveId",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				id := x.Enrol(elena)
				r := x.Verified(elenaVerify, "true")
				x.Field(r, "isEnrolled", true)
				x.Field(r, "proveId", id)
			}},
		Scenario{Area: "verify", Name: "without-name", Doc: "verifiedUser without firstName: 400 code 8001 naming it",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Error(x.API(Unify, "/v3/verify", VerifyBody(elena, "verifiedUser", "lastName", "Coldman")), http.StatusBadRequest, 8001, "firstName")
			}},
		Scenario{Area: "verify", Name: "wrong-type", Doc: "a verificationType not in the list: 400 code 8001 naming it",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Error(x.BadAPI(Unify, "/v3/verify", VerifyBody(elena, "bot")), http.StatusBadRequest, 8001, "verificationType")
			}},
		Scenario{Area: "verify", Name: "unknown-user-8007", Doc: "a number that is no test user: 400 code 8007",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Error(x.API(Unify, "/v3/verify", VerifyBody(nobody, "humanAssurance")), http.StatusBadRequest, 8007)
			}},
		Scenario{Area: "verify", Name: "persona-8000", Doc: "/v3/verify answers 500 code 8000 for its persona",
			Needs: []Need{NeedUnify, NeedPersonas},
			Body: func(x *X) {
				x.Error(x.API(Unify, "/v3/verify", VerifyBody(omar, "humanAssurance")), http.StatusInternalServerError, 8000)
			}},
		Scenario{Area: "verify", Name: "batch-per-item", Doc: `a batch answers one result per item, in order: "true", "false", and an error for an unknown number and an unknown type`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.API(Unify, "/v3/verify/batch", map[string]any{"clientRequestId": "req-batch-1", "items": []any{
					batchItem(elena, "Elena", "Coldman", "verifiedUser", "clientCustomerId", "cust-0"),
					batchItem(alf, "Alf", "Novotni", "verifiedUser"),
					batchItem(nobody, "No", "Body", "verifiedUser"),
					batchItem(elena, "Elena", "Coldman", "bot"),
				}})
				x.Status(r, http.StatusOK)
				x.cid = r.Str("correlationId")
				x.Field(r, "clientRequestId", "req-batch-1")
				x.Check(len(r.List("results")) == 4, r, "response body results", "verify.batch", "4 results", itoa(len(r.List("results"))))
				for i, want := range []string{"true", "false", "false", "false"} {
					x.Field(r, "results."+itoa(i)+".success", want)
				}
				x.Field(r, "results.0.phoneNumber", elena)
				x.Field(r, "results.0.clientCustomerId", "cust-0")
				x.Field(r, "results.0.assuranceLevel", "AL2")
				x.Field(r, "results.1.assuranceLevel", "AL0")
				x.Field(r, "results.2.phoneNumber", nobody)
				for i, failed := range []bool{false, false, true, true} {
					msg := r.Str("results." + itoa(i) + ".error")
					x.Check((msg != "") == failed, r, "response body results."+itoa(i)+".error", "verify.batch",
						map[bool]string{true: "an error message", false: `"" (the item was verified)`}[failed], strconvQuote(msg))
				}
			}},
		Scenario{Area: "verify", Name: "batch-1000", Doc: "a batch of 1000 items answers 1000 results; 1001 items answer 400 code 8001 naming items",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				items := func(n int) []any {
					out := make([]any, n)
					for i := range out {
						out[i] = batchItem(elena, "Elena", "Coldman", "verifiedUser", "clientCustomerId", "cust-"+itoa(i))
					}
					return out
				}
				r := x.API(Unify, "/v3/verify/batch", map[string]any{"items": items(1000)})
				x.Status(r, http.StatusOK)
				x.Check(len(r.List("results")) == 1000, r, "response body results", "verify.batch", "1000 results", itoa(len(r.List("results"))))
				x.Field(r, "results.999.clientCustomerId", "cust-999")
				x.Field(r, "results.999.success", "true")
				x.Error(x.BadAPI(Unify, "/v3/verify/batch", map[string]any{"items": items(1001)}), http.StatusBadRequest, 8001, "items")
			}},
		Scenario{Area: "verify", Name: "batch-empty", Doc: "a batch without items: 400 code 8001 naming items",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Error(x.BadAPI(Unify, "/v3/verify/batch", map[string]any{"items": []any{}}), http.StatusBadRequest, 8001, "items")
			}},

		// ---- Identity Manager ----
		Scenario{Area: "idmanager", Name: "enrol-get", Doc: "enrol answers success true and a proveId; get answers the record, active",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				id := x.Enrol(merla, "clientCustomerId", "cust-merla", "clientRequestId", "req-enrol-1")
				r := x.Identity(id)
				x.Field(r, "phoneNumber", merla)
				x.Field(r, "active", true)
				x.Field(r, "clientCustomerId", "cust-merla")
			}},
		Scenario{Area: "idmanager", Name: "batch-items", Doc: `batch enrol under "items": a proveId per known number, "Invalid Phone Number" for an unknown one`,
			Needs: []Need{NeedUnify},
			Body:  func(x *X) { batchEnrol(x, "items", jaimie, stanly) }},
		Scenario{Area: "idmanager", Name: "batch-identities", Doc: `batch enrol under "identities" (Prove's sandbox page) works the same`,
			Needs: []Need{NeedUnify},
			Body:  func(x *X) { batchEnrol(x, "identities", merla, batchX) }},
		Scenario{Area: "idmanager", Name: "batch-both-names", Doc: `a batch with both "items" and "identities": 400 code 8001`,
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				one := []any{map[string]any{"phoneNumber": merla}}
				x.Error(x.API(Unify, "/v3/identity/batch", map[string]any{"items": one, "identities": one}), http.StatusBadRequest, 8001)
			}},
		Scenario{Area: "idmanager", Name: "batch-over-100", Doc: "a batch of 101 identities: 400 code 8001 naming items",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				items := make([]any, 101)
				for i := range items {
					items[i] = map[string]any{"phoneNumber": merla}
				}
				x.Error(x.BadAPI(Unify, "/v3/identity/batch", map[string]any{"items": items}), http.StatusBadRequest, 8001, "items")
			}},
		Scenario{Area: "idmanager", Name: "list-pages", Doc: "list with limit pages through lastKey / startKey to every enrolled identity",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				ids := []string{x.Enrol(merla), x.Enrol(jaimie), x.Enrol(stanly)}
				for _, limit := range []int{1, 2} {
					seen := x.ListAll(limit, false)
					for _, id := range ids {
						x.Check(seen[id], &Resp{Op: "GET /v3/identity"}, "response body results", "identity.list", "proveId "+id+" listed (limit "+itoa(limit)+")", "not listed")
					}
				}
			}},
		Scenario{Area: "idmanager", Name: "deactivate-activate", Doc: "deactivate: get says inactive, list leaves it out unless showInactive; activate brings it back",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				id := x.Enrol(stanly)
				op := &Resp{Op: "GET /v3/identity"}
				r := x.Do(Request{Method: http.MethodPost, Path: "/v3/identity/" + id + "/deactivate", Bearer: x.Token(Unify)})
				x.Status(r, http.StatusOK)
				x.Field(r, "success", true)
				x.Field(x.Identity(id), "active", false)
				x.Check(!x.ListAll(100, false)[id], op, "response body results", "identity.list", "no inactive "+id+" without showInactive", "listed")
				x.Check(x.ListAll(100, true)[id], op, "response body results", "identity.list", "inactive "+id+" listed with showInactive=true", "not listed")
				r = x.API(Unify, "/v3/identity/"+id+"/activate", map[string]any{"clientRequestId": "req-activate-1"})
				x.Status(r, http.StatusOK)
				x.Field(r, "success", true)
				x.Field(x.Identity(id), "active", true)
				x.Check(x.ListAll(100, false)[id], op, "response body results", "identity.list", "active "+id+" listed", "not listed")
			}},
		Scenario{Area: "idmanager", Name: "disenrol", Doc: "disenrol: success true; then get and a second disenrol answer 404 code 8011; enrol again works",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				id := x.Enrol(jaimie)
				r := x.Delete(Unify, "/v3/identity/"+id)
				x.Status(r, http.StatusOK)
				x.Field(r, "success", true)
				x.NotFound(x.Get(Unify, "/v3/identity/"+id))
				x.NotFound(x.Delete(Unify, "/v3/identity/"+id))
				x.Field(x.Identity(x.Enrol(jaimie)), "active", true)
			}},
		Scenario{Area: "idmanager", Name: "lookup", Doc: "lookup by mobile number answers the enrolled record",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				id := x.Enrol(merla)
				r := x.Get(Unify, "/v3/identity/"+merla+"/lookup")
				x.Status(r, http.StatusOK)
				found := false
				for i := range r.List("items") {
					found = found || r.Str("items."+itoa(i)+".proveId") == id
				}
				x.Check(found, r, "response body items", "identity.lookup", "an item with proveId "+id, short(r.JSON["items"]))
				x.Field(r, "items.0.phoneNumber", merla)
			}},
		Scenario{Area: "idmanager", Name: "lookup-none", Doc: "lookup of a number nobody enrolled: 200 with no items",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.Get(Unify, "/v3/identity/"+alf+"/lookup")
				x.Status(r, http.StatusOK)
				x.Field(r, "items", []any{})
			}},
		Scenario{Area: "idmanager", Name: "unknown-id", Doc: "get, disenrol, activate and deactivate of an unknown proveId: 404 code 8011",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				path := "/v3/identity/" + unknownProveID
				x.NotFound(x.Get(Unify, path))
				x.NotFound(x.Delete(Unify, path))
				x.NotFound(x.Do(Request{Method: http.MethodPost, Path: path + "/activate", Bearer: x.Token(Unify)}))
				x.NotFound(x.Do(Request{Method: http.MethodPost, Path: path + "/deactivate", Bearer: x.Token(Unify)}))
			}},
		Scenario{Area: "idmanager", Name: "bad-start-key", Doc: "a startKey no page gave: 400 code 8001 naming it",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Error(x.Get(Unify, "/v3/identity?startKey=%21%21not-a-key"), http.StatusBadRequest, 8001, "startKey")
			}},
		Scenario{Area: "idmanager", Name: "limit-out-of-range", Doc: "limit 0 and limit 1001: 400 code 8001 naming limit",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				for _, l := range []string{"0", "1001"} {
					r := x.Do(Request{Method: http.MethodGet, Path: "/v3/identity?limit=" + l, Bearer: x.Token(Unify), Invalid: true})
					x.Error(r, http.StatusBadRequest, 8001, "limit")
				}
			}},
		Scenario{Area: "idmanager", Name: "enrol-unknown-8007", Doc: "enrolling a number that is no test user: 400 code 8007",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Error(x.API(Unify, "/v3/identity", map[string]any{"phoneNumber": nobody}), http.StatusBadRequest, 8007)
			}},

		// ---- ProveX ----
		Scenario{Area: "provex", Name: "discover-fetch", Doc: "the proveId of a verify: discover lists attributes, fetch answers the value of one",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				id := x.ProveID(x.Verified(elenaVerify, "true"), "proveId")
				r := x.Get(Unify, "/v3/discover?"+url.Values{"proveId": {id}}.Encode())
				x.Status(r, http.StatusOK)
				attr, issuer := r.Str("results.0.attributeId"), r.Str("results.0.issuerId")
				x.Check(attr != "", r, "response body results", "provex.discover", "at least one attribute", short(r.JSON["results"]))
				r = x.Get(Unify, "/v3/fetch?"+url.Values{"proveId": {id}, "attributeId": {attr}}.Encode())
				x.Status(r, http.StatusOK)
				x.Field(r, "results.0.attributeId", attr)
				x.Field(r, "results.0.issuerId", issuer)
				x.Check(r.Str("results.0.attributeValue") != "", r, "response body results.0.attributeValue", "provex.fetch", "a value", "nothing")
			}},
		Scenario{Area: "provex", Name: "one-prove-id", Doc: "Verify, Identity Manager and lookup agree on one proveId per person",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				id := x.ProveID(x.Verified(VerifyBody(sheila, "humanAssurance"), "true"), "proveId")
				enrolled := x.Enrol(sheila)
				x.Check(enrolled == id, &Resp{Op: "POST /v3/identity"}, "response body proveId", "identity.proveId", "the proveId of /v3/verify, "+id, enrolled)
				x.Field(x.Get(Unify, "/v3/identity/"+sheila+"/lookup"), "items.0.proveId", id)
				x.Status(x.Get(Unify, "/v3/discover?proveId="+url.QueryEscape(id)), http.StatusOK)
			}},
		Scenario{Area: "provex", Name: "unknown-prove-id", Doc: "discover and fetch of an unknown proveId: 404 code 8011",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.NotFound(x.Get(Unify, "/v3/discover?proveId="+unknownProveID))
				x.NotFound(x.Get(Unify, "/v3/fetch?proveId="+unknownProveID+"&attributeId="+unknownProveID))
			}},
		Scenario{Area: "provex", Name: "unknown-attribute", Doc: "fetch of an attribute the person does not have: 404 code 8011",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				id := x.ProveID(x.Verified(elenaVerify, "true"), "proveId")
				x.NotFound(x.Get(Unify, "/v3/fetch?proveId="+url.QueryEscape(id)+"&attributeId="+unknownProveID))
			}},
		Scenario{Area: "provex", Name: "missing-prove-id", Doc: "discover without proveId: 400 code 8001 naming it",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				r := x.Do(Request{Method: http.MethodGet, Path: "/v3/discover", Bearer: x.Token(Unify), Invalid: true})
				x.Error(r, http.StatusBadRequest, 8001, "proveId")
			}},

		// ---- products ----
		notProvisioned("identity-client-8009", "Prove Identity", Identity, NeedIdentity),
		notProvisioned("prefill-client-8009", "Pre-Fill", Prefill, NeedPrefill),
		Scenario{Area: "products", Name: "unify-client-works", Doc: "the suite's client gets no 8009 on Unify, Verify, Identity Manager and ProveX",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				for _, op := range suiteOps {
					r := x.Do(Request{Method: op.method, Path: op.path, Bearer: x.Token(Unify), JSON: op.body})
					code, _ := r.Get("code")
					x.Check(r.Status != http.StatusForbidden && code != float64(8009), r, "status", "client.products", "no 403 code 8009", short(r.Status)+" "+r.Str("message"))
				}
			}},
		Scenario{Area: "products", Name: "unify-client-no-start", Doc: "the suite's client at /v3/start (Pre-Fill / Prove Identity): 403 code 8009",
			Needs: []Need{NeedUnify},
			Body: func(x *X) {
				x.Refused(x.API(Unify, "/v3/start", Mobile(martina)))
			}},

		// ---- webhooks ----
		Scenario{Area: "webhooks", Name: "delivery", Doc: "an event reaches the client's webhook: a JSON array, X-Correlation-ID, an HS256 JWT signed with the secret",
			Needs: []Need{NeedUnify, NeedWebhooks},
			Body: func(x *X) {
				rc := x.Receiver()
				client := x.Client(Unify).ID
				x.Webhook(client, rc.URL, webhookSecret)
				id := x.Enrol(merla, "clientCustomerId", "cust-merla")
				r := x.Event(client, id, "PORT")
				delivered(x, r, 1)
				got := rc.Received()
				x.Check(len(got) == 1, r, "webhook receiver", "webhook.delivery", "1 POST", itoa(len(got)))
				d := got[0]
				x.Check(d.Header.Get("X-Correlation-ID") == r.Str("id"), r, "webhook request header X-Correlation-ID", "webhook.header",
					strconvQuote(r.Str("id"))+" (the delivery's id)", strconvQuote(d.Header.Get("X-Correlation-ID")))
				var claims struct {
					Iss string `json:"iss"`
				}
				tok, hasBearer := strings.CutPrefix(d.Header.Get("X-Prove-Authorization"), "Bearer ")
				x.Check(hasBearer && hs256Claims(tok, webhookSecret, &claims) && claims.Iss == "Prove Identity", r,
					"webhook request header X-Prove-Authorization", "webhook.signature",
					`"Bearer <HS256 JWT signed with the secret, iss Prove Identity>"`, strconvQuote(d.Header.Get("X-Prove-Authorization")))
				var events []map[string]any
				x.Check(json.Unmarshal(d.Body, &events) == nil && len(events) == 1, r, "webhook request body", "webhook.body", "a JSON array of one event", string(d.Body))
				ev := events[0]
				x.Check(ev["type"] == "PORT" && ev["proveId"] == id && ev["clientCustomerId"] == "cust-merla" && ev["id"] != "" && ev["description"] != "",
					r, "webhook request body", "webhook.body", "event PORT of "+id+" with clientCustomerId cust-merla, an id and a description", string(d.Body))
			}},
		Scenario{Area: "webhooks", Name: "each-type", Doc: "each of the five event types is delivered with its type",
			Needs: []Need{NeedUnify, NeedWebhooks},
			Body: func(x *X) {
				rc := x.Receiver()
				client := x.Client(Unify).ID
				x.Webhook(client, rc.URL, webhookSecret)
				types := []string{"PHONE_NUMBER_CHANGE", "DISCONNECT", "PORT", "LINE_TYPE_CHANGE", "MOVED_OUT_OF_COVERAGE"}
				for _, typ := range types {
					id := x.Enrol(jaimie) // enrolling again reactivates after DISCONNECT
					delivered(x, x.Event(client, id, typ), 1)
				}
				got := rc.Received()
				x.Check(len(got) == len(types), &Resp{Op: "POST /_mock/webhooks/events"}, "webhook receiver", "webhook.delivery", itoa(len(types))+" POSTs", itoa(len(got)))
				for i, d := range got {
					var events []map[string]any
					_ = json.Unmarshal(d.Body, &events)
					x.Check(len(events) == 1 && events[0]["type"] == types[i], &Resp{Op: "POST /_mock/webhooks/events"}, "webhook request body", "webhook.body",
						"one event of type "+types[i], string(d.Body))
				}
			}},
		Scenario{Area: "webhooks", Name: "retry", Doc: "a receiver that fails twice gets the same delivery a third time; delivered",
			Needs: []Need{NeedUnify, NeedWebhooks},
			Body: func(x *X) {
				rc := x.Receiver(http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusOK)
				client := x.Client(Unify).ID
				x.Webhook(client, rc.URL, webhookSecret)
				r := x.Event(client, x.Enrol(merla), "LINE_TYPE_CHANGE")
				delivered(x, r, 3)
				for i, st := range []int{500, 503, 200} {
					x.Number(r, "attempts."+itoa(i)+".status", st)
				}
				for _, d := range rc.Received() {
					x.Check(d.Header.Get("X-Correlation-ID") == r.Str("id"), r, "webhook request header X-Correlation-ID", "webhook.header",
						"the same id on every attempt, "+r.Str("id"), d.Header.Get("X-Correlation-ID"))
				}
			}},
		Scenario{Area: "webhooks", Name: "gives-up", Doc: "a receiver that always fails gets three attempts; not delivered",
			Needs: []Need{NeedUnify, NeedWebhooks},
			Body: func(x *X) {
				rc := x.Receiver(http.StatusInternalServerError)
				client := x.Client(Unify).ID
				x.Webhook(client, rc.URL, webhookSecret)
				r := x.Event(client, x.Enrol(merla), "PORT")
				x.Status(r, http.StatusOK)
				x.Field(r, "delivered", false)
				x.Check(len(r.List("attempts")) == 3 && len(rc.Received()) == 3, r, "response body attempts", "webhook.attempts", "3 attempts, 3 POSTs",
					itoa(len(r.List("attempts")))+" attempts, "+itoa(len(rc.Received()))+" POSTs")
			}},
		Scenario{Area: "webhooks", Name: "fault-failing-receiver", Doc: "a fault on step webhook plays a receiver answering 503 once: the second attempt reaches the receiver",
			Needs: []Need{NeedUnify, NeedWebhooks, NeedFaults},
			Body: func(x *X) {
				rc := x.Receiver()
				client := x.Client(Unify).ID
				x.Webhook(client, rc.URL, webhookSecret)
				id := x.Enrol(batchX)
				x.Fault(map[string]any{"step": "webhook", "status": 503, "count": 1, "client": client, "persona": batchX})
				r := x.Event(client, id, "PORT")
				delivered(x, r, 2)
				x.Number(r, "attempts.0.status", 503)
				x.Check(r.Str("attempts.0.fault") != "", r, "response body attempts.0.fault", "webhook.attempts", "the id of the fault that played the receiver", "nothing")
				x.Check(len(rc.Received()) == 1, r, "webhook receiver", "webhook.delivery", "1 POST (the faulted attempt never reached it)", itoa(len(rc.Received())))
			}},
		Scenario{Area: "webhooks", Name: "disconnect-stops", Doc: "after DISCONNECT the identity is inactive and gets no event (409) until activated",
			Needs: []Need{NeedUnify, NeedWebhooks},
			Body: func(x *X) {
				rc := x.Receiver()
				client := x.Client(Unify).ID
				x.Webhook(client, rc.URL, webhookSecret)
				id := x.Enrol(stanly)
				delivered(x, x.Event(client, id, "DISCONNECT"), 1)
				x.Field(x.Identity(id), "active", false)
				x.Status(x.Event(client, id, "PORT"), http.StatusConflict)
				x.Status(x.Do(Request{Method: http.MethodPost, Path: "/v3/identity/" + id + "/activate", Bearer: x.Token(Unify)}), http.StatusOK)
				delivered(x, x.Event(client, id, "PORT"), 1)
				x.Check(len(rc.Received()) == 2, &Resp{Op: "POST /_mock/webhooks/events"}, "webhook receiver", "webhook.delivery", "2 POSTs (none while inactive)", itoa(len(rc.Received())))
			}},
		Scenario{Area: "webhooks", Name: "unknown-identity", Doc: "an event about an identity the client did not enrol: 404 code 8011",
			Needs: []Need{NeedUnify, NeedWebhooks},
			Body: func(x *X) {
				rc := x.Receiver()
				client := x.Client(Unify).ID
				x.Webhook(client, rc.URL, webhookSecret)
				x.NotFound(x.Event(client, unknownProveID, "PORT"))
				x.Check(len(rc.Received()) == 0, &Resp{Op: "POST /_mock/webhooks/events"}, "webhook receiver", "webhook.delivery", "no POST", itoa(len(rc.Received())))
			}},
	)
}

const webhookSecret = "contracts-webhook-secret"

// delivered asserts a delivery answered by the control API: delivered
// after exactly attempts attempts.
func delivered(x *X, r *Resp, attempts int) {
	x.Status(r, http.StatusOK)
	x.Field(r, "delivered", true)
	x.Check(len(r.List("attempts")) == attempts, r, "response body attempts", "webhook.attempts", itoa(attempts)+" attempts", short(r.JSON["attempts"]))
}

// batchEnrol enrols two known numbers and an unknown one under the field
// name given and reads the two back.
func batchEnrol(x *X, field, a, b string) {
	r := x.API(Unify, "/v3/identity/batch", map[string]any{"clientRequestId": "req-batch-enrol", field: []any{
		map[string]any{"phoneNumber": a, "clientCustomerId": "cust-" + a},
		map[string]any{"phoneNumber": b},
		map[string]any{"phoneNumber": nobody},
	}})
	x.Status(r, http.StatusOK)
	x.Check(len(r.List("results")) == 3, r, "response body results", "identity.batch", "3 results", itoa(len(r.List("results"))))
	x.Field(r, "results.2.error", "Invalid Phone Number")
	for i, phone := range []string{a, b} {
		x.Field(x.Identity(x.ProveID(r, "results."+itoa(i)+".proveId")), "phoneNumber", phone)
	}
}

// notProvisioned is a scenario of a Pre-Fill or Identity client calling
// every operation of the suite: 403 code 8009 each.
func notProvisioned(name, productName, product string, need Need) Scenario {
	return Scenario{Area: "products", Name: name, Doc: "a " + productName + " client on Unify, Verify, Identity Manager and ProveX: 403 code 8009 each",
		Needs: []Need{need},
		Body: func(x *X) {
			for _, op := range suiteOps {
				x.Refused(x.Do(Request{Method: op.method, Path: op.path, Bearer: x.Token(product), JSON: op.body}))
			}
		}}
}

func strconvQuote(s string) string { return short(s) }

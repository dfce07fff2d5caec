package mockprove

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// People: what Prove's current suite (Verify, Identity Manager, ProveX and
// Unify) knows of a persona beyond the Pre-Fill / Identity data: one stable
// proveId across every product, the subscriber alias, the phone line and the
// partner attributes. Everything is derived from the persona data, so a
// persona file needs none of these fields.

// proveID is the persona's proveId: its own, or a UUID derived from the
// phone number (stable across runs and servers).
func (p *Persona) proveID() string {
	if p.ProveID != "" {
		return p.ProveID
	}
	return derivedUUID("proveId", p.Phone)
}

// provePhoneAlias is the persistent subscriber id of the persona's number.
func (p *Persona) provePhoneAlias() string {
	if p.Verify.ProvePhoneAlias != "" {
		return p.Verify.ProvePhoneAlias
	}
	sum := sha256.Sum256([]byte("mockprove provePhoneAlias " + p.Phone))
	return strings.ToUpper(fmt.Sprintf("%x", sum[:16]))
}

// line is the persona's phone line, defaults filled in.
func (p *Persona) line() Line {
	l := p.Line
	if l.Carrier == "" {
		l.Carrier = "Verizon"
	}
	if l.LineType == "" {
		l.LineType = "mobile"
	}
	if l.CountryCode == "" {
		l.CountryCode = "US"
		if strings.HasPrefix(p.Phone, "+44") {
			l.CountryCode = "GB"
		}
	}
	return l
}

// suitePersona reports whether the persona is a test user of a product of
// Prove's current suite (an identity Identity Manager may enrol).
func (p *Persona) suitePersona() bool {
	for _, pr := range p.Products {
		if pr == ProductUnify || pr == ProductVerify || pr == ProductIdentityManager {
			return true
		}
	}
	return false
}

// derivedUUID is a name-based UUID (version 5 layout, SHA-256 based) of kind
// and name.
func derivedUUID(kind, name string) string {
	b := sha256.Sum256([]byte("mockprove " + kind + " " + name))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// personaByPhone returns the current persona of a phone number.
func (s *Server) personaByPhone(phone string) *Persona {
	return s.st.personas.get(normalizePhone(phone))
}

// personaByProveID returns the persona with that proveId.
func (s *Server) personaByProveID(id string) *Persona {
	for _, p := range s.st.personas.load() {
		if strings.EqualFold(p.proveID(), id) {
			return p
		}
	}
	return nil
}

// suiteUser finds the persona of a phone number for an operation of product:
// 8007 for an unknown number, 8009 for a persona of other products.
func (s *Server) suiteUser(c *call, phone, product string) (*Persona, error) {
	p := s.personaByPhone(phone)
	c.persona = normalizePhone(phone)
	if p == nil {
		c.rule = "persona.unknown"
		return nil, errUserNotFound(phone)
	}
	ok := hasProduct(p, product) || (product == ProductIdentityManager && p.suitePersona())
	if !ok {
		c.rule = "persona.products"
		return nil, errAccessDenied("sandbox test user access denied: %s is not a test user of %s (products: %s)",
			phone, productName(product), strings.Join(p.Products, ", "))
	}
	return p, personaError(p, c)
}

// newID is a fresh UUID from the server's generator.
func (s *Server) newID() string { return s.st.ids.uuid() }

package mockprove

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Tokens are JWTs signed with HMAC-SHA256 (HS256) under a per-server key:
// cheap to mint and verify on the hot path, and unforgeable without the key.
//
// Every payload is minted so that its base64url form holds no '-' or '_':
// Prove's web SDK decodes the authToken with the browser's atob(), which
// rejects those characters (reference: prove-web-sdk.md §1). Such a payload
// is valid in both base64 alphabets. In base64, a 6-bit group of 62 or 63
// ('-', '_') comes only from a non-ASCII byte or from '>', '?', '~' or DEL
// in the third byte of a group of three; mint escapes all of these as \uXXXX
// inside the JSON strings, so every payload is atob-safe.

var (
	jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	b64       = base64.RawURLEncoding

	errTokenMalformed = errors.New("token is not a JWT")
	errTokenSignature = errors.New("token signature is invalid")
)

type signer struct{ key []byte }

// mint returns a signed JWT for claims (a struct or map that marshals to a
// JSON object).
func (s signer) mint(claims any) (string, error) {
	raw, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return "", errors.New("jwt claims must be a JSON object")
	}
	body := b64.EncodeToString(atobSafe(raw))
	if strings.ContainsAny(body, "-_") { // cannot happen: see atobSafe
		return "", errors.New("jwt: payload is not atob-safe")
	}
	signing := jwtHeader + "." + body
	return signing + "." + s.sign(signing), nil
}

// atobSafe escapes, in marshalled JSON, every character whose bytes can
// produce '-' or '_' in base64: '>', '?', '~', DEL and all non-ASCII. They
// only occur inside JSON strings, where \uXXXX means the same.
func atobSafe(raw []byte) []byte {
	var out []byte
	for i, r := range string(raw) {
		if r < 0x7e && r != '>' && r != '?' {
			if out != nil {
				out = append(out, byte(r))
			}
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(raw)+16), raw[:i]...)
		}
		if r > 0xffff { // a surrogate pair
			r -= 0x10000
			out = fmt.Appendf(out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			continue
		}
		out = fmt.Appendf(out, `\u%04x`, r)
	}
	if out == nil {
		return raw
	}
	return out
}

func (s signer) sign(signing string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(signing))
	return b64.EncodeToString(m.Sum(nil))
}

// verify checks the signature of a JWT minted by this signer and decodes its
// claims into out. Expiry is the caller's business (it depends on the clock).
func (s signer) verify(token string, out any) error {
	dot1 := strings.IndexByte(token, '.')
	dot2 := strings.LastIndexByte(token, '.')
	if dot1 <= 0 || dot2 <= dot1 || strings.Count(token, ".") != 2 {
		return errTokenMalformed
	}
	if token[:dot1] != jwtHeader {
		return errTokenSignature
	}
	want := s.sign(token[:dot2])
	if subtle.ConstantTimeCompare([]byte(want), []byte(token[dot2+1:])) != 1 {
		return errTokenSignature
	}
	raw, err := b64.DecodeString(token[dot1+1 : dot2])
	if err != nil {
		return errTokenMalformed
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return errTokenMalformed
	}
	return nil
}

// accessClaims are the claims of an OAuth access token from /token, in the
// style of Prove's Keycloak-issued tokens.
type accessClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"` // client id
	Party     string `json:"azp"` // client id
	Type      string `json:"typ"` // "Bearer"
	Product   string `json:"product"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	ID        string `json:"jti"`
}

// authClaims are the claims of the per-flow authToken that /v3/start returns
// and Prove's web SDK decodes (prove-web-sdk.md §1).
type authClaims struct {
	RequestID string    `json:"rid"`
	Issuer    string    `json:"iss"`
	Subject   string    `json:"sub"` // auth id
	IssuedAt  int64     `json:"iat"`
	ExpiresAt int64     `json:"exp"`
	Auth      authClaim `json:"auth"`
}

type authClaim struct {
	ID        string   `json:"id"`
	Namespace string   `json:"ans"`
	Endpoint  string   `json:"endp"` // bare origin of the device API
	Challenge string   `json:"chlg"`
	Next      string   `json:"next"` // first SDK step, e.g. "mobile/otp"
	Subs      authSubs `json:"subs"`
}

type authSubs struct {
	Mob authMob `json:"mob"`
}

type authMob struct {
	Auths authMobAuths `json:"auths"`
}

type authMobAuths struct {
	OTP  authMethod `json:"otp"`
	Inln authMethod `json:"inln"`
	Inst struct{}   `json:"inst"`
}

// authMethod: mnp = "mobile number provided" (the SDK need not ask for it).
type authMethod struct {
	MNP bool `json:"mnp"`
}

package mockprove

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Tokens are JWTs signed with HMAC-SHA256 (HS256) under a per-server key:
// cheap to mint and verify on the hot path, and unforgeable without the key.
//
// Every payload is minted so that its base64url form holds no '-' or '_':
// Prove's web SDK decodes the authToken with the browser's atob(), which
// rejects those characters (reference: prove-web-sdk.md §1). Such a payload
// is valid in both base64 alphabets.

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
	body := b64.EncodeToString(raw)
	// Add a filler claim until the payload is atob-safe; a handful of tries
	// suffice in practice (each try changes the encoding of the tail).
	for n := 0; strings.ContainsAny(body, "-_"); n++ {
		if n > 96 {
			return "", errors.New("jwt: no atob-safe encoding found")
		}
		padded := make([]byte, 0, len(raw)+16+n)
		padded = append(padded, raw[:len(raw)-1]...)
		padded = append(padded, `,"pad":"`...)
		padded = append(padded, bytes.Repeat([]byte{'x'}, n)...)
		padded = append(padded, `"}`...)
		body = b64.EncodeToString(padded)
	}
	signing := jwtHeader + "." + body
	return signing + "." + s.sign(signing), nil
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

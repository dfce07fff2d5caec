package mockprove

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
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

type signer struct {
	key  []byte
	macs *sync.Pool // keyed HMAC-SHA256 states, reset and reused; nil: a new one each time
}

func newSigner(key []byte) signer {
	return signer{key: key, macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// mint returns a signed JWT for claims (a struct or map that marshals to a
// JSON object).
func (s signer) mint(claims any) (string, error) {
	raw, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return s.mintJSON(raw)
}

// mintJSON signs claims already marshalled to a JSON object.
func (s signer) mintJSON(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return "", errors.New("jwt claims must be a JSON object")
	}
	safe := atobSafe(raw)
	buf := make([]byte, 0, len(jwtHeader)+1+b64.EncodedLen(len(safe))+1+b64.EncodedLen(sha256.Size))
	buf = append(buf, jwtHeader...)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, safe)
	if bytes.ContainsAny(buf[len(jwtHeader)+1:], "-_") { // cannot happen: see atobSafe
		return "", errors.New("jwt: payload is not atob-safe")
	}
	var sum [sha256.Size]byte
	buf = b64.AppendEncode(append(buf, '.'), s.mac(buf, sum[:0]))
	// buf was sized for the whole token and is never written again: the
	// string shares its bytes instead of copying them.
	return unsafe.String(unsafe.SliceData(buf), len(buf)), nil
}

// claimBufs recycles the buffers authTokens' claims are marshalled into.
var claimBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// mintAuth mints the authToken of claims (one on every /v3/start).
func (s signer) mintAuth(claims *authClaims) (string, error) {
	bp := claimBufs.Get().(*[]byte)
	raw := claims.appendJSON((*bp)[:0])
	token, err := s.mintJSON(raw) // the token does not share raw's bytes
	if cap(raw) <= 4096 {
		*bp = raw[:0]
		claimBufs.Put(bp)
	}
	return token, err
}

// mac appends the HMAC-SHA256 of signing to out.
func (s signer) mac(signing, out []byte) []byte {
	if s.macs == nil {
		m := hmac.New(sha256.New, s.key)
		m.Write(signing)
		return m.Sum(out)
	}
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(signing)
	out = m.Sum(out)
	s.macs.Put(m)
	return out
}

// atobSafe escapes, in marshalled JSON, every character whose bytes can
// produce '-' or '_' in base64: '>', '?', '~', DEL and all non-ASCII. They
// only occur inside JSON strings, where \uXXXX means the same.
func atobSafe(raw []byte) []byte {
	var out []byte
	for i := 0; i < len(raw); {
		if c := raw[i]; c < 0x7e && c != '>' && c != '?' {
			if out != nil {
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(raw[i:]) // as range over a string: U+FFFD, width 1, for a bad byte
		if out == nil {
			out = append(make([]byte, 0, len(raw)+16), raw[:i]...)
		}
		i += n
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
	var sum [sha256.Size]byte
	return b64.EncodeToString(s.mac([]byte(signing), sum[:0]))
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
	Mob authMob  `json:"mob"`
	Dev *authDev `json:"dev,omitempty"` // Prove Key (Unify): device/passive
}

// authDev is auth.subs.dev: the passive Prove Key with its user
// verification level ("none": no WebAuthn, the silent ES256 key only).
type authDev struct {
	Auths struct {
		Pasv struct {
			UVLevel string `json:"uvlvl"`
		} `json:"pasv"`
	} `json:"auths"`
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

// appendJSON marshals the claims as encoding/json does (same bytes), without
// reflection: the authToken is minted on every /v3/start.
func (a *authClaims) appendJSON(b []byte) []byte {
	b = append(b, `{"rid":`...)
	b = appendJSONString(b, a.RequestID)
	b = append(b, `,"iss":`...)
	b = appendJSONString(b, a.Issuer)
	b = append(b, `,"sub":`...)
	b = appendJSONString(b, a.Subject)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, a.IssuedAt, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, a.ExpiresAt, 10)
	c := &a.Auth
	b = append(b, `,"auth":{"id":`...)
	b = appendJSONString(b, c.ID)
	b = append(b, `,"ans":`...)
	b = appendJSONString(b, c.Namespace)
	b = append(b, `,"endp":`...)
	b = appendJSONString(b, c.Endpoint)
	b = append(b, `,"chlg":`...)
	b = appendJSONString(b, c.Challenge)
	b = append(b, `,"next":`...)
	b = appendJSONString(b, c.Next)
	m := &c.Subs.Mob.Auths
	b = append(b, `,"subs":{"mob":{"auths":{"otp":{"mnp":`...)
	b = strconv.AppendBool(b, m.OTP.MNP)
	b = append(b, `},"inln":{"mnp":`...)
	b = strconv.AppendBool(b, m.Inln.MNP)
	b = append(b, `},"inst":{}}}`...)
	if d := c.Subs.Dev; d != nil {
		b = append(b, `,"dev":{"auths":{"pasv":{"uvlvl":`...)
		b = appendJSONString(b, d.Auths.Pasv.UVLevel)
		b = append(b, `}}}`...)
	}
	return append(b, `}}}`...)
}

// appendJSONString appends s as encoding/json writes it: printable ASCII
// that needs no escape as is, anything else through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

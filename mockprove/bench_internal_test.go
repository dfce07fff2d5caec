package mockprove

import (
	"testing"
	"time"
)

// Token minting and verification on their own: the HMAC-SHA256 JWT signer
// behind every access token and authToken.

func benchClaims() accessClaims {
	now := time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)
	return accessClaims{
		Issuer: "http://127.0.0.1:8080/", Subject: "identity-client", Party: "identity-client", Type: "Bearer",
		Product: ProductIdentity, IssuedAt: now.Unix(), ExpiresAt: now.Add(AccessTokenTTL).Unix(),
		ID: "713189b8-5555-4b08-83ba-75d08780aebd",
	}
}

func BenchmarkTokenMint(b *testing.B) {
	s := signer{key: []byte("0123456789abcdef0123456789abcdef")}
	claims := benchClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.mint(claims); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenVerify(b *testing.B) {
	s := signer{key: []byte("0123456789abcdef0123456789abcdef")}
	tok, err := s.mint(benchClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out accessClaims
		if err := s.verify(tok, &out); err != nil {
			b.Fatal(err)
		}
		if out.Subject != "identity-client" {
			b.Fatalf("sub %q", out.Subject)
		}
	}
}

// TestSignerRoundTrip keeps the benchmarks honest: what mint signs, verify
// accepts, and a flipped byte is refused.
func TestSignerRoundTrip(t *testing.T) {
	s := signer{key: []byte("k")}
	tok, err := s.mint(benchClaims())
	if err != nil {
		t.Fatal(err)
	}
	var out accessClaims
	if err := s.verify(tok, &out); err != nil {
		t.Fatal(err)
	}
	if out != benchClaims() {
		t.Fatalf("claims %+v, want %+v", out, benchClaims())
	}
	bad := []byte(tok)
	bad[len(bad)/2] ^= 1
	if err := s.verify(string(bad), &out); err == nil {
		t.Fatal("a token with a flipped byte verified")
	}
	if err := (signer{key: []byte("other")}).verify(tok, &out); err == nil {
		t.Fatal("a token verified under another key")
	}
}

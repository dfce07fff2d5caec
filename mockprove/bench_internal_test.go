package mockprove

import (
	"encoding/json"
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

// TestAuthClaimsJSON: the hand-written marshaller of the authToken claims
// writes exactly what encoding/json writes, escapes included.
func TestAuthClaimsJSON(t *testing.T) {
	for _, origin := range []string{"http://127.0.0.1:8080", "https://a.example", `http://x"y\z`, "http://h<&>", "http://é.example", "http://\u2028", "http://tab\t"} {
		for _, mnp := range []bool{true, false} {
			c := authClaims{RequestID: "713189b8-5555-4b08-83ba-75d08780aebd", Issuer: origin, Subject: "s", IssuedAt: 1772443800,
				ExpiresAt: 1772444700, Auth: authClaim{ID: "a", Namespace: "mockprove", Endpoint: origin, Challenge: "c", Next: "mobile/otp",
					Subs: authSubs{Mob: authMob{Auths: authMobAuths{OTP: authMethod{MNP: mnp}, Inln: authMethod{MNP: !mnp}}}}}}
			want, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.appendJSON(nil); string(got) != string(want) {
				t.Fatalf("origin %q:\n got %s\nwant %s", origin, got, want)
			}
		}
	}
	s := newSigner([]byte("k"))
	c := authClaims{RequestID: "r", Issuer: "http://h", Auth: authClaim{ID: "a"}}
	viaJSON, _ := s.mint(c)
	direct, _ := s.mintJSON(c.appendJSON(nil))
	if viaJSON != direct {
		t.Fatalf("mint %s\nmintJSON %s", viaJSON, direct)
	}
	var out authClaims
	if err := s.verify(direct, &out); err != nil || out.Auth.ID != "a" {
		t.Fatalf("verify: %v %+v", err, out)
	}
}

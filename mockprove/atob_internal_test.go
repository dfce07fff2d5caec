package mockprove

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestAtobSafeFuzzish(t *testing.T) {
	s := signer{key: []byte("k")}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abc?~>< &é漢😀\x7f-_/+=")
	for i := 0; i < 20000; i++ {
		n := r.IntN(12)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		v := b.String()
		tok, err := s.mint(map[string]any{"v": v, "x": strings.Repeat("a", r.IntN(4))})
		if err != nil {
			t.Fatal(v, err)
		}
		payload := strings.Split(tok, ".")[1]
		if strings.ContainsAny(payload, "-_") {
			t.Fatal("unsafe", v)
		}
		raw, _ := base64.RawStdEncoding.DecodeString(payload)
		var got map[string]any
		if err := s.verify(tok, &got); err != nil || got["v"] != v {
			t.Fatalf("round trip %q: %v %q %s", v, err, got["v"], raw)
		}
	}
}

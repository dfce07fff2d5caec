package mockprove

import (
	"bytes"
	"encoding/base64"
	"fmt"
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

// atobSafeByRange is atobSafe as it was written first (a range over the
// string, which copied the claims on every mint): the oracle of the byte
// loop that replaced it.
func atobSafeByRange(raw []byte) []byte {
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
		if r > 0xffff {
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

func TestAtobSafeAsByRange(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "{", "}", "\"", "?", ">", "~", "\x7f", "\x7e", "é", "漢", "😀", "\xff", "\xe6\xbc", "\xf0\x9f", "\xc3", "\x00"}
	for i := 0; i < 50000; i++ {
		var b strings.Builder
		for range r.IntN(10) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		in := []byte(b.String())
		if got, want := atobSafe(in), atobSafeByRange(in); !bytes.Equal(got, want) {
			t.Fatalf("atobSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

package mockprove

import (
	"bytes"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// Bodies that write their own JSON (jsonAppender) must write what marshal
// (encoding/json, no HTML escaping) writes.

var appenderStrings = []string{"", "a", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ9.c2ln", "713189b8-5555-4b08-83ba-75d08780aebd",
	"<b>&amp;</b>", `quote " and \ backslash`, "tab\tnew\nline\r", "\x00\x01\x1f\x7f", "é😀", "\u2028\u2029",
	"\xff\xfe invalid", "/v3/validate", "done", strings.Repeat("x", 600)}

func TestStartResponseAppendsWhatMarshalWrites(t *testing.T) {
	g := NewWithT(t)
	nexts := append(nextMaps[:], nil, map[string]string{"<k>": "&v", "b": "\n", "a": "é"})
	for _, tok := range appenderStrings {
		for _, id := range appenderStrings {
			for _, next := range nexts {
				r := startResponse{AuthToken: tok, CorrelationID: id, Next: next}
				want, err := marshal(r)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(string(r.appendJSON(nil))).To(Equal(string(want)))
				g.Expect(string(r.appendJSON([]byte("x")))).To(Equal("x" + string(want)))
			}
		}
	}
}

func FuzzStartResponseJSON(f *testing.F) {
	for i, s := range appenderStrings {
		f.Add(s, appenderStrings[(i+3)%len(appenderStrings)], "v3-validate", "/v3/validate")
	}
	f.Fuzz(func(t *testing.T, tok, id, k, v string) {
		r := startResponse{AuthToken: tok, CorrelationID: id, Next: map[string]string{k: v, "z" + k: v + v}}
		want, err := marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("appendJSON %q, marshal %q", got, want)
		}
	})
}

package testkit_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mockprove/mockprove/internal/testkit"
	"github.com/mockprove/mockprove/mockprove"
)

func TestMockDefaultsToFrozenClockAtT0(t *testing.T) {
	s := testkit.Mock(t, mockprove.Options{})
	if got := s.Clock().Now(); !got.Equal(testkit.T0) {
		t.Fatalf("clock at %v, want %v", got, testkit.T0)
	}
	if s.URL() == "" {
		t.Fatal("server not started")
	}
}

func TestSDKClaims(t *testing.T) {
	enc := func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }
	claims, err := testkit.SDKClaims("h." + enc(`{"auth":{"id":"x"}}`) + ".s")
	if err != nil || claims["auth"].(map[string]any)["id"] != "x" {
		t.Fatalf("SDKClaims = %v, %v", claims, err)
	}
	for _, bad := range []string{"a.b", "h.a-b.s", "h.a_b.s", "h." + enc("{\"n\":\"\xc3\xa9\"}") + ".s"} {
		if _, err := testkit.SDKClaims(bad); err == nil {
			t.Errorf("SDKClaims(%q): no error", bad)
		}
	}
}

func TestSyncBuffer(t *testing.T) {
	var b testkit.SyncBuffer
	_, _ = b.Write([]byte("a"))
	_, _ = b.Write([]byte("b"))
	if !strings.EqualFold(b.String(), "ab") {
		t.Fatalf("got %q", b.String())
	}
}

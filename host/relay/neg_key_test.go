package relay

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"
)

func Test_negKey(t *testing.T) {
	id := strings.Repeat("0f", 32)
	pk := strings.Repeat("ab", 32)
	sig := strings.Repeat("cd", 64)
	ev := nostr.Event{ID: id, PubKey: pk, CreatedAt: 1700000000, Kind: 1, Tags: nostr.Tags{{"t", `"created_at":5`}},
		Content: `x","created_at":7,"y`, Sig: sig}
	canonical, _ := ev.MarshalJSON()
	tests := []struct {
		name string
		raw  string
		ts   nostr.Timestamp
		ok   bool
	}{
		{"canonical", string(canonical), 1700000000, true},
		{"other key order", `{"content":"\"created_at\":9","created_at":42,"id":"` + id + `","kind":1,"pubkey":"` + pk + `","sig":"` + sig + `","tags":[]}`, 42, true},
		{"created_at last", `{"id":"` + id + `","kind":1,"pubkey":"` + pk + `","sig":"` + sig + `","tags":[],"content":"","created_at":0}`, 0, true},
		{"id not hex", strings.Replace(string(canonical), id, strings.Repeat("zz", 32), 1), 0, false},
		{"not json", `{"kind":1,"id":"` + id + `"`, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, got, ok := negKey([]byte(tc.raw))
			if ok != tc.ok || (ok && (ts != tc.ts || hex.EncodeToString(got[:]) != id)) {
				t.Fatalf("negKey = %d %x %v, want %d %s %v", ts, got, ok, tc.ts, id, tc.ok)
			}
		})
	}
}

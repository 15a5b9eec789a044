package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip13"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// mine signs a kind event whose id has at least bits zero bits, with a
// nonce tag committing to target ("" for a nonce tag without a target).
func mine(t *testing.T, k wsclient.Key, kind int, target string, bits int) *nostr.Event {
	t.Helper()
	tag := nostr.Tag{"nonce", "0", target}
	if target == "" {
		tag = tag[:2]
	}
	ev := &nostr.Event{PubKey: k.PK, Kind: kind, CreatedAt: nostr.Now(), Content: "work", Tags: nostr.Tags{tag}}
	for n := 0; nip13.Difficulty(ev.GetID()) < bits; n++ {
		tag[1] = strconv.Itoa(n)
	}
	if err := ev.Sign(k.SK); err != nil {
		t.Fatal(err)
	}
	return ev
}

// lazy signs an event with fewer than bits zero bits.
func lazy(t *testing.T, k wsclient.Key, kind, bits int) *nostr.Event {
	t.Helper()
	for i := 0; ; i++ {
		if ev := k.Sign(t, kind, "no work "+strconv.Itoa(i), nostr.Now()); nip13.Difficulty(ev.ID) < bits {
			return ev
		}
	}
}

// TestPowE2E checks a real relayd's answers with the plugin loaded, and
// that the minimum reaches NIP-11.
func TestPowE2E(t *testing.T) {
	r := plugintest.Start(t, pluginName, plugintest.Build(t), "[config]\nmin_difficulty = 10\n[config.kinds]\n\"7\" = 0\n")
	k := wsclient.NewKey()
	c := wsclient.Dial(t, r.URL)
	plain := lazy(t, k, 1, 10)
	badSig := lazy(t, k, 1, 10)
	badSig.Sig = strings.Repeat("0", 128)
	tests := []struct {
		name string
		ev   *nostr.Event
		want string
	}{
		{"no work", plain, "pow: difficulty " + strconv.Itoa(nip13.Difficulty(plain.ID)) + " is less than 10"},
		{"no work, bad signature", badSig, "pow: difficulty " + strconv.Itoa(nip13.Difficulty(badSig.ID)) + " is less than 10"},
		{"work", mine(t, k, 1, "10", 10), ""},
		{"lucky", mine(t, k, 1, "4", 10), "pow: committed target 4 is less than 10"},
		{"uncommitted", mine(t, k, 1, "", 10), "pow: no committed target: add the target difficulty as the third element of the nonce tag (NIP-13)"},
		{"exempt kind", lazy(t, k, 7, 10), ""},
	}
	for _, tc := range tests {
		got := c.Publish(tc.ev)
		if got.Accepted != (tc.want == "") || got.Reason != tc.want {
			t.Errorf("%s: got %v, want reason %q", tc.name, got, tc.want)
		}
	}

	doc := plugintest.NIP11(t, r.URL)
	if got := doc.Limitation["min_pow_difficulty"]; got != 10.0 {
		t.Errorf("NIP-11 limitation.min_pow_difficulty: got %v, want 10", got)
	}
	if !slices.Contains(doc.SupportedNIPs, 13) {
		t.Errorf("NIP-11 supported_nips %v: want 13 listed", doc.SupportedNIPs)
	}
}

package main

import (
	"fmt"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// testKey is the key whose secret is the number n; the README's TOML
// lists the public keys of 1 (whitelist) and 2 (shadow).
func testKey(n int) wsc.Key {
	sk := fmt.Sprintf("%064x", n)
	pk, _ := nostr.GetPublicKey(sk)
	return wsc.Key{SK: sk, PK: pk}
}

// TestStrfryCompatE2E loads the plugin with the README's TOML into a real
// relayd: the whitelisted key's event is accepted, stored and delivered;
// the shadowed key gets OK true but its event goes nowhere; anyone else
// gets strfry's exact reject message.
func TestStrfryCompatE2E(t *testing.T) {
	r := plugintest.Start(t, "strfry-compat", plugintest.Build(t), plugintest.READMESettings(t, "README.md"))
	sub, pub := wsc.Dial(t, r.URL), wsc.Dial(t, r.URL)
	sub.Req("all", nostr.Filter{Kinds: []int{1}})
	friend, shadowed, stranger := testKey(1), testKey(2), wsc.NewKey()
	tests := []struct {
		name     string
		key      wsc.Key
		accepted bool
		reason   string
		stored   bool
	}{
		{"shadowed", shadowed, true, "", false},
		{"stranger", stranger, false, "blocked: not on white-list", false},
		{"whitelisted", friend, true, "", true}, // last: anything delivered before it leaked
	}
	var want *nostr.Event
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.key.Sign(t, 1, "hello from "+tc.name, nostr.Now())
			if ok := pub.Publish(ev); ok.Accepted != tc.accepted || ok.Reason != tc.reason {
				t.Errorf("got %v, want accepted=%v %q", ok, tc.accepted, tc.reason)
			}
			got := pub.Req("check-"+tc.name, nostr.Filter{IDs: []string{ev.ID}})
			if len(got) == 1 != tc.stored {
				t.Errorf("stored: got %d events, want stored=%v", len(got), tc.stored)
			}
			if tc.stored {
				want = ev
			}
		})
	}
	if got := wsc.Event(t, sub.Expect("EVENT")); want == nil || got.ID != want.ID {
		t.Errorf("live: got %s %q, want the whitelisted event only", got.ID, got.Content)
	}
}

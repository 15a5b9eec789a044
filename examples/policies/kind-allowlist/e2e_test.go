package main

import (
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestKindAllowlistE2E loads the plugin with the README's TOML into a real
// relayd: allowed kinds are stored and delivered, other kinds get the
// exact blocked OK and are neither stored nor delivered.
func TestKindAllowlistE2E(t *testing.T) {
	r := plugintest.Start(t, "kind-allowlist", plugintest.Build(t), plugintest.READMESettings(t, "README.md"))
	sub, pub := wsc.Dial(t, r.URL), wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	if evs := sub.Req("live", nostr.Filter{Authors: []string{k.PK}}); len(evs) != 0 {
		t.Fatalf("stored events before publishing: %d", len(evs))
	}
	tests := []struct {
		name   string
		kind   int
		wantOK bool
		reason string
	}{
		{"note", 1, true, ""},
		{"dm", 4, false, "blocked: kind 4 is not accepted here"},
		{"reaction", 7, true, ""},
		{"long-form", 30023, false, "blocked: kind 30023 is not accepted here"},
		{"metadata", 0, true, ""}, // last accepted: a refused event delivered before it would show
	}
	var want []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := k.Sign(t, tc.kind, "hello", nostr.Now())
			ok := pub.Publish(ev)
			if ok.Accepted != tc.wantOK || ok.Reason != tc.reason {
				t.Errorf("got %v, want accepted=%v %q", ok, tc.wantOK, tc.reason)
			}
			if tc.wantOK {
				want = append(want, ev.ID)
			}
		})
	}
	// Live: only the accepted events, in publish order.
	for _, id := range want {
		if got := wsc.Event(t, sub.Expect("EVENT")); got.ID != id {
			t.Errorf("live event %s, want %s", got.ID, id)
		}
	}
	// Stored: only the accepted events (newest first; same second, so
	// compare as sets).
	stored := pub.Req("stored", nostr.Filter{Authors: []string{k.PK}})
	if len(stored) != len(want) {
		t.Fatalf("stored %d events, want %d", len(stored), len(want))
	}
	for _, ev := range stored {
		if ev.Kind == 4 || ev.Kind == 30023 {
			t.Errorf("stored a kind %d event", ev.Kind)
		}
	}
}

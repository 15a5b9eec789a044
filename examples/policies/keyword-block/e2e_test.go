package main

import (
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestKeywordBlockE2E loads the plugin with the README's TOML into a real
// relayd: events with a blocked word get the exact blocked OK and are
// neither delivered nor stored; the others are.
func TestKeywordBlockE2E(t *testing.T) {
	r := plugintest.Start(t, "keyword-block", plugintest.Build(t), plugintest.READMESettings(t, "README.md"))
	sub, pub := wsc.Dial(t, r.URL), wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	sub.Req("live", nostr.Filter{Authors: []string{k.PK}})
	const blocked = "blocked: content contains a blocked word"
	tests := []struct {
		name    string
		kind    int
		content string
		reason  string // "" means accepted
	}{
		{"clean note", 1, "gm nostr", ""},
		{"word in capitals", 1, "Best CASINO in town", blocked},
		{"phrase", 1, "get Free Money now", blocked},
		{"metadata too", 0, `{"name":"casino bot"}`, blocked},
		{"clean reaction", 7, "+", ""},
	}
	var want []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := k.Sign(t, tc.kind, tc.content, nostr.Now())
			ok := pub.Publish(ev)
			if ok.Accepted != (tc.reason == "") || ok.Reason != tc.reason {
				t.Errorf("got %v, want reason %q", ok, tc.reason)
			}
			if tc.reason == "" {
				want = append(want, ev.ID)
			}
		})
	}
	for _, id := range want {
		if got := wsc.Event(t, sub.Expect("EVENT")); got.ID != id {
			t.Errorf("live event %s, want %s", got.ID, id)
		}
	}
	stored := pub.Req("stored", nostr.Filter{Authors: []string{k.PK}})
	if len(stored) != len(want) {
		t.Errorf("stored %d events, want %d", len(stored), len(want))
	}
	for _, ev := range stored {
		if ev.Content != "gm nostr" && ev.Content != "+" {
			t.Errorf("stored %q", ev.Content)
		}
	}
}

package main

import (
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// TestLimitsE2E checks a real relayd's answers with the plugin loaded, and
// that its limits reach the NIP-11 document.
func TestLimitsE2E(t *testing.T) {
	r := plugintest.Start(t, pluginName, plugintest.Build(t), `
[config]
max_content = 1000
max_tags = 40
max_index_tags = 10
max_future = 60
max_past = 86400
reject_base64_media = true
[config.kinds.30023]
max_content = 5000
`)
	k := wsclient.NewKey()
	c := wsclient.Dial(t, r.URL)
	now := nostr.Now()
	tagged := make([]nostr.Tag, 11)
	for i := range tagged {
		tagged[i] = nostr.Tag{"t", "x"}
	}
	tests := []struct {
		name string
		ev   *nostr.Event
		want string
	}{
		{"fits", k.Sign(t, 1, strings.Repeat("a", 1000), now), ""},
		{"too long", k.Sign(t, 1, strings.Repeat("a", 1001), now), "invalid: content of kind 1 events is limited to 1000 bytes"},
		{"article", k.Sign(t, 30023, strings.Repeat("a", 5000), now, nostr.Tag{"d", "x"}), ""},
		{"ahead", k.Sign(t, 1, "hi", now+61), "invalid: created_at is more than 60 seconds in the future"},
		{"old", k.Sign(t, 1, "hi", now-86500), "invalid: created_at is more than 86400 seconds in the past"},
		{"tags", k.Sign(t, 1, "hi", now, tagged...), "invalid: at most 10 indexable (single-letter) tags"},
		{"base64", k.Sign(t, 1, "data:image/png;base64,iVBORw0KGgo=", now), "blocked: base64-embedded media is not accepted; upload the file and link to it"},
	}
	for _, tc := range tests {
		got := c.Publish(tc.ev)
		if got.Accepted != (tc.want == "") || got.Reason != tc.want {
			t.Errorf("%s: got %v, want reason %q", tc.name, got, tc.want)
		}
	}

	// event_pre runs before the signature check: an oversized event with a
	// bad signature is refused for its size.
	bad := k.Sign(t, 1, strings.Repeat("a", 2000), now)
	bad.Sig = strings.Repeat("0", 128)
	if got := c.Publish(bad); got.Reason != "invalid: content of kind 1 events is limited to 1000 bytes" {
		t.Errorf("bad signature: got %v", got)
	}

	lim := plugintest.NIP11(t, r.URL).Limitation
	for key, want := range map[string]float64{"max_content_length": 1000, "max_event_tags": 40,
		"created_at_lower_limit": 86400, "created_at_upper_limit": 60} {
		if got := lim[key]; got != want {
			t.Errorf("NIP-11 limitation.%s: got %v, want %v", key, got, want)
		}
	}
}

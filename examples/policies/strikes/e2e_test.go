package main

import (
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestStrikesE2E loads the plugin with the README's TOML into a real
// relayd, earns an author a ban over a websocket, then stops the relay and
// starts a new one on the same data and plugin directories: the ban holds.
func TestStrikesE2E(t *testing.T) {
	r := plugintest.Start(t, "strikes", plugintest.Build(t), plugintest.READMESettings(t, "README.md"))
	spammer, other := wsc.NewKey(), wsc.NewKey()
	pub := wsc.Dial(t, r.URL)
	steps := []struct {
		key     wsc.Key
		content string
		reason  string // "" means accepted
	}{
		{spammer, "gm", ""},
		{spammer, "best casino in town", "blocked: strike 1 of 3: content contains a blocked word"},
		{spammer, "free money", "blocked: strike 2 of 3: content contains a blocked word"},
		{spammer, "casino again", "blocked: banned after 3 strikes"},
		{spammer, "gm, I am nice now", "blocked: banned after 3 strikes"},
		{other, "gm", ""},
	}
	for i, st := range steps {
		ok := pub.Publish(st.key.Sign(t, 1, st.content, nostr.Now()+nostr.Timestamp(i)))
		plugintest.WantOK(t, ok, st.reason == "", st.reason)
	}

	r.Stop()
	r = relaydtest.Start(t, r.Config)
	if logs := r.Logs(); !strings.Contains(logs, `msg="wasm plugin loaded" plugin=strikes `) {
		t.Fatalf("the plugin did not load after the restart:\n%s", logs)
	}
	pub = wsc.Dial(t, r.URL)
	plugintest.WantOK(t, pub.Publish(spammer.Sign(t, 1, "gm after the restart", nostr.Now()+10)), false, "blocked: banned after 3 strikes")
	plugintest.WantOK(t, pub.Publish(other.Sign(t, 1, "gm after the restart", nostr.Now()+10)), true, "")
	if got := pub.Req("stored", nostr.Filter{Authors: []string{spammer.PK}}); len(got) != 1 || got[0].Content != "gm" {
		t.Errorf("the spammer's stored events: %v, want the first gm only", got)
	}
}

// Package e2e tests the Rust example rust-kind-keyword in a real relayd.
package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/rustbuild"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestRustKindKeywordE2E builds the Rust plugin with Debian's cargo and
// loads it with the README's TOML into a real relayd: kinds off the list
// and content with a listed word get the exact OK and are neither stored
// nor delivered; the rest are.
func TestRustKindKeywordE2E(t *testing.T) {
	r := plugintest.Start(t, "rust-kind-keyword", rustbuild.Build(t, ".."), plugintest.READMESettings(t, "../README.md"))
	sub, pub := wsc.Dial(t, r.URL), wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	sub.Req("live", nostr.Filter{Authors: []string{k.PK}})
	tests := []struct {
		name    string
		kind    int
		content string
		reason  string // "" means accepted
	}{
		{"note", 1, "gm", ""},
		{"dm", 4, "hello", "blocked: kind 4 is not accepted here"},
		{"report", 1984, "spam", "blocked: kind 1984 is not accepted here"},
		{"word", 1, "Best CASINO in town", "blocked: content contains a blocked word"},
		{"phrase", 1, "free money!", "blocked: content contains a blocked word"},
		{"reaction", 7, "+", ""}, // last accepted: a refused event delivered before it would show
	}
	var want []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := k.Sign(t, tc.kind, tc.content, nostr.Now())
			if ok := pub.Publish(ev); ok.Accepted != (tc.reason == "") || ok.Reason != tc.reason {
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
	if stored := pub.Req("stored", nostr.Filter{Authors: []string{k.PK}}); len(stored) != len(want) {
		t.Errorf("stored %d events, want %d", len(stored), len(want))
	}
}

// TestRustKindKeywordBadConfig: the setup function refuses a bad config
// and the relay logs the plugin, its file and the plugin's own reason.
func TestRustKindKeywordBadConfig(t *testing.T) {
	wasm := rustbuild.Build(t, "..")
	tests := []struct {
		name   string
		config string
		reason string
	}{
		{"missing", "[config]\n", "config: kinds is empty; list the kinds to accept, e.g. kinds = [0, 1, 3, 7]"},
		{"not integers", "[config]\nkinds = [\"4\"]\n", "config: kinds must be an array of integers"},
		{"typo", "[config]\nkinds = [1]\nword = [\"x\"]\n", `config: unknown key \"word\" (known: kinds, words)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			relaydtest.CopyPlugin(t, dir, "rust-kind-keyword", wasm, tc.config)
			cfg := relaydtest.Default(dir)
			cfg.DataDir = t.TempDir()
			r := relaydtest.Start(t, cfg)
			r.WaitLog(t, `msg="wasm plugin failed to load" plugin=rust-kind-keyword file=`+
				filepath.Join(dir, "rust-kind-keyword.wasm")+` err="plugin init failed: `+tc.reason+`" running=none`, 10*time.Second)
		})
	}
}

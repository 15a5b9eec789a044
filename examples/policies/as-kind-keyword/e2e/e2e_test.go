package askindkeyword_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/asbuild"
	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestASKindKeywordE2E compiles the AssemblyScript plugin with the SDK's
// asc and loads it with the README's TOML into a real relayd: kinds off the
// list and contents with a blocked word get the exact OK and are neither
// stored nor delivered; the others are.
func TestASKindKeywordE2E(t *testing.T) {
	r := plugintest.Start(t, "as-kind-keyword", asbuild.Build(t, ".."), plugintest.READMESettings(t, "../README.md"))
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
		{"long-form", 30023, "hello", "blocked: kind 30023 is not accepted here"},
		{"word, any case", 1, "Best CASINO in town", "blocked: content contains a blocked word"},
		{"two-word phrase", 1, "free money for you", "blocked: content contains a blocked word"},
		{"words apart", 1, "free, money", ""},
		{"non-ASCII content", 1, "Ünïcödé casinö, no match", ""},
		{"non-ASCII match", 1, "🎰 CASINO 🎰", "blocked: content contains a blocked word"},
		{"kind before word", 4, "casino", "blocked: kind 4 is not accepted here"},
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

// TestASKindKeywordBadConfig: onInit refuses a bad config through
// relayd_init, and the relay logs the plugin, its file and the reason,
// which names the key.
func TestASKindKeywordBadConfig(t *testing.T) {
	wasm := asbuild.Build(t, "..")
	tests := []struct {
		name   string
		config string
		reason string
	}{
		{"missing kinds", "[config]\nwords = [\"x\"]\n", "config: kinds is empty; list the kinds to accept, e.g. kinds = [0, 1, 3, 7]"},
		{"typo", "[config]\nkinds = [1]\nwrods = [\"x\"]\n", `config: unknown key \"wrods\" (known: kinds, words)`},
		{"kinds not integers", "[config]\nkinds = [\"1\"]\n", "config: kinds must be an array of integers"},
		{"words not strings", "[config]\nkinds = [1]\nwords = [1]\n", "config: words must be an array of strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			relaydtest.CopyPlugin(t, dir, "as-kind-keyword", wasm, tc.config)
			cfg := relaydtest.Default(dir)
			cfg.DataDir = t.TempDir()
			r := relaydtest.Start(t, cfg)
			r.WaitLog(t, `msg="wasm plugin failed to load" plugin=as-kind-keyword file=`+
				filepath.Join(dir, "as-kind-keyword.wasm")+` err="plugin init failed: `+tc.reason+`" running=none`, 10*time.Second)
		})
	}
}

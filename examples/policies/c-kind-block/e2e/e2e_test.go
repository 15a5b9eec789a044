package ckindblock_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/examples/policies/internal/policytest"
	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestCKindBlockE2E compiles the C plugin with clang and loads it with the
// README's TOML into a real relayd: blocked kinds get the exact OK and are
// neither stored nor delivered; other kinds are.
func TestCKindBlockE2E(t *testing.T) {
	r := plugintest.Start(t, "c-kind-block", policytest.BuildC(t, "../main.c"), plugintest.READMESettings(t, "../README.md"))
	sub, pub := wsc.Dial(t, r.URL), wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	sub.Req("live", nostr.Filter{Authors: []string{k.PK}})
	tests := []struct {
		name   string
		kind   int
		reason string // "" means accepted
	}{
		{"note", 1, ""},
		{"dm", 4, "blocked: kind 4 is not accepted here"},
		{"report", 1984, "blocked: kind 1984 is not accepted here"},
		{"reaction", 7, ""}, // last accepted: a refused event delivered before it would show
	}
	var want []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := k.Sign(t, tc.kind, "hello", nostr.Now())
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

// TestCKindBlockBadConfig: relayd_init refuses a bad config, and the relay
// logs the plugin, its file and the plugin's own reason.
func TestCKindBlockBadConfig(t *testing.T) {
	wasm := policytest.BuildC(t, "../main.c")
	tests := []struct {
		name   string
		config string
		reason string
	}{
		{"missing", "[config]\n", "config: kinds is missing; list the kinds to block, e.g. kinds = [4]"},
		{"not integers", "[config]\nkinds = [\"4\"]\n", "config: kinds must be an array of integers"},
		{"too many", "[config]\nkinds = [" + ints(65) + "]\n", "config: kinds has more than 64 entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			relaydtest.CopyPlugin(t, dir, "c-kind-block", wasm, tc.config)
			cfg := relaydtest.Default(dir)
			cfg.DataDir = t.TempDir()
			r := relaydtest.Start(t, cfg)
			// Start loads the plugins before it returns; one log line names
			// the plugin, its file and the reason relayd_init gave.
			r.WaitLog(t, `msg="wasm plugin failed to load" plugin=c-kind-block file=`+
				filepath.Join(dir, "c-kind-block.wasm")+` err="plugin init failed: `+tc.reason+`" running=none`, 10*time.Second)
		})
	}
}

func ints(n int) string {
	s := "0"
	for i := 1; i < n; i++ {
		s += ", " + string(rune('0'+i%10))
	}
	return s
}

// Package e2e tests the Rust example rust-kind-keyword in a real relayd.
package e2e

import (
	"testing"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/rustbuild"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestRustKindKeywordE2E builds the Rust plugin with Debian's cargo and
// loads it with the README's TOML into a real relayd: kinds off the list
// and content with a listed word get the exact OK and are neither stored
// nor delivered; the rest are.
func TestRustKindKeywordE2E(t *testing.T) {
	r := plugintest.Start(t, "rust-kind-keyword", rustbuild.Build(t, ".."), plugintest.READMESettings(t, "../README.md"))
	plugintest.CheckPublishes(t, r.URL, []plugintest.Publish{
		{Name: "note", Kind: 1, Content: "gm", Reason: ""},
		{Name: "dm", Kind: 4, Content: "hello", Reason: "blocked: kind 4 is not accepted here"},
		{Name: "report", Kind: 1984, Content: "spam", Reason: "blocked: kind 1984 is not accepted here"},
		{Name: "word", Kind: 1, Content: "Best CASINO in town", Reason: "blocked: content contains a blocked word"},
		{Name: "phrase", Kind: 1, Content: "free money!", Reason: "blocked: content contains a blocked word"},
		{Name: "reaction", Kind: 7, Content: "+", Reason: ""}, // last accepted: a refused event delivered before it would show
	})
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
		t.Run(tc.name, func(t *testing.T) { plugintest.CheckLoadRefused(t, "rust-kind-keyword", wasm, tc.config, tc.reason) })
	}
}

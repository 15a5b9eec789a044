package askindkeyword_test

import (
	"testing"

	"github.com/relayd/relayd/internal/testing/asbuild"
	"github.com/relayd/relayd/internal/testing/plugintest"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestASKindKeywordE2E compiles the AssemblyScript plugin with the SDK's
// asc and loads it with the README's TOML into a real relayd: kinds off the
// list and contents with a blocked word get the exact OK and are neither
// stored nor delivered; the others are.
func TestASKindKeywordE2E(t *testing.T) {
	r := plugintest.Start(t, "as-kind-keyword", asbuild.Build(t, ".."), plugintest.READMESettings(t, "../README.md"))
	plugintest.CheckPublishes(t, r.URL, []plugintest.Publish{
		{Name: "note", Kind: 1, Content: "gm", Reason: ""},
		{Name: "dm", Kind: 4, Content: "hello", Reason: "blocked: kind 4 is not accepted here"},
		{Name: "long-form", Kind: 30023, Content: "hello", Reason: "blocked: kind 30023 is not accepted here"},
		{Name: "word, any case", Kind: 1, Content: "Best CASINO in town", Reason: "blocked: content contains a blocked word"},
		{Name: "two-word phrase", Kind: 1, Content: "free money for you", Reason: "blocked: content contains a blocked word"},
		{Name: "words apart", Kind: 1, Content: "free, money", Reason: ""},
		{Name: "non-ASCII content", Kind: 1, Content: "Ünïcödé casinö, no match", Reason: ""},
		{Name: "non-ASCII match", Kind: 1, Content: "🎰 CASINO 🎰", Reason: "blocked: content contains a blocked word"},
		{Name: "kind before word", Kind: 4, Content: "casino", Reason: "blocked: kind 4 is not accepted here"},
		{Name: "reaction", Kind: 7, Content: "+", Reason: ""}, // last accepted: a refused event delivered before it would show
	})
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
		t.Run(tc.name, func(t *testing.T) { plugintest.CheckLoadRefused(t, "as-kind-keyword", wasm, tc.config, tc.reason) })
	}
}

package ckindblock_test

import (
	"testing"

	"github.com/relayd/relayd/examples/policies/internal/policytest"
	"github.com/relayd/relayd/internal/testing/plugintest"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestCKindBlockE2E compiles the C plugin with clang and loads it with the
// README's TOML into a real relayd: blocked kinds get the exact OK and are
// neither stored nor delivered; other kinds are.
func TestCKindBlockE2E(t *testing.T) {
	r := plugintest.Start(t, "c-kind-block", policytest.BuildC(t, "../main.c"), plugintest.READMESettings(t, "../README.md"))
	plugintest.CheckPublishes(t, r.URL, []plugintest.Publish{
		{Name: "note", Kind: 1, Content: "hello", Reason: ""},
		{Name: "dm", Kind: 4, Content: "hello", Reason: "blocked: kind 4 is not accepted here"},
		{Name: "report", Kind: 1984, Content: "hello", Reason: "blocked: kind 1984 is not accepted here"},
		{Name: "reaction", Kind: 7, Content: "hello", Reason: ""}, // last accepted: a refused event delivered before it would show
	})
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
		t.Run(tc.name, func(t *testing.T) { plugintest.CheckLoadRefused(t, "c-kind-block", wasm, tc.config, tc.reason) })
	}
}

func ints(n int) string {
	s := "0"
	for i := 1; i < n; i++ {
		s += ", " + string(rune('0'+i%10))
	}
	return s
}

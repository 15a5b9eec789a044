package main

import (
	"testing"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/internal/testing/plugintest"
)

// The plugin runs through the real host in these tests: the .wasm built
// from this directory, loaded by host/wasmhost or by a whole relayd
// (package plugintest).

const pluginName = "auth"

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestDefaultSettings loads plugins/defaults/NAME.toml, the settings
// "make run" uses, natively and through the host.
func TestDefaultSettings(t *testing.T) { plugintest.CheckDefaults(t, pluginName) }

// TestHostDeliverKinds: through the real host, the auth plugin limits its
// deliver hook to its dm_kinds, so the relay skips the call (and the
// decoding of stored events) for every other kind.
func TestHostDeliverKinds(t *testing.T) {
	tests := []struct {
		settings string
		want     map[int]bool
	}{
		{"[config]\n", map[int]bool{1: false, 4: true, 14: true, 1059: true, 7: false}},
		{"[config]\ndm_kinds = [4]\n", map[int]bool{1: false, 4: true, 14: false}},
	}
	for _, tc := range tests {
		ch := plugintest.Chain(t, pluginName, plugintest.Options{}, tc.settings)
		for kind, want := range tc.want {
			if got := ch.Wants(policy.HookDeliver, kind); got != want {
				t.Errorf("%q: deliver wanted for kind %d = %v, want %v", tc.settings, kind, got, want)
			}
		}
	}
}

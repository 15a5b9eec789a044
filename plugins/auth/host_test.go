package main

import (
	"context"
	"slices"
	"testing"

	"github.com/nbd-wtf/go-nostr"

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

// TestHostFilterKinds: through the real host, the auth plugin limits its
// req and count hooks to filters naming a gated kind (unless read_auth
// gates every REQ), and a REQ for DMs still reaches it.
func TestHostFilterKinds(t *testing.T) {
	tests := []struct {
		settings string
		want     []int // nil: every REQ calls the hook
	}{
		{"[config]\n", []int{4, 14, 1059}},
		{"[config]\nread_auth_kinds = [30000]\n", []int{4, 14, 1059, 30000}},
		{"[config]\nread_auth = true\n", nil},
	}
	for _, tc := range tests {
		ch := plugintest.Chain(t, pluginName, plugintest.Options{}, tc.settings)
		e := ch.Entries()[0]
		for _, h := range []policy.Hook{policy.HookReq, policy.HookCount} {
			if got := e.HookKinds[h]; !slices.Equal(got, tc.want) {
				t.Errorf("%q: %s hook kinds %v, want %v", tc.settings, h, got, tc.want)
			}
		}
		in := &policy.FilterInput{Session: &policy.Session{ID: 1}, Hook: policy.HookReq, Filters: nostr.Filters{{Kinds: []int{4}}}}
		if v := ch.Filter(context.Background(), in); v.Action != policy.Reject || v.Prefix != policy.PrefixAuthRequired {
			t.Errorf("%q: an unauthenticated REQ for kind 4: %+v, want auth-required", tc.settings, v)
		}
	}
}

package wasmhost_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// TestWasmHookKinds: a guest's relayd_init limits its deliver hook with
// hook_kinds (after the edge cases in hookkinds.wat, which refuses to
// start if one answers wrong); the chain then calls it only for those
// kinds (the hook refuses when hook_kinds answers ErrUnavailable, as it
// must outside relayd_init, so a refusal is a call).
func TestWasmHookKinds(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "kinds", wasm: "hookkinds"})
	if err != nil {
		t.Fatal(err)
	}
	ch := m.Holder().Load()
	for _, tc := range []struct {
		kind int
		want bool
	}{{4, true}, {1059, true}, {1, false}, {14, false}, {65535, false}} {
		if got := ch.Wants(policy.HookDeliver, tc.kind); got != tc.want {
			t.Errorf("Wants(deliver, %d) = %v, want %v", tc.kind, got, tc.want)
		}
		v := ch.Deliver(context.Background(), &policy.DeliverInput{Event: &nostr.Event{Kind: tc.kind}, Raw: []byte(`{}`)})
		if v.Final() != tc.want {
			t.Errorf("kind %d: deliver refused = %v, want %v (called, and hook_kinds outside relayd_init is ErrUnavailable)", tc.kind, v.Final(), tc.want)
		}
	}
}

// TestWasmFilterKinds: a req hook limited by hook_kinds is called only for
// filters whose kinds list names one of the kinds (the guest refuses every
// call it gets).
func TestWasmFilterKinds(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "kinds", wasm: "hookkinds"})
	if err != nil {
		t.Fatal(err)
	}
	ch := m.Holder().Load()
	for _, tc := range []struct {
		name    string
		filters nostr.Filters
		called  bool
	}{
		{"no kinds list", nostr.Filters{{Authors: []string{strings.Repeat("a", 64)}}}, false},
		{"other kinds", nostr.Filters{{Kinds: []int{1, 7}}}, false},
		{"empty kinds list", nostr.Filters{{Kinds: []int{}}}, false},
		{"a named kind", nostr.Filters{{Kinds: []int{1, 1059}}}, true},
		{"in the second filter", nostr.Filters{{Kinds: []int{1}}, {Kinds: []int{4}}}, true},
		{"no filters", nostr.Filters{}, false},
	} {
		v := ch.Filter(context.Background(), &policy.FilterInput{Session: session(1), Hook: policy.HookReq, Filters: tc.filters})
		if v.Final() != tc.called {
			t.Errorf("%s: req refused = %v, want %v (refused means called)", tc.name, v.Final(), tc.called)
		}
	}
	// COUNT was not limited (and the guest has no count hook): no call.
	if v := ch.Filter(context.Background(), &policy.FilterInput{Session: session(1), Hook: policy.HookCount,
		Filters: nostr.Filters{{Kinds: []int{4}}}}); v.Final() {
		t.Errorf("count refused: %+v", v)
	}
}

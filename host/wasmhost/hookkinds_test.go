package wasmhost_test

import (
	"context"
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

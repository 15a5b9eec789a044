package wasmhost_test

import (
	"testing"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

func TestWasmVerdicts(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "kinds", wasm: "kinds"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "kinds")
	if got, want := p.Hooks(), policy.Hooks(policy.HookEvent); got != want {
		t.Errorf("Hooks: got %b, want %b (relayd_init registers only event)", got, want)
	}
	tests := []struct {
		name string
		kind int
		want policy.Verdict
	}{
		{"note accepted", 1, policy.Verdict{}},
		{"dm rejected", 4, policy.Verdict{Action: policy.Reject, Prefix: policy.PrefixBlocked, Message: "no DMs"}},
		{"rate limited", 5, policy.Verdict{Action: policy.RateLimited, Message: "slow down"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Event(ctx, event(tc.kind))
			if err != nil {
				t.Fatal(err)
			}
			if got.Action != tc.want.Action || got.Prefix != tc.want.Prefix || got.Message != tc.want.Message {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	v := m.Holder().Load().Event(ctx, event(4))
	if v.Reason() != "blocked: no DMs" || v.Policy != "kinds" {
		t.Errorf("chain: got %q from %q, want \"blocked: no DMs\" from kinds", v.Reason(), v.Policy)
	}
}

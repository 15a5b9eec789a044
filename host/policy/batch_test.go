package policy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// batcher is a deliver policy that decides in batches by sub id: the
// verdict in by[sub], accept otherwise. It records the sub ids each batch
// call saw.
type batcher struct {
	policy.Base
	name string
	by   map[string]policy.Action
	err  error
	saw  [][]string
}

func (b *batcher) Name() string          { return b.name }
func (b *batcher) Hooks() policy.HookSet { return policy.Hooks(policy.HookDeliver) }
func (b *batcher) BatchesDeliver() bool  { return true }

func (b *batcher) DeliverBatch(_ context.Context, in *policy.DeliverBatchInput, out []policy.Verdict) error {
	var subs []string
	for i, t := range in.Targets {
		subs = append(subs, t.SubID)
		out[i] = policy.Verdict{Action: b.by[t.SubID]}
	}
	b.saw = append(b.saw, subs)
	return b.err
}

// TestChainDeliverBatch: each policy of a batching chain is called once,
// with the sessions the policies before it accepted; a refusal is final,
// a rewrite leaves the session undecided (Rewrite without a payload), a
// shadow policy refuses nothing, a failed batch leaves its sessions
// undecided, and a chain with a policy that does not batch does not
// Batch.
func TestChainDeliverBatch(t *testing.T) {
	targets := []policy.DeliverTarget{{SubID: "a"}, {SubID: "b"}, {SubID: "c"}, {SubID: "d"}}
	tests := []struct {
		name    string
		entries func() ([]policy.Entry, []*batcher)
		want    []policy.Action
		saw     [][][]string // per batcher, the sub ids of each call
	}{
		{"one policy", func() ([]policy.Entry, []*batcher) {
			b := &batcher{name: "one", by: map[string]policy.Action{"a": policy.Reject, "c": policy.Rewrite}}
			return []policy.Entry{{Policy: b}}, []*batcher{b}
		}, []policy.Action{policy.Reject, policy.Accept, policy.Rewrite, policy.Accept}, [][][]string{{{"a", "b", "c", "d"}}}},
		{"second sees what the first accepted", func() ([]policy.Entry, []*batcher) {
			b1 := &batcher{name: "first", by: map[string]policy.Action{"a": policy.Reject, "b": policy.Rewrite}}
			b2 := &batcher{name: "second", by: map[string]policy.Action{"c": policy.RateLimited}}
			return []policy.Entry{{Policy: b1}, {Policy: b2}}, []*batcher{b1, b2}
		}, []policy.Action{policy.Reject, policy.Rewrite, policy.RateLimited, policy.Accept},
			[][][]string{{{"a", "b", "c", "d"}}, {{"c", "d"}}}},
		{"shadow refuses nothing", func() ([]policy.Entry, []*batcher) {
			b := &batcher{name: "shadow", by: map[string]policy.Action{"a": policy.Reject, "b": policy.Rewrite}}
			return []policy.Entry{{Policy: b, Mode: policy.Shadow}}, []*batcher{b}
		}, []policy.Action{policy.Accept, policy.Accept, policy.Accept, policy.Accept}, [][][]string{{{"a", "b", "c", "d"}}}},
		{"failed batch: each alone", func() ([]policy.Entry, []*batcher) {
			b := &batcher{name: "broken", by: map[string]policy.Action{"a": policy.Reject}, err: errors.New("trap")}
			return []policy.Entry{{Policy: b, OnErr: policy.FailClosed}}, []*batcher{b}
		}, []policy.Action{policy.Rewrite, policy.Rewrite, policy.Rewrite, policy.Rewrite}, [][][]string{{{"a", "b", "c", "d"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries, bs := tc.entries()
			ch := policy.NewChain(nil, entries...)
			if !ch.Batches() {
				t.Fatal("Batches() = false for a chain of batchers")
			}
			out := make([]policy.Verdict, len(targets))
			ch.DeliverBatch(context.Background(), &policy.DeliverBatchInput{Event: &nostr.Event{Kind: 1}, Targets: targets}, out)
			for i, v := range out {
				if v.Action != tc.want[i] || v.Payload != nil {
					t.Errorf("target %s: got %s (payload %q), want %s", targets[i].SubID, v.Action, v.Payload, tc.want[i])
				}
			}
			for i, b := range bs {
				if !equalCalls(b.saw, tc.saw[i]) {
					t.Errorf("%s saw %v, want %v", b.name, b.saw, tc.saw[i])
				}
			}
		})
	}
	var calls []string
	plain := &step{name: "plain", hooks: policy.Hooks(policy.HookDeliver), calls: &calls}
	if ch := policy.NewChain(nil, policy.Entry{Policy: &batcher{name: "b"}}, policy.Entry{Policy: plain}); ch.Batches() {
		t.Error("Batches() = true with a policy that does not batch")
	}
	if ch := policy.NewChain(nil); ch.Batches() {
		t.Error("Batches() = true without a deliver policy")
	}
}

func equalCalls(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

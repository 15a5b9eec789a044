package wasmhost_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// batchTargets are n receiving sessions whose answers batch.wat derives
// from the sub id ("d…" rejects, "r…" rewrites), the authed flag (shadow
// reject) and the session id (7 is rate limited), and the verdict each
// must get from the chain's DeliverBatch.
func batchTargets(n int) ([]policy.DeliverTarget, []policy.Action) {
	ts := make([]policy.DeliverTarget, n)
	want := make([]policy.Action, n)
	for i := range ts {
		s := session(uint64(i + 1))
		sub, a := fmt.Sprint("s", i), policy.Accept
		switch {
		case i+1 == 7:
			a = policy.RateLimited
		case i%11 == 3:
			s.SetAuthed(strings.Repeat("b", 64))
			a = policy.ShadowReject
		case i%5 == 0:
			sub, a = fmt.Sprint("d", i), policy.Reject
		case i%7 == 1:
			sub, a = fmt.Sprint("r", i), policy.Rewrite // undecided in a batch
		}
		ts[i] = policy.DeliverTarget{Session: s, SubID: sub}
		want[i] = a
	}
	return ts, want
}

// TestWasmDeliverBatch: a guest that asks for batches gets one call per
// live event for up to 64 sessions (70 here: two calls), reads each
// session's id and flags from FieldSessions and its sub id after
// select_session, and answers per session; the chain passes a rewrite on
// as undecided, and the single deliver hook then rewrites it.
func TestWasmDeliverBatch(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "batch", wasm: "batch"}, guest{name: "plain", wasm: "accept"})
	if err != nil {
		t.Fatal(err)
	}
	if bd, ok := plugin(t, m, "batch").(policy.BatchDeliverer); !ok || !bd.BatchesDeliver() {
		t.Fatal("batch.wasm asks for batches, but the plugin does not batch")
	}
	if bd, ok := plugin(t, m, "plain").(policy.BatchDeliverer); ok && bd.BatchesDeliver() {
		t.Fatal("accept.wasm has no relayd_on_deliver_batch, but the plugin batches")
	}
	ch := policy.NewChain(nil, policy.Entry{Policy: plugin(t, m, "batch")})
	if !ch.Batches() {
		t.Fatal("a chain of one batching plugin does not batch")
	}
	ts, want := batchTargets(70)
	ev := event(1)
	out := make([]policy.Verdict, len(ts))
	ch.DeliverBatch(ctx, &policy.DeliverBatchInput{Event: ev.Event, Raw: ev.Raw, Targets: ts}, out)
	for i, v := range out {
		if v.Action != want[i] || v.Payload != nil {
			t.Errorf("session %d (%s): got %s %q, want %s", i+1, ts[i].SubID, v.Action, v.Payload, want[i])
		}
		if v.Action != policy.Rewrite {
			continue
		}
		one := ch.Deliver(ctx, &policy.DeliverInput{Session: ts[i].Session, SubID: ts[i].SubID, Event: ev.Event, Raw: ev.Raw})
		if one.Action != policy.Rewrite || string(one.Payload) != `{"rewritten":true}` {
			t.Errorf("session %d alone: got %s %q, want the rewrite", i+1, one.Action, one.Payload)
		}
	}
}

// TestWasmDeliverBatchBadAnswer: a batch call that returns non-zero or
// sets verdicts of the wrong length is a plugin error; the chain then
// leaves every session to be decided alone.
func TestWasmDeliverBatchBadAnswer(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "batch", wasm: "batch"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "batch").(policy.BatchDeliverer)
	ch := policy.NewChain(nil, policy.Entry{Policy: plugin(t, m, "batch"), OnErr: policy.FailClosed})
	for _, kind := range []int{98, 99} {
		t.Run(fmt.Sprint("kind ", kind), func(t *testing.T) {
			ts, _ := batchTargets(3)
			in := &policy.DeliverBatchInput{Event: &nostr.Event{Kind: kind}, Raw: []byte(`{}`), Targets: ts}
			out := make([]policy.Verdict, len(ts))
			if err := p.DeliverBatch(ctx, in, out); !errors.Is(err, wasmhost.ErrBadVerdict) {
				t.Fatalf("DeliverBatch: got %v, want ErrBadVerdict", err)
			}
			ch.DeliverBatch(ctx, in, out)
			for i, v := range out {
				if v.Action != policy.Rewrite {
					t.Errorf("session %d: got %s, want undecided (Rewrite) after a failed batch", i+1, v.Action)
				}
			}
		})
	}
}

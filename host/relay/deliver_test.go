package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// gatedHook is a deliver policy that blocks every delivery to the
// subscription id sub until the test opens the gate.
type gatedHook struct {
	sub     string
	gate    chan struct{}
	entered chan struct{} // one value per blocked call
	once    sync.Once
}

func newGatedHook(sub string) *gatedHook {
	g := &gatedHook{sub: sub, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	return g
}

func (g *gatedHook) policy() policy.Entry {
	return enforce(&fnPolicy{name: "gated", deliver: func(in *policy.DeliverInput) policy.Verdict {
		if in.SubID == g.sub {
			select {
			case <-g.gate:
			default:
				select {
				case g.entered <- struct{}{}:
				default:
				}
				<-g.gate
			}
		}
		return policy.Verdict{}
	}})
}

func (g *gatedHook) open() { g.once.Do(func() { close(g.gate) }) }

// waitEntered waits until the hook blocks.
func (g *gatedHook) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(wsc.Timeout):
		t.Fatal("the deliver hook was never called")
	}
}

// TestRelaySlowDeliverHookSlowsOnlyItsSession (issue 7, item 2): while the
// deliver hook is blocked for one session, the publisher gets its OKs,
// other subscribers get the events and a new REQ gets EOSE; once released,
// the blocked session gets every event, in order. Before the fix broadcast
// ran the hook on the store's notifier goroutine with the subscription
// index read-locked, so the second OK and the new REQ hung.
func TestRelaySlowDeliverHookSlowsOnlyItsSession(t *testing.T) {
	g := newGatedHook("slow")
	tr := start(t, relay.Options{}, g.policy())
	t.Cleanup(g.open) // runs before the relay's shutdown if the test fails
	slow, fast, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	slow.Req("slow", nostr.Filter{Kinds: []int{1}})
	fast.Req("fast", nostr.Filter{Kinds: []int{1}})
	k := wsc.NewKey()
	var evs []*nostr.Event
	for i := range 5 {
		ev := k.Sign(t, 1, fmt.Sprint("live ", i), now())
		evs = append(evs, ev)
		if ok := pub.Publish(ev); !ok.Accepted {
			t.Fatalf("publish %d: %v", i, ok)
		}
		if i == 0 {
			g.waitEntered(t)
		}
		if got := wsc.Event(t, fast.Expect("EVENT")); got.ID != ev.ID {
			t.Fatalf("fast subscriber got %q, want %q", got.Content, ev.Content)
		}
	}
	other := wsc.Dial(t, tr.url)
	if got := other.Req("new", nostr.Filter{Authors: []string{k.PK}}); len(got) != len(evs) {
		t.Fatalf("new REQ got %d stored events, want %d", len(got), len(evs))
	}
	// The blocked session's own reader is free too.
	slow.Send("COUNT", "c", nostr.Filter{Authors: []string{k.PK}})
	slow.Expect("COUNT")
	g.open()
	for i, want := range evs {
		m := slow.Expect("EVENT")
		if got := wsc.Event(t, m); wsc.Str(m, 1) != "slow" || got.ID != want.ID {
			t.Fatalf("slow delivery %d: got %q on %q, want %q", i, got.Content, wsc.Str(m, 1), want.Content)
		}
	}
}

// TestRelaySlowDeliverHookOverflowClosesSub: a session whose deliveries
// fall further behind than its delivery queue holds gets, once the hook
// returns, the events that fit, in order, then CLOSED for that
// subscription; nothing of it after.
func TestRelaySlowDeliverHookOverflowClosesSub(t *testing.T) {
	g := newGatedHook("slow")
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.QueueBytes = 64 << 10; l.MaxMessageBytes = 64 << 10 })}, g.policy())
	t.Cleanup(g.open)
	slow, fast, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	slow.Req("slow", nostr.Filter{Kinds: []int{1}})
	fast.Req("fast", nostr.Filter{Kinds: []int{1}})
	k := wsc.NewKey()
	const n = 12 // ~8 KiB each: more than 64 KiB
	var evs []*nostr.Event
	for i := range n {
		ev := k.Sign(t, 1, fmt.Sprint(i, " ", strings.Repeat("x", 8<<10)), now())
		evs = append(evs, ev)
		if ok := pub.Publish(ev); !ok.Accepted {
			t.Fatalf("publish %d: %v", i, ok)
		}
		if i == 0 {
			g.waitEntered(t)
		}
		if got := wsc.Event(t, fast.Expect("EVENT")); got.ID != ev.ID {
			t.Fatalf("fast subscriber got event %d out of order", i)
		}
	}
	g.open()
	got := 0
	for {
		m := slow.Read()
		if wsc.Label(m) == "CLOSED" {
			if wsc.Str(m, 1) != "slow" || !strings.HasPrefix(wsc.Str(m, 2), "error: ") {
				t.Fatalf("got %s, want CLOSED slow error:", m)
			}
			break
		}
		if wsc.Label(m) != "EVENT" || wsc.Event(t, m).ID != evs[got].ID {
			t.Fatalf("slow message %d: got %s, want EVENT %d", got, wsc.Label(m), got)
		}
		got++
	}
	if got == 0 || got >= n {
		t.Fatalf("slow session got %d of %d events before CLOSED, want some but not all", got, n)
	}
	// Nothing more for "slow": a later event reaches fast only, and a new
	// REQ on the slow connection answers next.
	late := k.Sign(t, 1, "late", now())
	pub.Publish(late)
	wsc.Event(t, fast.Expect("EVENT"))
	slow.Req("probe", nostr.Filter{IDs: []string{late.ID}})
}

// TestRelayDeliverHookKeepsStoredThenEOSEThenLive: events published while a
// REQ's stored events are still going through the deliver hook arrive after
// EOSE, in publish order, each once.
func TestRelayDeliverHookKeepsStoredThenEOSEThenLive(t *testing.T) {
	g := newGatedHook("buf")
	tr := start(t, relay.Options{}, g.policy())
	t.Cleanup(g.open)
	c, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	stored := k.Sign(t, 1, "stored", now())
	pub.Publish(stored)
	c.Send("REQ", "buf", nostr.Filter{Kinds: []int{1}})
	g.waitEntered(t) // the stored event is in the hook: the sub is indexed, not live
	var live []*nostr.Event
	for i := range 3 {
		ev := k.Sign(t, 1, fmt.Sprint("live ", i), now())
		live = append(live, ev)
		if ok := pub.Publish(ev); !ok.Accepted {
			t.Fatalf("publish: %v", ok)
		}
	}
	g.open()
	if ev := wsc.Event(t, c.Expect("EVENT")); ev.ID != stored.ID {
		t.Fatalf("got %q first, want the stored event", ev.Content)
	}
	c.Expect("EOSE")
	for _, want := range live {
		if ev := wsc.Event(t, c.Expect("EVENT")); ev.ID != want.ID {
			t.Fatalf("got %q, want %q", ev.Content, want.Content)
		}
	}
	c.Req("probe", nostr.Filter{IDs: []string{stored.ID}}) // and nothing else queued before it
}

// batchPolicy is a deliver policy that also decides in batches
// (policy.BatchDeliverer), counting its calls of each kind.
type batchPolicy struct {
	fnPolicy
	batch        func(in *policy.DeliverBatchInput, out []policy.Verdict)
	batchCalls   atomic.Int64
	batchTargets atomic.Int64
	singleCalls  atomic.Int64
}

func (p *batchPolicy) BatchesDeliver() bool { return true }

func (p *batchPolicy) DeliverBatch(_ context.Context, in *policy.DeliverBatchInput, out []policy.Verdict) error {
	p.batchCalls.Add(1)
	p.batchTargets.Add(int64(len(in.Targets)))
	p.batch(in, out)
	return nil
}

func (p *batchPolicy) Deliver(ctx context.Context, in *policy.DeliverInput) (policy.Verdict, error) {
	p.singleCalls.Add(1)
	return p.fnPolicy.Deliver(ctx, in)
}

// TestRelayDeliverBatch (issue 10, item 6): with a deliver policy that
// batches, each live event is decided by one batch call for all its
// receiving subscriptions; a dropped delivery is not sent, an undecided
// one goes through Deliver on its own session (here a rewrite), and every
// subscriber gets its events in publish order. Without batches the policy
// is called once per delivery (batchCalls stays 0).
func TestRelayDeliverBatch(t *testing.T) {
	rewrite := func(raw []byte) []byte {
		var ev nostr.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			panic(err)
		}
		ev.Content = "rewritten " + ev.Content
		b, _ := json.Marshal(ev)
		return b
	}
	bp := &batchPolicy{fnPolicy: fnPolicy{name: "batch", deliver: func(in *policy.DeliverInput) policy.Verdict {
		if in.SubID == "alone" {
			return policy.Verdict{Action: policy.Rewrite, Payload: rewrite(in.Raw)}
		}
		return policy.Verdict{}
	}}}
	bp.batch = func(in *policy.DeliverBatchInput, out []policy.Verdict) {
		for i, tg := range in.Targets {
			switch {
			case tg.SubID == "drop" && in.Event.Content != "end":
				out[i] = policy.Verdict{Action: policy.Reject}
			case tg.SubID == "alone":
				out[i] = policy.Verdict{Action: policy.Rewrite} // undecided
			default:
				out[i] = policy.Verdict{}
			}
		}
	}
	tr := start(t, relay.Options{}, enforce(bp))
	keep, drop, alone, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url), wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	keep.Req("keep", nostr.Filter{Kinds: []int{1}})
	drop.Req("drop", nostr.Filter{Kinds: []int{1}})
	alone.Req("alone", nostr.Filter{Kinds: []int{1}})
	k := wsc.NewKey()
	var evs []*nostr.Event
	for i := range 5 {
		evs = append(evs, k.Sign(t, 1, fmt.Sprint("live ", i), now()))
	}
	evs = append(evs, k.Sign(t, 1, "end", now()))
	for i, ev := range evs {
		if ok := pub.Publish(ev); !ok.Accepted {
			t.Fatalf("publish %d: %v", i, ok)
		}
	}
	for i, want := range evs {
		if got := wsc.Event(t, keep.Expect("EVENT")); got.ID != want.ID {
			t.Fatalf("keep: delivery %d is %q, want %q", i, got.Content, want.Content)
		}
		if got := wsc.Event(t, alone.Expect("EVENT")); got.Content != "rewritten "+want.Content {
			t.Fatalf("alone: delivery %d is %q, want %q rewritten", i, got.Content, want.Content)
		}
	}
	if got := wsc.Event(t, drop.Expect("EVENT")); got.Content != "end" {
		t.Fatalf("drop: first delivery is %q, want only \"end\"", got.Content)
	}
	// Every call was made before its frame was sent.
	if got, want := bp.batchCalls.Load(), int64(len(evs)); got != want {
		t.Errorf("batch calls: %d, want one per event (%d)", got, want)
	}
	if got, want := bp.batchTargets.Load(), int64(3*len(evs)); got != want {
		t.Errorf("sessions in batches: %d, want %d", got, want)
	}
	if got, want := bp.singleCalls.Load(), int64(len(evs)); got != want {
		t.Errorf("single calls: %d, want one per undecided delivery (%d)", got, want)
	}
}

package relay

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// reasonLagging is the CLOSED reason of a subscription whose deliveries
// fell behind by more than the session's delivery queue holds.
const reasonLagging = "error: too many events waiting for delivery; please resubscribe"

// deliveryQueue holds a session's live events on their way through the
// deliver hook. broadcast must never wait for a policy, so when the chain
// has a deliver hook it only appends here; the session's deliverer, a
// goroutine that exists only while the queue is not empty (like the
// connection's writer), runs the hook and enqueues the frames in queue
// order. A slow hook therefore slows only the sessions it is slow for.
//
// The queue is bounded in frame bytes by Options.QueueBytes, the cap of
// the connection's own queue, counting the event being delivered (the
// event JSON is shared between sessions, so the memory is at most that;
// each entry adds ~50 bytes to frames of ~200 bytes or more). An event that
// does not fit is dropped and its subscription is marked lagging: its
// later events are dropped too, and when the deliverer reaches the marker
// it closes the subscription with CLOSED reasonLagging, after the events
// that were queued before (so the client knows exactly where its stream
// stopped).
type deliveryQueue struct {
	mu    sync.Mutex
	items []pending
	bytes int // frame bytes queued or being delivered
	// busy is set while a deliverer runs (the queue is not empty or an
	// event is being delivered). It is written under mu and read without
	// it by the fast path.
	busy atomic.Bool
}

// pending is one queued delivery, or (ev == nil) the marker that closes a
// lagging subscription.
type pending struct {
	sb    *sub
	ev    *nostr.Event
	raw   []byte
	size  int
	batch *deliverBatch // nil: decide alone
	idx   int           // this delivery's place in batch
}

// pushLocked passes a live event on: straight to the connection when the
// chain has no deliver hook and nothing is queued before it (the fast
// path), else to the session's delivery queue. sb.mu must be held; it
// never blocks.
func (sb *sub) pushLocked(ev *nostr.Event, raw []byte, hook bool, b *deliverBatch) {
	s := sb.s
	if !hook && !s.dq.busy.Load() {
		sb.sendLocked(raw)
		return
	}
	q := &s.dq
	size := len(sb.prefix) + len(raw) + len(closeBracket)
	q.mu.Lock()
	p := pending{sb: sb, ev: ev, raw: raw, size: size}
	if q.bytes+size > s.conn.QueueCap() {
		sb.lagging = true
		p = pending{sb: sb}
	} else {
		q.bytes += size
		if b != nil {
			p.batch, p.idx = b, b.add(sb)
		}
	}
	q.items = append(q.items, p)
	if !q.busy.Load() {
		q.busy.Store(true)
		go s.drainDeliveries()
	}
	q.mu.Unlock()
}

// drainDeliveries is the session's deliverer: it delivers the queued
// events in order and exits when the queue is empty, or drops everything
// once the session closed.
func (s *session) drainDeliveries() {
	q := &s.dq
	for {
		q.mu.Lock()
		if len(q.items) == 0 || s.closed.Load() {
			clear(q.items)
			q.items, q.bytes = nil, 0
			q.busy.Store(false)
			q.mu.Unlock()
			return
		}
		p := q.items[0]
		q.items[0] = pending{}
		q.items = q.items[1:]
		q.mu.Unlock()
		if p.ev == nil {
			s.r.log.Info("closing a subscription whose deliveries fell behind", "session", s.ps.ID, "sub", p.sb.id,
				"queue_bytes", s.conn.QueueCap())
			s.r.closeSub(p.sb, reasonLagging)
			continue
		}
		s.deliverOne(p)
		q.mu.Lock()
		q.bytes -= p.size
		q.mu.Unlock()
	}
}

// deliverOne runs the deliver hook (if the current chain has one) on one
// queued event and enqueues its frame unless the subscription ended.
func (s *session) deliverOne(p pending) {
	sb := p.sb
	sb.mu.Lock()
	dead := sb.dead
	sb.mu.Unlock()
	if dead {
		return
	}
	raw := p.raw
	if v, ok := p.batch.verdict(s.r, p.idx); ok {
		if v.Final() {
			return
		}
	} else if ch := s.r.chain.Load(); ch.Has(policy.HookDeliver) {
		v := ch.Deliver(context.Background(), &policy.DeliverInput{Session: s.ps, SubID: sb.id, Event: p.ev, Raw: raw})
		if v.Final() {
			return
		}
		raw = v.Payload
	}
	sb.mu.Lock()
	if !sb.dead {
		sb.sendLocked(raw)
	}
	sb.mu.Unlock()
}

// deliverBatch is one live event on its way to up to maxBatch of the
// subscriptions it matched, decided by one call of each deliver policy
// (policy.Chain.DeliverBatch) when every deliver policy of the chain
// batches: a Go plugin's entry costs more than the decision, so one call
// per event instead of one per session is most of a deliver hook's cost.
//
// broadcast fills it while matching and seals it after; no policy runs
// there. The first deliverer to reach it (any member session's) claims
// it and runs the batch on its own goroutine; a deliverer that reaches it
// while another one runs it does not wait: it decides its own delivery
// alone, as without batches. So a hook slow for some session slows the
// sessions of its batch only if they are its claimer, and never for longer
// than one call per policy (the plugin's timeout_ms); every other session
// keeps its own pace (RATIONALE.md, "Why batch deliver hooks?").
type deliverBatch struct {
	ev  *nostr.Event
	raw []byte
	// subs are the members, by pending.idx; written only by broadcast,
	// before sealed is closed.
	subs    []*sub
	sealed  chan struct{}
	claimed atomic.Bool
	done    atomic.Bool // verdicts are final
	// verdicts are the members' answers (see policy.Chain.DeliverBatch),
	// written by the claimer before done.
	verdicts []policy.Verdict
}

// maxBatch is the most subscriptions one deliverBatch covers: a batch
// call is bounded by the plugin's deadline, so its size bounds how much
// work one claimer does for others.
const maxBatch = 64

// add makes sb a member and returns its index. broadcast only.
func (b *deliverBatch) add(sb *sub) int {
	b.subs = append(b.subs, sb)
	return len(b.subs) - 1
}

// verdict returns the batch's verdict for member i, running the batch if
// nobody claimed it yet. ok is false when the delivery is to be decided
// alone: no batch, a batch another deliverer is running, or a member the
// batch left undecided. b may be nil.
func (b *deliverBatch) verdict(r *Relay, i int) (policy.Verdict, bool) {
	if b == nil {
		return policy.Verdict{}, false
	}
	<-b.sealed // broadcast is still matching: bounded, no policy runs there
	if !b.done.Load() && b.claimed.CompareAndSwap(false, true) {
		b.run(r)
	}
	if !b.done.Load() {
		return policy.Verdict{}, false
	}
	v := b.verdicts[i]
	if v.Action == policy.Rewrite { // undecided in the batch
		return policy.Verdict{}, false
	}
	return v, true
}

// run decides the batch with the current chain.
func (b *deliverBatch) run(r *Relay) {
	ch := r.chain.Load()
	if !ch.Batches() { // swapped since broadcast: decide alone
		return
	}
	in := &policy.DeliverBatchInput{Event: b.ev, Raw: b.raw, Targets: make([]policy.DeliverTarget, len(b.subs))}
	for i, sb := range b.subs {
		in.Targets[i] = policy.DeliverTarget{Session: sb.s.ps, SubID: sb.id}
	}
	vs := make([]policy.Verdict, len(b.subs))
	ch.DeliverBatch(context.Background(), in, vs)
	b.verdicts = vs
	b.done.Store(true)
}

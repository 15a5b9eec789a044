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
	items []pending // items[head:] are queued
	head  int
	bytes int // frame bytes queued or being delivered
	// busy is set while a deliverer runs (the queue is not empty or an
	// event is being delivered). It is written under mu and read without
	// it by the fast path.
	busy atomic.Bool
}

// maxKeptQueue is the most entries of a delivery queue's array kept
// between two bursts (~5 KiB).
const maxKeptQueue = 64

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
	if q.head > 0 && len(q.items) == cap(q.items) { // reuse the delivered front
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, p)
	if !q.busy.Load() {
		q.busy.Store(true)
		if b != nil {
			b.kick = append(b.kick, s) // b's runner delivers, see deliverBatch
		} else {
			go s.drainDeliveries()
		}
	}
	q.mu.Unlock()
}

// drainDeliveries is the session's deliverer: it delivers the queued
// events in order and exits when the queue is empty, or drops everything
// once the session closed.
func (s *session) drainDeliveries() { s.drain(nil) }

// drain delivers the queued events in order; with only set, it is a
// batch's runner and delivers only the events of that batch at the head
// of the queue, then hands the queue to a deliverer of its own if more is
// queued.
func (s *session) drain(only *deliverBatch) {
	q := &s.dq
	for {
		q.mu.Lock()
		if only != nil && q.head < len(q.items) && q.items[q.head].batch != only && !s.closed.Load() {
			q.mu.Unlock()
			go s.drainDeliveries() // busy stays set: the queue changes hands
			return
		}
		if q.head == len(q.items) || s.closed.Load() {
			clear(q.items)
			// The array is kept for the next burst unless it grew big.
			if q.items, q.head, q.bytes = q.items[:0], 0, 0; cap(q.items) > maxKeptQueue {
				q.items = nil
			}
			q.busy.Store(false)
			q.mu.Unlock()
			return
		}
		p := q.items[q.head]
		q.items[q.head] = pending{}
		q.head++
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
	if drop, ok := p.batch.verdict(s.r, p.idx); ok {
		if drop {
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
// there. A member whose session had nothing queued gets no deliverer of
// its own: it is kicked, and one goroutine per batch, the runner, runs
// the batch and then delivers the batch's events of the kicked sessions
// (drain with only set), handing a session that has more queued to a
// deliverer of its own. A member whose deliverer was already running is
// reached by that deliverer in queue order. Whoever reaches the batch
// first claims it and runs it; the others wait for it. So a session waits
// for the others of its batch for at most one call per deliver policy,
// which the plugin's deadline (timeout_ms) bounds: a failed batch leaves
// each session to decide alone (RATIONALE.md, "Why batch deliver
// hooks?").
type deliverBatch struct {
	ev  *nostr.Event
	raw []byte
	// subs are the members, by pending.idx; written only by broadcast,
	// before sealed is closed.
	subs     []*sub
	kick     []*session    // members' sessions without a deliverer, for the runner
	sealed   chan struct{} // closed by broadcast when subs is complete
	isSealed atomic.Bool   // set just before sealed is closed
	claimed  atomic.Bool
	ran      chan struct{} // closed when the claimer's run returned
	hasRun   atomic.Bool   // set just before ran is closed
	// done and state, the members' answers, are written by the claimer
	// before ran is closed; done is false if the batch was not run (the
	// chain changed).
	done  bool
	state [maxBatch]uint8 // batchSend, batchDrop or batchAlone
}

// The answers of a deliverBatch for one member.
const (
	batchSend  = 0 // every policy accepted: send the event as it is
	batchDrop  = 1 // a policy refused: drop the delivery
	batchAlone = 2 // undecided: run the chain for this delivery alone
)

// batchScratch is the policy input and output of one batch run, recycled
// through Relay.batchScratch.
type batchScratch struct {
	targets  [maxBatch]policy.DeliverTarget
	verdicts [maxBatch]policy.Verdict
}

// maxBatch is the most subscriptions one deliverBatch covers: a batch
// call is bounded by the plugin's deadline, so its size bounds how much
// work one claimer does for others.
const maxBatch = 64

// seal marks the batch complete and starts its runner if it kicked
// sessions. broadcast only.
func (b *deliverBatch) seal(r *Relay) {
	b.isSealed.Store(true)
	close(b.sealed)
	if len(b.kick) > 0 {
		go b.deliver(r)
	}
}

// deliver is the batch's runner: it runs the batch unless a deliverer
// claimed it, then delivers its events to the kicked sessions.
func (b *deliverBatch) deliver(r *Relay) {
	b.claim(r)
	for _, s := range b.kick {
		s.drain(b)
	}
}

// claim runs the batch if nobody claimed it yet, else waits until its
// claimer ran it.
func (b *deliverBatch) claim(r *Relay) {
	if !b.claimed.Load() && b.claimed.CompareAndSwap(false, true) {
		b.run(r)
		b.hasRun.Store(true)
		close(b.ran)
	}
	if !b.hasRun.Load() {
		<-b.ran
	}
}

// add makes sb a member and returns its index. broadcast only.
func (b *deliverBatch) add(sb *sub) int {
	b.subs = append(b.subs, sb)
	return len(b.subs) - 1
}

// verdict returns the batch's answer for member i (drop it or send it),
// running the batch if nobody claimed it yet, else waiting until its
// claimer ran it. ok is false when the delivery is to be decided alone:
// no batch, a batch that was not run, or a member it left undecided. b
// may be nil.
func (b *deliverBatch) verdict(r *Relay, i int) (drop, ok bool) {
	if b == nil {
		return false, false
	}
	// The flags spare the members a lock on the channels once they are
	// closed: a hundred deliverers reach one batch at once.
	if !b.isSealed.Load() {
		<-b.sealed // broadcast is still matching: bounded, no policy runs there
	}
	b.claim(r)
	if !b.done {
		return false, false
	}
	switch b.state[i] {
	case batchDrop:
		return true, true
	case batchSend:
		return false, true
	}
	return false, false
}

// run decides the batch with the current chain.
func (b *deliverBatch) run(r *Relay) {
	ch := r.chain.Load()
	if !ch.Batches() { // swapped since broadcast: decide alone
		return
	}
	sc, _ := r.batchScratch.Get().(*batchScratch)
	if sc == nil {
		sc = new(batchScratch)
	}
	n := len(b.subs)
	ts, vs := sc.targets[:n], sc.verdicts[:n]
	for i, sb := range b.subs {
		ts[i] = policy.DeliverTarget{Session: sb.s.ps, SubID: sb.id}
	}
	ch.DeliverBatch(context.Background(), &policy.DeliverBatchInput{Event: b.ev, Raw: b.raw, Targets: ts}, vs)
	for i := range vs {
		switch {
		case vs[i].Final():
			b.state[i] = batchDrop
		case vs[i].Action == policy.Rewrite:
			b.state[i] = batchAlone
		}
	}
	clear(ts)
	clear(vs)
	r.batchScratch.Put(sc)
	b.done = true
}

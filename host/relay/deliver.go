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
	sb   *sub
	ev   *nostr.Event
	raw  []byte
	size int
}

// pushLocked passes a live event on: straight to the connection when the
// chain has no deliver hook and nothing is queued before it (the fast
// path), else to the session's delivery queue. sb.mu must be held; it
// never blocks.
func (sb *sub) pushLocked(ev *nostr.Event, raw []byte, hook bool) {
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
	if ch := s.r.chain.Load(); ch.Has(policy.HookDeliver) {
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

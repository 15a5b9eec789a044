package relay

import (
	"context"
	"sync"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// maxBuffered bounds the live events a subscription holds while its stored
// events are still being sent; past it the subscription is closed.
const maxBuffered = 1000

// sub is one REQ subscription of a session.
type sub struct {
	s       *session
	id      string
	filters nostr.Filters
	prefix  []byte // `["EVENT","<id>",`, shared by every frame of this sub

	mu       sync.Mutex
	live     bool        // EOSE sent: deliver directly
	buffered []liveEvent // live events that arrived before EOSE
	overflow bool        // buffered went over maxBuffered
	dead     bool        // replaced or closed
}

type liveEvent struct {
	ev  *nostr.Event
	raw []byte
}

var closeBracket = []byte("]")

// deliver sends a live event to the subscription, or holds it until EOSE.
// It is called by broadcast with the subscription index read-locked: it
// must not call back into the index, and must not block.
func (sb *sub) deliver(ev *nostr.Event, raw []byte) {
	sb.mu.Lock()
	if sb.dead {
		sb.mu.Unlock()
		return
	}
	if !sb.live {
		if len(sb.buffered) >= maxBuffered {
			sb.overflow = true
		} else {
			sb.buffered = append(sb.buffered, liveEvent{ev, raw})
		}
		sb.mu.Unlock()
		return
	}
	sb.mu.Unlock()
	sb.send(ev, raw)
}

// send runs the deliver hook and enqueues one EVENT frame.
func (sb *sub) send(ev *nostr.Event, raw []byte) {
	r := sb.s.r
	if ch := r.chain.Load(); ch.Has(policy.HookDeliver) {
		v := ch.Deliver(context.Background(), &policy.DeliverInput{Session: sb.s.ps, SubID: sb.id, Event: ev, Raw: raw})
		if v.Final() {
			return
		}
		raw = v.Payload
	}
	if sb.s.conn.SendParts(sb.prefix, raw, closeBracket) == nil {
		r.stats.Deliveries.Add(1)
	}
}

// goLive switches the subscription to live delivery after EOSE was queued,
// first sending what arrived meanwhile (minus events already sent as
// stored ones).
func (sb *sub) goLive(sent map[string]struct{}) {
	sb.mu.Lock()
	if sb.dead {
		sb.mu.Unlock()
		return
	}
	buf, overflow := sb.buffered, sb.overflow
	sb.buffered, sb.live = nil, true
	sb.mu.Unlock()
	if overflow {
		sb.s.r.closeSub(sb, "error: too many live events before EOSE; please resubscribe")
		return
	}
	for _, le := range buf {
		if _, dup := sent[le.ev.ID]; !dup {
			sb.send(le.ev, le.raw)
		}
	}
}

// broadcast sends a stored or ephemeral event to every matching live
// subscription. It runs once per event; the frames share raw.
func (r *Relay) broadcast(ev *nostr.Event, raw []byte) {
	r.subs.Match(ev, func(sb *sub) { sb.deliver(ev, raw) })
}

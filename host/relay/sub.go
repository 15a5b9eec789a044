package relay

import (
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
	lagging  bool        // the delivery queue overflowed; CLOSED is on its way
	dead     bool        // replaced or closed
}

type liveEvent struct {
	ev  *nostr.Event
	raw []byte
}

var closeBracket = []byte("]")

// deliver hands a live event to the subscription: it holds it until EOSE,
// sends it, or queues it for the session's deliverer (deliver.go). hook
// says whether the chain broadcast loaded has a deliver hook. It is called
// by broadcast with the subscription index read-locked: it must not call
// back into the index, run a policy or block.
func (sb *sub) deliver(ev *nostr.Event, raw []byte, hook bool, b *deliverBatch) {
	sb.mu.Lock()
	switch {
	case sb.dead || sb.lagging:
	case !sb.live:
		if len(sb.buffered) >= maxBuffered {
			sb.overflow = true
		} else {
			sb.buffered = append(sb.buffered, liveEvent{ev, raw})
		}
	default:
		sb.pushLocked(ev, raw, hook, b)
	}
	sb.mu.Unlock()
}

// sendLocked enqueues one EVENT frame. sb.mu must be held, so that no
// frame of a killed subscription follows its kill.
func (sb *sub) sendLocked(raw []byte) {
	if sb.s.conn.SendParts(sb.prefix, raw, closeBracket) == nil {
		sb.s.r.stats.Deliveries.Add(1)
	}
}

// goLive switches the subscription to live delivery after EOSE was queued,
// first passing on what arrived meanwhile (minus events already sent as
// stored ones). It holds sb.mu while it does, so a live event broadcast
// after the switch goes out after them.
func (sb *sub) goLive(sent map[string]struct{}) {
	sb.mu.Lock()
	if sb.dead {
		sb.mu.Unlock()
		return
	}
	if sb.overflow {
		sb.mu.Unlock()
		sb.s.r.closeSub(sb, "error: too many live events before EOSE; please resubscribe")
		return
	}
	buf := sb.buffered
	sb.buffered, sb.live = nil, true
	hook := sb.s.r.chain.Load().Has(policy.HookDeliver)
	for _, le := range buf {
		if _, dup := sent[le.ev.ID]; !dup && !sb.lagging {
			sb.pushLocked(le.ev, le.raw, hook, nil)
		}
	}
	sb.mu.Unlock()
}

// broadcast sends a stored or ephemeral event to every matching live
// subscription. It runs once per event; the frames share raw. It only
// matches and hands off: deliver hooks run on each session's deliverer,
// grouped in batches of up to maxBatch subscriptions when the chain's
// deliver policies batch (deliverBatch).
func (r *Relay) broadcast(ev *nostr.Event, raw []byte) {
	r.ws.Batch(func() { r.match(ev, raw) })
}

// match hands ev to every matching live subscription (broadcast's work).
func (r *Relay) match(ev *nostr.Event, raw []byte) {
	ch := r.chain.Load()
	hook := ch.Has(policy.HookDeliver)
	if !hook || !ch.Batches() {
		r.subs.Match(ev, func(sb *sub) { sb.deliver(ev, raw, hook, nil) })
		return
	}
	var b *deliverBatch
	r.subs.Match(ev, func(sb *sub) {
		if b == nil || len(b.subs) == maxBatch {
			if b != nil {
				b.seal(r)
			}
			b = &deliverBatch{ev: ev, raw: raw, sealed: make(chan struct{}), ran: make(chan struct{})}
		}
		sb.deliver(ev, raw, hook, b)
	})
	if b != nil {
		b.seal(r)
	}
}

// Broadcast hands an event stored by other means than this relay's Submit
// to the live subscribers, as broadcast does: the events a replicating
// store applies (Options.Replicated), and the ephemeral events of other
// nodes. Calls must come in the order subscribers are to see the events,
// from one goroutine at a time, and must not block for long.
func (r *Relay) Broadcast(ev *nostr.Event, raw []byte) { r.broadcast(ev, raw) }

// broadcastEphemeral broadcasts an ephemeral event this relay accepted and
// hands it to Options.Fanout.
func (r *Relay) broadcastEphemeral(ev *nostr.Event, raw []byte) {
	r.broadcast(ev, raw)
	if r.opts.Fanout != nil {
		r.opts.Fanout(ev, raw)
	}
}

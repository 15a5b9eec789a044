package relay

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
)

// onReq handles a REQ: policies (reject or rewrite), limits, then the
// stored events newest first, EOSE, and live events after it. A REQ with
// the id of an open subscription replaces it.
func (s *session) onReq(m envelope.Message) {
	filters, reason := s.admitFilters(policy.HookReq, m.SubID, m.Filters)
	if reason != "" {
		s.closedReply(m.SubID, reason)
		return
	}
	sb := &sub{s: s, id: m.SubID, filters: filters, prefix: envelope.AppendEventPrefix(nil, m.SubID)}
	s.mu.Lock()
	old := s.subs[m.SubID]
	if max := s.r.cur().lim.MaxSubscriptions; old == nil && len(s.subs) >= max {
		s.mu.Unlock()
		s.closedReply(m.SubID, "blocked: too many open subscriptions (max "+strconv.Itoa(max)+")")
		return
	}
	s.subs[m.SubID] = sb
	s.mu.Unlock()
	if old != nil {
		old.kill()
	}
	// Index first, then query: an event committed meanwhile is either in
	// the query's snapshot or buffered for after EOSE (or both; goLive
	// drops the copy).
	s.r.subs.Add(s.ps.ID, m.SubID, filters, sb)
	sent, err := s.sendStored(sb)
	if err != nil {
		// Not EOSE: the stored events could not all be read.
		s.detach(sb)
		s.closedReply(m.SubID, "error: could not read the stored events")
		return
	}
	s.send(envelope.AppendEOSE(nil, m.SubID))
	s.eoseQueued()
	s.then(func() { sb.goLive(sent) })
}

// admitFilters runs the REQ/COUNT policies and the relay-wide auth rule.
// It returns the filters to use, or a CLOSED reason.
func (s *session) admitFilters(h policy.Hook, subID string, filters nostr.Filters) (nostr.Filters, string) {
	if s.r.cur().lim.AuthRequired && s.ps.Authed() == "" {
		return nil, "auth-required: this relay requires NIP-42 authentication"
	}
	for i := range filters {
		if filters[i].Search != "" {
			// Answering a search with unrelated events would be worse than
			// saying no: the store has no NIP-50 index.
			return nil, "error: search (NIP-50) is not supported by this relay"
		}
	}
	if ch := s.r.chain.Load(); ch.Has(h) {
		v := ch.Filter(context.Background(), &policy.FilterInput{Session: s.ps, Hook: h, SubID: subID, Filters: filters})
		if v.Final() {
			return nil, v.Reason()
		}
		filters = v.Filters
		if len(filters) == 0 {
			return nil, "blocked: no filters left after policies"
		}
	}
	return filters, ""
}

// limitOf returns the number of stored events a filter may return.
func (r *Relay) limitOf(f *nostr.Filter) int {
	l := &r.cur().lim
	switch {
	case f.LimitZero:
		return 0
	case f.Limit <= 0:
		return l.DefaultLimit
	case f.Limit > l.MaxLimit:
		return l.MaxLimit
	}
	return f.Limit
}

// sendStored queues the stored events matching sb's filters, newest first
// per filter, each event once. It returns the ids sent when live events
// are already buffered (nil otherwise), for goLive to skip, or the error of
// a query that failed (after queueing what it read).
func (s *session) sendStored(sb *sub) (map[string]struct{}, error) {
	s.r.stats.Queries.Add(1)
	direct := s.idle()
	var frames [][]byte
	var raws [][]byte
	var seen map[string]struct{}
	if len(sb.filters) > 1 {
		seen = map[string]struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	deliver := s.r.chain.Load()
	if !deliver.Has(policy.HookDeliver) {
		deliver = nil
	}
	for i := range sb.filters {
		f := &sb.filters[i]
		limit := s.r.limitOf(f)
		if limit == 0 {
			continue
		}
		err := s.r.store.Query(ctx, *f, limit, func(raw []byte) bool {
			if seen != nil {
				id := rawID(raw)
				if _, dup := seen[id]; dup {
					return true
				}
				seen[id] = struct{}{}
			}
			raws = append(raws, raw)
			if deliver != nil {
				// Stored events are deliveries too: the deliver hook may
				// drop or rewrite them (a DM policy must cover both).
				var ok bool
				if raw, ok = s.deliverStored(ctx, deliver, sb.id, raw); !ok {
					return true
				}
			}
			if direct {
				s.waitQueue()
				s.conn.SendParts(sb.prefix, raw, closeBracket)
			} else {
				frames = append(frames, append(append(append([]byte(nil), sb.prefix...), raw...), ']'))
			}
			return true
		})
		if err != nil {
			s.r.log.Warn("query failed", "session", s.ps.ID, "sub", sb.id, "err", err)
			if len(frames) > 0 {
				s.send(frames...)
			}
			return nil, err
		}
	}
	if len(frames) > 0 {
		s.send(frames...)
	}
	sb.mu.Lock()
	pending := len(sb.buffered)
	sb.mu.Unlock()
	if pending == 0 || len(raws) == 0 {
		return nil, nil
	}
	sent := make(map[string]struct{}, len(raws))
	for _, raw := range raws {
		sent[rawID(raw)] = struct{}{}
	}
	return sent, nil
}

// deliverStored runs the deliver hook on one stored event. It returns the
// event JSON to send, or false to drop it.
func (s *session) deliverStored(ctx context.Context, ch *policy.Chain, subID string, raw []byte) ([]byte, bool) {
	if k, ok := rawKind(raw); ok && !ch.Wants(policy.HookDeliver, k) {
		return raw, true // no deliver hook takes this kind: no need to decode
	}
	var ev nostr.Event
	if err := ev.UnmarshalJSON(raw); err != nil {
		s.r.log.Error("stored event does not parse", "err", err)
		return nil, false
	}
	v := ch.Deliver(ctx, &policy.DeliverInput{Session: s.ps, SubID: subID, Event: &ev, Raw: raw})
	if v.Final() {
		return nil, false
	}
	return v.Payload, true
}

// waitQueue holds the reader while the connection's queue is over half its
// cap, so a large query result streams at the client's pace instead of
// tripping the slow-reader cut. The connection's writer wakes it when the
// queue drops under half; it gives up after the write timeout, and the
// queue cap then decides.
func (s *session) waitQueue() {
	s.conn.WaitQueueBelow(s.conn.QueueCap()/2, time.Now().Add(s.conn.WriteTimeout()))
}

// rawKind returns the kind of a canonical event JSON, which go-nostr
// writes first: {"kind":N,...}. It reports false for anything else, and
// the caller then decodes the event.
func rawKind(raw []byte) (int, bool) {
	const prefix = `{"kind":`
	if !bytes.HasPrefix(raw, []byte(prefix)) {
		return 0, false
	}
	k, i := 0, len(prefix)
	for ; i < len(raw) && raw[i] >= '0' && raw[i] <= '9' && i < len(prefix)+6; i++ {
		k = k*10 + int(raw[i]-'0')
	}
	if i == len(prefix) || i >= len(raw) || raw[i] != ',' {
		return 0, false
	}
	return k, true
}

// rawID returns the id of a canonical event JSON, which go-nostr writes as
// {"kind":N,"id":"<64 hex>",...}.
func rawID(raw []byte) string {
	i := bytes.Index(raw, []byte(`,"id":"`))
	if i < 0 || len(raw) < i+7+64 {
		return ""
	}
	return string(raw[i+7 : i+7+64])
}

// onClose handles CLOSE: the subscription stops; NIP-01 needs no reply.
func (s *session) onClose(subID string) {
	s.mu.Lock()
	sb := s.subs[subID]
	delete(s.subs, subID)
	s.mu.Unlock()
	if sb != nil {
		sb.kill()
		s.r.subs.Remove(s.ps.ID, subID)
	}
}

// kill stops deliveries to a replaced or closed subscription.
func (sb *sub) kill() {
	sb.mu.Lock()
	sb.dead, sb.buffered = true, nil
	sb.mu.Unlock()
}

// closeSub ends a subscription from the relay's side with CLOSED, unless
// the client replaced or closed it meanwhile. It may run on any goroutine
// that holds no lock.
func (r *Relay) closeSub(sb *sub, reason string) {
	if sb.s.detach(sb) {
		sb.s.conn.Send(envelope.AppendClosed(nil, sb.id, reason))
	}
}

// detach ends sb: no more deliveries, out of the session and the index.
// It holds session.mu while it removes the subscription from the index, so
// a REQ reusing the id (which registers under session.mu first) is never
// the one removed. It reports whether sb was still the session's
// subscription under its id.
func (s *session) detach(sb *sub) bool {
	s.mu.Lock()
	current := s.subs[sb.id] == sb
	if current {
		delete(s.subs, sb.id)
		s.r.subs.Remove(s.ps.ID, sb.id)
	}
	s.mu.Unlock()
	sb.kill()
	return current
}

// countExact bounds the events read to count a multi-filter COUNT exactly.
const countExact = 20000

// onCount handles a NIP-45 COUNT. One filter is counted through its index;
// several are ORed, so an event matching two of them counts once: their
// ids are collected up to countExact, beyond which the per-filter counts
// are added (an upper bound).
func (s *session) onCount(m envelope.Message) {
	filters, reason := s.admitFilters(policy.HookCount, m.SubID, m.Filters)
	if reason != "" {
		s.closedReply(m.SubID, reason)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := s.r.count(ctx, filters)
	if err != nil {
		s.closedReply(m.SubID, "error: count failed")
		return
	}
	s.send(envelope.AppendCount(nil, m.SubID, n))
}

func (r *Relay) count(ctx context.Context, filters nostr.Filters) (int64, error) {
	var total int64
	counts := make([]int64, len(filters))
	for i, f := range filters {
		n, err := r.store.Count(ctx, f)
		if err != nil {
			return 0, err
		}
		counts[i] = n
		total += n
	}
	if len(filters) < 2 || total > countExact {
		return total, nil
	}
	ids := make(map[string]struct{}, total)
	for i, f := range filters {
		if counts[i] == 0 {
			continue
		}
		err := r.store.Query(ctx, f, int(counts[i]), func(raw []byte) bool {
			ids[rawID(raw)] = struct{}{}
			return true
		})
		if err != nil {
			return 0, err
		}
	}
	return int64(len(ids)), nil
}

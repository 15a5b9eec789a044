package relay

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/reconcile"
)

// NIP-77 negentropy, the relay's side. A session is opened by NEG-OPEN:
// its filter is admitted exactly as a REQ's (auth rule, NIP-50 refusal,
// the REQ policy hook, which may refuse or rewrite it), the matching
// events' (created_at, id) pairs are read from the store into a
// reconcile.Set, and each NEG-MSG is answered from that snapshot. A
// session ends with NEG-CLOSE, a NEG-OPEN of the same id (which replaces
// it), a NEG-ERR (after which NIP-77 considers it closed), the idle
// timeout, or the connection's end.
//
// Bounds: MaxNegentropyEvents pairs per session (40 bytes each),
// MaxNegentropySessions per connection, messages of max_message_bytes in,
// answers of at most half of that (and of half the outbound queue) out,
// and the reader waits for the queue before it answers, as it does for
// stored events.

// negSession is one open negentropy session of a connection.
type negSession struct {
	id     string
	serial uint64               // tells sessions of the same id apart
	resp   *reconcile.Responder // used only by the session's reader
	items  int

	mu     sync.Mutex // guards last and closed, against the idle timer
	last   time.Time
	closed bool
	timer  *time.Timer
}

// Reasons of the NEG-ERRs the relay sends.
const (
	negTooMany  = "blocked: too many events; narrow the filter"
	negDisabled = "blocked: negentropy (NIP-77) is disabled on this relay"
	negUnknown  = "closed: no open negentropy session with this id"
)

// negFrameSize is the most bytes the engine puts in one answer (hex
// doubles it): half of what the relay accepts in a message, and of the
// outbound queue, so an answer never trips the slow-reader cut by itself.
func (s *session) negFrameSize() int {
	return max(min(s.conn.MaxMessageBytes(), s.conn.QueueCap()/2)/2-1024, reconcile.MinFrameSize)
}

// onNegOpen handles NEG-OPEN: it replaces a session of the same id, then
// opens a new one and answers the client's first message.
func (s *session) onNegOpen(m envelope.Message) {
	if s.r.cur().noNeg {
		s.negErr(m.SubID, negDisabled)
		return
	}
	s.dropNeg(m.SubID)
	resp, items, out, reason := s.negStart(m)
	if reason != "" {
		s.negErr(m.SubID, reason)
		return
	}
	if s.negAdd(m.SubID, resp, items) {
		s.negReply(m.SubID, out)
	}
}

// negStart checks the session limit, admits the filter as a REQ's, reads
// the events' pairs and answers the first message. It returns the
// responder, the number of pairs and the answer, or a NEG-ERR reason.
func (s *session) negStart(m envelope.Message) (*reconcile.Responder, int, string, string) {
	s.mu.Lock()
	open := len(s.negs)
	s.mu.Unlock()
	if max := s.r.cur().lim.MaxNegentropySessions; open >= max {
		return nil, 0, "", "blocked: too many open negentropy sessions (max " + strconv.Itoa(max) + ")"
	}
	filters, reason := s.admitFilters(policy.HookReq, m.SubID, m.Filters)
	if reason != "" {
		return nil, 0, "", reason
	}
	set, reason := s.negSet(m.SubID, filters)
	if reason != "" {
		return nil, 0, "", reason
	}
	resp, err := reconcile.NewResponder(set, s.negFrameSize())
	if err != nil {
		s.r.log.Error("negentropy responder", "err", err)
		return nil, 0, "", "error: could not start the session"
	}
	out, err := resp.Reconcile(m.NegMessage)
	if err != nil {
		return nil, 0, "", "invalid: " + err.Error()
	}
	return resp, set.Len(), out, ""
}

// negAdd registers an open session and starts its idle timer. It returns
// false if the connection closed meanwhile.
func (s *session) negAdd(id string, resp *reconcile.Responder, items int) bool {
	s.negSerial++
	ns := &negSession{id: id, serial: s.negSerial, resp: resp, items: items, last: time.Now()}
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return false
	}
	if s.negs == nil {
		s.negs = map[string]*negSession{}
	}
	s.negs[id] = ns
	s.r.stats.NegSessions.Add(1)
	s.r.stats.NegItems.Add(int64(items))
	s.mu.Unlock()
	// The timer refers to the session by id and serial, not by pointer: a
	// stopped timer can stay in the runtime's timer heap for a while, and
	// must not keep the set alive after the session ends.
	serial := ns.serial
	ns.mu.Lock()
	if !ns.closed {
		ns.timer = time.AfterFunc(s.r.opts.NegentropyIdleTimeout, func() { s.negIdle(id, serial) })
	}
	ns.mu.Unlock()
	return true
}

// onNegMsg answers the next message of an open session.
func (s *session) onNegMsg(m envelope.Message) {
	s.mu.Lock()
	ns := s.negs[m.SubID]
	s.mu.Unlock()
	if ns == nil || !ns.touch() {
		s.negErr(m.SubID, negUnknown)
		return
	}
	out, err := ns.resp.Reconcile(m.NegMessage)
	if err != nil {
		s.dropNeg(m.SubID)
		s.negErr(m.SubID, "invalid: "+err.Error())
		return
	}
	s.negReply(m.SubID, out)
}

// onNegClose frees a session; NIP-77 needs no reply.
func (s *session) onNegClose(subID string) {
	s.dropNeg(subID)
}

// touch marks the session used now; false if it was closed meanwhile.
func (ns *negSession) touch() bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.last = time.Now()
	return !ns.closed
}

// close marks the session closed; false if it already was.
func (ns *negSession) close() bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.closed {
		return false
	}
	ns.closed = true
	if ns.timer != nil {
		ns.timer.Stop()
	}
	return true
}

// dropNeg frees the session subID, if open.
func (s *session) dropNeg(subID string) {
	s.mu.Lock()
	ns := s.negs[subID]
	delete(s.negs, subID)
	s.mu.Unlock()
	if ns != nil {
		s.releaseNeg(ns)
	}
}

// releaseNeg closes ns and takes it off the relay's counts, once.
func (s *session) releaseNeg(ns *negSession) {
	if ns.close() {
		s.r.stats.NegSessions.Add(-1)
		s.r.stats.NegItems.Add(-int64(ns.items))
	}
}

// closeNegs frees every session of a closed connection.
func (s *session) closeNegs() {
	s.mu.Lock()
	negs := s.negs
	s.negs = nil
	s.mu.Unlock()
	for _, ns := range negs {
		s.releaseNeg(ns)
	}
}

// negIdle runs on the idle timer of session id (serial): it closes the
// session with NEG-ERR if it got no message for the idle timeout, or
// waits the rest of it.
func (s *session) negIdle(id string, serial uint64) {
	s.mu.Lock()
	ns := s.negs[id]
	s.mu.Unlock()
	if ns == nil || ns.serial != serial {
		return
	}
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		return
	}
	if idle := time.Since(ns.last); idle < s.r.opts.NegentropyIdleTimeout {
		ns.timer.Reset(s.r.opts.NegentropyIdleTimeout - idle)
		ns.mu.Unlock()
		return
	}
	ns.mu.Unlock()
	s.mu.Lock()
	mine := s.negs[id] == ns
	if mine {
		delete(s.negs, id)
	}
	s.mu.Unlock()
	if !mine {
		return
	}
	s.releaseNeg(ns)
	// Not through the reply chain, which belongs to the reader: like a
	// relay-side CLOSED, this may pass replies still waiting for a commit.
	s.conn.Send(envelope.AppendNegErr(nil, id,
		"closed: negentropy session idle for more than "+s.r.opts.NegentropyIdleTimeout.String()))
}

// negErr answers NEG-ERR; the session is closed (NIP-77).
func (s *session) negErr(subID, reason string) {
	s.send(envelope.AppendNegErr(nil, subID, reason))
}

// negReply sends a NEG-MSG once the outbound queue has room.
func (s *session) negReply(subID, msg string) {
	if s.idle() {
		s.waitQueue()
	}
	s.send(envelope.AppendNegMsg(make([]byte, 0, len(msg)+len(subID)+24), subID, msg))
}

// negSet reads the (created_at, id) pairs of the stored events matching
// filters into a sealed set. A filter's own limit keeps its newest events
// (a policy may have clamped it); past MaxNegentropyEvents it returns the
// NEG-ERR reason instead. Events the deliver hook would drop for this
// session are left out: their ids are not this session's to learn.
func (s *session) negSet(subID string, filters nostr.Filters) (*reconcile.Set, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	maxEvents := s.r.cur().lim.MaxNegentropyEvents
	deliver := s.r.chain.Load()
	if !deliver.Has(policy.HookDeliver) {
		deliver = nil
	}
	set := reconcile.NewSet(0)
	over := false
	for i := range filters {
		f := &filters[i]
		limit := maxEvents + 1
		if f.LimitZero {
			continue
		}
		if f.Limit > 0 && f.Limit < limit {
			limit = f.Limit
		}
		err := s.r.store.Query(ctx, *f, limit, func(raw []byte) bool {
			ts, id, ok := negKey(raw)
			if !ok {
				s.r.log.Error("stored event without created_at or id", "raw", string(raw[:min(len(raw), 200)]))
				return true
			}
			if deliver != nil {
				if _, ok := s.deliverStored(ctx, deliver, subID, raw); !ok {
					return true
				}
			}
			if set.Len() == maxEvents {
				over = true
				return false
			}
			set.AddBytes(ts, id)
			return true
		})
		if over {
			return nil, negTooMany
		}
		if err != nil {
			s.r.log.Warn("negentropy query failed", "session", s.ps.ID, "sub", subID, "err", err)
			return nil, "error: could not read the events"
		}
	}
	set.Seal()
	return set, ""
}

package cluster

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/store"
)

// Replication.
//
// A Replicator is the store.Store the relay writes to on a cluster node.
// Submit publishes the event to the stream (Nats-Msg-Id = event id) and
// answers only once (1) JetStream acknowledged it, with the stream's
// replicas, and (2) this node's own apply of that stream sequence is
// committed in badger; the answer is that apply's (stored, duplicate,
// replaced, deleted...). JetStream not acknowledging within the publish
// timeout, or the apply not following within it, is ErrUnavailable:
// never an OK true that is not replicated.
//
// Every node applies the stream, its own events included, in stream
// order: one goroutine fetches from a pull consumer named after the node
// and hands each event to badger's SubmitSeq, which commits the stream
// sequence with the events (so a restart resumes exactly after the last
// committed one). Badger's callbacks come in submission order, so the
// events stored are broadcast to this node's subscribers in stream order,
// the same order on every node. Reads (Query, Count) go to the local
// store.
//
// The consumer's position is the node's own: at every (re)start the
// consumer is created anew from the last sequence submitted (or, at
// start, committed) + 1, so JetStream keeps no second copy of it that
// could disagree with badger's.

// LocalStore is the node's own store: badgerstore.Store.
type LocalStore interface {
	store.Store
	// SubmitSeq is Submit for the event at stream sequence seq,
	// committing seq with the write.
	SubmitSeq(ev *nostr.Event, raw []byte, seq uint64, done func(error))
	// StreamSeq is the last sequence committed by SubmitSeq.
	StreamSeq() (uint64, error)
}

// Broadcaster passes the events the node applies to its live subscribers:
// relay.Relay.
type Broadcaster interface {
	Broadcast(ev *nostr.Event, raw []byte)
}

// ReplicatorOptions configure a Replicator.
type ReplicatorOptions struct {
	// ObservePublish, if set, hears the time from Submit to JetStream's
	// acknowledgement of each event.
	ObservePublish func(time.Duration)
	// OnGap, if set, is called (on its own goroutine) when the stream no
	// longer holds events this node has not applied: they passed the
	// stream's retention while the node was away. The node goes on from
	// the stream's oldest event; OnGap fetches the missing ones another
	// way (negentropy with another node).
	OnGap func()
}

// Bounds of the apply loop.
const (
	fetchBatch  = 512
	fetchWait   = 2 * time.Second
	retryPause  = 500 * time.Millisecond
	maxInFlight = 16384 // publishes awaiting JetStream's ack
)

// nodeHeader names the node that published a message.
const nodeHeader = "Relayd-Node"

// ReplicatorStats are a replicator's counters, for metrics.
type ReplicatorStats struct {
	// Pending is the consumer's lag: stream messages not yet fetched by
	// this node, as of the last message fetched.
	Pending atomic.Uint64
	// Applied is the last stream sequence this node applied.
	Applied atomic.Uint64
	// Unavailable counts the EVENTs answered ErrUnavailable.
	Unavailable atomic.Uint64
	// ApplyFailures counts stream events the local store failed to apply
	// (they are retried).
	ApplyFailures atomic.Uint64
	// Gaps counts the times the stream no longer held the events after
	// the node's last applied sequence (its retention passed).
	Gaps atomic.Uint64
}

// Replicator replicates the node's writes through the cluster's event
// stream and applies the stream to the node's store. It implements
// store.Store and store.HealthReporter.
type Replicator struct {
	conn    *Conn
	local   LocalStore
	log     *slog.Logger
	opts    ReplicatorOptions
	js      jetstream.JetStream // publishing, with the ack handlers
	timeout time.Duration
	subject string
	stats   ReplicatorStats

	mu       sync.Mutex
	inflight map[*nats.Msg]*pending
	byID     map[string][]*pending
	waiting  seqHeap // acknowledged, waiting for their apply
	applied  uint64  // highest sequence applied
	failedAt uint64  // lowest sequence whose apply failed since the last restart; 0: none
	closed   bool

	b         Broadcaster
	skipGapAt atomic.Uint64  // the first sequence after the gap checkGap reported
	applying  sync.WaitGroup // applies submitted to the local store, not yet answered
	ephSub    *nats.Subscription
	cancel    context.CancelFunc
	done      chan struct{}
}

// pending is one Submit waiting for its answer.
type pending struct {
	id     string
	ev     *nostr.Event
	raw    []byte
	done   func(error)
	start  time.Time
	seq    uint64 // the stream sequence, once acknowledged
	dup    bool   // JetStream already had the id
	res    error  // the local apply's answer for this id
	resSet bool
	fin    bool
	timer  *time.Timer
	idx    int // in waiting
}

// NewReplicator prepares replication for local: it creates or updates the
// event stream. Start it with Start once the relay exists.
func (c *Conn) NewReplicator(ctx context.Context, local LocalStore, log *slog.Logger, opts ReplicatorOptions) (*Replicator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := c.EnsureStream(ctx); err != nil {
		return nil, err
	}
	r := &Replicator{
		conn: c, local: local, opts: opts,
		log:      log.With("component", "cluster", "node", c.cfg.Node),
		timeout:  c.cfg.PublishTimeout.Duration,
		subject:  c.EventSubject(),
		inflight: make(map[*nats.Msg]*pending),
		byID:     make(map[string][]*pending),
		done:     make(chan struct{}),
	}
	js, err := jetstream.New(c.nc,
		jetstream.WithPublishAsyncMaxPending(maxInFlight),
		jetstream.WithPublishAsyncTimeout(r.timeout),
		jetstream.WithPublishAsyncAckHandler(r.acked),
		jetstream.WithPublishAsyncErrHandler(r.publishFailed))
	if err != nil {
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	r.js = js
	seq, err := local.StreamSeq()
	if err != nil {
		return nil, fmt.Errorf("cluster: last applied sequence: %w", err)
	}
	r.applied = seq
	r.stats.Applied.Store(seq)
	return r, nil
}

// Stats returns the replicator's counters.
func (r *Replicator) Stats() *ReplicatorStats { return &r.stats }

// Start begins applying the stream (from the last committed sequence + 1)
// and receiving the other nodes' ephemeral events, both broadcast through
// b.
func (r *Replicator) Start(b Broadcaster) error {
	r.b = b
	sub, err := r.conn.nc.Subscribe(r.conn.Subject(ephemeralToken), r.ephemeral)
	if err != nil {
		return fmt.Errorf("cluster: subscribe to ephemeral events: %w", err)
	}
	r.ephSub = sub
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.mu.Lock()
	from := r.applied + 1
	r.mu.Unlock()
	r.checkGap(ctx, from)
	r.log.Info("cluster: applying the event stream", "stream", r.conn.cfg.Stream, "from", from)
	go r.run(ctx, from)
	return nil
}

// Submit implements store.Store: see the package's "Replication".
func (r *Replicator) Submit(ev *nostr.Event, raw []byte, done func(error)) {
	if nostr.IsEphemeralKind(ev.Kind) {
		done(store.ErrEphemeral)
		return
	}
	p := &pending{id: ev.ID, ev: ev, raw: raw, done: done, start: time.Now(), idx: -1}
	msg := &nats.Msg{Subject: r.subject, Data: raw, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, ev.ID)
	msg.Header.Set(nodeHeader, r.conn.cfg.Node)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		done(store.ErrClosed)
		return
	}
	r.inflight[msg] = p
	r.byID[p.id] = append(r.byID[p.id], p)
	r.mu.Unlock()
	if _, err := r.js.PublishMsgAsync(msg, jetstream.WithExpectStream(r.conn.cfg.Stream), jetstream.WithStallWait(r.timeout)); err != nil {
		r.publishFailed(r.js, msg, err)
	}
}

// acked is JetStream's acknowledgement of a publish: the event is in the
// stream with its replicas. Its answer waits for the local apply of its
// sequence.
func (r *Replicator) acked(_ jetstream.JetStream, msg *nats.Msg, ack *jetstream.PubAck) {
	r.mu.Lock()
	p := r.inflight[msg]
	delete(r.inflight, msg)
	if p == nil || p.fin {
		r.mu.Unlock()
		return
	}
	if r.opts.ObservePublish != nil {
		r.opts.ObservePublish(time.Since(p.start))
	}
	p.seq, p.dup = ack.Sequence, ack.Duplicate
	if r.applied >= p.seq {
		fin := r.finishLocked(p)
		r.mu.Unlock()
		fin()
		return
	}
	heap.Push(&r.waiting, p)
	p.timer = time.AfterFunc(r.timeout, func() { r.expire(p) })
	r.mu.Unlock()
}

// publishFailed answers a publish JetStream did not acknowledge.
func (r *Replicator) publishFailed(_ jetstream.JetStream, msg *nats.Msg, err error) {
	r.mu.Lock()
	p := r.inflight[msg]
	delete(r.inflight, msg)
	if p == nil || p.fin {
		r.mu.Unlock()
		return
	}
	p.fin = true
	r.dropLocked(p)
	r.mu.Unlock()
	r.stats.Unavailable.Add(1)
	r.log.Debug("cluster: publish failed", "id", p.id, "err", err) // one line per refused EVENT: debug
	p.done(fmt.Errorf("%w: publish: %v", store.ErrUnavailable, err))
}

// expire answers an acknowledged event whose local apply did not come
// within the timeout (the consumer is cut off or far behind).
func (r *Replicator) expire(p *pending) {
	r.mu.Lock()
	if p.fin {
		r.mu.Unlock()
		return
	}
	p.fin = true
	if p.idx >= 0 {
		heap.Remove(&r.waiting, p.idx)
	}
	r.dropLocked(p)
	applied := r.applied
	r.mu.Unlock()
	r.stats.Unavailable.Add(1)
	r.log.Warn("cluster: an acknowledged event was not applied here in time", "id", p.id, "seq", p.seq, "applied", applied)
	p.done(fmt.Errorf("%w: stream sequence %d not applied locally within %v", store.ErrUnavailable, p.seq, r.timeout))
}

// finishLocked marks p answered and returns the call that answers it, to
// be made without r.mu.
func (r *Replicator) finishLocked(p *pending) func() {
	p.fin = true
	r.dropLocked(p)
	if p.timer != nil {
		p.timer.Stop()
	}
	var err error
	switch {
	case p.resSet:
		err = p.res
	case p.dup:
		// The stream had it before; its apply here came earlier and
		// answered someone else. The local store says again what it
		// decided (duplicate, deleted, replaced...), off the store's
		// notifier, which must not call the store.
		return func() { go r.local.Submit(p.ev, p.raw, p.done) }
	default:
		// The apply of p.seq was not seen: the node skipped it (a
		// gap past the stream's retention).
		r.log.Warn("cluster: an acknowledged event's sequence was passed without its apply", "id", p.id, "seq", p.seq)
		err = fmt.Errorf("%w: stream sequence %d was not applied here", store.ErrUnavailable, p.seq)
	}
	return func() { p.done(err) }
}

// dropLocked forgets p by id.
func (r *Replicator) dropLocked(p *pending) {
	ps := r.byID[p.id]
	for i, q := range ps {
		if q == p {
			ps = append(ps[:i], ps[i+1:]...)
			break
		}
	}
	if len(ps) == 0 {
		delete(r.byID, p.id)
	} else {
		r.byID[p.id] = ps
	}
}

// run fetches the stream from sequence from on, and applies it, until ctx
// ends. A consumer that fails (its NATS server gone, the connection down)
// is created anew from the next sequence; an apply the store failed makes
// it start again from that sequence.
func (r *Replicator) run(ctx context.Context, from uint64) {
	defer close(r.done)
	next := from
	for ctx.Err() == nil {
		if seq := r.takeFailure(); seq != 0 {
			r.applying.Wait() // the applies after it are answered
			next = min(next, seq)
			r.log.Warn("cluster: applying the stream failed; starting again", "from", next)
			if !sleep(ctx, retryPause) {
				return
			}
		}
		cons, err := r.consumer(ctx, next)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Debug("cluster: consumer", "err", err)
			}
			if !sleep(ctx, retryPause) {
				return
			}
			continue
		}
		next = r.fetchLoop(ctx, cons, next)
	}
}

// fetchLoop applies what cons delivers until it fails or an apply fails,
// and returns the next sequence to apply.
func (r *Replicator) fetchLoop(ctx context.Context, cons jetstream.Consumer, next uint64) uint64 {
	for ctx.Err() == nil && !r.failed() {
		fctx, cancel := context.WithTimeout(ctx, fetchWait)
		batch, err := cons.Fetch(fetchBatch, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			return next
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				continue
			}
			seq := md.Sequence.Stream
			r.stats.Pending.Store(md.NumPending)
			if seq < next {
				continue // delivered again after a restart
			}
			if seq > next {
				// Messages sent to an abandoned pull request are
				// lost to an AckNone consumer: fetch again from
				// next, unless the stream no longer has them.
				st, err := r.streamState(ctx)
				if err != nil || st.FirstSeq <= next {
					cancel()
					return next
				}
				r.gap(next, st.FirstSeq-1)
				if next = st.FirstSeq; seq > next {
					cancel()
					return next
				}
			}
			r.apply(msg.Data(), seq)
			next = seq + 1
		}
		cancel()
		if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
			return next
		}
		if n == 0 {
			// Idle, or the last messages were lost in transit (see
			// above): the stream says which.
			st, err := r.streamState(ctx)
			if err != nil || st.LastSeq >= next {
				return next
			}
			r.stats.Pending.Store(0)
		}
	}
	return next
}

// checkGap looks, at start, for a gap between the last sequence applied
// and the stream's oldest event, so that OnGap runs at once rather than
// at the first event fetched.
func (r *Replicator) checkGap(ctx context.Context, from uint64) {
	st, err := r.streamState(ctx)
	if err != nil {
		r.log.Warn("cluster: no gap check at start", "err", err)
		return
	}
	r.checkGapIn(st, from)
}

// checkGapIn reports the gap between from and the stream's state st.
func (r *Replicator) checkGapIn(st jetstream.StreamState, from uint64) {
	if st.Msgs > 0 && from < st.FirstSeq || st.Msgs == 0 && from <= st.LastSeq {
		r.gap(from, max(st.FirstSeq, st.LastSeq+1)-1)
		r.skipGapAt.Store(max(st.FirstSeq, st.LastSeq+1))
	}
}

// streamState asks JetStream for the stream's first and last sequences.
func (r *Replicator) streamState(ctx context.Context) (jetstream.StreamState, error) {
	ictx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	s, err := r.js.Stream(ictx, r.conn.cfg.Stream)
	if err != nil {
		return jetstream.StreamState{}, fmt.Errorf("cluster: stream info: %w", err)
	}
	return s.CachedInfo().State, nil
}

// gap reports events from..to that the stream no longer holds.
func (r *Replicator) gap(from, to uint64) {
	if r.skipGapAt.Load() == to+1 {
		return // reported by checkGap
	}
	r.stats.Gaps.Add(1)
	r.log.Warn("cluster: the stream no longer holds events this node has not applied; catching up from another node",
		"from", from, "to", to)
	if r.opts.OnGap != nil {
		go r.opts.OnGap()
	}
}

// consumer creates this node's consumer on the stream, starting at
// sequence from.
func (r *Replicator) consumer(ctx context.Context, from uint64) (jetstream.Consumer, error) {
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	name := r.conn.cfg.Node
	if err := r.js.DeleteConsumer(cctx, r.conn.cfg.Stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("cluster: delete consumer %s: %w", name, err)
	}
	cons, err := r.js.CreateConsumer(cctx, r.conn.cfg.Stream, jetstream.ConsumerConfig{
		Name:              name,
		Description:       "relayd node " + name,
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       max(from, 1),
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: create consumer %s: %w", name, err)
	}
	return cons, nil
}

// apply hands the event at seq to the local store.
func (r *Replicator) apply(data []byte, seq uint64) {
	ev, raw, err := envelope.ParseEvent(data)
	if err != nil {
		// Not an event: nothing to store, but its sequence must
		// not pass the ones still being applied.
		r.log.Error("cluster: stream message is not an event", "seq", seq, "err", err)
		r.applying.Wait()
		r.applied1(seq, nil, nil, nil)
		return
	}
	r.applying.Add(1)
	r.local.SubmitSeq(ev, raw, seq, func(err error) {
		r.applied1(seq, ev, raw, err)
		r.applying.Done()
	})
}

// applied1 takes the local store's answer for the event at seq (nil ev:
// not an event), in stream order: it broadcasts a stored event, then
// answers the Submits waiting for it.
func (r *Replicator) applied1(seq uint64, ev *nostr.Event, raw []byte, err error) {
	failure := isFailure(err)
	if ev != nil && err == nil && r.b != nil {
		r.b.Broadcast(ev, raw)
	}
	r.mu.Lock()
	if failure {
		r.stats.ApplyFailures.Add(1)
		if r.failedAt == 0 || seq < r.failedAt {
			r.failedAt = seq
		}
		r.log.Error("cluster: applying a stream event failed", "seq", seq, "err", err)
	} else if seq > r.applied {
		r.applied = seq
		r.stats.Applied.Store(seq)
	}
	if ev != nil {
		for _, p := range r.byID[ev.ID] {
			p.res, p.resSet = err, true
		}
	}
	var ready []func()
	for r.waiting.Len() > 0 && r.waiting[0].seq <= r.applied {
		p := heap.Pop(&r.waiting).(*pending)
		ready = append(ready, r.finishLocked(p))
	}
	r.mu.Unlock()
	for _, f := range ready {
		f()
	}
}

// isFailure tells a store failure (the event could not be applied; it
// must be again) from a rule's answer (the apply is final).
func isFailure(err error) bool {
	switch {
	case err == nil,
		errors.Is(err, store.ErrDuplicate), errors.Is(err, store.ErrReplaced),
		errors.Is(err, store.ErrDeleted), errors.Is(err, store.ErrExpired),
		errors.Is(err, store.ErrBanned), errors.Is(err, store.ErrTooLarge),
		errors.Is(err, store.ErrEphemeral):
		return false
	}
	return true
}

// failed reports an apply failure not yet taken by run.
func (r *Replicator) failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failedAt != 0
}

// takeFailure returns and clears the lowest failed sequence.
func (r *Replicator) takeFailure() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	seq := r.failedAt
	r.failedAt = 0
	return seq
}

// Fanout sends an ephemeral event this node accepted to the other nodes
// (core NATS, at most once: ephemeral events are never stored).
func (r *Replicator) Fanout(ev *nostr.Event, raw []byte) {
	msg := &nats.Msg{Subject: r.conn.Subject(ephemeralToken), Data: raw, Header: nats.Header{}}
	msg.Header.Set(nodeHeader, r.conn.cfg.Node)
	if err := r.conn.nc.PublishMsg(msg); err != nil {
		r.log.Debug("cluster: ephemeral fan-out", "id", ev.ID, "err", err)
	}
}

// ephemeral broadcasts another node's ephemeral event.
func (r *Replicator) ephemeral(msg *nats.Msg) {
	if msg.Header.Get(nodeHeader) == r.conn.cfg.Node {
		return
	}
	ev, raw, err := envelope.ParseEvent(msg.Data)
	if err != nil || !nostr.IsEphemeralKind(ev.Kind) {
		return
	}
	if r.b != nil {
		r.b.Broadcast(ev, raw)
	}
}

// Save implements store.Store: Submit, waiting for the answer.
func (r *Replicator) Save(ctx context.Context, ev *nostr.Event, raw []byte) error {
	res := make(chan error, 1)
	r.Submit(ev, raw, func(err error) { res <- err })
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return fmt.Errorf("cluster: save %s: %w", ev.ID, ctx.Err())
	}
}

// Query implements store.Store: the local store's.
func (r *Replicator) Query(ctx context.Context, f nostr.Filter, limit int, fn func(raw []byte) bool) error {
	return r.local.Query(ctx, f, limit, fn)
}

// Count implements store.Store: the local store's.
func (r *Replicator) Count(ctx context.Context, f nostr.Filter) (int64, error) {
	return r.local.Count(ctx, f)
}

// DeleteExpired implements store.Store: every node removes its own expired
// events.
func (r *Replicator) DeleteExpired(ctx context.Context, now int64) (int, error) {
	return r.local.DeleteExpired(ctx, now)
}

// Health implements store.HealthReporter with the local store's health.
func (r *Replicator) Health() store.Health {
	if hr, ok := r.local.(store.HealthReporter); ok {
		return hr.Health()
	}
	return store.Health{}
}

// Close implements store.Store: it stops applying the stream and answers
// the Submits still waiting with ErrUnavailable. It does not close the
// local store, which the caller owns.
func (r *Replicator) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return store.ErrClosed
	}
	r.closed = true
	r.mu.Unlock()
	if r.ephSub != nil {
		_ = r.ephSub.Unsubscribe()
	}
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
	r.applying.Wait()
	r.mu.Lock()
	var left []*pending
	for _, p := range r.inflight {
		left = append(left, p)
	}
	for _, p := range r.waiting {
		left = append(left, p)
	}
	r.inflight, r.waiting = map[*nats.Msg]*pending{}, nil
	var calls []func()
	for _, p := range left {
		if !p.fin {
			p.fin = true
			if p.timer != nil {
				p.timer.Stop()
			}
			calls = append(calls, func() { p.done(fmt.Errorf("%w: shutting down", store.ErrUnavailable)) })
		}
	}
	r.byID = map[string][]*pending{}
	r.mu.Unlock()
	for _, f := range calls {
		f()
	}
	return nil
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// seqHeap orders the acknowledged Submits by stream sequence.
type seqHeap []*pending

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }
func (h seqHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}

// Push implements heap.Interface.
func (h *seqHeap) Push(x any) {
	p := x.(*pending)
	p.idx = len(*h)
	*h = append(*h, p)
}

// Pop implements heap.Interface.
func (h *seqHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	p.idx = -1
	*h = old[:len(old)-1]
	return p
}

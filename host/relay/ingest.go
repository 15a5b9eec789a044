package relay

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// Outcome is what became of one event given to an Ingester.
type Outcome uint8

// The outcomes.
const (
	// OutcomeStored: the event is durably stored and was broadcast.
	OutcomeStored Outcome = 1
	// OutcomeDuplicate: the event was already stored.
	OutcomeDuplicate Outcome = 2
	// OutcomeReplaced: a newer version of the replaceable or addressable
	// event is stored; this one was not stored.
	OutcomeReplaced Outcome = 3
	// OutcomeDeleted: its author deleted it (NIP-09) before it came; not
	// stored.
	OutcomeDeleted Outcome = 4
	// OutcomeExpired: its NIP-40 expiration has passed; not stored.
	OutcomeExpired Outcome = 5
	// OutcomeInvalid: it failed one of the relay's own checks (limits, id,
	// signature, kind rules, size); Reason says which.
	OutcomeInvalid Outcome = 6
	// OutcomeRefused: a policy refused it; Reason and Policy say which and
	// why. A policy's shadowReject counts here too, and so does an id the
	// operator banned (NIP-86 banevent; Policy is OperatorPolicy).
	OutcomeRefused Outcome = 7
	// OutcomeEphemeral: an ephemeral kind (20000-29999); broadcast to live
	// subscribers, never stored.
	OutcomeEphemeral Outcome = 8
	// OutcomeFailed: the store failed; Err says why.
	OutcomeFailed Outcome = 9
)

// String returns the outcome's name as import summaries print it.
func (o Outcome) String() string {
	switch o {
	case OutcomeStored:
		return "stored"
	case OutcomeDuplicate:
		return "duplicate"
	case OutcomeReplaced:
		return "replaced"
	case OutcomeDeleted:
		return "deleted"
	case OutcomeExpired:
		return "expired"
	case OutcomeInvalid:
		return "invalid"
	case OutcomeRefused:
		return "refused"
	case OutcomeEphemeral:
		return "ephemeral"
	case OutcomeFailed:
		return "failed"
	}
	return "unknown"
}

// OperatorPolicy is the Policy of an IngestResult refused because the
// relay's operator banned the event's id.
const OperatorPolicy = "operator"

// IngestResult is the answer for one event given to an Ingester.
type IngestResult struct {
	Outcome Outcome
	// Reason is the NIP-01 reason ("prefix: message") the relay would send
	// in the event's OK; empty for OutcomeStored and OutcomeEphemeral.
	Reason string
	// Policy names the policy that refused the event (OutcomeRefused).
	Policy string
	// Err is the store's error (OutcomeFailed).
	Err error
}

// ErrIngesterClosed is the Err of an event submitted after Close.
var ErrIngesterClosed = errors.New("relay: ingester closed")

// IngestOptions configure an Ingester.
type IngestOptions struct {
	// Source is what policies see as the events' source:
	// policy.SourceImport or policy.SourceSync.
	Source policy.Source
	// SourceInfo says where the events come from (a file, a peer's URL);
	// plugins read it as strfry's sourceInfo.
	SourceInfo string
	// SkipVerify skips the id and signature checks, for trusted dumps.
	SkipVerify bool
	// Workers is how many goroutines run the checks and policies. Default
	// GOMAXPROCS.
	Workers int
	// Window bounds the events submitted and not yet answered; Submit
	// blocks while it is full. It should be well above the store's batch
	// size so that commits are shared. Default 4096.
	Window int
}

// Ingester feeds events that did not arrive over a client connection
// (an import, a sync with another relay) through exactly the checks a
// client's EVENT gets — limits, the event_pre and event policies (with
// Options.Source, no session), id and signature, NIP-40 and the kind
// rules — then the store's Submit, so that many events in flight share
// group commits, then broadcasts the stored ones to live subscribers.
//
// Checks run on Workers goroutines; events reach the store, and results
// reach their callbacks, in submission order. It is safe for concurrent
// use; the submission order is then the order in which Submit calls
// take the ingester's lock.
type Ingester struct {
	r     *Relay
	opts  IngestOptions
	work  chan *ingestJob
	slots chan struct{} // one per event in the window
	wg    sync.WaitGroup

	// mu guards the job list and the two driver flags. Jobs form one list
	// in submission order: head is the oldest not yet answered, next the
	// oldest not yet handed to the store (or decided without it).
	mu                     sync.Mutex
	head, next, tail       *ingestJob
	sequencing, delivering bool
	closed                 bool
	pending                sync.WaitGroup // jobs not yet answered
}

// ingestJob is one submitted event.
type ingestJob struct {
	in   incoming
	done func(IngestResult)
	res  IngestResult

	checked bool // admit finished; res is set if refused
	store   bool // admitted and storable: goes to the store
	final   bool // res is the answer
	next    *ingestJob
}

// NewIngester starts an ingester on r. Close it to wait for the events in
// flight and stop its workers.
func (r *Relay) NewIngester(opts IngestOptions) *Ingester {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Window <= 0 {
		opts.Window = 4096
	}
	g := &Ingester{
		r:     r,
		opts:  opts,
		work:  make(chan *ingestJob, opts.Window),
		slots: make(chan struct{}, opts.Window),
	}
	g.wg.Add(opts.Workers)
	for range opts.Workers {
		go g.worker()
	}
	return g
}

// Submit queues ev (raw is its canonical JSON, as envelope.Parse or
// envelope.ParseEvent return it), received at receivedAt (unix seconds),
// and returns; done is called with the result once it is known (stored:
// once committed), in submission order, one call at a time. done runs on
// the store's or the ingester's goroutines and must not block for long.
// Submit blocks while the window is full.
func (g *Ingester) Submit(ev *nostr.Event, raw []byte, receivedAt int64, done func(IngestResult)) {
	g.slots <- struct{}{}
	j := &ingestJob{done: done, in: incoming{
		ev: ev, raw: raw, receivedAt: receivedAt,
		source: g.opts.Source, sourceInfo: g.opts.SourceInfo, verify: !g.opts.SkipVerify,
	}}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		<-g.slots
		done(IngestResult{Outcome: OutcomeFailed, Reason: "error: shutting down", Err: ErrIngesterClosed})
		return
	}
	g.pending.Add(1)
	if g.tail != nil {
		g.tail.next = j
	}
	g.tail = j
	if g.head == nil {
		g.head = j
	}
	if g.next == nil {
		g.next = j
	}
	// Never blocks: work holds Window jobs and each job holds a slot.
	g.work <- j
	g.mu.Unlock()
}

// Close waits until every submitted event is answered, then stops the
// workers. Later Submits are answered with ErrIngesterClosed.
func (g *Ingester) Close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.mu.Unlock()
	g.pending.Wait()
	close(g.work)
	g.wg.Wait()
}

func (g *Ingester) worker() {
	defer g.wg.Done()
	for j := range g.work {
		g.check(j)
		g.mu.Lock()
		j.checked = true
		g.mu.Unlock()
		g.sequence()
	}
}

// check runs admit on j and records its decision.
func (g *Ingester) check(j *ingestJob) {
	now := time.Now().Unix()
	if ref := g.r.admit(&j.in, now, nil); ref != nil {
		j.res = IngestResult{Outcome: ref.outcome, Reason: ref.reason, Policy: ref.verdict.Policy}
		return
	}
	if nostr.IsEphemeralKind(j.in.ev.Kind) {
		j.res = IngestResult{Outcome: OutcomeEphemeral}
		return
	}
	j.store = true
}

// sequence hands the checked jobs at the front of the list to the store,
// or answers them, in submission order. One goroutine at a time does it;
// others leave their job to it.
func (g *Ingester) sequence() {
	g.mu.Lock()
	if g.sequencing {
		g.mu.Unlock()
		return
	}
	g.sequencing = true
	var ready []*ingestJob
	for {
		ready = ready[:0]
		for g.next != nil && g.next.checked {
			ready = append(ready, g.next)
			g.next = g.next.next
		}
		if len(ready) == 0 {
			g.sequencing = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		for _, j := range ready {
			if !j.store {
				g.finish(j)
				continue
			}
			g.r.store.Submit(j.in.ev, j.in.raw, func(err error) {
				j.res.Outcome, j.res.Reason = g.r.storeOutcome(j.in.ev.ID, err)
				if j.res.Outcome == OutcomeRefused {
					j.res.Policy = OperatorPolicy // the store refuses only banned ids
				}
				if j.res.Outcome == OutcomeFailed {
					j.res.Err = err
				}
				g.finish(j)
			})
		}
		g.mu.Lock()
	}
}

// finish marks j answered and delivers every answered job at the head of
// the list, in order, broadcasting the stored and ephemeral ones.
func (g *Ingester) finish(j *ingestJob) {
	g.mu.Lock()
	j.final = true
	if g.delivering {
		g.mu.Unlock()
		return // the active deliverer will reach j
	}
	g.delivering = true
	var ready []*ingestJob
	for {
		ready = ready[:0]
		for g.head != nil && g.head.final {
			ready = append(ready, g.head)
			g.head = g.head.next
		}
		if len(ready) == 0 {
			g.delivering = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		for _, d := range ready {
			switch {
			case d.res.Outcome == OutcomeStored && !g.r.opts.Replicated:
				g.r.broadcast(d.in.ev, d.in.raw)
			case d.res.Outcome == OutcomeEphemeral:
				g.r.broadcastEphemeral(d.in.ev, d.in.raw)
			}
			d.done(d.res)
			<-g.slots
			g.pending.Done()
		}
		g.mu.Lock()
	}
}

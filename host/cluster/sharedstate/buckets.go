package sharedstate

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/relayd/relayd/host/wasmhost/state"
)

// Token buckets across the cluster. A bucket's truth is its BUCKETS entry:
// tokens and the time of the last refill (16 bytes: float64 bits, unix
// ns), refilled by whichever node writes it, from its own clock (so clocks
// must agree: a skew of d is worth rate·d tokens). A node takes a lease of
// tokens off the entry with a compare-and-set on its revision, and spends
// them locally; the hook that finds the node's lease empty waits for the
// next (at most LeaseWait), the others do not leave the node.
//
// A lease is L = max(1, burst/50) tokens (or the cost, if more). The
// entry never hands out more than an exact bucket would, so the cluster
// admits at most the exact bucket's tokens plus those the nodes hold from
// before a refill (≤ N·L), and at least the exact bucket's minus those held
// unspent on other nodes (≤ N·L). A lease is granted whole or not at all.

// maxLeases bounds the leases a node keeps; past it an arbitrary one is
// dropped (its tokens are lost: under-admission, never over).
const maxLeases = 100000

// leaseCooldown is how long the buckets are answered locally, without
// trying the cluster, after a lease failed: so that hooks do not each
// wait LeaseWait while NATS is away.
const leaseCooldown = time.Second

// leaseSize is L for burst.
func leaseSize(burst int64) int64 { return max(1, burst/50) }

// lease is a node's share of one bucket.
type lease struct {
	mu   sync.Mutex
	held int64
	rev  uint64 // revision of the entry as this node last wrote it
	st   bucketState
}

type bucketState struct {
	tokens float64
	last   int64
}

func (b bucketState) bytes() []byte {
	out := make([]byte, 16)
	binary.BigEndian.PutUint64(out, math.Float64bits(b.tokens))
	binary.BigEndian.PutUint64(out[8:], uint64(b.last))
	return out
}

func parseBucket(b []byte) (bucketState, bool) {
	if len(b) != 16 {
		return bucketState{}, false
	}
	return bucketState{tokens: math.Float64frombits(binary.BigEndian.Uint64(b)), last: int64(binary.BigEndian.Uint64(b[8:]))}, true
}

type leases struct {
	s  *Shared
	mu sync.Mutex
	m  map[string]*lease
}

func newLeases(s *Shared) *leases { return &leases{s: s, m: map[string]*lease{}} }

func (ls *leases) get(k string) *lease {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.m[k]
	if l == nil {
		if len(ls.m) >= maxLeases {
			for old := range ls.m {
				delete(ls.m, old)
				break
			}
		}
		l = &lease{}
		ls.m[k] = l
	}
	return l
}

// space is a plugin's state.Shared.
type space struct {
	s      *Shared
	plugin string
	prefix string
	sp     *state.Space
}

// State makes plugin's token buckets and counters cluster-wide.
// Implements wasmhost.ClusterState.
func (s *Shared) State(plugin string, sp *state.Space) {
	sh := &space{s: s, plugin: plugin, prefix: enc([]byte(plugin)) + ".", sp: sp}
	s.ctrs.add(plugin, sp)
	sp.SetShared(sh)
}

// Take implements state.Shared: from the node's lease, or a new lease.
// The lease's lock is held across the round trip, so one hook per node
// and bucket fetches while the others of that bucket wait for it (all
// within LeaseWait).
func (sh *space) Take(key []byte, cost int64, rate float64, burst int64, now int64) (time.Duration, bool) {
	if now < sh.s.leaseDown.Load() {
		return 0, false
	}
	k := sh.prefix + enc(key)
	l := sh.s.leases.get(k)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held < cost && time.Now().UnixNano() < sh.s.leaseDown.Load() {
		return 0, false // failed while this hook waited for the lease's lock
	}
	if l.held >= cost {
		l.held -= cost
		return 0, true
	}
	ctx, cancel := context.WithTimeout(sh.s.ctx, sh.s.opts.LeaseWait)
	defer cancel()
	want := max(leaseSize(burst), cost-l.held)
	got, wait, err := sh.s.lease(ctx, l, k, want, cost-l.held, rate, burst, now)
	if err != nil {
		sh.s.leaseDown.Store(time.Now().Add(leaseCooldown).UnixNano())
		sh.s.leaseFailed(err)
		return 0, false
	}
	sh.s.leaseOK()
	l.held += got
	if l.held >= cost {
		l.held -= cost
		return 0, true
	}
	return max(wait, time.Millisecond), true
}

// lease takes want tokens (or none, if fewer than need are there) off
// bucket k's entry; l.mu is held. It returns the tokens granted and, if
// none, how long until need are there.
func (s *Shared) lease(ctx context.Context, l *lease, k string, want, need int64, rate float64, burst int64, now int64) (int64, time.Duration, error) {
	cached := l.rev != 0
	for try := 0; ; try++ {
		st, rev := l.st, l.rev
		if !cached {
			e, err := s.buckets.Get(ctx, k)
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
				st, rev = bucketState{tokens: float64(burst), last: now}, 0
			case err != nil:
				return 0, 0, err
			default:
				var ok bool
				if st, ok = parseBucket(e.Value()); !ok {
					st = bucketState{tokens: float64(burst), last: now}
				}
				rev = e.Revision()
			}
		}
		cached = false
		if el := now - st.last; el > 0 {
			st.tokens = math.Min(float64(burst), st.tokens+float64(el)/1e9*rate)
			st.last = now
		}
		st.tokens = math.Min(st.tokens, float64(burst)) // the burst may have shrunk
		if st.tokens < float64(need) {
			// Nothing to write: the entry's refill is computed from last
			// by whoever takes next.
			return 0, time.Duration(math.Ceil((float64(need) - st.tokens) / rate * 1e9)), nil
		}
		got := min(want, int64(st.tokens))
		st.tokens -= float64(got)
		var err error
		var nrev uint64
		if rev == 0 {
			nrev, err = s.buckets.Create(ctx, k, st.bytes())
		} else {
			nrev, err = s.buckets.Update(ctx, k, st.bytes(), rev)
		}
		if err == nil {
			l.st, l.rev = st, nrev
			return got, 0, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, 0, err
		}
		// Another node took from it since: read it again (bounded by ctx).
		if ctx.Err() != nil {
			return 0, 0, ctx.Err()
		}
	}
}

// leaseFailed logs the first failure of a run of them.
func (s *Shared) leaseFailed(err error) {
	s.mu.Lock()
	first := !s.leaseFailing
	s.leaseFailing = true
	s.mu.Unlock()
	if first {
		s.log.Warn("token buckets: cannot lease from the cluster; each node answers from its own buckets until it can", "err", err)
	}
}

func (s *Shared) leaseOK() {
	s.mu.Lock()
	was := s.leaseFailing
	s.leaseFailing = false
	s.mu.Unlock()
	if was {
		s.log.Info("token buckets: leasing from the cluster again")
	}
}

// Package sharedstate makes the plugins' policy state and the host's
// NIP-86 state cluster-wide when [cluster] is on: every relayd node of the
// cluster sees the same durable plugin state, draws from the same token
// buckets, adds to the same counters, and applies the same event bans and
// NIP-11 overrides. It builds on JetStream key-value buckets (Conn.Bucket):
//
//   - STATE (S_STATE): the durable plugin state (db_*), one key per plugin
//     key, "<plugin>.<key>" both base64url-encoded (the KV key charset is
//     narrow). A node's writes are applied locally at once and published
//     in order by one publisher goroutine; every node watches the bucket
//     and applies each entry in log order (durable.Space.Apply: last writer
//     in log order wins, own writes in flight shadow older entries).
//   - BUCKETS (S_BUCKETS): the token buckets (state.Space.Take). A bucket's
//     tokens live in the KV entry; a node leases them in small batches
//     (compare-and-set on the entry's revision) and spends its lease
//     locally, so a hook makes a round trip only once per lease.
//   - counters (counter_add) and the kv table (kv_set, kv_cas,
//     kv_delete): each node changes its copy and sends its counter deltas
//     and kv changes every CounterFlush over plain NATS to the others
//     (counters.go).
//   - MANAGE (S_MANAGE): the host's NIP-86 state: banned events and the
//     NIP-11 overrides (Admin); every node watches it and applies each
//     change to its own store and relay.
//
// # Accuracy
//
// A token bucket of burst B with lease size L = max(1, B/50) on N nodes
// admits, against one exact bucket: never more than the exact bucket plus
// the tokens the nodes hold leased (at most N·L), never fewer than it
// minus those (N·L). For B = 100 on 3 nodes: 100 ± 6 for a burst. Counters
// and kv keys lag the other nodes' changes by at most CounterFlush plus
// one message delay; kv_cas is atomic per node only. A durable write is on every connected node one log round trip
// after it returns (a management method waits for it).
//
// # NATS unreachable
//
// No hook waits on the network for more than LeaseWait. Reads are local.
// Durable writes are applied locally and queued (at most QueueLen), then
// published in order on reconnect; past QueueLen they fail with
// ErrUnavailable. A bucket whose lease cannot be had within LeaseWait is
// answered from the node's own local bucket (each node then enforces the
// whole budget alone: fail open, N·B at worst). Counter deltas are
// dropped while disconnected. NIP-86 host changes fail with an error
// (nothing applied) until NATS is back.
package sharedstate

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/relayd/relayd/host/cluster"
)

// Names of the buckets (Conn.Bucket) and subjects (Conn.Subject).
const (
	StateBucket   = "STATE"
	BucketsBucket = "BUCKETS"
	ManageBucket  = "MANAGE"
	// counterSubject is the token of the counter deltas' subject.
	counterSubject = "counters"
)

// Defaults of Options.
const (
	DefaultLeaseWait    = 20 * time.Millisecond
	DefaultQueueLen     = 10000
	DefaultCounterFlush = 20 * time.Millisecond
	// bucketsMaxAge is how long an idle token bucket is kept in BUCKETS;
	// one idle for longer starts full again.
	bucketsMaxAge = 24 * time.Hour
	// snapshotWait bounds the wait for a bucket's current entries when a
	// plugin's durable state joins the cluster.
	snapshotWait = 10 * time.Second
	// opTimeout bounds one publication or management change.
	opTimeout = 5 * time.Second
)

// Options configure a Shared.
type Options struct {
	// Conn is the node's cluster connection. Required.
	Conn *cluster.Conn
	// Logger logs failures and recoveries; nil: none.
	Logger *slog.Logger
	// LeaseWait bounds a hook's wait for a token lease ([cluster]
	// state_lease_wait); default 20 ms.
	LeaseWait time.Duration
	// QueueLen bounds the durable writes queued for publication; default
	// 10000.
	QueueLen int
	// CounterFlush is how often counter deltas are sent; default 20 ms.
	CounterFlush time.Duration
}

// Shared is a node's part in the cluster's shared state.
type Shared struct {
	opts    Options
	conn    *cluster.Conn
	log     *slog.Logger
	origin  [8]byte // this process, in published entries
	state   jetstream.KeyValue
	buckets jetstream.KeyValue
	manage  jetstream.KeyValue
	pub     *publisher
	leases  *leases
	ctrs    *counters

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	subs   []*nats.Subscription
	stops  []func()
	// leaseFailing: the last lease failed (logged once per run).
	leaseFailing bool
	// leaseDown: until when (unix ns) leases are not tried.
	leaseDown atomic.Int64
}

// Start creates (or opens) the shared buckets and starts the publisher.
func Start(ctx context.Context, o Options) (*Shared, error) {
	if o.Conn == nil {
		return nil, errors.New("sharedstate: Options.Conn is nil")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LeaseWait <= 0 {
		o.LeaseWait = DefaultLeaseWait
	}
	if o.QueueLen <= 0 {
		o.QueueLen = DefaultQueueLen
	}
	if o.CounterFlush <= 0 {
		o.CounterFlush = DefaultCounterFlush
	}
	s := &Shared{opts: o, conn: o.Conn, log: o.Logger.With("component", "sharedstate")}
	if _, err := rand.Read(s.origin[:]); err != nil {
		return nil, fmt.Errorf("sharedstate: origin: %w", err)
	}
	js, replicas := o.Conn.JetStream(), o.Conn.Config().Replicas
	for _, b := range []struct {
		name string
		kv   *jetstream.KeyValue
		age  time.Duration
	}{{StateBucket, &s.state, 0}, {BucketsBucket, &s.buckets, bucketsMaxAge}, {ManageBucket, &s.manage, 0}} {
		kv, err := createBucket(ctx, js, jetstream.KeyValueConfig{
			Bucket: o.Conn.Bucket(b.name), Replicas: replicas, TTL: b.age,
		})
		if err != nil {
			return nil, err
		}
		*b.kv = kv
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.pub = newPublisher(s, o.QueueLen)
	s.leases = newLeases(s)
	s.ctrs = newCounters(s)
	s.wg.Go(s.pub.run)
	if err := s.ctrs.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the watchers, the publisher (writes still queued are lost:
// the local store has them) and the counters.
func (s *Shared) Close() {
	s.cancel()
	s.mu.Lock()
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
	for _, stop := range s.stops {
		stop()
	}
	s.subs, s.stops = nil, nil
	s.mu.Unlock()
	s.wg.Wait()
}

// onClose registers stop to run at Close.
func (s *Shared) onClose(stop func()) {
	s.mu.Lock()
	s.stops = append(s.stops, stop)
	s.mu.Unlock()
}

// bucketTry bounds one try at creating or opening a bucket.
const bucketTry = 3 * time.Second

// enc encodes a name or key for a KV key token.
func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// dec decodes enc.
func dec(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// originHex is the origin as it appears in logs.
func (s *Shared) originHex() string { return hex.EncodeToString(s.origin[:]) }

// createBucket creates or opens a bucket, retrying until ctx ends: a NATS
// cluster that has just started may not have placed its peers yet ("no
// suitable peers for placement"), and one still electing its JetStream
// leader does not answer at all, so each try is bounded by bucketTry.
func createBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		tctx, cancel := context.WithTimeout(ctx, bucketTry)
		kv, err := js.CreateOrUpdateKeyValue(tctx, cfg)
		cancel()
		if err == nil {
			return kv, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("sharedstate: bucket %s: %w", cfg.Bucket, err)
		case <-time.After(backoff):
		}
	}
}

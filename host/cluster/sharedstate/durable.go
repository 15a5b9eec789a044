package sharedstate

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/relayd/relayd/host/wasmhost/durable"
)

// The durable plugin state's shared log: the STATE bucket. An entry's
// value is an envelope: version (1), flags (bit 0: deletion), the origin
// (8 bytes: the process that wrote it), its write number there (8 bytes,
// big-endian), then the value. Deletions are entries too (not KV delete
// markers), so that they carry their origin.
const (
	envVersion = 1
	envHeader  = 18
	flagDel    = 1
)

func envelope(origin [8]byte, seq uint64, val []byte, del bool) []byte {
	b := make([]byte, envHeader, envHeader+len(val))
	b[0] = envVersion
	if del {
		b[1] = flagDel
	}
	copy(b[2:10], origin[:])
	binary.BigEndian.PutUint64(b[10:18], seq)
	return append(b, val...)
}

// entry is a decoded envelope.
type entry struct {
	origin [8]byte
	seq    uint64
	val    []byte
	del    bool
}

func openEnvelope(b []byte) (entry, bool) {
	if len(b) < envHeader || b[0] != envVersion {
		return entry{}, false
	}
	e := entry{seq: binary.BigEndian.Uint64(b[10:18]), val: b[envHeader:], del: b[1]&flagDel != 0}
	copy(e.origin[:], b[2:10])
	return e, true
}

// stateKey is plugin's key in the STATE bucket.
func stateKey(plugin, key string) string { return enc([]byte(plugin)) + "." + enc([]byte(key)) }

// Durable makes plugin's durable state cluster-wide: its writes go to the
// STATE bucket, and it applies every entry of the bucket for plugin. It
// waits (at most 10 s) until db holds the cluster's current entries: a
// node joining takes the cluster's state; the first node of a cluster
// whose bucket has nothing of the plugin seeds it with what it kept.
// Implements wasmhost.ClusterState.
func (s *Shared) Durable(plugin string, db *durable.Space) {
	db.SetMirror(&mirror{s: s, plugin: plugin, db: db})
	ready := make(chan struct{})
	s.wg.Go(func() { s.watchDurable(plugin, db, ready) })
	select {
	case <-ready:
	case <-time.After(snapshotWait):
		s.log.Warn("plugin state: the cluster's copy is not here yet; serving the local copy meanwhile", "plugin", plugin)
	}
}

// mirror is a plugin's durable.Mirror.
type mirror struct {
	s      *Shared
	plugin string
	db     *durable.Space
}

// Publish implements durable.Mirror.
func (m *mirror) Publish(seq uint64, key string, val []byte, del bool) bool {
	return m.s.pub.push(pubItem{
		subject: "$KV." + m.s.conn.Bucket(StateBucket) + "." + stateKey(m.plugin, key),
		data:    envelope(m.s.origin, seq, val, del),
		id:      m.s.originHex() + "-" + enc([]byte(m.plugin)) + "-" + strconv.FormatUint(seq, 10),
		acked:   func(rev uint64) { m.db.Acked(seq, key, rev) },
	})
}

// watchDurable applies the STATE entries of plugin to db until Close;
// ready is closed once the current entries are applied. The watcher is an
// ordered consumer: it survives reconnections and resumes where it was.
func (s *Shared) watchDurable(plugin string, db *durable.Space, ready chan struct{}) {
	prefix := enc([]byte(plugin)) + "."
	var w jetstream.KeyWatcher
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		var err error
		if w, err = s.state.Watch(s.ctx, prefix+">"); err == nil {
			break
		}
		s.log.Warn("plugin state: cannot watch the cluster's copy; retrying", "plugin", plugin, "err", err)
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
	defer w.Stop()
	seen := map[string]bool{}
	initial := true
	for {
		var kve jetstream.KeyValueEntry
		select {
		case <-s.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			kve = e
		}
		if kve == nil { // the current entries are all in
			if initial {
				initial = false
				s.snapshotDone(plugin, db, seen)
				seen = nil
				close(ready)
			}
			continue
		}
		k, err := dec(strings.TrimPrefix(kve.Key(), prefix))
		if err != nil {
			continue
		}
		key := string(k)
		if kve.Operation() != jetstream.KeyValuePut { // deleted or purged by hand
			db.Apply(key, nil, true, kve.Revision())
			continue
		}
		e, ok := openEnvelope(kve.Value())
		if !ok {
			s.log.Warn("plugin state: an entry of the cluster's copy is not relayd's; skipped", "plugin", plugin, "key", kve.Key())
			continue
		}
		if initial && !e.del {
			seen[key] = true
		}
		db.Apply(key, e.val, e.del, kve.Revision())
	}
}

// snapshotDone aligns db with the bucket's current entries: seeds an
// empty bucket with db's keys, or deletes the keys the bucket does not
// have.
func (s *Shared) snapshotDone(plugin string, db *durable.Space, seen map[string]bool) {
	if len(seen) == 0 {
		if n := db.Seed(); n > 0 {
			s.log.Info("plugin state: seeded the cluster's copy with this node's", "plugin", plugin, "keys", n)
		}
		return
	}
	if n := db.Reconcile(func(k string) bool { return seen[k] }); n > 0 {
		s.log.Info("plugin state: dropped keys the cluster deleted", "plugin", plugin, "keys", n)
	}
}

// publisher publishes the durable writes in the order they were made, one
// at a time (the order matters per key, and a retry must not overtake),
// each with a message id (JetStream drops a duplicate of a retry).
type publisher struct {
	s    *Shared
	mu   sync.Mutex
	q    []pubItem
	max  int
	wake chan struct{}
}

type pubItem struct {
	subject string
	data    []byte
	id      string
	acked   func(rev uint64) // with the entry's revision (stream sequence)
}

func newPublisher(s *Shared, max int) *publisher {
	return &publisher{s: s, max: max, wake: make(chan struct{}, 1)}
}

// push queues it; false when the queue is full.
func (p *publisher) push(it pubItem) bool {
	p.mu.Lock()
	if len(p.q) >= p.max {
		p.mu.Unlock()
		return false
	}
	p.q = append(p.q, it)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return true
}

// Queued returns the number of durable writes not yet published.
func (s *Shared) Queued() int {
	s.pub.mu.Lock()
	defer s.pub.mu.Unlock()
	return len(s.pub.q)
}

func (p *publisher) run() {
	js := p.s.conn.JetStream()
	failing := false
	backoff := 50 * time.Millisecond
	for {
		p.mu.Lock()
		var it *pubItem
		if len(p.q) > 0 {
			c := p.q[0]
			it = &c
		}
		p.mu.Unlock()
		if it == nil {
			select {
			case <-p.s.ctx.Done():
				return
			case <-p.wake:
			}
			continue
		}
		ctx, cancel := context.WithTimeout(p.s.ctx, opTimeout)
		ack, err := js.Publish(ctx, it.subject, it.data, jetstream.WithMsgID(it.id))
		cancel()
		if err != nil {
			if errors.Is(p.s.ctx.Err(), context.Canceled) {
				return
			}
			if !failing {
				failing = true
				p.s.log.Warn("plugin state: cannot publish to the cluster; writes queued until it can", "queued", p.s.Queued(), "err", err)
			}
			select {
			case <-p.s.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		if failing {
			failing = false
			p.s.log.Info("plugin state: publishing to the cluster again")
		}
		backoff = 50 * time.Millisecond
		p.mu.Lock()
		p.q[0] = pubItem{}
		p.q = p.q[1:]
		p.mu.Unlock()
		it.acked(ack.Sequence) // a duplicate's is the first copy's
	}
}

// Package state is the shared state a plugin reaches through the relayd_v1
// host functions: counters, token buckets and a key/value store with TTLs.
//
// One Space belongs to one plugin name. It is owned by the wasmhost Manager,
// not by any instance, so every instance of the plugin sees the same values
// and they survive instance recycling and reloads. Every operation is
// atomic; a Space is safe for concurrent use. Each table is bounded in keys
// (and the kv table in bytes): the least recently used key is evicted first.
package state

import (
	"bytes"
	"errors"
	"math"
	"time"
)

// Limits bound a Space. Zero fields take the defaults.
type Limits struct {
	// MaxKeys bounds each table (counters, buckets, kv); default 100000.
	MaxKeys int
	// MaxKeyLen bounds a key; default 256.
	MaxKeyLen int
	// MaxValueLen bounds one kv value; default 65536.
	MaxValueLen int
	// MaxBytes bounds the kv table's keys and values; default 64 MiB.
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxKeys <= 0 {
		l.MaxKeys = 100000
	}
	if l.MaxKeyLen <= 0 {
		l.MaxKeyLen = 256
	}
	if l.MaxValueLen <= 0 {
		l.MaxValueLen = 1 << 16
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 20
	}
	return l
}

// Errors returned by Space methods.
var (
	// ErrTooLarge: a key or value is over its limit.
	ErrTooLarge = errors.New("state: too large")
	// ErrInvalid: an invalid argument (bucket cost, rate or burst).
	ErrInvalid = errors.New("state: invalid argument")
	// ErrNotFound: no such key.
	ErrNotFound = errors.New("state: not found")
	// ErrMismatch: a compare-and-swap found another value.
	ErrMismatch = errors.New("state: value mismatch")
)

type bucket struct {
	tokens float64
	last   int64 // unix ns of the last refill
}

// Space is the shared state of one plugin.
type Space struct {
	limits   Limits
	counters *table[int64]
	buckets  *table[bucket]
	kv       *table[[]byte]
	evicted  counterStat
	shared   Shared // nil: node-local (no cluster)
}

// Shared makes a Space's token buckets and counters cluster-wide ([cluster]
// on; package host/cluster/sharedstate). Its methods must not block a hook
// for longer than a small bound (a lease round trip, bounded), and report
// ok false to let the Space answer from its local tables instead (the
// cluster is unreachable).
type Shared interface {
	// Take is Space.Take across the cluster.
	Take(key []byte, cost int64, rate float64, burst int64, now int64) (wait time.Duration, ok bool)
	// CounterAdded hears a local CounterAdd of delta to key (the counter
	// created with ttl if it was absent), to tell the other nodes.
	CounterAdded(key []byte, delta int64, ttl time.Duration)
	// KVChanged hears a local change of kv key: set to val (a copy it may
	// keep) expiring after ttl (0: never), or deleted, to tell the other
	// nodes. Called with the key's shard locked: it must not call the
	// Space.
	KVChanged(key, val []byte, del bool, ttl time.Duration)
}

// ApplyKV sets kv key to val expiring after ttl (0: never), or deletes
// it, for another node (no Shared call).
func (s *Space) ApplyKV(key, val []byte, del bool, ttl time.Duration, now int64) {
	if s.checkKV(key, val) != nil {
		return
	}
	sh := s.kv.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !del {
		s.put(sh, key, val, ttl, now)
	} else if e := sh.get(key, now); e != nil {
		sh.remove(e)
	}
}

// kvChanged tells Shared, if any, of a local kv change; the shard is
// locked.
func (s *Space) kvChanged(key, val []byte, del bool, ttl time.Duration) {
	if s.shared != nil {
		s.shared.KVChanged(key, append([]byte(nil), val...), del, ttl)
	}
}

// SetShared makes the Space's buckets and counters cluster-wide through
// sh; call it before the Space is used.
func (s *Space) SetShared(sh Shared) { s.shared = sh }

// ApplyCounter adds delta to counter key for another node (no Shared
// call), creating it with ttl if absent.
func (s *Space) ApplyCounter(key []byte, delta int64, ttl time.Duration, now int64) {
	if s.checkKey(key) != nil {
		return
	}
	s.addCounter(key, delta, ttl, now, false)
}

// addCounter adds delta to counter key, creating it with ttl if absent,
// and returns the new value; with share, it tells Shared under the
// shard's lock, so that the deltas of one key leave in the order applied.
func (s *Space) addCounter(key []byte, delta int64, ttl time.Duration, now int64, share bool) int64 {
	sh := s.counters.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.get(key, now)
	if e == nil {
		e = s.counters.add(sh, key, now)
		e.expires = expiry(now, ttl)
	}
	e.val += delta
	if share && s.shared != nil {
		s.shared.CounterAdded(key, delta, ttl)
	}
	return e.val
}

// New returns an empty Space.
func New(l Limits) *Space {
	s := &Space{limits: l.withDefaults()}
	s.counters = newTable[int64](s.limits.MaxKeys, 0, &s.evicted)
	s.buckets = newTable[bucket](s.limits.MaxKeys, 0, &s.evicted)
	s.kv = newTable[[]byte](s.limits.MaxKeys, s.limits.MaxBytes, &s.evicted)
	return s
}

// Stats is a snapshot of a Space's size.
type Stats struct {
	Counters, Buckets, KV int
	Evicted               uint64
}

// Stats returns the number of keys in each table and how many live keys
// were evicted to stay within bounds.
func (s *Space) Stats() Stats {
	s.evicted.mu.Lock()
	ev := s.evicted.n
	s.evicted.mu.Unlock()
	return Stats{Counters: s.counters.len(), Buckets: s.buckets.len(), KV: s.kv.len(), Evicted: ev}
}

func (s *Space) checkKey(key []byte) error {
	if len(key) > s.limits.MaxKeyLen {
		return ErrTooLarge
	}
	return nil
}

func expiry(now int64, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return now + int64(ttl)
}

// CounterAdd adds delta to counter key and returns the new value. A counter
// created by this call expires ttl after now (0: never).
func (s *Space) CounterAdd(key []byte, delta int64, ttl time.Duration, now int64) (int64, error) {
	if err := s.checkKey(key); err != nil {
		return 0, err
	}
	return s.addCounter(key, delta, ttl, now, true), nil
}

// CounterGet returns counter key, 0 if absent.
func (s *Space) CounterGet(key []byte, now int64) (int64, error) {
	if err := s.checkKey(key); err != nil {
		return 0, err
	}
	sh := s.counters.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.get(key, now); e != nil {
		return e.val, nil
	}
	return 0, nil
}

// Take takes cost tokens from bucket key, which refills at rate tokens per
// second up to burst and starts full. It returns 0 if the tokens were
// taken, or how long until they will be there (at least 1 ms).
func (s *Space) Take(key []byte, cost int64, rate float64, burst int64, now int64) (time.Duration, error) {
	if err := s.checkKey(key); err != nil {
		return 0, err
	}
	if cost < 1 || cost > burst || !(rate > 0) || math.IsInf(rate, 0) {
		return 0, ErrInvalid
	}
	if s.shared != nil {
		if wait, ok := s.shared.Take(key, cost, rate, burst, now); ok {
			return wait, nil
		}
	}
	sh := s.buckets.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.get(key, now)
	if e == nil {
		e = s.buckets.add(sh, key, now)
		e.val = bucket{tokens: float64(burst), last: now}
	}
	b := &e.val
	if el := now - b.last; el > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+float64(el)/1e9*rate)
		b.last = now
	}
	if b.tokens >= float64(cost) {
		b.tokens -= float64(cost)
		return 0, nil
	}
	wait := time.Duration(math.Ceil((float64(cost) - b.tokens) / rate * 1e9))
	return max(wait, time.Millisecond), nil
}

// KVGet calls fn with the value of key while the shard is locked (fn must
// copy what it keeps), or returns ErrNotFound.
func (s *Space) KVGet(key []byte, now int64, fn func(val []byte)) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	sh := s.kv.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.get(key, now)
	if e == nil {
		return ErrNotFound
	}
	fn(e.val)
	return nil
}

// KVSet stores a copy of val under key, expiring ttl after now (0: never).
func (s *Space) KVSet(key, val []byte, ttl time.Duration, now int64) error {
	if err := s.checkKV(key, val); err != nil {
		return err
	}
	sh := s.kv.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s.put(sh, key, val, ttl, now)
	s.kvChanged(key, val, false, ttl)
	return nil
}

// KVCAS stores val under key only if the current value equals old; absent
// means "only if there is no value". It returns ErrMismatch otherwise.
func (s *Space) KVCAS(key, old []byte, absent bool, val []byte, ttl time.Duration, now int64) error {
	if err := s.checkKV(key, val); err != nil {
		return err
	}
	sh := s.kv.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.get(key, now)
	if absent && e != nil || !absent && (e == nil || !bytes.Equal(e.val, old)) {
		return ErrMismatch
	}
	s.put(sh, key, val, ttl, now)
	s.kvChanged(key, val, false, ttl)
	return nil
}

// KVDelete deletes key, or returns ErrNotFound.
func (s *Space) KVDelete(key []byte, now int64) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	sh := s.kv.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.get(key, now)
	if e == nil {
		return ErrNotFound
	}
	sh.remove(e)
	s.kvChanged(key, nil, true, 0)
	return nil
}

func (s *Space) checkKV(key, val []byte) error {
	if len(val) > s.limits.MaxValueLen {
		return ErrTooLarge
	}
	return s.checkKey(key)
}

// put stores val under key; the shard lock must be held.
func (s *Space) put(sh *shard[[]byte], key, val []byte, ttl time.Duration, now int64) {
	e := sh.get(key, now)
	if e == nil {
		e = s.kv.add(sh, key, now)
	}
	e.val = append(e.val[:0:0], val...)
	e.expires = expiry(now, ttl)
	sh.setSize(e, int64(len(key)+len(val)))
	s.kv.trim(sh, now, e)
}

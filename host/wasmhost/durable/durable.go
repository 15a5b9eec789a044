// Package durable is a plugin's durable state: the persistent key-value
// namespace the db_* host functions reach (sdk/abi/ABI.md, "Durable
// state"), kept in the relay's event store (store.PluginState, one keyspace
// per plugin name).
//
// One Space belongs to one plugin name and is owned by the wasmhost
// Manager, so every instance of the plugin sees the same keys, and they
// survive reloads, instance recycling and (through the store) restarts.
// Its methods are safe for concurrent use and implement the ABI's
// semantics, error codes included; the host functions only move bytes in
// and out of guest memory.
//
// # Reads come from memory
//
// The Space holds the whole namespace in memory: a map of the values and an
// ordered index of the keys (index), read from the store once (Load). No
// call from a hook reads the store, because a badger read transaction waits
// for the commits in flight, fsync included (its read timestamp waits for
// their watermark): a read from a hook would wait for the disk. The store
// is where the namespace persists; the memory, bounded by the plugin's
// limits, is where it is read.
//
// # Durability
//
// A hook must not wait for an fsync per call either, so Put and Delete do
// not wait for the disk. They check the bounds and the store's mode, change
// the namespace in memory, record the write as pending and wake the Space's
// flusher goroutine: a write is visible to every instance as soon as the
// call returns. The flusher hands the pending writes to the store's writer
// (StateWrite), which commits them with its next batch of events, in one
// fsync'd transaction. While one flush is in flight the next writes gather,
// so a busy plugin costs about one state request per commit. A crash loses
// the writes not yet committed (a few milliseconds' worth); Flush and Close
// wait for them. A flush the store refuses (its disk fell below the reserve
// after the writes were taken) keeps them pending, visible, and is retried
// with a backoff until the store takes writes again; meanwhile new writes
// get ErrReadOnly, so nothing more piles up.
//
// # Bounds
//
// The Space counts the keys and bytes (each key's length plus its value's)
// of the namespace. A write that would take it past Limits, and grows it,
// fails with ErrFull; there is no eviction. The memory it takes is about
// the bytes plus ~100 bytes per key.
package durable

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/sdk/abi"
)

// Limits bound a plugin's namespace: the NAME.toml settings db_max_keys and
// db_max_bytes. Zero fields take abi.DBDefaultMaxKeys and
// abi.DBDefaultMaxBytes.
type Limits struct {
	MaxKeys  int64
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxKeys <= 0 {
		l.MaxKeys = abi.DBDefaultMaxKeys
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = abi.DBDefaultMaxBytes
	}
	return l
}

// Usage is what db_usage reports: the namespace's keys and bytes and its
// limits.
type Usage struct {
	Keys, Bytes       int64
	MaxKeys, MaxBytes int64
}

// Space is the durable state of one plugin. Lock order: mu only; the
// store is called with mu held only by Load.
type Space struct {
	ns  string
	be  store.PluginState
	log *slog.Logger

	mu      sync.RWMutex
	limits  Limits
	loaded  bool
	vals    map[string][]byte // the namespace; values are never changed in place
	keys    index             // vals' keys, in order
	bytes   int64             // of vals: keys and values
	pending map[string]*op    // written, not yet committed
	seq     uint64            // writes accepted
	durable uint64            // writes accepted and committed
	flushed chan struct{}     // closed when durable moves or a flush fails
	closed  bool
	failing bool  // the last flush failed; logged
	lastErr error // why the last flush failed

	// The cluster mirror (mirror.go), nil without a cluster.
	mirror    Mirror
	keyMirror map[string]*keyMirror // keys with own writes the log may not have passed
	pubSeq    uint64                // own writes published
	mirrored  uint64                // own writes acknowledged

	wake chan struct{} // to the flusher
	stop chan struct{}
	done chan struct{} // the flusher ended
}

// op is a pending write: a value, or a deletion. Never changed once made.
type op struct {
	val []byte
	del bool
}

// New returns the Space of plugin ns in be and starts its flusher. Call
// Load before the first use (it is also done lazily) and Close at the end.
func New(ns string, be store.PluginState, limits Limits, log *slog.Logger) *Space {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Space{ns: ns, be: be, log: log, limits: limits.withDefaults(), vals: map[string][]byte{}, pending: map[string]*op{},
		flushed: make(chan struct{}), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

// SetLimits changes the limits; writes already made stay, even over them.
func (s *Space) SetLimits(l Limits) {
	s.mu.Lock()
	s.limits = l.withDefaults()
	s.mu.Unlock()
}

// Load reads the namespace from the store into memory, once. Until it
// succeeds every call reports ErrUnavailable; a Space that could not load
// keeps trying in the background.
func (s *Space) Load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded {
		return nil
	}
	vals, x, size := map[string][]byte{}, index{}, int64(0)
	err := s.be.StateScan(s.ns, nil, nil, true, func(k, v []byte) bool {
		key := string(k)
		vals[key] = append([]byte{}, v...)
		x.insert(key)
		size += int64(len(k) + len(v))
		return true
	})
	if err != nil {
		return fmt.Errorf("durable: plugin %s: %w", s.ns, err)
	}
	s.vals, s.keys, s.bytes, s.loaded = vals, x, size, true
	if s.failing {
		s.failing = false
		s.log.Info("plugin state: read from the store", "plugin", s.ns, "keys", len(vals))
	}
	return nil
}

func checkKey(key []byte) abi.Errno {
	switch {
	case len(key) == 0:
		return abi.ErrInvalid
	case len(key) > abi.MaxKeyLen:
		return abi.ErrTooLarge
	}
	return abi.OK
}

// put writes v into buf if it fits and returns its length (the ABI's
// (buf, buf_limit) rule).
func put(buf, v []byte) int32 {
	if len(v) <= len(buf) {
		copy(buf, v)
	}
	return int32(len(v))
}

// Get is db_get: it writes key's value into buf if it fits and returns its
// length, or a negative abi.Errno.
func (s *Space) Get(key, buf []byte) int32 {
	if e := checkKey(key); e != abi.OK {
		return int32(e)
	}
	s.mu.RLock()
	v, ok := s.vals[string(key)]
	loaded := s.loaded
	s.mu.RUnlock()
	switch {
	case !loaded:
		return int32(abi.ErrUnavailable)
	case !ok:
		return int32(abi.ErrNotFound)
	}
	return put(buf, v)
}

// Put is db_put: it stores a copy of val under key, with flags 0 or
// abi.DBPutIfAbsent.
func (s *Space) Put(key, val []byte, flags uint32) abi.Errno {
	if e := checkKey(key); e != abi.OK {
		return e
	}
	if flags&^abi.DBPutIfAbsent != 0 {
		return abi.ErrInvalid
	}
	if len(val) > abi.MaxValueLen {
		return abi.ErrTooLarge
	}
	return s.write(key, &op{val: append([]byte{}, val...)}, flags&abi.DBPutIfAbsent != 0)
}

// Delete is db_delete.
func (s *Space) Delete(key []byte) abi.Errno {
	if e := checkKey(key); e != abi.OK {
		return e
	}
	return s.write(key, &op{del: true}, false)
}

// write records o for key after the checks shared by Put and Delete.
func (s *Space) write(key []byte, o *op, ifAbsent bool) abi.Errno {
	if err := s.be.StateWritable(); err != nil {
		return abi.ErrReadOnly
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return abi.ErrReadOnly
	case !s.loaded:
		return abi.ErrUnavailable
	}
	cur, found := s.vals[string(key)]
	old := int64(0)
	if found {
		old = int64(len(key) + len(cur))
	}
	n := int64(len(s.vals))
	keys, size := n, s.bytes-old
	switch {
	case o.del && !found:
		return abi.ErrNotFound
	case o.del:
		keys--
	case found && ifAbsent:
		return abi.ErrMismatch
	default:
		if !found {
			keys++
		}
		size += int64(len(key) + len(o.val))
	}
	if keys > s.limits.MaxKeys && keys > n || size > s.limits.MaxBytes && size > s.bytes {
		return abi.ErrFull
	}
	k := string(key)
	if !s.publish(k, o) {
		return mirrorErrno
	}
	switch {
	case o.del:
		delete(s.vals, k)
		s.keys.remove(k)
	case !found:
		s.keys.insert(k)
		fallthrough
	default:
		s.vals[k] = o.val
	}
	s.bytes = size
	s.pending[k] = o
	s.seq++
	s.kick()
	return abi.OK
}

func (s *Space) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Usage is db_usage.
func (s *Space) Usage() (Usage, abi.Errno) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.loaded {
		return Usage{}, abi.ErrUnavailable
	}
	return Usage{Keys: int64(len(s.vals)), Bytes: s.bytes, MaxKeys: s.limits.MaxKeys, MaxBytes: s.limits.MaxBytes}, abi.OK
}

// Pending returns the number of writes not yet committed.
func (s *Space) Pending() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.pending)
}

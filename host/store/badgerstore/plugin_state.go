package badgerstore

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/relayd/relayd/host/store"
)

// Plugin state: the durable key-value keyspace of each plugin (see
// store.PluginState), in the same badger database as the events, under its
// own prefix byte:
//
//	0x10 plugin 0x00 key              -> value                    (plugin state)
//
// Plugin names are file names, so they hold no NUL and the 0x00 ends the
// name. Nothing else in the store reads these keys: queries, counts,
// Stats, Check, Repair, DeleteMatching, DeleteExpired and the event count
// at Open all walk the event and index prefixes by name. A state write
// takes no serial and changes neither the event count nor the rollback
// record; it rides the writer's batches with the saves and shares their
// commit (and fsync).

var _ store.PluginState = (*Store)(nil)

// pState is the prefix of plugin state keys. Stored on disk: never
// renumber.
const pState byte = 0x10

// errNamespace is a plugin name that cannot name a keyspace.
var errNamespace = errors.New("badgerstore: plugin state: a plugin name must be non-empty and hold no NUL byte")

// statePrefix returns the prefix of ns's keys: 0x10 ns 0x00.
func statePrefix(ns string) ([]byte, error) {
	if ns == "" || strings.IndexByte(ns, 0) >= 0 {
		return nil, errNamespace
	}
	b := make([]byte, 0, len(ns)+2)
	b = append(b, pState)
	b = append(b, ns...)
	return append(b, 0), nil
}

// StateGet implements store.PluginState.
func (s *Store) StateGet(ns string, key []byte, fn func(val []byte)) (bool, error) {
	p, err := statePrefix(ns)
	if err != nil {
		return false, err
	}
	found := false
	err = s.tryReading(func() error {
		return s.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get(append(p, key...))
			if errors.Is(err, badger.ErrKeyNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			found = true
			return item.Value(func(v []byte) error { fn(v); return nil })
		})
	})
	if err != nil {
		return false, fmt.Errorf("badgerstore: plugin state of %s: %w", ns, err)
	}
	return found, nil
}

// StateScan implements store.PluginState.
func (s *Store) StateScan(ns string, prefix, after []byte, values bool, fn func(key, val []byte) bool) error {
	p, err := statePrefix(ns)
	if err != nil {
		return err
	}
	err = s.tryReading(func() error {
		return s.db.View(func(txn *badger.Txn) error {
			return scanState(txn, p, prefix, after, values, fn)
		})
	})
	if err != nil {
		return fmt.Errorf("badgerstore: plugin state of %s: %w", ns, err)
	}
	return nil
}

// scanState walks the keys p+prefix* after p+after.
func scanState(txn *badger.Txn, p, prefix, after []byte, values bool, fn func(key, val []byte) bool) error {
	full := append(bytes.Clone(p), prefix...)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: full, PrefetchValues: values, PrefetchSize: 16})
	defer it.Close()
	// Seek to the greater of the prefix and after: a seek below the
	// prefix would land on a key outside it and end the iteration.
	start := full
	if a := append(bytes.Clone(p), after...); bytes.Compare(a, full) > 0 {
		start = a
	}
	for it.Seek(start); it.Valid(); it.Next() {
		item := it.Item()
		key := item.Key()[len(p):]
		if len(after) > 0 && bytes.Compare(key, after) <= 0 {
			continue
		}
		var val []byte
		if values {
			var err error
			if val, err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		if !fn(key, val) {
			return nil
		}
	}
	return nil
}

// StateWrite implements store.PluginState: the ops go to the writer as one
// request, applied in its place among the saves of a batch and committed
// with them.
func (s *Store) StateWrite(ns string, ops []store.StateOp, done func(error)) {
	r := &request{done: done, state: &stateWrite{ops: ops}}
	p, err := statePrefix(ns)
	if err != nil {
		done(err)
		return
	}
	r.state.prefix = p
	for _, op := range ops {
		r.size += len(op.Key) + len(op.Value)
	}
	if r.size > store.MaxStateWriteBytes {
		done(fmt.Errorf("badgerstore: plugin state write of %d bytes, limit %d: %w", r.size, store.MaxStateWriteBytes, store.ErrTooLarge))
		return
	}
	if err := s.submitting(func() { s.queue <- r }); err != nil {
		done(err)
	}
}

// stateWrite is a request's plugin state ops.
type stateWrite struct {
	prefix []byte // statePrefix of the plugin
	ops    []store.StateOp
}

// applyState writes r's ops in txn. Writer only.
func (s *Store) applyState(txn *badger.Txn, r *request) error {
	r.err = nil
	for _, op := range r.state.ops {
		k := append(bytes.Clone(r.state.prefix), op.Key...)
		var err error
		if op.Delete {
			err = txn.Delete(k)
		} else {
			err = txn.Set(k, op.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// StateWritable implements store.PluginState.
func (s *Store) StateWritable() error {
	if !s.mu.TryRLock() {
		return store.ErrClosed // Close is under way
	}
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	if s.guard.isLow() || s.diskFull.Load() {
		return store.ErrDiskFull
	}
	if !s.dbMu.TryRLock() {
		return store.ErrBusy
	}
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return s.dbErr
	}
	if s.readOnly {
		return store.ErrDiskFull
	}
	return nil
}

// tryReading is reading for callers that must not wait (a plugin's hook
// under its deadline): while Close or a reopen holds the store it fails at
// once, with ErrClosed or ErrBusy. A panic below fn (badger decoding a
// damaged block) is an ErrCorrupt error.
func (s *Store) tryReading(fn func() error) (err error) {
	if !s.mu.TryRLock() {
		return store.ErrClosed
	}
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	if !s.dbMu.TryRLock() {
		return store.ErrBusy
	}
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return s.dbErr
	}
	defer func() {
		if p := recover(); p != nil {
			s.readErrors.Add(1)
			err = fmt.Errorf("badgerstore: panic while reading plugin state: %v: %w", p, store.ErrCorrupt)
		}
	}()
	return fn()
}

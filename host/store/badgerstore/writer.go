package badgerstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/relayd/relayd/host/store"
)

// request is one queued write: an event to save or a DeleteExpired call.
type request struct {
	rec  *record // the event; nil when err is set early or for expire
	size int     // raw JSON bytes, for batch bounds
	done func(error)

	expire  bool  // a DeleteExpired request
	now     int64 // its cut-off
	removed int   // its result

	run func() error // an exclusive job (admin.go); its error is err

	state *stateWrite // plugin state ops (plugin_state.go), committed with the saves

	seq uint64 // the event's stream sequence (streamseq.go); 0: none

	// err is the result, set by prepare or by the writer, read by the
	// notifier after the batch is committed.
	err error
}

// write is the writer goroutine: it takes the pending requests in batches,
// applies and commits each batch, and passes it to the notifier. Between
// batches it switches the store's mode when the monitor says so.
func (s *Store) write() {
	defer close(s.notify)
	for {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return
			}
			batch := s.fill([]*request{r}, r.size)
			s.followDisk()
			s.process(batch)
			s.notify <- batch
		case <-s.wake:
			s.followDisk()
		}
	}
}

// fill adds the requests already queued to batch, within the batch bounds.
func (s *Store) fill(batch []*request, size int) []*request {
	for len(batch) < s.opts.MaxBatchEvents && size < s.opts.MaxBatchBytes {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return batch
			}
			batch = append(batch, r)
			size += r.size
		default:
			return batch
		}
	}
	return batch
}

// notifyLoop calls the callbacks of committed batches, in order.
func (s *Store) notifyLoop() {
	defer close(s.notifyDone)
	for batch := range s.notify {
		for _, r := range batch {
			r.done(r.err)
		}
	}
}

// process applies batch. Runs of saves share transactions; an expire
// request or an exclusive job runs on its own, in its place in the order.
// While the store is read-only (or unavailable) saves and jobs are refused
// and expire requests remove nothing.
func (s *Store) process(batch []*request) {
	for len(batch) > 0 {
		if batch[0].run != nil {
			if s.readOnly || s.db == nil {
				batch[0].err = s.unwritable()
			} else {
				batch[0].err = batch[0].run()
			}
			batch = batch[1:]
			continue
		}
		if batch[0].expire {
			if !s.readOnly && s.db != nil {
				batch[0].removed, batch[0].err = s.deleteExpired(batch[0].now)
			}
			batch = batch[1:]
			continue
		}
		n := 1
		for n < len(batch) && !batch[n].expire && batch[n].run == nil {
			n++
		}
		if s.readOnly || s.db == nil {
			s.refuse(batch[:n])
		} else {
			for run := batch[:n]; len(run) > 0; {
				run = run[s.commitSaves(run):]
			}
		}
		batch = batch[n:]
	}
}

// committed brings the rollback record and the free-space count up to
// date after a commit that wrote about n bytes.
func (s *Store) committed(n int) {
	s.eventCount.Store(s.events)
	if err := s.record.write(s.serial, s.events, false); err != nil && !s.record.failed {
		s.record.failed = true
		s.log.Error("badgerstore: cannot update the rollback record", "err", err)
	}
	if err := s.guard.wrote(n); err != nil {
		s.log.Debug("badgerstore: measuring free space", "err", err)
	}
}

// setMeta writes the last serial and the event count in txn.
func (s *Store) setMeta(txn *badger.Txn) error {
	if err := txn.Set(metaSerial, appendU64(nil, s.serial)); err != nil {
		return err
	}
	return txn.Set(metaCount, appendU64(nil, uint64(s.events)))
}

// commitSaves applies a prefix of reqs in one transaction, commits it and
// returns the prefix length (at least 1). When a request fails halfway
// (badger.ErrTxnTooBig, or an I/O error), the transaction is dropped and the
// requests before it are applied again without it; a request that fails on
// its own is answered with its error.
func (s *Store) commitSaves(reqs []*request) int {
	defer s.timeCommit(time.Now())
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	serial, events := s.serial, s.events
	size := 0
	for i, r := range reqs {
		var err error
		switch {
		case r.state != nil:
			if err = s.applyState(txn, r); err == nil {
				size += r.size
			}
		case r.rec == nil:
			continue // answered by prepare
		default:
			if err = s.applySafely(txn, r); err == nil && r.err == nil {
				size += len(r.rec.value) + 512 // and its keys
			}
		}
		if err == nil {
			continue
		}
		txn.Discard()
		s.serial, s.events = serial, events
		if i > 0 {
			return s.commitSaves(reqs[:i])
		}
		if errors.Is(err, badger.ErrTxnTooBig) {
			err = fmt.Errorf("badgerstore: write does not fit a transaction: %w", store.ErrTooLarge)
		}
		r.err = err
		return 1
	}
	if s.serial != serial {
		if err := s.setMeta(txn); err != nil {
			// No room left for the serial: commit one request less.
			txn.Discard()
			s.serial, s.events = serial, events
			if len(reqs) > 1 {
				return s.commitSaves(reqs[:len(reqs)-1])
			}
			reqs[0].err = fmt.Errorf("badgerstore: event does not fit a transaction: %w", store.ErrTooLarge)
			return 1
		}
	}
	if err := setStreamSeq(txn, reqs); err != nil {
		txn.Discard()
		s.serial, s.events = serial, events
		if len(reqs) > 1 {
			return s.commitSaves(reqs[:len(reqs)-1])
		}
		reqs[0].err = fmt.Errorf("badgerstore: stream sequence does not fit a transaction: %w", err)
		return 1
	}
	if err := txn.Commit(); err != nil {
		s.serial, s.events = serial, events
		for _, r := range reqs {
			if r.rec != nil || r.state != nil {
				r.err = fmt.Errorf("badgerstore: commit: %w", err)
			}
		}
		return len(reqs)
	}
	s.commits.Add(1)
	if s.serial != serial {
		s.committed(size)
	} else if err := s.guard.wrote(size); err != nil {
		s.log.Debug("badgerstore: measuring free space", "err", err)
	}
	return len(reqs)
}

// applySafely is applySave with a panic turned into an error: a damaged
// value must fail one request, not kill the relay.
func (s *Store) applySafely(txn *badger.Txn, r *request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("badgerstore: panic while applying a write", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("badgerstore: panic while applying a write: %v: %w", p, store.ErrCorrupt)
		}
	}()
	return s.applySave(txn, r)
}

func decU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

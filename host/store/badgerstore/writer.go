package badgerstore

import (
	"encoding/binary"
	"errors"
	"fmt"
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

	// err is the result, set by prepare or by the writer, read by the
	// notifier after the batch is committed.
	err error
}

// write is the writer goroutine: it takes the pending requests in batches,
// applies and commits each batch, and passes it to the notifier.
func (s *Store) write() {
	defer close(s.notify)
	for r := range s.queue {
		batch := s.fill([]*request{r}, r.size)
		s.process(batch)
		s.notify <- batch
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
// request runs on its own, in its place in the order.
func (s *Store) process(batch []*request) {
	for len(batch) > 0 {
		if batch[0].expire {
			batch[0].removed, batch[0].err = s.deleteExpired(batch[0].now)
			batch = batch[1:]
			continue
		}
		n := 1
		for n < len(batch) && !batch[n].expire {
			n++
		}
		for run := batch[:n]; len(run) > 0; {
			run = run[s.commitSaves(run):]
		}
		batch = batch[n:]
	}
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
	serial := s.serial
	for i, r := range reqs {
		if r.rec == nil {
			continue // answered by prepare
		}
		err := s.applySave(txn, r)
		if err == nil {
			continue
		}
		txn.Discard()
		s.serial = serial
		if i > 0 {
			return s.commitSaves(reqs[:i])
		}
		if errors.Is(err, badger.ErrTxnTooBig) {
			err = fmt.Errorf("badgerstore: event does not fit a transaction: %w", store.ErrTooLarge)
		}
		r.err = err
		return 1
	}
	if s.serial != serial {
		if err := txn.Set(metaSerial, appendU64(nil, s.serial)); err != nil {
			// No room left for the serial: commit one request less.
			txn.Discard()
			s.serial = serial
			if len(reqs) > 1 {
				return s.commitSaves(reqs[:len(reqs)-1])
			}
			reqs[0].err = fmt.Errorf("badgerstore: event does not fit a transaction: %w", store.ErrTooLarge)
			return 1
		}
	}
	if err := txn.Commit(); err != nil {
		s.serial = serial
		for _, r := range reqs {
			if r.rec != nil {
				r.err = fmt.Errorf("badgerstore: commit: %w", err)
			}
		}
		return len(reqs)
	}
	s.commits.Add(1)
	return len(reqs)
}

func decU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

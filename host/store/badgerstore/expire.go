package badgerstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/relayd/relayd/host/store"
)

// expireChunk bounds the events one DeleteExpired transaction removes.
const expireChunk = 256

// DeleteExpired implements store.Store. It runs on the writer, in order with
// the saves, reading only the expiration index. Afterwards it gives badger's
// value log one garbage collection pass, since the relay calls it
// periodically: that reclaims the space of expired, deleted and replaced
// events. A failed pass is logged, not returned.
func (s *Store) DeleteExpired(ctx context.Context, now int64) (int, error) {
	r := &request{expire: true, now: now}
	res := make(chan struct{})
	r.done = func(error) { close(res) }
	if err := s.submitting(func() { s.queue <- r }); err != nil {
		return 0, err
	}
	select {
	case <-res:
	case <-ctx.Done():
		return 0, fmt.Errorf("badgerstore: delete expired: %w", ctx.Err())
	}
	if r.err == nil {
		s.gcValueLog()
	}
	return r.removed, r.err
}

// gcValueLog runs one value log garbage collection pass, unless the disk
// is below the reserve: a pass writes the entries it keeps before it frees
// a file.
func (s *Store) gcValueLog() {
	err := s.reading(func() error {
		if s.readOnly || s.guard.isLow() {
			return nil
		}
		return s.db.RunValueLogGC(0.5)
	})
	if err == nil || errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) ||
		errors.Is(err, store.ErrClosed) {
		return
	}
	s.log.Warn("badgerstore: value log gc", "err", err)
}

// expired is one entry of the expiration index.
type expired struct {
	exp    int64
	serial uint64
}

// deleteExpired removes the events expired at now, a chunk per transaction.
// It runs on the writer goroutine.
func (s *Store) deleteExpired(now int64) (int, error) {
	removed := 0
	for {
		batch, err := s.expiredEntries(now)
		if err != nil || len(batch) == 0 {
			return removed, err
		}
		for len(batch) > 0 {
			done, n, err := s.commitDeletes(batch)
			removed += n
			if err != nil {
				return removed, err
			}
			batch = batch[done:]
		}
	}
}

// expiredEntries returns up to expireChunk entries of the expiration index
// with an expiration at or before now.
func (s *Store) expiredEntries(now int64) ([]expired, error) {
	var out []expired
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pExpire}})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < expireChunk; it.Next() {
			k := it.Item().Key()
			e := expired{exp: int64(decU64(k[1:9])), serial: decU64(k[9:17])}
			if !store.Expired(e.exp, now) {
				break
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("badgerstore: read expiration index: %w", err)
	}
	return out, nil
}

// commitDeletes deletes the events of a prefix of batch, and their
// expiration entries, in one transaction. It returns the prefix length and
// how many events it removed, halving the prefix when it does not fit one
// transaction.
//
// Each commit takes a new serial, though it stores no event, so that the
// last serial and the event count change together (see rollbackRecord).
func (s *Store) commitDeletes(batch []expired) (done, removed int, err error) {
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	serial, events := s.serial, s.events
	for i, e := range batch {
		found, err := exists(txn, eventKey(e.serial))
		if err == nil && found {
			err = s.deleteEvent(txn, e.serial)
			removed++
		}
		if err == nil {
			// Also when the event is gone already, so the entry cannot stick.
			err = txn.Delete(expireKey(e.exp, e.serial))
		}
		if errors.Is(err, badger.ErrTxnTooBig) && i > 0 {
			txn.Discard()
			s.serial, s.events = serial, events
			return s.commitDeletes(batch[:i])
		}
		if err != nil {
			s.serial, s.events = serial, events
			return 0, 0, fmt.Errorf("badgerstore: delete expired event %d: %w", e.serial, err)
		}
	}
	if removed > 0 {
		s.serial++
		if err := s.setMeta(txn); err != nil {
			s.serial, s.events = serial, events
			if len(batch) > 1 {
				txn.Discard()
				return s.commitDeletes(batch[:len(batch)/2])
			}
			return 0, 0, fmt.Errorf("badgerstore: delete expired events: %w", err)
		}
	}
	if err := txn.Commit(); err != nil {
		s.serial, s.events = serial, events
		return 0, 0, fmt.Errorf("badgerstore: commit expired deletions: %w", err)
	}
	if removed > 0 {
		s.committed(0)
	}
	return len(batch), removed, nil
}

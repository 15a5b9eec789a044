package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

var _ store.Store = (*Store)(nil)

var _ store.HealthReporter = (*Store)(nil)

// Store is a store.Store on a badger database. It is safe for concurrent use.
//
// Lock order: mu, then dbMu. The writer goroutine takes dbMu, alone, only
// to swap the database between read-write and read-only (mode.go); the
// notifier and monitor goroutines take no locks.
type Store struct {
	dir   string
	opts  Options
	log   *slog.Logger
	cache *eventCache // nil when Options.CacheBytes < 0
	guard *diskGuard  // nil when the disk reserve is disabled

	// mu guards closed. Submit and the readers hold it shared while they
	// use queue or db; Close takes it exclusively, so it waits for them.
	mu     sync.RWMutex
	closed bool

	// dbMu guards db and readOnly. Readers hold it shared while they use
	// db; the writer replaces db holding it exclusively.
	dbMu     sync.RWMutex
	db       *badger.DB  // nil when a reopen failed
	dbErr    error       // why db is nil
	readOnly bool        // db is open read-only: the disk is below the reserve
	diskFull atomic.Bool // readOnly, for Health

	queue       chan *request   // to the writer; closed by Close
	notify      chan []*request // writer to notifier, in commit order
	notifyDone  chan struct{}
	wake        chan struct{} // monitor to writer: the disk state changed
	stop        chan struct{} // closed by Close: ends the monitor
	monitorDone chan struct{}

	// Owned by the writer goroutine once Open returns.
	serial uint64 // last serial used
	events int64  // events stored
	record *rollbackRecord
	bans   banSet // the banned ids (ban.go)

	readErrors atomic.Uint64
	eventCount atomic.Int64  // events as of the last commit, for EventCount
	commits    atomic.Uint64 // committed save transactions, for tests
	// timedCommits is commits as last reported to Options.OnCommit; the
	// writer's.
	timedCommits uint64
}

// Save implements store.Store. If ctx ends first, Save returns ctx's error
// but the write may still happen.
func (s *Store) Save(ctx context.Context, ev *nostr.Event, raw []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("badgerstore: save %s: %w", ev.ID, err)
	}
	res := make(chan error, 1)
	s.Submit(ev, raw, func(err error) { res <- err })
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return fmt.Errorf("badgerstore: save %s: %w", ev.ID, ctx.Err())
	}
}

// Submit implements store.Store. After Close, done is called with
// store.ErrClosed before Submit returns.
//
// # Notes
//
// done runs on the store's notifier goroutine and must not call the Store's
// methods: with a full queue, or a Close waiting, that would deadlock.
func (s *Store) Submit(ev *nostr.Event, raw []byte, done func(error)) {
	r := &request{done: done, size: len(raw)}
	r.err = s.prepare(r, ev, raw)
	if err := s.submitting(func() { s.queue <- r }); err != nil {
		done(err)
	}
}

// prepare does the checks and encoding that need no database, in the
// submitter's goroutine. A non-nil error is the request's result.
func (s *Store) prepare(r *request, ev *nostr.Event, raw []byte) error {
	if err := store.CheckStorable(ev, time.Now().Unix()); err != nil {
		return err
	}
	if len(raw) > s.opts.MaxEventSize {
		return fmt.Errorf("badgerstore: event of %d bytes, limit %d: %w", len(raw), s.opts.MaxEventSize, store.ErrTooLarge)
	}
	rec, err := newRecord(ev, raw, true)
	if err != nil {
		return err
	}
	r.rec = rec
	return nil
}

// Close implements store.Store: it waits for queued writes and their
// callbacks, then closes badger and brings the rollback record up to date.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	<-s.notifyDone
	close(s.stop)
	<-s.monitorDone
	var errs []error
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("badgerstore: close: %w", err))
		}
	}
	if err := s.record.close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// reading runs fn while holding the store and its database open, or
// returns ErrClosed. fn must not wait for the writer.
func (s *Store) reading(fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return s.dbErr
	}
	return fn()
}

// submitting runs fn, which may wait for room in the writer's queue, while
// holding the store open, or returns ErrClosed.
func (s *Store) submitting(fn func()) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	fn()
	return nil
}

// Health implements store.HealthReporter.
func (s *Store) Health() store.Health {
	h := store.Health{DiskFull: s.diskFull.Load(), ReadErrors: s.readErrors.Load()}
	if s.guard != nil {
		h.FreeBytes = s.guard.last.Load()
		h.ReserveBytes = s.guard.reserve
		h.DiskFullRefusals = s.guard.refused.Load()
	}
	return h
}

// EventCount returns the number of stored events as of the last commit
// (expired ones not yet removed included). It reads a counter: no
// database access.
func (s *Store) EventCount() int64 { return s.eventCount.Load() }

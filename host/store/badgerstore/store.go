package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on a badger database. It is safe for concurrent use.
//
// Lock order: mu, then nothing; the writer and notifier goroutines take no
// locks.
type Store struct {
	db    *badger.DB
	opts  Options
	cache *eventCache // nil when Options.CacheBytes < 0

	// mu guards closed. Submit and the readers hold it shared while they
	// use queue or db; Close takes it exclusively, so it waits for them.
	mu     sync.RWMutex
	closed bool

	queue      chan *request   // to the writer; closed by Close
	notify     chan []*request // writer to notifier, in commit order
	notifyDone chan struct{}

	serial  uint64        // last serial used; owned by the writer goroutine
	commits atomic.Uint64 // committed save transactions, for tests
	// timedCommits is commits as last reported to Options.OnCommit; the
	// writer's.
	timedCommits uint64
}

// Open opens or creates the store in dir and starts its writer.
func Open(dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	db, err := badger.Open(opts.badgerOptions(dir))
	if err != nil {
		return nil, fmt.Errorf("badgerstore: open %s: %w", dir, err)
	}
	s := &Store{
		db:         db,
		opts:       opts,
		queue:      make(chan *request, opts.QueueSize),
		notify:     make(chan []*request, 4),
		notifyDone: make(chan struct{}),
	}
	if opts.CacheBytes > 0 {
		s.cache = newEventCache(opts.CacheBytes)
	}
	if s.serial, err = s.loadSerial(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	go s.write()
	go s.notifyLoop()
	return s, nil
}

func (s *Store) loadSerial() (uint64, error) {
	var serial uint64
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaSerial)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8 {
				return errBadValue
			}
			serial = decU64(v)
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("badgerstore: read last serial: %w", err)
	}
	return serial, nil
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		done(store.ErrClosed)
		return
	}
	s.queue <- r
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
// callbacks, then closes badger.
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
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("badgerstore: close: %w", err)
	}
	return nil
}

// reading runs fn while holding the store open, or returns ErrClosed.
func (s *Store) reading(fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	return fn()
}

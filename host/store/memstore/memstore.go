// Package memstore is an in-memory store.Store for relay unit tests and
// ephemeral mode. It keeps every event in a map and answers queries by
// scanning them all: simple and correct rather than fast.
package memstore

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

var _ store.Store = (*Store)(nil)

// queueSize bounds the writes waiting for the writer goroutine.
const queueSize = 256

// Store is an in-memory store.Store. It is safe for concurrent use.
//
// Writes go through one goroutine, like badgerstore's writer, so Submit
// callbacks run in submission order from one goroutine.
type Store struct {
	// qmu guards closed and sends on queue; Close takes it exclusively.
	qmu    sync.RWMutex
	closed bool
	queue  chan request
	exited chan struct{}

	// mu guards the data below. Lock order: qmu before mu.
	mu       sync.RWMutex
	events   map[string]*entry // by id
	addrs    map[store.Address]string
	delIDs   map[deletedID]struct{}
	delAddrs map[store.Address]nostr.Timestamp
}

type entry struct {
	ev  *nostr.Event
	raw []byte
	exp int64
}

// deletedID records that pubkey asked to delete id (NIP-09). Only the
// event's own author's request counts, which Save checks.
type deletedID struct{ id, pubkey string }

// request is one queued write. A non-nil err is the result decided before
// queueing; it still goes through the queue to keep callbacks in order.
type request struct {
	ev   *nostr.Event
	raw  []byte
	err  error
	done func(error)
}

// New returns an empty Store with its writer goroutine started. Close stops it.
func New() *Store {
	s := &Store{
		queue:    make(chan request, queueSize),
		exited:   make(chan struct{}),
		events:   make(map[string]*entry),
		addrs:    make(map[store.Address]string),
		delIDs:   make(map[deletedID]struct{}),
		delAddrs: make(map[store.Address]nostr.Timestamp),
	}
	go s.run()
	return s
}

func (s *Store) run() {
	defer close(s.exited)
	for r := range s.queue {
		if r.err == nil {
			s.mu.Lock()
			r.err = s.apply(r.ev, r.raw)
			s.mu.Unlock()
		}
		r.done(r.err)
	}
}

// Save implements store.Store.
func (s *Store) Save(ctx context.Context, ev *nostr.Event, raw []byte) error {
	res := make(chan error, 1)
	s.Submit(ev, raw, func(err error) { res <- err })
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return fmt.Errorf("memstore: save %s: %w", ev.ID, ctx.Err())
	}
}

// Submit implements store.Store. After Close, done is called with
// ErrClosed before Submit returns.
func (s *Store) Submit(ev *nostr.Event, raw []byte, done func(error)) {
	err := store.CheckStorable(ev, time.Now().Unix())
	s.qmu.RLock()
	defer s.qmu.RUnlock()
	if s.closed {
		done(store.ErrClosed)
		return
	}
	s.queue <- request{ev: ev, raw: raw, err: err, done: done}
}

// Close implements store.Store. It waits for queued writes to finish.
func (s *Store) Close() error {
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return store.ErrClosed
	}
	s.closed = true
	close(s.queue)
	s.qmu.Unlock()
	<-s.exited
	return nil
}

// apply stores ev after the duplicate, deletion and replacement checks.
// s.mu must be held.
func (s *Store) apply(ev *nostr.Event, raw []byte) error {
	if _, ok := s.events[ev.ID]; ok {
		return store.ErrDuplicate
	}
	if _, ok := s.delIDs[deletedID{ev.ID, ev.PubKey}]; ok {
		return store.ErrDeleted
	}
	addr, replaceable := store.AddressOf(ev)
	if replaceable {
		if t, ok := s.delAddrs[addr]; ok && ev.CreatedAt <= t {
			return store.ErrDeleted
		}
		if oldID, ok := s.addrs[addr]; ok {
			old := s.events[oldID].ev
			if store.Before(old.CreatedAt, old.ID, ev.CreatedAt, ev.ID) {
				return store.ErrReplaced
			}
			s.remove(oldID)
		}
		s.addrs[addr] = ev.ID
	}
	s.events[ev.ID] = &entry{ev: ev, raw: append([]byte(nil), raw...), exp: store.Expiration(ev)}
	if ev.Kind == store.KindDeletion {
		s.applyDeletion(ev)
	}
	return nil
}

// applyDeletion carries out a NIP-09 request. s.mu must be held.
func (s *Store) applyDeletion(del *nostr.Event) {
	ids, addrs := store.DeletionTargets(del)
	for _, id := range ids {
		s.delIDs[deletedID{id, del.PubKey}] = struct{}{}
		// A deletion request against a deletion request has no effect (NIP-09).
		if e, ok := s.events[id]; ok && e.ev.PubKey == del.PubKey && e.ev.Kind != store.KindDeletion {
			s.remove(id)
		}
	}
	for _, a := range addrs {
		if a.PubKey != del.PubKey {
			continue
		}
		if t, ok := s.delAddrs[a]; !ok || t < del.CreatedAt {
			s.delAddrs[a] = del.CreatedAt
		}
		if id, ok := s.addrs[a]; ok && s.events[id].ev.CreatedAt <= del.CreatedAt {
			s.remove(id)
		}
	}
}

// remove drops the event id. s.mu must be held.
func (s *Store) remove(id string) {
	e, ok := s.events[id]
	if !ok {
		return
	}
	delete(s.events, id)
	if a, ok := store.AddressOf(e.ev); ok && s.addrs[a] == id {
		delete(s.addrs, a)
	}
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, f nostr.Filter, limit int, fn func(raw []byte) bool) error {
	if limit <= 0 {
		return s.checkOpen()
	}
	found, err := s.match(ctx, f)
	if err != nil {
		return err
	}
	sort.Slice(found, func(i, j int) bool {
		a, b := found[i].ev, found[j].ev
		return store.Before(a.CreatedAt, a.ID, b.CreatedAt, b.ID)
	})
	for i, e := range found {
		if i == limit || !fn(append([]byte(nil), e.raw...)) {
			break
		}
	}
	return nil
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context, f nostr.Filter) (int64, error) {
	found, err := s.match(ctx, f)
	return int64(len(found)), err
}

func (s *Store) match(ctx context.Context, f nostr.Filter) ([]*entry, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: query: %w", err)
	}
	now := time.Now().Unix()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found []*entry
	for _, e := range s.events {
		if !store.Expired(e.exp, now) && f.Matches(e.ev) {
			found = append(found, e)
		}
	}
	return found, nil
}

// DeleteExpired implements store.Store.
func (s *Store) DeleteExpired(ctx context.Context, now int64) (int, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, e := range s.events {
		if store.Expired(e.exp, now) {
			s.remove(id)
			n++
		}
	}
	return n, nil
}

func (s *Store) checkOpen() error {
	s.qmu.RLock()
	defer s.qmu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	return nil
}

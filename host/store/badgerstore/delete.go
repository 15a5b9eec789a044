package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"
)

// deleteChunk is how many events DeleteMatching removes per transaction.
const deleteChunk = 1000

// DeleteMatching deletes the stored events that match f as Query matches
// them (so not the expired ones DeleteExpired has yet to remove), newest
// first, at most f.Limit when it is positive, each with every key derived
// from it (the function replacements and NIP-09 deletions use), and returns
// how many it deleted. With dryRun it only counts them.
//
// It is an operator's purge: nothing remembers the deleted ids, so the
// same events can be stored again.
func (s *Store) DeleteMatching(ctx context.Context, f nostr.Filter, dryRun bool) (int, error) {
	n, err := s.Count(ctx, f)
	if err != nil {
		return 0, err
	}
	if f.Limit > 0 && n > int64(f.Limit) {
		n = int64(f.Limit)
	}
	if dryRun {
		return int(n), nil
	}
	// Each round deletes the newest matching events; the count bounds the
	// rounds should events come back.
	deleted, stuck := 0, false
	for int64(deleted) < n {
		chunk := int(min(int64(deleteChunk), n-int64(deleted)))
		var ids [][32]byte
		err := s.Query(ctx, f, chunk, func(raw []byte) bool {
			if id, ok := rawID(raw); ok {
				ids = append(ids, id)
			}
			return true
		})
		if err != nil || len(ids) == 0 {
			return deleted, err
		}
		done, err := s.deleteIDs(ctx, ids)
		deleted += done
		if err != nil {
			return deleted, err
		}
		if done == 0 {
			// Another deletion (a concurrent purge, a NIP-09 deletion, a
			// replacement) removed them between the query and the delete:
			// query again. The same events found twice and not deletable
			// mean indexes without their events.
			if stuck {
				return deleted, fmt.Errorf("badgerstore: delete: %d matching events could not be deleted", len(ids))
			}
			stuck = true
			continue
		}
		stuck = false
	}
	return deleted, nil
}

// deleteIDs deletes the events with these ids on the writer, and returns
// how many it found and deleted.
func (s *Store) deleteIDs(ctx context.Context, ids [][32]byte) (int, error) {
	deleted := 0
	err := s.exclusive(ctx, func() error {
		for len(ids) > 0 {
			n, done, err := s.commitIDDeletes(ids)
			deleted += n
			if err != nil {
				return err
			}
			ids = ids[done:]
		}
		return nil
	})
	return deleted, err
}

// commitIDDeletes deletes the events of a prefix of ids in one transaction.
// It returns how many it deleted and the prefix length, cutting the prefix
// short when it does not fit one transaction.
//
// The event count (meta key and rollback record) follows in the same
// transaction; on failure the in-memory counts are restored.
func (s *Store) commitIDDeletes(ids [][32]byte) (deleted, done int, err error) {
	serial, events := s.serial, s.events
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	for i := range ids {
		ok, err := s.deleteByID(txn, &ids[i])
		if errors.Is(err, badger.ErrTxnTooBig) && i > 0 {
			txn.Discard()
			s.serial, s.events = serial, events
			return s.commitIDDeletes(ids[:i])
		}
		if err != nil {
			s.serial, s.events = serial, events
			return 0, 0, fmt.Errorf("badgerstore: delete %x: %w", ids[i], err)
		}
		if ok {
			deleted++
		}
	}
	if err := s.setMeta(txn); err != nil {
		s.serial, s.events = serial, events
		if errors.Is(err, badger.ErrTxnTooBig) && len(ids) > 1 {
			txn.Discard()
			return s.commitIDDeletes(ids[:len(ids)-1])
		}
		return 0, 0, fmt.Errorf("badgerstore: delete: event count: %w", err)
	}
	if err := txn.Commit(); err != nil {
		s.serial, s.events = serial, events
		return 0, 0, fmt.Errorf("badgerstore: commit deletions: %w", err)
	}
	s.committed(0)
	return deleted, len(ids), nil
}

// deleteByID removes the event with id, if stored, with deleteEvent.
func (s *Store) deleteByID(txn *badger.Txn, id *[32]byte) (bool, error) {
	serial, found, err := getU64(txn, idKey(id))
	if err != nil || !found {
		return false, err
	}
	return true, s.deleteEvent(txn, serial)
}

// rawID reads the id of a stored event's JSON, which the relay always stores
// in go-nostr's field order ({"kind":N,"id":"<hex>",...}), falling back to
// a full parse for any other shape.
func rawID(raw []byte) ([32]byte, bool) {
	var id [32]byte
	if i := bytes.Index(raw, []byte(`,"id":"`)); i >= 0 && len(raw) >= i+7+64 {
		if decodeHex32(&id, string(raw[i+7:i+7+64])) == nil {
			return id, true
		}
	}
	var ev nostr.Event
	if ev.UnmarshalJSON(raw) != nil || decodeHex32(&id, ev.ID) != nil {
		return id, false
	}
	return id, true
}

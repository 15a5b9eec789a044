package badgerstore

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// The functions in this file run on the writer goroutine only, inside its
// read-write transaction, which also sees the transaction's own writes.

// applySave stores r.rec or sets r.err to the reason it is refused. It
// returns an error only when txn can no longer be committed as is.
func (s *Store) applySave(txn *badger.Txn, r *request) error {
	rec := r.rec
	r.err = nil
	if ok, err := exists(txn, idKey(&rec.id)); err != nil || ok {
		r.err = store.ErrDuplicate
		return err
	}
	if ok, err := exists(txn, delIDKey(&rec.id, &rec.pubkey)); err != nil || ok {
		r.err = store.ErrDeleted
		return err
	}
	if rec.addr != nil {
		refused, err := s.replace(txn, rec)
		if err != nil || refused != nil {
			r.err = refused
			return err
		}
	}
	s.serial++
	if err := s.put(txn, rec, s.serial); err != nil {
		return err
	}
	if rec.kind == store.KindDeletion {
		return s.applyDeletion(txn, rec)
	}
	return nil
}

// replace checks rec against the address's deletion record and current
// version, and removes the current version when rec supersedes it. It
// returns the refusal, if any.
func (s *Store) replace(txn *badger.Txn, rec *record) (refused error, err error) {
	until, found, err := getU64(txn, prefixed(pDelAddr, rec.addr))
	if err != nil {
		return nil, err
	}
	if found && rec.createdAt <= int64(until) {
		return store.ErrDeleted, nil
	}
	old, found, err := getU64(txn, prefixed(pAddr, rec.addr))
	if err != nil || !found {
		return nil, err
	}
	h, err := getHeader(txn, old)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil // a dangling slot; put overwrites it
	}
	if err != nil {
		return nil, err
	}
	if newerThan(&h, rec) {
		return store.ErrReplaced, nil
	}
	return nil, s.deleteEvent(txn, old)
}

// newerThan reports whether the stored h wins over rec: NIP-01 keeps the
// newest, the lower id on a created_at tie.
func newerThan(h *header, rec *record) bool {
	if h.createdAt != rec.createdAt {
		return h.createdAt > rec.createdAt
	}
	return bytes.Compare(h.id[:], rec.id[:]) < 0
}

// put writes rec under serial with all its keys.
func (s *Store) put(txn *badger.Txn, rec *record, serial uint64) error {
	ser := appendU64(nil, serial)
	if err := txn.Set(eventKey(serial), rec.value); err != nil {
		return err
	}
	if err := txn.Set(idKey(&rec.id), ser); err != nil {
		return err
	}
	for _, k := range rec.indexKeys(serial) {
		if err := txn.Set(k, nil); err != nil {
			return err
		}
	}
	if rec.addr != nil {
		if err := txn.Set(prefixed(pAddr, rec.addr), ser); err != nil {
			return err
		}
	}
	if rec.exp != 0 {
		return txn.Set(expireKey(rec.exp, serial), nil)
	}
	return nil
}

// applyDeletion carries out the NIP-09 request rec, just stored.
func (s *Store) applyDeletion(txn *badger.Txn, rec *record) error {
	for i := range rec.delIDs {
		if err := s.deleteID(txn, rec, &rec.delIDs[i]); err != nil {
			return err
		}
	}
	for _, addr := range rec.delAddrs {
		if err := s.deleteAddr(txn, rec, addr); err != nil {
			return err
		}
	}
	return nil
}

// deleteID records that rec's author asked to delete id and deletes it if
// it is theirs. A request against a deletion request has no effect.
func (s *Store) deleteID(txn *badger.Txn, rec *record, id *[32]byte) error {
	if err := txn.Set(delIDKey(id, &rec.pubkey), nil); err != nil {
		return err
	}
	serial, found, err := getU64(txn, idKey(id))
	if err != nil || !found {
		return err
	}
	h, err := getHeader(txn, serial)
	if err != nil {
		return ignoreMissing(err)
	}
	if h.pubkey != rec.pubkey || h.kind == store.KindDeletion {
		return nil
	}
	return s.deleteEvent(txn, serial)
}

// deleteAddr raises the address's deletion mark to rec's created_at and
// deletes the version stored there if it is not newer.
func (s *Store) deleteAddr(txn *badger.Txn, rec *record, addr []byte) error {
	key := prefixed(pDelAddr, addr)
	until, found, err := getU64(txn, key)
	if err != nil {
		return err
	}
	if !found || int64(until) < rec.createdAt {
		if err := txn.Set(key, appendU64(nil, uint64(rec.createdAt))); err != nil {
			return err
		}
	}
	serial, found, err := getU64(txn, prefixed(pAddr, addr))
	if err != nil || !found {
		return err
	}
	h, err := getHeader(txn, serial)
	if err != nil {
		return ignoreMissing(err)
	}
	if h.createdAt > rec.createdAt {
		return nil
	}
	return s.deleteEvent(txn, serial)
}

// deleteEvent removes the event stored under serial and all its keys. The
// keys are derived from the stored JSON, as put derived them from the event.
func (s *Store) deleteEvent(txn *badger.Txn, serial uint64) error {
	s.cache.drop(serial)
	v, err := getValue(txn, eventKey(serial))
	if err != nil {
		return ignoreMissing(err)
	}
	var ev nostr.Event
	if err := ev.UnmarshalJSON(v[headerLen:]); err != nil {
		return fmt.Errorf("badgerstore: event %d: %w", serial, err)
	}
	rec, err := newRecord(&ev, nil, false)
	if err != nil {
		return fmt.Errorf("badgerstore: event %d: %w", serial, err)
	}
	keys := append(rec.indexKeys(serial), eventKey(serial), idKey(&rec.id))
	if rec.exp != 0 {
		keys = append(keys, expireKey(rec.exp, serial))
	}
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	if rec.addr == nil {
		return nil
	}
	// The slot may already point at the version replacing this one.
	addrKey := prefixed(pAddr, rec.addr)
	if cur, found, err := getU64(txn, addrKey); err != nil || !found || cur != serial {
		return err
	}
	return txn.Delete(addrKey)
}

func exists(txn *badger.Txn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// getU64 reads an 8-byte big-endian value.
func getU64(txn *badger.Txn, key []byte) (v uint64, found bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	err = item.Value(func(b []byte) error {
		if len(b) != 8 {
			return errBadValue
		}
		v = decU64(b)
		return nil
	})
	return v, err == nil, err
}

func getValue(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

func getHeader(txn *badger.Txn, serial uint64) (header, error) {
	item, err := txn.Get(eventKey(serial))
	if err != nil {
		return header{}, err
	}
	var h header
	err = item.Value(func(v []byte) error {
		var derr error
		h, derr = decodeHeader(v)
		return derr
	})
	return h, err
}

func ignoreMissing(err error) error {
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	return err
}

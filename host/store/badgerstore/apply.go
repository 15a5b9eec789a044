package badgerstore

import (
	"bytes"
	"encoding/hex"
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
	if banned, err := s.bans.has(txn, &rec.id); err != nil || banned {
		r.err = store.ErrBanned
		return err
	}
	if dup, err := s.storedCopy(txn, rec); err != nil || dup {
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
	s.events++
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
	h, found, err := getHeader(txn, old)
	if !found {
		return nil, nil // a dangling slot; put overwrites it
	}
	if err != nil {
		// The current version is unreadable: rec takes its place.
		return nil, s.deleteEvent(txn, old)
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
	h, found, err := getHeader(txn, serial)
	if !found {
		return nil
	}
	// An unreadable event has no author to check against: it goes.
	if err == nil && (h.pubkey != rec.pubkey || h.kind == store.KindDeletion) {
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
	h, found, err := getHeader(txn, serial)
	if !found || (err == nil && h.createdAt > rec.createdAt) {
		return nil
	}
	return s.deleteEvent(txn, serial)
}

// deleteEvent removes the event stored under serial and all its keys. The
// keys are derived from the stored JSON, as put derived them from the event.
// An event that cannot be read is removed alone and its serial marked lost
// (lostKey): its index keys cannot be derived, and queries skip them.
func (s *Store) deleteEvent(txn *badger.Txn, serial uint64) error {
	s.cache.drop(serial)
	v, found, err := readEvent(txn, serial)
	if !found {
		return nil
	}
	var rec *record
	if err == nil {
		rec, err = recordOf(v)
	}
	if err != nil {
		s.log.Warn("badgerstore: removing an unreadable event; its serial is marked lost", "serial", serial, "err", err)
		if err := txn.Delete(eventKey(serial)); err != nil {
			return err
		}
		s.events--
		return txn.Set(lostKey(serial), nil)
	}
	s.events--
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

// storedCopy reports whether rec is already stored, readable. When its id
// key points at an event that is missing or unreadable, the copy is lost:
// its keys (the same as rec's) are removed so that rec is stored again.
func (s *Store) storedCopy(txn *badger.Txn, rec *record) (bool, error) {
	serial, found, err := getU64(txn, idKey(&rec.id))
	if err != nil || !found {
		return false, err
	}
	v, found, err := readEvent(txn, serial)
	if err == nil && found {
		if h, _ := decodeHeader(v); h.id == rec.id {
			return true, nil
		}
		err = fmt.Errorf("badgerstore: event %d holds another id: %w", serial, store.ErrCorrupt)
	}
	if !found {
		err = fmt.Errorf("badgerstore: event %d is indexed but missing: %w", serial, store.ErrCorrupt)
	}
	s.log.Warn("badgerstore: the stored copy of a re-published event is lost; storing it again",
		"id", hex.EncodeToString(rec.id[:]), "serial", serial, "err", err)
	s.cache.drop(serial)
	keys := append(rec.indexKeys(serial), eventKey(serial))
	if rec.exp != 0 {
		keys = append(keys, expireKey(rec.exp, serial))
	}
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return false, err
		}
	}
	if found {
		s.events--
	}
	return false, nil
}

// readEvent reads the value stored under serial. found reports whether the
// event key exists; err, that its value cannot be read back intact.
// Badger does not report a failed value read (it logs it and returns no
// value), so an empty value is a failed read.
func readEvent(txn *badger.Txn, serial uint64) (v []byte, found bool, err error) {
	item, err := txn.Get(eventKey(serial))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	if v, err = item.ValueCopy(nil); err != nil {
		return nil, true, err
	}
	if _, err := decodeHeader(v); err != nil {
		return nil, true, fmt.Errorf("badgerstore: event %d: %w", serial, err)
	}
	return v, true, nil
}

// recordOf rebuilds the record of a stored event value, for its keys.
func recordOf(v []byte) (*record, error) {
	var ev nostr.Event
	if err := ev.UnmarshalJSON(v[headerLen:]); err != nil {
		return nil, fmt.Errorf("badgerstore: stored event JSON: %v: %w", err, store.ErrCorrupt)
	}
	return newRecord(&ev, nil, false)
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

// getHeader reads the header of the event stored under serial, with
// readEvent's found and err.
func getHeader(txn *badger.Txn, serial uint64) (header, bool, error) {
	v, found, err := readEvent(txn, serial)
	if err != nil || !found {
		return header{}, found, err
	}
	h, err := decodeHeader(v)
	return h, true, err
}

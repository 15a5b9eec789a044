package badgerstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/relayd/relayd/host/store"
)

// Operator bans and host settings (NIP-86, host/manage), each in its own
// key family beside the events:
//
//	0x11 id(32)                       -> reason                   (banned event ids)
//	0x12 name                         -> value                    (host settings: NIP-11 overrides)
//
// A banned id is refused by every save, whatever its source (a client's
// EVENT, an import, a sync), with store.ErrBanned, checked in the writer's
// transaction before anything else, like a NIP-09 deletion but for any
// author and until the operator lifts it. Banning deletes the stored
// event in the same commit. Like the plugin state, these keys are
// invisible to every event operation and operator tool, which walk the
// event and index prefixes by name; backups carry them.

var _ store.Admin = (*Store)(nil)

// Key prefixes of this file. Stored on disk: never renumber.
const (
	pBan  byte = 0x11
	pHost byte = 0x12
)

func banKey(id *[32]byte) []byte { return append([]byte{pBan}, id[:]...) }

// banSet is the banned ids, read from the store at the writer's first
// save and kept by the writer, which alone bans and allows: a save looks
// the id up in memory instead of reading a key (bans are few; saves are
// the ingest rate). Writer only.
type banSet struct {
	ids    map[[32]byte]struct{}
	loaded bool
}

// has reports whether id is banned, loading the set through txn first.
func (b *banSet) has(txn *badger.Txn, id *[32]byte) (bool, error) {
	if !b.loaded {
		ids := map[[32]byte]struct{}{}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pBan}})
		for it.Rewind(); it.Valid(); it.Next() {
			if k := it.Item().Key(); len(k) == 33 {
				ids[[32]byte(k[1:])] = struct{}{}
			}
		}
		it.Close()
		b.ids, b.loaded = ids, true
	}
	_, ok := b.ids[*id]
	return ok, nil
}

// set records a committed ban (on) or allow (off), once loaded.
func (b *banSet) set(id [32]byte, on bool) {
	if !b.loaded {
		return // the load will read it
	}
	if on {
		b.ids[id] = struct{}{}
	} else {
		delete(b.ids, id)
	}
}

// BanEvent implements store.Admin: in one durable commit it records the
// ban of id with reason and deletes the stored event with that id, if
// any, which deleted reports.
func (s *Store) BanEvent(ctx context.Context, id [32]byte, reason string) (deleted bool, err error) {
	err = s.exclusive(ctx, func() error {
		serial, events := s.serial, s.events
		txn := s.db.NewTransaction(true)
		defer txn.Discard()
		err := txn.Set(banKey(&id), []byte(reason))
		if err == nil {
			deleted, err = s.deleteByID(txn, &id)
		}
		if err == nil && deleted {
			s.serial++ // a commit that changes the count takes a serial (commitDeletes)
			err = s.setMeta(txn)
		}
		if err == nil {
			err = txn.Commit()
		}
		if err != nil {
			s.serial, s.events = serial, events
			return err
		}
		s.bans.set(id, true)
		if deleted {
			s.committed(0)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("badgerstore: ban event %x: %w", id, err)
	}
	return deleted, nil
}

// AllowEvent implements store.Admin: it lifts the ban of id, durably, and
// reports whether there was one.
func (s *Store) AllowEvent(ctx context.Context, id [32]byte) (found bool, err error) {
	err = s.exclusive(ctx, func() error {
		err := s.db.Update(func(txn *badger.Txn) error {
			if found, err = exists(txn, banKey(&id)); err != nil || !found {
				return err
			}
			return txn.Delete(banKey(&id))
		})
		if err == nil {
			s.bans.set(id, false)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("badgerstore: allow event %x: %w", id, err)
	}
	return found, nil
}

// BannedEvents implements store.Admin: the banned ids in ascending order,
// with their reasons.
func (s *Store) BannedEvents(ctx context.Context) ([]store.Ban, error) {
	var out []store.Ban
	err := s.reading(func() error {
		return s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pBan}, PrefetchValues: true, PrefetchSize: 64})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				item := it.Item()
				if len(item.Key()) != 33 {
					continue
				}
				v, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				out = append(out, store.Ban{ID: [32]byte(item.Key()[1:]), Reason: string(v)})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("badgerstore: banned events: %w", err)
	}
	return out, nil
}

// HostSetting implements store.Admin: the value of the host setting name
// and whether it is set.
func (s *Store) HostSetting(name string) (value string, found bool, err error) {
	err = s.reading(func() error {
		return s.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get(append([]byte{pHost}, name...))
			if errors.Is(err, badger.ErrKeyNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			v, err := item.ValueCopy(nil)
			value, found = string(v), err == nil
			return err
		})
	})
	if err != nil {
		return "", false, fmt.Errorf("badgerstore: host setting %s: %w", name, err)
	}
	return value, found, nil
}

// SetHostSetting implements store.Admin: it sets the host setting name to
// value, durably.
func (s *Store) SetHostSetting(ctx context.Context, name, value string) error {
	if name == "" {
		return errors.New("badgerstore: host setting: empty name")
	}
	err := s.exclusive(ctx, func() error {
		return s.db.Update(func(txn *badger.Txn) error {
			return txn.Set(append([]byte{pHost}, name...), []byte(value))
		})
	})
	if err != nil {
		return fmt.Errorf("badgerstore: set host setting %s: %w", name, err)
	}
	return nil
}

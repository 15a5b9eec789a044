package badgerstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/dgraph-io/badger/v4"
)

// repairTxnKeys bounds the keys one repair transaction writes, well under
// badger's transaction limit (about 15% of a memtable) even for events with
// the most tags a relay accepts.
const repairTxnKeys = 8192

// Repair rebuilds every index from the stored events, on the writer: it
// drops all index entries (NIP-09 deletion records are kept), then reads
// the events in serial order and writes each sound event's entries again.
// It drops, reporting each, the events that cannot be read or do not match
// their id, the second copy of an id stored twice, and the older version
// of an address held twice (NIP-01: the newer wins). The last serial is
// raised to the highest one found. Repair is idempotent: an interrupted one
// is finished by running it again.
func (s *Store) Repair(ctx context.Context, report func(Problem)) (CheckResult, error) {
	rp := &repairer{s: s, ctx: ctx, res: CheckResult{Problems: map[ProblemKind]int64{}}, report: report}
	err := s.exclusive(ctx, rp.run)
	if err != nil {
		return rp.res, fmt.Errorf("badgerstore: repair: %w", err)
	}
	return rp.res, nil
}

// repairer is the state of one Repair, on the writer goroutine.
type repairer struct {
	s      *Store
	ctx    context.Context
	txn    *badger.Txn
	keys   int // keys written in txn
	res    CheckResult
	report func(Problem)
}

func (rp *repairer) add(p Problem) {
	rp.res.Problems[p.Kind]++
	if rp.report != nil {
		rp.report(p)
	}
}

func (rp *repairer) run() error {
	s := rp.s
	prefixes := make([][]byte, len(indexPrefixes))
	for i, p := range indexPrefixes {
		prefixes[i] = []byte{p}
	}
	if err := s.db.DropPrefix(prefixes...); err != nil {
		return fmt.Errorf("drop indexes: %w", err)
	}
	rp.txn = s.db.NewTransaction(true)
	defer func() { rp.txn.Discard() }()
	maxSerial := s.serial
	err := s.db.View(func(read *badger.Txn) error {
		it := read.NewIterator(badger.IteratorOptions{Prefix: []byte{pEvent}, PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := rp.ctx.Err(); err != nil {
				return err
			}
			key := it.Item().KeyCopy(nil)
			if len(key) != 9 {
				rp.add(Problem{Kind: ProblemBadEvent, Detail: fmt.Sprintf("malformed event key %x; dropped", key)})
				if err := rp.drop(key, 0); err != nil {
					return err
				}
				continue
			}
			serial := decU64(key[1:])
			maxSerial = max(maxSerial, serial)
			if err := rp.event(it.Item(), serial); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The meta keys and the rollback record follow the rebuilt store: the
	// highest serial found and the events kept.
	s.serial = max(s.serial, maxSerial)
	s.events = rp.res.Events
	if err := s.setMeta(rp.txn); err != nil {
		return err
	}
	return rp.commit()
}

// event rebuilds the entries of one stored event, or drops it.
func (rp *repairer) event(item *badger.Item, serial uint64) error {
	v, err := item.ValueCopy(nil)
	var (
		rec        *record
		id, detail string
	)
	if err != nil {
		detail = "unreadable: " + err.Error()
	} else {
		rec, id, detail = inspect(v)
	}
	if detail != "" {
		rp.add(Problem{Kind: ProblemBadEvent, Serial: serial, ID: id, Detail: detail + "; dropped"})
		return rp.drop(eventKey(serial), serial)
	}
	if err := rp.room(len(rec.tags) * 2); err != nil {
		return err
	}
	keep, err := rp.resolve(rec, serial, id)
	if err != nil || !keep {
		return err
	}
	ser := appendU64(nil, serial)
	keys := rec.indexKeys(serial)
	if rec.exp != 0 {
		keys = append(keys, expireKey(rec.exp, serial))
	}
	for _, k := range keys {
		if err := rp.txn.Set(k, nil); err != nil {
			return err
		}
	}
	if err := rp.txn.Set(idKey(&rec.id), ser); err != nil {
		return err
	}
	n := len(keys) + 1
	if rec.addr != nil {
		if err := rp.txn.Set(prefixed(pAddr, rec.addr), ser); err != nil {
			return err
		}
		n++
	}
	rp.keys += n
	rp.res.Events++
	rp.res.IndexEntries += int64(n)
	return nil
}

// resolve decides between rec and an event already reindexed with the same
// id (the first one stays) or the same address (the newer one stays, as
// replace decides). It reports false when rec is dropped.
func (rp *repairer) resolve(rec *record, serial uint64, id string) (bool, error) {
	cur, found, err := getU64(rp.txn, idKey(&rec.id))
	if err != nil {
		return false, err
	}
	if found && cur != serial {
		rp.add(Problem{Kind: ProblemDuplicateID, Serial: serial, ID: id, Detail: "also stored as serial " + strconv.FormatUint(cur, 10) + "; dropped"})
		return false, rp.drop(eventKey(serial), serial)
	}
	if rec.addr == nil {
		return true, nil
	}
	cur, found, err = getU64(rp.txn, prefixed(pAddr, rec.addr))
	if err != nil || !found || cur == serial {
		return err == nil, err
	}
	h, found, err := getHeader(rp.txn, cur)
	if err == nil && !found {
		return true, nil // a dangling slot: rec takes it
	}
	if err != nil {
		return false, err
	}
	if newerThan(&h, rec) {
		rp.add(Problem{Kind: ProblemAddressTwice, Serial: serial, ID: id,
			Detail: "serial " + strconv.FormatUint(cur, 10) + " holds a newer version; dropped"})
		return false, rp.drop(eventKey(serial), serial)
	}
	rp.add(Problem{Kind: ProblemAddressTwice, Serial: cur, ID: hex.EncodeToString(h.id[:]),
		Detail: "serial " + strconv.FormatUint(serial, 10) + " holds a newer version; dropped"})
	rp.res.Events--
	rp.res.Dropped++
	return true, rp.s.deleteEvent(rp.txn, cur)
}

// drop removes one event value whose index entries are not written.
func (rp *repairer) drop(key []byte, serial uint64) error {
	rp.s.cache.drop(serial)
	rp.res.Dropped++
	rp.keys++
	return rp.txn.Delete(key)
}

// room commits the transaction when n more keys might not fit it.
func (rp *repairer) room(n int) error {
	if rp.keys+n+32 < repairTxnKeys {
		return nil
	}
	if err := rp.commit(); err != nil {
		return err
	}
	rp.txn = rp.s.db.NewTransaction(true)
	rp.keys = 0
	return nil
}

func (rp *repairer) commit() error {
	if err := rp.txn.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	rp.s.committed(0)
	return nil
}

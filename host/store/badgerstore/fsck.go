package badgerstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"
)

// ProblemKind names what Check found wrong with a store.
type ProblemKind uint8

// The problems.
const (
	// ProblemBadEvent: a stored event cannot be read, does not parse, does
	// not match its id, or its value header does not describe it.
	ProblemBadEvent ProblemKind = 1
	// ProblemMissingIndex: an event lacks one of its index entries.
	ProblemMissingIndex ProblemKind = 2
	// ProblemDanglingIndex: an index entry points at no event.
	ProblemDanglingIndex ProblemKind = 3
	// ProblemExtraIndex: index entries point at events they do not
	// describe (counted, not listed one by one).
	ProblemExtraIndex ProblemKind = 4
	// ProblemAddressTwice: two stored events hold one replaceable or
	// addressable address.
	ProblemAddressTwice ProblemKind = 5
	// ProblemDuplicateID: one event id is stored twice.
	ProblemDuplicateID ProblemKind = 6
)

// String returns the problem's name.
func (k ProblemKind) String() string {
	switch k {
	case ProblemBadEvent:
		return "bad event"
	case ProblemMissingIndex:
		return "missing index entry"
	case ProblemDanglingIndex:
		return "dangling index entry"
	case ProblemExtraIndex:
		return "extra index entries"
	case ProblemAddressTwice:
		return "address held twice"
	case ProblemDuplicateID:
		return "duplicate id"
	}
	return "unknown problem"
}

// Problem is one thing Check found wrong, or Repair did about it.
type Problem struct {
	Kind ProblemKind
	// Serial is the store's internal number of the event concerned (0 if
	// none).
	Serial uint64
	// ID is the event id in hex, when it could be read.
	ID string
	// Index names the index of an index problem: id, author, kind,
	// author-kind, tag, time, address, expiration.
	Index string
	// Detail says more, in lowercase.
	Detail string
}

// String formats p on one line.
func (p Problem) String() string {
	s := p.Kind.String()
	if p.Index != "" {
		s += " (" + p.Index + ")"
	}
	if p.Serial != 0 {
		s += " serial " + strconv.FormatUint(p.Serial, 10)
	}
	if p.ID != "" {
		s += " id " + p.ID
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// CheckResult sums up a Check or a Repair.
type CheckResult struct {
	// Events is the number of events read by Check, kept by Repair.
	Events int64
	// IndexEntries is the number of index entries read by Check, written
	// by Repair.
	IndexEntries int64
	// Problems counts the problems reported, by kind.
	Problems map[ProblemKind]int64
	// Dropped is the number of events Repair removed.
	Dropped int64
}

// Total returns the number of problems reported.
func (r CheckResult) Total() int64 {
	var n int64
	for _, c := range r.Problems {
		n += c
	}
	return n
}

// indexPrefixes are the key families derived from events, which Repair
// rebuilds. NIP-09 deletion records (pDelID, pDelAddr) are not derived from
// stored events alone and are left as they are.
var indexPrefixes = [...]byte{pID, pKind, pAuthKind, pTag, pTime, pAddr, pExpire}

func indexName(p byte) string {
	switch p {
	case pID:
		return "id"
	case pAuthor:
		return "author"
	case pKind:
		return "kind"
	case pAuthKind:
		return "author-kind"
	case pTag:
		return "tag"
	case pTime:
		return "time"
	case pAddr:
		return "address"
	case pExpire:
		return "expiration"
	}
	return fmt.Sprintf("0x%02x", p)
}

// inspect decodes and checks one stored event value: its header, its JSON,
// its id, and that the header describes the JSON. It returns the event's
// record (without value), its hex id when readable, and a problem detail
// ("" when the event is sound).
func inspect(v []byte) (rec *record, id, detail string) {
	h, err := decodeHeader(v)
	if err != nil {
		return nil, "", "unreadable value header"
	}
	id = hex.EncodeToString(h.id[:])
	var ev nostr.Event
	if err := ev.UnmarshalJSON(v[headerLen:]); err != nil {
		return nil, id, "event JSON does not parse: " + err.Error()
	}
	if !ev.CheckID() {
		return nil, id, "event does not match its id"
	}
	if rec, err = newRecord(&ev, nil, false); err != nil {
		return nil, id, err.Error()
	}
	if rec.header != h {
		return nil, id, "value header does not describe the event"
	}
	return rec, ev.ID, ""
}

// Check verifies the whole store without changing it: every stored event
// parses and matches its id and header; every event has all its index
// entries; every index entry points at an event; no address is held twice
// and no id stored twice. It calls report for each problem as it finds it.
func (s *Store) Check(ctx context.Context, report func(Problem)) (CheckResult, error) {
	c := &checker{ctx: ctx, res: CheckResult{Problems: map[ProblemKind]int64{}}, bad: map[uint64]bool{}, report: report}
	err := s.reading(func() error {
		return s.db.View(func(txn *badger.Txn) error {
			c.txn = txn
			if err := c.events(); err != nil {
				return err
			}
			return c.indexes()
		})
	})
	if err != nil {
		return c.res, fmt.Errorf("badgerstore: check: %w", err)
	}
	return c.res, nil
}

// checker is the state of one Check.
type checker struct {
	ctx    context.Context
	txn    *badger.Txn
	res    CheckResult
	bad    map[uint64]bool // serials of bad events, whose entries are not checked
	found  int64           // index entries of sound events found where expected
	report func(Problem)
}

func (c *checker) add(p Problem) {
	c.res.Problems[p.Kind]++
	if c.report != nil {
		c.report(p)
	}
}

// events reads every event and looks up the index entries it should have.
func (c *checker) events() error {
	it := c.txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pEvent}, PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if c.res.Events%1024 == 0 && c.ctx.Err() != nil {
			return c.ctx.Err()
		}
		k := it.Item().Key()
		if len(k) != 9 {
			c.add(Problem{Kind: ProblemBadEvent, Detail: fmt.Sprintf("malformed event key %x", k)})
			continue
		}
		serial := decU64(k[1:])
		c.res.Events++
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			c.bad[serial] = true
			c.add(Problem{Kind: ProblemBadEvent, Serial: serial, Detail: "unreadable: " + err.Error()})
			continue
		}
		rec, id, detail := inspect(v)
		if detail != "" {
			c.bad[serial] = true
			c.add(Problem{Kind: ProblemBadEvent, Serial: serial, ID: id, Detail: detail})
			continue
		}
		if err := c.eventKeys(rec, serial, id); err != nil {
			return err
		}
	}
	return nil
}

// eventKeys looks up the index entries of the sound event rec.
func (c *checker) eventKeys(rec *record, serial uint64, id string) error {
	keys := rec.indexKeys(serial)
	if rec.exp != 0 {
		keys = append(keys, expireKey(rec.exp, serial))
	}
	for _, k := range keys {
		ok, err := exists(c.txn, k)
		if err != nil {
			return err
		}
		if !ok {
			c.add(Problem{Kind: ProblemMissingIndex, Serial: serial, ID: id, Index: indexName(k[0])})
			continue
		}
		c.found++
	}
	if err := c.pointer(idKey(&rec.id), serial, id, func(o *record) bool { return o.id == rec.id }, ProblemDuplicateID); err != nil {
		return err
	}
	if rec.addr == nil {
		return nil
	}
	return c.pointer(prefixed(pAddr, rec.addr), serial, id, func(o *record) bool { return string(o.addr) == string(rec.addr) }, ProblemAddressTwice)
}

// pointer checks an entry that maps to one serial (id, address) for the
// event serial: missing, pointing at it, or pointing at another event that
// has the same id or address (the problem twice), or at something else.
func (c *checker) pointer(key []byte, serial uint64, id string, same func(*record) bool, twice ProblemKind) error {
	cur, found, err := getU64(c.txn, key)
	switch {
	case err != nil:
		return err
	case !found:
		c.add(Problem{Kind: ProblemMissingIndex, Serial: serial, ID: id, Index: indexName(key[0])})
		return nil
	case cur == serial:
		c.found++
		return nil
	}
	if v, found, err := readEvent(c.txn, cur); err == nil && found {
		if other, _, detail := inspect(v); detail == "" && same(other) {
			c.add(Problem{Kind: twice, Serial: serial, ID: id, Detail: "also held by serial " + strconv.FormatUint(cur, 10)})
			return nil
		}
	}
	c.add(Problem{Kind: ProblemMissingIndex, Serial: serial, ID: id, Index: indexName(key[0]),
		Detail: "entry points at serial " + strconv.FormatUint(cur, 10)})
	return nil
}

// indexes reads every index entry and checks that its event exists; the
// entries of sound events beyond those found by events are extra.
func (c *checker) indexes() error {
	var valid int64
	for _, p := range indexPrefixes {
		it := c.txn.NewIterator(badger.IteratorOptions{Prefix: []byte{p}})
		for it.Rewind(); it.Valid(); it.Next() {
			if c.res.IndexEntries%4096 == 0 && c.ctx.Err() != nil {
				it.Close()
				return c.ctx.Err()
			}
			c.res.IndexEntries++
			serial, err := entrySerial(it.Item())
			if err != nil {
				c.add(Problem{Kind: ProblemDanglingIndex, Index: indexName(p), Detail: fmt.Sprintf("malformed entry %x", it.Item().Key())})
				continue
			}
			if c.bad[serial] {
				continue // reported with its event
			}
			ok, err := exists(c.txn, eventKey(serial))
			if err != nil {
				it.Close()
				return err
			}
			if !ok {
				c.add(Problem{Kind: ProblemDanglingIndex, Serial: serial, Index: indexName(p), Detail: fmt.Sprintf("entry %x", it.Item().Key())})
				continue
			}
			valid++
		}
		it.Close()
	}
	if extra := valid - c.found; extra > 0 {
		c.add(Problem{Kind: ProblemExtraIndex, Detail: strconv.FormatInt(extra, 10) + " index entries point at events they do not describe"})
	}
	return nil
}

// entrySerial returns the serial an index entry points at.
func entrySerial(item *badger.Item) (uint64, error) {
	k := item.Key()
	switch k[0] {
	case pID, pAddr:
		var serial uint64
		err := item.Value(func(v []byte) error {
			if len(v) != 8 {
				return errBadValue
			}
			serial = decU64(v)
			return nil
		})
		return serial, err
	case pExpire:
		if len(k) != 17 {
			return 0, errBadValue
		}
		return decU64(k[9:]), nil
	}
	if len(k) < 1+suffixLn {
		return 0, errBadValue
	}
	_, serial := splitSuffix(k)
	return serial, nil
}

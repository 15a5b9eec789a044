package badgerstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// maxAuthorKindPairs is the most author×kind pairs a filter with authors and
// kinds iterates without first looking up which kinds each author has;
// above it only the pairs that exist are iterated.
const maxAuthorKindPairs = 1024

// Query implements store.Store. Search is ignored: the store has no NIP-50
// index. fn runs inside a badger read transaction, and Close waits for
// running queries, so fn should not block for long.
func (s *Store) Query(ctx context.Context, f nostr.Filter, limit int, fn func(raw []byte) bool) error {
	return s.reading(func() error {
		if limit <= 0 {
			return nil
		}
		_, err := s.scan(ctx, f, limit, true, fn)
		return err
	})
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context, f nostr.Filter) (int64, error) {
	var n int64
	err := s.reading(func() error {
		_, err := s.scan(ctx, f, math.MaxInt, false, func([]byte) bool { n++; return true })
		return err
	})
	return n, err
}

// hit is one matching event.
type hit struct {
	createdAt int64
	id        [32]byte
	raw       []byte
}

func hitOrder(a, b hit) int {
	if a.createdAt != b.createdAt {
		if a.createdAt > b.createdAt {
			return -1
		}
		return 1
	}
	return bytes.Compare(a.id[:], b.id[:])
}

// scan runs the query in one read transaction. fn gets a copy of each
// event's JSON when withRaw is set, and nil otherwise. It returns how many
// events it read, matching or not.
//
// A read that fails (damaged data: store.ErrCorrupt) fails the query, and
// so does a panic below scan, which is turned into an error: a damaged
// table must cost one query, not the process. A panic in fn is fn's and
// goes on.
func (s *Store) scan(ctx context.Context, f nostr.Filter, limit int, withRaw bool, fn func([]byte) bool) (_ int, err error) {
	m := compile(f, time.Now().Unix())
	if m.none {
		return 0, nil
	}
	q := &scanner{ctx: ctx, m: m, limit: limit, withRaw: withRaw, fn: fn, cache: s.cache}
	defer s.endScan(q, f, &err)
	err = s.db.View(func(txn *badger.Txn) error {
		q.txn = txn
		if m.ids != nil {
			return q.byIDs()
		}
		return q.merge(prefixes(txn, m))
	})
	if err != nil {
		return q.loaded, fmt.Errorf("badgerstore: query %v: %w", f, err)
	}
	return q.loaded, nil
}

// endScan, deferred by scan, turns a panic below scan into *err and counts
// failed reads. A panic in the query's callback is not the store's: it
// goes on up.
func (s *Store) endScan(q *scanner, f nostr.Filter, err *error) {
	if p := recover(); p != nil {
		if q.inFn {
			panic(p)
		}
		s.log.Error("badgerstore: panic in a query", "filter", f, "panic", p, "stack", string(debug.Stack()))
		*err = fmt.Errorf("badgerstore: query %v: panic: %v: %w", f, p, store.ErrCorrupt)
	}
	if *err != nil && q.ctx.Err() == nil {
		s.readErrors.Add(1)
	}
}

// prefixes picks the most selective index for m and returns the key
// prefixes to iterate: authors and kinds, authors (on the author-kind
// index, the kinds each author has), a tag, kinds, or time.
func prefixes(txn *badger.Txn, m *matcher) [][]byte {
	var out [][]byte
	switch {
	case m.authors != nil && m.kinds != nil && len(m.authors)*len(m.kinds) <= maxAuthorKindPairs:
		for pk := range m.authors {
			for k := range m.kinds {
				out = append(out, authKindPrefix(&pk, k))
			}
		}
	case m.authors != nil:
		for pk := range m.authors {
			for _, k := range authorKinds(txn, &pk) {
				if _, ok := m.kinds[k]; ok || m.kinds == nil {
					out = append(out, authKindPrefix(&pk, k))
				}
			}
		}
	case len(m.singleLetterTags()) > 0:
		name := m.singleLetterTags()[0]
		m.indexed = name
		for _, v := range m.tags[name] {
			out = append(out, tagPrefix(name[0], tagHash(v)))
		}
	case m.kinds != nil:
		for k := range m.kinds {
			out = append(out, kindPrefix(k))
		}
	default:
		out = append(out, timePrefix())
	}
	// Authors sharing 8-byte prefixes, or repeated tag values, give the same
	// prefix twice.
	slices.SortFunc(out, bytes.Compare)
	return slices.CompactFunc(out, bytes.Equal)
}

// scanner is the state of one query.
type scanner struct {
	ctx     context.Context
	txn     *badger.Txn
	m       *matcher
	limit   int
	withRaw bool
	fn      func([]byte) bool
	cache   *eventCache
	emitted int
	loaded  int      // events read
	stop    bool     // fn returned false
	inFn    bool     // fn is running
	last    [32]byte // id of the last event emitted
}

// byIDs answers a filter with ids by point lookups.
func (q *scanner) byIDs() error {
	var hits []hit
	for id := range q.m.ids {
		serial, found, err := getU64(q.txn, idKey(&id))
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if h, ok, err := q.load(serial); err != nil {
			return err
		} else if ok {
			hits = append(hits, h)
		}
	}
	slices.SortFunc(hits, hitOrder)
	q.emit(hits)
	return nil
}

// load reads the event stored under serial and returns it if it matches.
//
// Every index key has its event: they are written and deleted in one
// transaction. So an index key whose event is missing means a damaged
// table (badger reports a block that fails its checksum as missing keys),
// unless the serial was marked lost when its unreadable event was removed.
func (q *scanner) load(serial uint64) (hit, bool, error) {
	if v, cached := q.cache.get(serial); cached {
		q.loaded++
		return q.check(serial, v)
	}
	v, found, err := readEvent(q.txn, serial)
	if !found {
		if lost, lerr := exists(q.txn, lostKey(serial)); lerr != nil || lost {
			return hit{}, false, lerr
		}
		return hit{}, false, fmt.Errorf("badgerstore: event %d is indexed but missing: %w", serial, store.ErrCorrupt)
	}
	if err != nil {
		return hit{}, false, err
	}
	q.loaded++
	h, ok, err := q.check(serial, v)
	if err == nil {
		q.cache.put(serial, v)
	}
	return h, ok, err
}

// check matches one event value (header and JSON) against the filter.
func (q *scanner) check(serial uint64, v []byte) (hit, bool, error) {
	hd, ok, err := q.m.match(v)
	if err != nil {
		return hit{}, false, fmt.Errorf("badgerstore: event %d: %w", serial, err)
	}
	if !ok {
		return hit{}, false, nil
	}
	h := hit{createdAt: hd.createdAt, id: hd.id}
	if q.withRaw {
		h.raw = bytes.Clone(v[headerLen:])
	}
	return h, true, nil
}

// emit passes hits, already in order, to fn until the limit. An event
// indexed under two serials (which only damage can cause) is emitted once:
// the copies are neighbours in the order.
func (q *scanner) emit(hits []hit) {
	for _, h := range hits {
		if q.stop || q.emitted >= q.limit {
			return
		}
		if q.emitted > 0 && h.id == q.last {
			continue
		}
		q.emitted++
		q.last = h.id
		q.inFn = true
		q.stop = !q.fn(h.raw)
		q.inFn = false
	}
}

func (q *scanner) done() bool { return q.stop || q.emitted >= q.limit }

// merge iterates every prefix newest first at once, and emits the matching
// events one created_at at a time, sorted by id within it.
func (q *scanner) merge(prefixes [][]byte) error {
	var heap cursorHeap
	defer heap.close()
	for _, p := range prefixes {
		c := &cursor{it: q.txn.NewIterator(badger.IteratorOptions{Prefix: p})}
		heap.all = append(heap.all, c)
		c.it.Seek(seekKey(p, q.m.until))
		if c.read(q.m.since) {
			heap.push(c)
		}
	}
	var (
		serials []uint64
		hits    []hit
	)
	for len(heap.h) > 0 && !q.done() {
		if err := q.ctx.Err(); err != nil {
			return err
		}
		serials = heap.popGroup(serials[:0], q.m.since)
		slices.Sort(serials)
		serials = slices.Compact(serials)
		hits = hits[:0]
		for _, serial := range serials {
			h, ok, err := q.load(serial)
			if err != nil {
				return err
			}
			if ok {
				hits = append(hits, h)
			}
		}
		slices.SortFunc(hits, hitOrder)
		q.emit(hits)
	}
	return nil
}

// authorKinds returns the kinds the author (by the first 8 bytes of the
// pubkey) has events of, from the author-kind index: one seek per kind,
// not one step per event.
func authorKinds(txn *badger.Txn, pubkey *[32]byte) []uint32 {
	p := append([]byte{pAuthKind}, pubkey[:pk8Len]...)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
	defer it.Close()
	var kinds []uint32
	next := make([]byte, len(p), len(p)+4)
	copy(next, p)
	for it.Seek(p); it.Valid(); {
		k := it.Item().Key()
		if len(k) < len(p)+4 {
			it.Next()
			continue
		}
		kind := binary.BigEndian.Uint32(k[len(p):])
		kinds = append(kinds, kind)
		if kind == math.MaxUint32 {
			break
		}
		it.Seek(appendU32(next[:len(p)], kind+1))
	}
	return kinds
}

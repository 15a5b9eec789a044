package badgerstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Stats describe what a store holds.
type Stats struct {
	// Events is the number of stored events (expired ones not yet removed
	// included).
	Events int64
	// Authors is the number of distinct authors, told apart by the first 8
	// bytes of their pubkey (the author index's key).
	Authors int64
	// Kinds counts the events of each kind.
	Kinds map[int]int64
	// Ages counts the events by created_at relative to the now given to
	// Stats, youngest bucket first: "future", "<1h", "<1d", "<1w", "<30d",
	// "<1y", "older".
	Ages []AgeCount
	// Disk is the size of the store's files.
	Disk DiskUsage
}

// AgeCount is the number of events in one age bucket.
type AgeCount struct {
	Bucket string
	Events int64
}

// ageBuckets are the names of Stats.Ages' buckets and their upper bounds in
// seconds before now; the first is created_at in the future, the last has
// no bound.
var ageBuckets = [...]struct {
	name   string
	maxAge int64
}{
	{"future", 0}, {"<1h", 3600}, {"<1d", 86400}, {"<1w", 7 * 86400},
	{"<30d", 30 * 86400}, {"<1y", 365 * 86400}, {"older", 0},
}

// Stats counts the store's events by kind and age, and its authors,
// reading index keys only (no event is loaded).
func (s *Store) Stats(ctx context.Context, now int64) (Stats, error) {
	st := Stats{Kinds: map[int]int64{}, Ages: make([]AgeCount, len(ageBuckets))}
	for i, b := range ageBuckets {
		st.Ages[i].Bucket = b.name
	}
	err := s.reading(func() error {
		return s.db.View(func(txn *badger.Txn) error {
			if err := countKinds(ctx, txn, now, &st); err != nil {
				return err
			}
			return countAuthors(ctx, txn, &st)
		})
	})
	if err != nil {
		return st, fmt.Errorf("badgerstore: stats: %w", err)
	}
	st.Disk, err = s.DiskUsage()
	return st, err
}

// countKinds walks the kind index (kind, ts, serial): one key per event.
func countKinds(ctx context.Context, txn *badger.Txn, now int64, st *Stats) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pKind}})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if st.Events%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		k := it.Item().Key()
		if len(k) != 1+4+suffixLn {
			continue
		}
		ts, _ := splitSuffix(k)
		st.Events++
		st.Kinds[int(binary.BigEndian.Uint32(k[1:5]))]++
		st.Ages[ageBucket(now-ts)].Events++
	}
	return nil
}

func ageBucket(age int64) int {
	if age < 0 {
		return 0
	}
	for i := 1; i < len(ageBuckets)-1; i++ {
		if age < ageBuckets[i].maxAge {
			return i
		}
	}
	return len(ageBuckets) - 1
}

// countAuthors counts the distinct 8-byte pubkey prefixes of the
// author-kind index, seeking past each author's keys instead of reading
// them.
func countAuthors(ctx context.Context, txn *badger.Txn, st *Stats) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pAuthKind}})
	defer it.Close()
	var last []byte
	for it.Rewind(); it.Valid(); {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		k := it.Item().Key()
		if len(k) < 1+pk8Len {
			it.Next()
			continue
		}
		pk8 := k[1 : 1+pk8Len]
		if !bytes.Equal(pk8, last) {
			st.Authors++
			last = append(last[:0], pk8...)
		}
		next, ok := successor(k[:1+pk8Len])
		if !ok {
			break
		}
		it.Seek(next)
	}
	return nil
}

// successor returns the smallest key after every key starting with p, or
// false if there is none.
func successor(p []byte) ([]byte, bool) {
	out := bytes.Clone(p)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] != 0xff {
			out[i]++
			return out[:i+1], true
		}
	}
	return nil, false
}

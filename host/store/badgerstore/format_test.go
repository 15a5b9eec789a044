package badgerstore

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"
)

// formatV1Author is the author index key of format 1, as that format wrote
// it beside the other index keys: 0x03 pk8 ts serial.
func formatV1Author(h header, serial uint64) []byte {
	return appendSuffix(append([]byte{pAuthor}, h.pubkey[:pk8Len]...), h.createdAt, serial)
}

// downgradeToV1 turns the closed store in dir into what format 1 wrote for
// the same events: an author index entry for every event and no format
// version key.
func downgradeToV1(t *testing.T, dir string) int {
	t.Helper()
	db, err := badger.Open(Options{}.withDefaults().badgerOptions(dir, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.Update(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pEvent}, PrefetchValues: true})
		var keys [][]byte
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			h, err := decodeHeader(v)
			if err != nil {
				return err
			}
			keys = append(keys, formatV1Author(h, decU64(it.Item().Key()[1:])))
		}
		it.Close()
		for _, k := range keys {
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
		n = len(keys)
		return txn.Delete(metaFormat)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// keysWithPrefix counts the keys starting with p.
func keysWithPrefix(t *testing.T, s *Store, p byte) int {
	t.Helper()
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{p}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFormatUpgradeFromV1: a store written in format 1 (with the author
// index) opens as format 2: the author entries are gone, fsck finds
// nothing wrong, author queries return what they returned, and deleting
// an event leaves no entry behind.
func TestFormatUpgradeFromV1(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := randHex32(), randHex32()
	var es []testEvent
	for i := range 300 {
		pk, kind := a, []int{1, 7, 1, 6}[i%4]
		if i%3 == 0 {
			pk = b
		}
		es = append(es, makeEvent(pk, kind, int64(20_000+i%97), nostr.Tags{{"t", "x" + strconv.Itoa(i%5)}}, "n"+strconv.Itoa(i)))
	}
	es = append(es, makeEvent(a, 0, 19_000, nil, "profile"), makeEvent(a, 30023, 19_001, nostr.Tags{{"d", "post"}}, "long"))
	for i, err := range submitAll(s, es, 2) {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	filters := []nostr.Filter{
		{Authors: []string{a}},
		{Authors: []string{a, b}},
		{Authors: []string{b}, Kinds: []int{7, 6}},
		{Authors: []string{a}, Tags: nostr.TagMap{"t": {"x1"}}},
	}
	var want [][]string
	for _, f := range filters {
		want = append(want, queryIDs(t, s, f))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := downgradeToV1(t, dir); n != len(es) {
		t.Fatalf("wrote %d format-1 author entries, want %d", n, len(es))
	}

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("open a format-1 store: %v", err)
	}
	defer s.Close()
	if n := keysWithPrefix(t, s, pAuthor); n != 0 {
		t.Errorf("%d format-1 author entries left after the upgrade", n)
	}
	if v, found, err := readFormat(s.db); err != nil || !found || v != formatVersion {
		t.Errorf("format after the upgrade: %d (recorded %v, err %v), want %d", v, found, err, formatVersion)
	}
	for i, f := range filters {
		if got := queryIDs(t, s, f); !slices.Equal(got, want[i]) {
			t.Errorf("query %v after the upgrade: %d events, want %d (or another order)", f, len(got), len(want[i]))
		}
	}
	del := makeEvent(a, 5, 30_000, nostr.Tags{{"e", es[1].ev.ID}}, "")
	if err := s.Save(context.Background(), del.ev, del.raw); err != nil {
		t.Fatal(err)
	}
	res, err := s.Check(context.Background(), func(p Problem) { t.Errorf("fsck: %s", p) })
	if err != nil || res.Total() != 0 {
		t.Fatalf("fsck after the upgrade: %v, %d problems", err, res.Total())
	}
	if got := count(t, s, nostr.Filter{Authors: []string{a}}); got != int64(len(want[0])) {
		t.Errorf("author count after a deletion: %d, want %d (the deleted note gone, the deletion stored)", got, len(want[0]))
	}
}

// TestFormatNewerRefused: a store whose format is newer than this code's
// is not opened (this code would not maintain the keys that format adds).
func TestFormatNewerRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := badger.Open(Options{}.withDefaults().badgerOptions(dir, false))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error {
		return txn.Set(metaFormat, binary.BigEndian.AppendUint64(nil, formatVersion+1))
	})
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	if s, err := Open(dir, Options{}); !errors.Is(err, errFormatTooNew) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("open a store of format %d: %v, want %v", formatVersion+1, err, errFormatTooNew)
	}
}

// TestFormatRecordedOnNewStore: a new store records the current format, so
// that a later format can tell it from a format-1 store.
func TestFormatRecordedOnNewStore(t *testing.T) {
	s := openTest(t, Options{})
	if v, found, err := readFormat(s.db); err != nil || !found || v != formatVersion {
		t.Fatalf("format of a new store: %d (recorded %v, err %v), want %d", v, found, err, formatVersion)
	}
}

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// Store damage for the fsck test is done with badger directly, on the key
// layout of host/store/badgerstore/doc.go: 0x01 serial -> 85-byte header
// (id at 53) + JSON; 0x02 id -> serial; 0x05 author-kind keys end in the
// inverted serial; 0x06 tag keys.

// damageStore removes index entries on purpose (every 40th author-kind entry,
// every 700th id entry, every 1000th tag entry) and damages the bytes of
// one event's content. It returns the number of author-kind, id and tag entries
// removed (those of the damaged event left alone) and the damaged event's
// id.
func damageStore(t *testing.T, dir string) (authors, ids, tags int, damaged string) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var damagedSerial uint64
	err = db.Update(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{0x01}, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			i := bytes.Index(v, []byte(`"content":"gm nostr`))
			if i < 0 {
				continue
			}
			v[i+11] = 'G' // the id no longer matches
			damaged, damagedSerial = hex.EncodeToString(v[53:85]), binary.BigEndian.Uint64(it.Item().Key()[1:])
			return txn.Set(it.Item().KeyCopy(nil), v)
		}
		t.Fatal("no event to damage")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error {
		del := func(prefix byte, every int, pick func(k, v []byte) bool) int {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}, PrefetchValues: true})
			var keys [][]byte
			n := 0
			for it.Rewind(); it.Valid(); it.Next() {
				v, _ := it.Item().ValueCopy(nil)
				if n++; n%every == 0 && pick(it.Item().Key(), v) {
					keys = append(keys, it.Item().KeyCopy(nil))
				}
			}
			it.Close()
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					t.Fatal(err)
				}
			}
			return len(keys)
		}
		authors = del(0x05, 40, func(k, _ []byte) bool { return ^binary.BigEndian.Uint64(k[len(k)-8:]) != damagedSerial })
		ids = del(0x02, 700, func(_, v []byte) bool { return binary.BigEndian.Uint64(v) != damagedSerial })
		tags = del(0x06, 1000, func(k, _ []byte) bool { return ^binary.BigEndian.Uint64(k[len(k)-8:]) != damagedSerial })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return authors, ids, tags, damaged
}

// checkFsck: fsck finds index entries removed on purpose and an event
// whose bytes were damaged; -repair rebuilds the indexes, drops that event
// (saying so), and leaves a store fsck finds sound, serving every other
// event as before.
func checkFsck(t *testing.T, data string) {
	before := exportLines(t, "-data", data)
	authors, ids, tags, damaged := damageStore(t, filepath.Join(data, "events"))
	if authors == 0 || ids == 0 || tags == 0 {
		t.Fatalf("damaged %d author and %d id entries", authors, ids)
	}
	code, out, stderr := relaydRun("fsck", "-data", data)
	if code != 1 {
		t.Fatalf("fsck of a damaged store: exit %d\n%s%s", code, out, stderr)
	}
	if n := strings.Count(out, "missing index entry (author-kind)"); n != authors {
		t.Errorf("%d missing author-kind entries reported, want %d", n, authors)
	}
	if n := strings.Count(out, "missing index entry (id)"); n != ids {
		t.Errorf("%d missing id entries reported, want %d", n, ids)
	}
	if n := strings.Count(out, "missing index entry (tag)"); n != tags {
		t.Errorf("%d missing tag entries reported, want %d", n, tags)
	}
	if !strings.Contains(out, "bad event serial") || !strings.Contains(out, damaged+": event does not match its id") {
		t.Errorf("damaged event %s not reported:\n%s", damaged, out)
	}
	t.Logf("fsck of the damaged store:\n%s", out)
	code, out, stderr = relaydRun("fsck", "-repair", "-data", data)
	t.Logf("fsck -repair:\n%s", out)
	if code != 0 || !strings.Contains(out, damaged+": event does not match its id; dropped") ||
		!strings.HasSuffix(out, ": no problems\n") || !strings.Contains(out, "dropped 1,") {
		t.Fatalf("fsck -repair: exit %d\n%s%s", code, out, stderr)
	}
	fsckClean(t, data)
	want := slices.DeleteFunc(slices.Clone(before), func(l string) bool { return strings.Contains(l, `"id":"`+damaged+`"`) })
	if len(want) != len(before)-1 {
		t.Fatalf("damaged event %s not among the exported events", damaged)
	}
	if got := exportLines(t, "-data", data); !slices.Equal(got, want) {
		t.Errorf("after repair: %d events, want %d", len(got), len(want))
	}
}

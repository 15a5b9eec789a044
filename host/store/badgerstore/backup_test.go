package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"
)

// backupFixture is a store holding what an export would not carry: a
// NIP-09 deletion record whose deletion event an operator purged
// afterwards (relayd delete), besides notes, a replaced version and an
// address deleted up to a time.
func backupFixture(t *testing.T) (*Store, []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "events")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	pk := randHex32()
	var evs []testEvent
	for i := range 300 {
		evs = append(evs, makeEvent(pk, 1, int64(1000+i), nostr.Tags{{"t", fmt.Sprint("topic", i%7)}}, fmt.Sprintf("note %d %s", i, bytes.Repeat([]byte("x"), i))))
	}
	target := evs[10]
	evs = append(evs,
		makeEvent(pk, 0, 900, nil, `{"name":"old"}`),
		makeEvent(pk, 0, 901, nil, `{"name":"new"}`),
		makeEvent(pk, 5, 2000, nostr.Tags{{"e", target.ev.ID}, {"a", "30023:" + pk + ":post"}}, "gone"),
	)
	for _, e := range evs {
		if err := s.Save(ctx, e.ev, e.raw); err != nil {
			t.Fatalf("save kind %d: %v", e.ev.Kind, err)
		}
	}
	if n, err := s.DeleteMatching(ctx, nostr.Filter{Kinds: []int{5}}, false); err != nil || n != 1 {
		t.Fatalf("purge the deletion event: %d, %v", n, err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	return s, buf.Bytes()
}

// dump returns every key and value badger holds, in key order.
func dump(t *testing.T, s *Store) map[string]string {
	t.Helper()
	kv := map[string]string{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			kv[string(it.Item().KeyCopy(nil))] = string(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// TestBackupRestore: a restored backup holds exactly the keys and values
// of the store it was taken from (the NIP-09 records too, which no
// stored event carries any more), opens with its rollback record
// written, and refuses the deleted event again; new saves take serials
// above the backup's.
func TestBackupRestore(t *testing.T) {
	src, backup := backupFixture(t)
	dir := filepath.Join(t.TempDir(), "data", "events")
	if err := Restore(dir, Options{}, bytes.NewReader(backup)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + ".state"); err != nil {
		t.Fatalf("no rollback record after restore: %v", err)
	}
	dst, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	want, got := dump(t, src), dump(t, dst)
	if len(got) != len(want) {
		t.Fatalf("restored %d keys, the store holds %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %x: restored %q, want %q", k, got[k], v)
		}
	}
	if n := countPrefix(t, dst, pDelID); n != 1 {
		t.Fatalf("%d NIP-09 id records restored, want 1", n)
	}
	if n := countPrefix(t, dst, pDelAddr); n != 1 {
		t.Fatalf("%d NIP-09 address records restored, want 1", n)
	}
	if src.serial != dst.serial || src.events != dst.events {
		t.Fatalf("restored serial %d, events %d; want %d, %d", dst.serial, dst.events, src.serial, src.events)
	}
}

func countPrefix(t *testing.T, s *Store, prefix byte) int {
	t.Helper()
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}})
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

// TestRestoreRefuses: a backup that is not whole, or a target that is
// not new, is refused, and a refused restore leaves no store behind.
func TestRestoreRefuses(t *testing.T) {
	_, backup := backupFixture(t)
	flip := func(i int) []byte {
		b := bytes.Clone(backup)
		b[i] ^= 0x40
		return b
	}
	tail := len(backup) - 40 // the end marker and checksum
	tests := []struct {
		name   string
		backup []byte
		bad    bool // ErrBadBackup (else any error: badger's own)
	}{
		{"empty", nil, true},
		{"not a backup", []byte("{\"id\":\"...\"}\n"), true},
		{"cut in the header", backup[:5], true},
		{"cut after the header", backup[:len(backupHeader)], true},
		{"cut inside a frame", backup[:len(backupHeader)+100], true},
		{"cut before the end marker", backup[:tail], true},
		{"cut in the checksum", backup[:len(backup)-1], true},
		{"more after the end", append(bytes.Clone(backup), '\n'), true},
		{"a flipped byte in the checksum", flip(len(backup) - 1), true},
		{"a flipped byte in an event", flip(bytes.Index(backup, []byte("note 150 "))), true},
		{"a flipped byte in badger's framing", flip(tail - 10), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "events")
			err := Restore(dir, Options{}, bytes.NewReader(tc.backup))
			if err == nil || (tc.bad && !errors.Is(err, ErrBadBackup)) {
				t.Fatalf("got %v, want a refusal (ErrBadBackup: %v)", err, tc.bad)
			}
			if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
				t.Fatalf("a refused restore left %s behind (%v)", dir, serr)
			}
		})
	}
	t.Run("target not empty", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "MANIFEST"), []byte("x"), 0o644)
		if err := Restore(dir, Options{}, bytes.NewReader(backup)); err == nil {
			t.Fatal("restored into a directory holding files")
		}
	})
	t.Run("a rollback record beside the target", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "events")
		os.WriteFile(dir+".state", []byte("x"), 0o644)
		if err := Restore(dir, Options{}, bytes.NewReader(backup)); err == nil {
			t.Fatal("restored beside another store's rollback record")
		}
	})
}

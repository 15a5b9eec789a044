package badgerstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4/fb"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// Tests with deliberately damaged badger files: a byte flipped in a table
// block and in a value log value, a truncated MANIFEST, an empty
// write-ahead log. cmd/relayd's TestRelaydDamagedStore does it at the wire.

// damagedStore writes n notes (every value in the value log) to a store in
// a new directory and closes it, then opens and closes it once more, so
// that the values sit in a value log file that is not the last one (badger
// rereads and truncates the last one when it opens). It returns the
// directory and the events.
func damagedStore(t *testing.T, n int) (string, []testEvent) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "events")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pk := randHex32()
	es := make([]testEvent, n)
	for i := range es {
		es[i] = makeEvent(pk, 1, int64(1000+i), nostr.Tags{{"t", "damage"}}, fmt.Sprintf("note %05d %s", i, strings.Repeat("x", 200)))
	}
	for _, err := range submitAll(s, es, 4) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, es
}

// flip inverts n bytes of the file at off.
func flip(t *testing.T, path string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] ^= 0xff
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// eventBlock returns the offset and length of a block of the table file
// path that holds only event keys (prefix pEvent), read from the table's
// index (badger's table format: blocks, then the index, its length and its
// checksum).
func eventBlock(t *testing.T, path string) (off, n int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := len(b) - 4
	end -= int(binary.BigEndian.Uint32(b[end:])) // checksum
	end -= 4
	ilen := int(binary.BigEndian.Uint32(b[end:]))
	index := fb.GetRootAsTableIndex(b[end-ilen:end], 0)
	var cur, next fb.BlockOffset
	for i := 0; i+1 < index.OffsetsLength(); i++ {
		index.Offsets(&cur, i)
		index.Offsets(&next, i+1)
		if cur.KeyBytes()[0] == pEvent && next.KeyBytes()[0] == pEvent {
			return int64(cur.Offset()), int64(cur.Len())
		}
	}
	t.Fatalf("no block of event keys in %s", path)
	return 0, 0
}

// onlyFile returns the one file of dir matching pattern.
func onlyFile(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) == 0 {
		t.Fatalf("no %s in %s: %v", pattern, dir, err)
	}
	return m[0]
}

// TestDamagedTableBlock: a table block of event keys fails its checksum.
// Badger reports it as missing keys; the store sees fewer events than it
// counted and refuses to open. Accepting the damage, the queries that
// reach a lost event fail with ErrCorrupt (they are not answered with a
// silent gap), the others work, and a lost event published again is
// stored again.
func TestDamagedTableBlock(t *testing.T) {
	dir, es := damagedStore(t, 2000)
	sst := onlyFile(t, dir, "*.sst")
	off, n := eventBlock(t, sst)
	flip(t, sst, off+n/2, 8)

	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrRolledBack) || !strings.Contains(err.Error(), "where its own count says 2000") {
		t.Fatalf("open: got %v, want ErrRolledBack about the count", err)
	}
	s, err := Open(dir, Options{AcceptRollback: true})
	if err != nil {
		t.Fatalf("open accepting the damage: %v", err)
	}
	defer s.Close()
	var lost, kept []testEvent
	for _, e := range es {
		if _, err := tryQueryIDs(s, nostr.Filter{IDs: []string{e.ev.ID}}); errors.Is(err, store.ErrCorrupt) {
			lost = append(lost, e)
		} else if err == nil {
			kept = append(kept, e)
		} else {
			t.Fatalf("query %s: %v", e.ev.ID, err)
		}
	}
	if len(lost) == 0 || len(kept) == 0 {
		t.Fatalf("%d events lost, %d kept: the damage should hit some", len(lost), len(kept))
	}
	for _, f := range []nostr.Filter{{}, {Kinds: []int{1}}, {Tags: nostr.TagMap{"t": {"damage"}}}} {
		if _, err := tryQueryIDs(s, f); !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("query %v over the damage: got %v, want ErrCorrupt", f, err)
		}
	}
	if s.Health().ReadErrors == 0 {
		t.Error("no read error counted")
	}
	if got := queryIDs(t, s, nostr.Filter{IDs: []string{kept[0].ev.ID}}); len(got) != 1 {
		t.Fatalf("an intact event: got %v", got)
	}
	// Published again, a lost event is stored again and served.
	e := lost[0]
	if err := s.Save(context.Background(), e.ev, e.raw); err != nil {
		t.Fatalf("publishing a lost event again: %v", err)
	}
	if got := queryIDs(t, s, nostr.Filter{IDs: []string{e.ev.ID}}); len(got) != 1 {
		t.Fatalf("the event published again: got %v", got)
	}
}

// TestDamagedTableBlockBytes flips one byte at a time across a block of
// event keys. Badger verifies the block's checksum and reports it as
// missing keys (or, when the flip garbles the block's entry index, which
// badger parses before the checksum, panics, which the store recovers):
// Open refuses, every time, and accepting the damage the queries over it
// fail. Unverified, some flips decode to keys that count right and the
// damage goes unseen.
func TestDamagedTableBlockBytes(t *testing.T) {
	dir, _ := damagedStore(t, 2000)
	sst := filepath.Base(onlyFile(t, dir, "*.sst"))
	off, n := eventBlock(t, filepath.Join(dir, sst))
	for d := int64(0); d < n; d += n / 16 {
		t.Run(fmt.Sprint(d), func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "events")
			copyDir(t, dir, cp)
			flip(t, filepath.Join(cp, sst), off+d, 1)
			if _, err := Open(cp, Options{}); !errors.Is(err, ErrRolledBack) {
				t.Fatalf("open: got %v, want ErrRolledBack", err)
			}
			s, err := Open(cp, Options{AcceptRollback: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := tryQueryIDs(s, nostr.Filter{}); !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("query: got %v, want ErrCorrupt", err)
			}
		})
	}
}

// copyDir copies a store directory and its rollback record.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		copySparse(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
	}
	copySparse(t, src+".state", dst+".state")
}

// TestDamagedValue: a byte changed in an event's value in the value log.
// The value fails its checksum: the event is never served altered,
// queries reaching it fail, and publishing it again stores it again
// instead of answering "duplicate" for an event nobody can read.
func TestDamagedValue(t *testing.T) {
	dir, es := damagedStore(t, 200)
	victim := es[100]
	vlog := onlyFile(t, dir, "000001.vlog")
	b, err := os.ReadFile(vlog)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("note 00100"))
	if i < 0 {
		t.Fatal("value not found in the value log")
	}
	flip(t, vlog, int64(i+5), 1) // "note 00100" -> "note \xcf0100"

	logs := &logBuffer{}
	s, err := Open(dir, Options{Logger: testLogger(logs)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	tests := []struct {
		name string
		f    nostr.Filter
	}{
		{"by id", nostr.Filter{IDs: []string{victim.ev.ID}}},
		{"by kind", nostr.Filter{Kinds: []int{1}}},
		{"by tag", nostr.Filter{Tags: nostr.TagMap{"t": {"damage"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tryQueryIDs(s, tc.f); !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
	if got := queryIDs(t, s, nostr.Filter{IDs: []string{es[99].ev.ID}}); len(got) != 1 {
		t.Fatalf("an intact event: got %v", got)
	}
	if !strings.Contains(logs.String(), "component=badger") {
		t.Errorf("badger's report of the failed read is not in the log:\n%s", logs)
	}
	if err := s.Save(context.Background(), victim.ev, victim.raw); err != nil {
		t.Fatalf("publishing the damaged event again: got %v, want it stored", err)
	}
	got, err := tryQueryIDs(s, nostr.Filter{Kinds: []int{1}})
	if err != nil || len(got) != len(es) {
		t.Fatalf("after publishing it again: %d events (%v), want %d", len(got), err, len(es))
	}
	if err := s.Save(context.Background(), victim.ev, victim.raw); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("publishing it a third time: got %v, want ErrDuplicate", err)
	}
}

// TestTruncatedManifest: badger opens a directory whose MANIFEST lost its
// changes as an empty store, and deletes the table files it no longer
// lists. The store refuses to open, against its rollback record, and the
// table files are kept. Accepting the loss, serials go on after the
// record's.
func TestTruncatedManifest(t *testing.T) {
	dir, es := damagedStore(t, 100)
	if err := os.Truncate(filepath.Join(dir, "MANIFEST"), 8); err != nil {
		t.Fatal(err)
	}
	sst := filepath.Base(onlyFile(t, dir, "*.sst"))
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrRolledBack) || !strings.Contains(err.Error(), "rollback record") {
		t.Fatalf("open: got %v, want ErrRolledBack against the record", err)
	}
	kept := dir + ".unlisted"
	if !strings.Contains(err.Error(), kept) {
		t.Errorf("the error does not say where the tables are kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(kept, sst)); err != nil {
		t.Fatalf("table file not kept: %v", err)
	}
	s, err := Open(dir, Options{AcceptRollback: true})
	if err != nil {
		t.Fatalf("open accepting the loss: %v", err)
	}
	defer s.Close()
	if got := queryIDs(t, s, nostr.Filter{}); len(got) != 0 {
		t.Fatalf("%d events after the loss", len(got))
	}
	if err := s.Save(context.Background(), es[0].ev, es[0].raw); err != nil {
		t.Fatal(err)
	}
	if s.serial != uint64(len(es))+1 {
		t.Fatalf("serial %d after the loss, want %d: serials must not be reused", s.serial, len(es)+1)
	}
}

// TestEmptyWriteAheadLog: a crash inside badger's log cleanup leaves a
// zero-length .mem file, and badger then refuses to open (badger #2207).
// Open removes it.
func TestEmptyWriteAheadLog(t *testing.T) {
	dir, es := damagedStore(t, 10)
	empty := filepath.Join(dir, "00007.mem")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	s, err := Open(dir, Options{Logger: testLogger(logs)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Fatalf("the empty log is still there: %v", err)
	}
	if !strings.Contains(logs.String(), "badger #2207") {
		t.Errorf("no log line:\n%s", logs)
	}
	if got := queryIDs(t, s, nostr.Filter{}); len(got) != len(es) {
		t.Fatalf("%d events, want %d", len(got), len(es))
	}
}

// TestBadgerLogsThroughSlog: badger's own messages (here, the damaged
// table index it refuses to open) go to the store's logger, not to
// stderr.
func TestBadgerLogsThroughSlog(t *testing.T) {
	dir, _ := damagedStore(t, 10)
	sst := onlyFile(t, dir, "*.sst")
	fi, err := os.Stat(sst)
	if err != nil {
		t.Fatal(err)
	}
	flip(t, sst, fi.Size()-20, 4) // in the index
	logs := &logBuffer{}
	if _, err := Open(dir, Options{Logger: testLogger(logs)}); err == nil {
		t.Fatal("opened a store with a damaged table index")
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "component=badger") {
		t.Fatalf("badger's error is not in the log:\n%s", logs)
	}
}

// Test_endScan: a panic below a query (badger decoding a damaged block it
// did not verify) is the query's error, logged and counted; a panic in the
// query's callback is not the store's and goes on.
func Test_endScan(t *testing.T) {
	logs := &logBuffer{}
	s := &Store{log: testLogger(logs)}
	read := func(inFn bool) (err error) {
		q := &scanner{ctx: context.Background(), inFn: inFn}
		defer s.endScan(q, nostr.Filter{Kinds: []int{1}}, &err)
		panic("damaged block")
	}
	if err := read(false); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "damaged block") {
		t.Fatalf("got %v, want ErrCorrupt with the panic", err)
	}
	if s.readErrors.Load() != 1 || !strings.Contains(logs.String(), "panic in a query") {
		t.Fatalf("read errors %d, logs:\n%s", s.readErrors.Load(), logs)
	}
	defer func() {
		if p := recover(); p != "damaged block" {
			t.Fatalf("the callback's panic: recovered %v", p)
		}
	}()
	read(true)
	t.Fatal("the callback's panic was swallowed")
}

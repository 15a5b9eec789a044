package badgerstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// writeState applies ops to ns through the writer and waits for the
// commit.
func writeState(t testing.TB, s *Store, ns string, ops ...store.StateOp) error {
	t.Helper()
	res := make(chan error, 1)
	s.StateWrite(ns, ops, func(err error) { res <- err })
	return <-res
}

func set(k, v string) store.StateOp { return store.StateOp{Key: []byte(k), Value: []byte(v)} }

func del(k string) store.StateOp { return store.StateOp{Key: []byte(k), Delete: true} }

// stateDump lists ns's keyspace as "k=v k=v", via StateScan.
func stateDump(t testing.TB, s *Store, ns string, prefix, after string, values bool) string {
	t.Helper()
	var out []string
	err := s.StateScan(ns, []byte(prefix), []byte(after), values, func(k, v []byte) bool {
		if values {
			out = append(out, string(k)+"="+string(v))
		} else {
			out = append(out, string(k))
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func stateGet(t testing.TB, s *Store, ns, key string) (string, bool) {
	t.Helper()
	var v []byte
	found, err := s.StateGet(ns, []byte(key), func(b []byte) { v = bytes.Clone(b) })
	if err != nil {
		t.Fatal(err)
	}
	return string(v), found
}

func TestPluginState(t *testing.T) {
	s := openTest(t, Options{})
	big := strings.Repeat("v", 1000) // over the value threshold: in the value log
	if err := writeState(t, s, "lists", set("ban/b", "2"), set("ban/a", "1"), set("ban/c", big), set("allow/x", ""),
		set("ban", "bare")); err != nil {
		t.Fatal(err)
	}
	// Another plugin, and one whose name extends the first: separate.
	if err := writeState(t, s, "listsx", set("ban/z", "other")); err != nil {
		t.Fatal(err)
	}
	if err := writeState(t, s, "lists", set("ban/b", "two"), del("ban"), del("missing")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		prefix, after string
		values        bool
		want          string
	}{
		{"all keys", "", "", false, "allow/x ban/a ban/b ban/c"},
		{"prefix", "ban/", "", false, "ban/a ban/b ban/c"},
		{"after", "ban/", "ban/a", false, "ban/b ban/c"},
		{"after the last", "ban/", "ban/c", false, ""},
		{"after below the prefix", "ban/", "a", false, "ban/a ban/b ban/c"},
		{"after above the prefix", "allow/", "b", false, ""},
		{"after not a key", "", "ban/aa", false, "ban/b ban/c"},
		{"values", "allow/", "", true, "allow/x="},
		{"no match", "nope", "", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stateDump(t, s, "lists", tc.prefix, tc.after, tc.values); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := stateDump(t, s, "lists", "ban/c", "", true); got != "ban/c="+big {
		t.Errorf("value log value: got %d bytes", len(got))
	}
	if v, ok := stateGet(t, s, "lists", "ban/b"); !ok || v != "two" {
		t.Errorf("get ban/b: %q, %v", v, ok)
	}
	if _, ok := stateGet(t, s, "lists", "ban"); ok {
		t.Error("deleted key ban found")
	}
	if _, ok := stateGet(t, s, "listsx", "ban/a"); ok {
		t.Error("listsx sees the keys of lists")
	}
	for _, ns := range []string{"", "a\x00b"} {
		if err := writeState(t, s, ns, set("k", "v")); !errors.Is(err, errNamespace) {
			t.Errorf("namespace %q: got %v", ns, err)
		}
	}
	huge := store.StateOp{Key: []byte("k"), Value: make([]byte, store.MaxStateWriteBytes)}
	if err := writeState(t, s, "lists", huge); !errors.Is(err, store.ErrTooLarge) {
		t.Errorf("write over MaxStateWriteBytes: got %v, want ErrTooLarge", err)
	}
}

// TestPluginStateIgnoredByEventTools: the plugin state keys change nothing
// that reads the events: queries and counts (REQ, COUNT, NIP-77, export),
// Stats, Check, Repair, DeleteMatching, DeleteExpired, Compact, the event
// count and the rollback record at Open. A twin store holding only the
// events gives the same answers, and the state survives all of it.
func TestPluginStateIgnoredByEventTools(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	twin := openTest(t, Options{})
	pk := randHex32()
	es := mixedEvents(pk, 1_700_000_000, 20)
	saveAll(t, s, es[:10])
	// State keys that look like event and index keys of the store, and a
	// plugin named like a prefix byte.
	for _, ns := range []string{"spam", "\x01", "\x02\x03"} {
		if err := writeState(t, s, ns, set("\x01\x00\x00\x00\x00\x00\x00\x00\x01", "x"), set("\x02"+strings.Repeat("e", 32), "y"),
			set("k", strings.Repeat("v", 600))); err != nil {
			t.Fatal(err)
		}
	}
	saveAll(t, s, es[10:])
	saveAll(t, twin, es)
	wantState := stateDump(t, s, "spam", "", "", true)

	same := func(step string) {
		t.Helper()
		for _, f := range []nostr.Filter{{}, {Kinds: []int{1}}, {Authors: []string{pk}}, {Tags: nostr.TagMap{"t": {"x"}}}} {
			if a, b := count(t, s, f), count(t, twin, f); a != b {
				t.Errorf("%s: count %v: %d, twin %d", step, f, a, b)
			}
			if a, b := fmt.Sprint(queryIDs(t, s, f)), fmt.Sprint(queryIDs(t, twin, f)); a != b {
				t.Errorf("%s: query %v: %s, twin %s", step, f, a, b)
			}
		}
		a, err1 := s.Stats(bg, 1_700_000_100)
		b, err2 := twin.Stats(bg, 1_700_000_100)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if a.Events != b.Events || a.Authors != b.Authors || fmt.Sprint(a.Kinds, a.Ages) != fmt.Sprint(b.Kinds, b.Ages) {
			t.Errorf("%s: stats %+v, twin %+v", step, a, b)
		}
		ca, cb := checkClean(t, s), checkClean(t, twin)
		if ca.Events != cb.Events || ca.IndexEntries != cb.IndexEntries {
			t.Errorf("%s: check %+v, twin %+v", step, ca, cb)
		}
		if s.events != twin.events {
			t.Errorf("%s: event count %d, twin %d", step, s.events, twin.events)
		}
		if got := stateDump(t, s, "spam", "", "", true); got != wantState {
			t.Errorf("%s: state %q, want %q", step, got, wantState)
		}
	}
	same("saved")

	for _, st := range []*Store{s, twin} {
		// mixedEvents' expiring event, at now + 1e8.
		if n, err := st.DeleteExpired(bg, time.Now().Unix()+2e8); err != nil || n != 1 {
			t.Fatalf("delete expired: %d, %v", n, err)
		}
	}
	same("expired deleted")

	for _, st := range []*Store{s, twin} {
		res, err := st.Repair(bg, func(p Problem) { t.Errorf("repair: %v", p) })
		if err != nil || res.Dropped != 0 {
			t.Fatalf("repair: %+v, %v", res, err)
		}
	}
	same("repaired")

	for _, st := range []*Store{s, twin} {
		if n, err := st.DeleteMatching(bg, nostr.Filter{Kinds: []int{1}}, false); err != nil || n != 20 {
			t.Fatalf("delete matching: %d, %v; want the 20 notes", n, err)
		}
		if _, _, err := st.Compact(bg, 0); err != nil {
			t.Fatal(err)
		}
	}
	same("notes deleted and compacted")

	// A state write takes no serial and leaves the rollback record alone.
	serial, record := s.serial, readFile(t, s.opts.RecordPath)
	if err := writeState(t, s, "spam", set("late", "1")); err != nil {
		t.Fatal(err)
	}
	wantState = stateDump(t, s, "spam", "", "", true)
	if s.serial != serial || readFile(t, s.opts.RecordPath) != record {
		t.Errorf("a state write moved the serial (%d, was %d) or the rollback record", s.serial, serial)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	same("reopened")
	if got := keyCounts(t, s)[pState]; got != 10 {
		t.Errorf("%d plugin state keys, want 10", got)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPluginStateDiskFull: below the reserve, state writes are refused
// (and said to be at once by StateWritable) and reads go on; writes resume
// with the space.
func TestPluginStateDiskFull(t *testing.T) {
	disk, logs := newFakeDisk(1<<30), &logBuffer{}
	s, err := Open(t.TempDir(), diskOptions(disk, logs))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := writeState(t, s, "p", set("a", "1")); err != nil {
		t.Fatal(err)
	}
	disk.free.Store(testReserve - 1)
	if err := s.guard.check(); err != nil {
		t.Fatal(err)
	}
	if err := s.StateWritable(); !errors.Is(err, store.ErrDiskFull) {
		t.Errorf("writable below the reserve: got %v, want ErrDiskFull", err)
	}
	if err := writeState(t, s, "p", set("b", "2")); !errors.Is(err, store.ErrDiskFull) {
		t.Errorf("write below the reserve: got %v, want ErrDiskFull", err)
	}
	if got := stateDump(t, s, "p", "", "", true); got != "a=1" {
		t.Errorf("read below the reserve: %q", got)
	}
	disk.free.Store(testReserve * 2)
	if err := writeState(t, s, "p", set("c", "3")); err != nil {
		t.Fatalf("write after space returned: %v", err)
	}
	if err := s.StateWritable(); err != nil {
		t.Errorf("writable after space returned: %v", err)
	}
	if got := stateDump(t, s, "p", "", "", true); got != "a=1 c=3" {
		t.Errorf("after space returned: %q", got)
	}
}

// Test_pluginStateNoWait: while the writer holds the database to reopen
// it, state reads and StateWritable fail at once with ErrBusy instead of
// waiting; while it is unavailable they say why; after Close they fail
// with ErrClosed.
func Test_pluginStateNoWait(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.dbMu.Lock() // as reopen does
	_, err1 := s.StateGet("p", []byte("k"), func([]byte) {})
	err2 := s.StateScan("p", nil, nil, false, func(_, _ []byte) bool { return true })
	err3 := s.StateWritable()
	s.dbMu.Unlock()
	for i, err := range []error{err1, err2, err3} {
		if !errors.Is(err, store.ErrBusy) {
			t.Errorf("call %d while reopening: got %v, want ErrBusy", i, err)
		}
	}
	// A store whose reopen failed (damaged, unavailable) refuses state
	// writes with the reason, at once and through the writer.
	damaged := errors.New("the store could not be reopened")
	s.dbMu.Lock()
	db := s.db
	s.db, s.dbErr = nil, damaged
	s.dbMu.Unlock()
	if err := s.StateWritable(); !errors.Is(err, damaged) {
		t.Errorf("writable while unavailable: %v", err)
	}
	// The writer tries to reopen the store first (in vain: the test holds
	// it open), and answers with why that failed.
	if err := writeState(t, s, "p", set("k", "v")); err == nil || !strings.Contains(err.Error(), "could not be reopened") {
		t.Errorf("write while unavailable: %v", err)
	}
	s.dbMu.Lock()
	s.db, s.dbErr = db, nil
	s.dbMu.Unlock()
	s.Close()
	_, err1 = s.StateGet("p", []byte("k"), func([]byte) {})
	err2 = writeState(t, s, "p", set("k", "v"))
	for i, err := range []error{err1, err2, s.StateWritable()} {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("call %d after Close: got %v, want ErrClosed", i, err)
		}
	}
}

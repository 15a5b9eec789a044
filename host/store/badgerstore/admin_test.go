package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"
)

var bg = context.Background()

// keyCounts counts the store's keys by prefix byte.
func keyCounts(t *testing.T, s *Store) map[byte]int {
	t.Helper()
	out := map[byte]int{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			out[it.Item().Key()[0]]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mixedEvents returns notes with tags, a replaceable, an addressable and
// an expiring event by author pk, created around base.
func mixedEvents(pk string, base int64, n int) []testEvent {
	var es []testEvent
	for i := range n {
		es = append(es, makeEvent(pk, 1, base+int64(i), nostr.Tags{{"t", "x"}, {"p", pk}, {"e", randHex32()}}, fmt.Sprint("note ", i)))
	}
	es = append(es,
		makeEvent(pk, 0, base, nil, `{"name":"n"}`),
		makeEvent(pk, 30023, base, nostr.Tags{{"d", "post"}}, "article"),
		makeEvent(pk, 1, base, nostr.Tags{{"expiration", fmt.Sprint(time.Now().Unix() + 1e8)}}, "expiring"))
	return es
}

func saveAll(t *testing.T, s *Store, es []testEvent) {
	t.Helper()
	for i, err := range submitAll(s, es, 1) {
		if err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
}

func checkClean(t *testing.T, s *Store) CheckResult {
	t.Helper()
	res, err := s.Check(bg, func(p Problem) { t.Errorf("problem: %v", p) })
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDeleteMatchingRemovesEveryKey: deleting an author's events leaves
// exactly the keys a store holding only the other author's events has.
func TestDeleteMatchingRemovesEveryKey(t *testing.T) {
	a, b := randHex32(), randHex32()
	s, only := openTest(t, Options{}), openTest(t, Options{})
	esA, esB := mixedEvents(a, 1_700_000_000, 30), mixedEvents(b, 1_700_000_000, 20)
	saveAll(t, s, append(esA, esB...))
	saveAll(t, only, esB)
	before := keyCounts(t, s)
	n, err := s.DeleteMatching(bg, nostr.Filter{Authors: []string{a}}, true)
	if err != nil || n != len(esA) {
		t.Fatalf("dry run: %d, %v; want %d", n, err, len(esA))
	}
	if got := keyCounts(t, s); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("dry run changed the keys: %v, was %v", got, before)
	}
	n, err = s.DeleteMatching(bg, nostr.Filter{Authors: []string{a}}, false)
	if err != nil || n != len(esA) {
		t.Fatalf("delete: %d, %v; want %d", n, err, len(esA))
	}
	got, want := keyCounts(t, s), keyCounts(t, only)
	for _, p := range indexPrefixes {
		if got[p] != want[p] {
			t.Errorf("index %s: %d keys left, want %d", indexName(p), got[p], want[p])
		}
	}
	if got[pEvent] != want[pEvent] {
		t.Errorf("%d events left, want %d", got[pEvent], want[pEvent])
	}
	checkClean(t, s)
}

// TestDeleteMatchingConcurrent: two purges of one author at once (a
// cluster node applies its own purge from the stream while the management
// call runs it) both succeed, and between them delete each event once.
func TestDeleteMatchingConcurrent(t *testing.T) {
	s := openTest(t, Options{})
	for round := range 20 {
		pk := randHex32()
		es := mixedEvents(pk, 1_700_000_000, 5)
		saveAll(t, s, es)
		var wg sync.WaitGroup
		ns, errs := make([]int, 2), make([]error, 2)
		for i := range 2 {
			wg.Go(func() { ns[i], errs[i] = s.DeleteMatching(bg, nostr.Filter{Authors: []string{pk}}, false) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || ns[0]+ns[1] != len(es) {
			t.Fatalf("round %d: deleted %v, errors %v; want %d in all, no error", round, ns, errs, len(es))
		}
		if c := count(t, s, nostr.Filter{Authors: []string{pk}}); c != 0 {
			t.Fatalf("round %d: %d events left", round, c)
		}
	}
	checkClean(t, s)
}

// TestDeleteMatchingLimit: a filter limit deletes the newest ones only.
func TestDeleteMatchingLimit(t *testing.T) {
	s := openTest(t, Options{})
	pk := randHex32()
	saveAll(t, s, mixedEvents(pk, 1000, 10))
	n, err := s.DeleteMatching(bg, nostr.Filter{Kinds: []int{1}, Limit: 3}, false)
	if err != nil || n != 3 {
		t.Fatalf("got %d, %v; want 3", n, err)
	}
	if c := count(t, s, nostr.Filter{Kinds: []int{1}, Since: ptr(1007)}); c != 0 {
		t.Errorf("%d of the 3 newest notes left", c)
	}
	if c := count(t, s, nostr.Filter{Kinds: []int{1}}); c != 8 {
		t.Errorf("%d notes left, want 8", c)
	}
}

func ptr(ts nostr.Timestamp) *nostr.Timestamp { return &ts }

// damage breaks a sound store in one way per problem kind and returns the
// problems Check must find.
func damage(t *testing.T, s *Store, es []testEvent, pk string) map[ProblemKind]int64 {
	t.Helper()
	serialOf := func(e testEvent) uint64 {
		var id [32]byte
		decodeHex32(&id, e.ev.ID)
		var serial uint64
		s.db.View(func(txn *badger.Txn) error {
			serial, _, _ = getU64(txn, idKey(&id))
			return nil
		})
		return serial
	}
	rec := func(e testEvent) *record {
		r, err := newRecord(e.ev, e.raw, true)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	older := makeEvent(pk, 30023, 1, nostr.Tags{{"d", "post"}}, "older article")
	err := s.db.Update(func(txn *badger.Txn) error {
		r0, r1, r2 := rec(es[0]), rec(es[1]), rec(es[2])
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(txn.Delete(r0.indexKeys(serialOf(es[0]))[0])) // author
		must(txn.Delete(idKey(&r1.id)))
		must(txn.Delete(r2.indexKeys(serialOf(es[2]))[4])) // first tag
		must(txn.Set(withSuffix(kindPrefix(1), 5, 999_999), nil))
		// Damaged bytes: the content no longer matches the id.
		v := rec(es[3]).value
		i := strings.Index(string(v), "note 3")
		v[i] = 'N'
		must(txn.Set(eventKey(serialOf(es[3])), v))
		// The same event stored again under another serial.
		must(s.put(txn, rec(es[4]), 1000))
		// An older version of the addressable event beside the newer one.
		return s.put(txn, rec(older), 1001)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.cache = nil // the damage bypassed the cache
	return map[ProblemKind]int64{ProblemMissingIndex: 3, ProblemDanglingIndex: 1, ProblemBadEvent: 1,
		ProblemDuplicateID: 1, ProblemAddressTwice: 1}
}

// TestCheckFindsAndRepairFixes: Check finds each kind of damage; Repair
// rebuilds the indexes, drops the bad event, the second copy and the older
// version, and leaves a store Check finds sound.
func TestCheckFindsAndRepairFixes(t *testing.T) {
	s := openTest(t, Options{})
	pk := randHex32()
	es := mixedEvents(pk, 1_700_000_000, 20)
	saveAll(t, s, es)
	sound := checkClean(t, s)
	if sound.Events != int64(len(es)) || sound.IndexEntries == 0 {
		t.Fatalf("sound store: %+v", sound)
	}
	want := damage(t, s, es, pk)
	var reported []Problem
	res, err := s.Check(bg, func(p Problem) { reported = append(reported, p) })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Problems) != fmt.Sprint(want) {
		t.Fatalf("found %v, want %v:\n%v", res.Problems, want, reported)
	}
	res, err = s.Repair(bg, func(p Problem) { t.Logf("repair: %v", p) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Dropped != 3 || res.Events != int64(len(es)-1) {
		t.Errorf("repair dropped %d and kept %d, want 3 and %d", res.Dropped, res.Events, len(es)-1)
	}
	if s.serial != 1001 {
		t.Errorf("last serial %d, want 1001", s.serial)
	}
	after := checkClean(t, s)
	if after.Events != int64(len(es)-1) {
		t.Errorf("%d events after repair, want %d", after.Events, len(es)-1)
	}
	for i, e := range es[:3] {
		if c := count(t, s, nostr.Filter{IDs: []string{e.ev.ID}, Authors: []string{pk}}); c != 1 {
			t.Errorf("event %d not found by id after repair", i)
		}
	}
	if c := count(t, s, nostr.Filter{Tags: nostr.TagMap{"t": {"x"}}}); c != 19 {
		t.Errorf("%d events by tag after repair, want 19", c)
	}
	var content string
	s.Query(bg, nostr.Filter{Kinds: []int{30023}}, 10, func(raw []byte) bool { content += string(raw); return true })
	if !strings.Contains(content, `"article"`) || strings.Contains(content, "older") {
		t.Errorf("addressable after repair: %s", content)
	}
	again, err := s.Repair(bg, func(p Problem) { t.Errorf("second repair: %v", p) })
	if err != nil || again.Dropped != 0 || again.Events != after.Events {
		t.Errorf("second repair: %+v, %v", again, err)
	}
}

// TestStats counts kinds, ages and authors from the indexes.
func TestStats(t *testing.T) {
	s := openTest(t, Options{})
	const now = 1_700_000_000
	a, b := randHex32(), randHex32()
	saveAll(t, s, []testEvent{
		makeEvent(a, 1, now-10, nil, "1"), makeEvent(a, 1, now-7200, nil, "2"),
		makeEvent(b, 1, now-2*86400, nil, "3"), makeEvent(b, 7, now-40*86400, nil, "4"),
		makeEvent(b, 7, now-400*86400, nil, "5"), makeEvent(a, 3, now+60, nil, "6"),
	})
	st, err := s.Stats(bg, now)
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 6 || st.Authors != 2 || fmt.Sprint(st.Kinds) != "map[1:3 3:1 7:2]" {
		t.Errorf("got %d events, %d authors, kinds %v", st.Events, st.Authors, st.Kinds)
	}
	if got := fmt.Sprint(st.Ages); got != "[{future 1} {<1h 1} {<1d 1} {<1w 1} {<30d 0} {<1y 1} {older 1}]" {
		t.Errorf("ages %s", got)
	}
	if st.Disk.Total() == 0 || st.Disk.Other == 0 {
		t.Errorf("disk %+v", st.Disk)
	}
}

// TestCompactKeepsEverything: compaction after a purge leaves a sound store
// with every remaining event.
func TestCompactKeepsEverything(t *testing.T) {
	s := openTest(t, Options{})
	a, b := randHex32(), randHex32()
	saveAll(t, s, append(mixedEvents(a, 1000, 200), mixedEvents(b, 1000, 200)...))
	if _, err := s.DeleteMatching(bg, nostr.Filter{Authors: []string{a}}, false); err != nil {
		t.Fatal(err)
	}
	before, after, err := s.Compact(bg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if before.Total() == 0 || after.Total() == 0 {
		t.Errorf("before %+v after %+v", before, after)
	}
	if res := checkClean(t, s); res.Events != 203 {
		t.Errorf("%d events after compaction, want 203", res.Events)
	}
}

// TestCheckLock: a store open in this process (as in another) is reported
// locked with the holder's pid; a closed or missing one is not.
func TestCheckLock(t *testing.T) {
	dir := t.TempDir()
	if err := CheckLock(dir + "/missing"); err != nil {
		t.Fatalf("missing dir: %v", err)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = CheckLock(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("open store: got %v, want ErrLocked with pid %d", err, os.Getpid())
	}
	s.Close()
	if err := CheckLock(dir); err != nil {
		t.Fatalf("closed store: %v", err)
	}
}

// TestAdminJobsKeepRollbackRecord: after DeleteMatching and after Repair
// the store opens again without a rollback refusal, because the event
// count (meta key and rollback record) follows what the jobs removed.
func TestAdminJobsKeepRollbackRecord(t *testing.T) {
	tests := []struct {
		name string
		job  func(t *testing.T, s *Store, es []testEvent, pk string)
	}{
		{"delete", func(t *testing.T, s *Store, es []testEvent, pk string) {
			if n, err := s.DeleteMatching(bg, nostr.Filter{Kinds: []int{1}}, false); err != nil || n == 0 {
				t.Fatalf("delete: %d, %v", n, err)
			}
		}},
		{"repair", func(t *testing.T, s *Store, es []testEvent, pk string) {
			damage(t, s, es, pk)
			if res, err := s.Repair(bg, nil); err != nil || res.Dropped == 0 {
				t.Fatalf("repair: %+v, %v", res, err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			pk := randHex32()
			es := mixedEvents(pk, 1_700_000_000, 20)
			saveAll(t, s, es)
			tc.job(t, s, es, pk)
			want := s.events
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = Open(dir, Options{})
			if err != nil {
				t.Fatalf("reopen after %s: %v", tc.name, err)
			}
			defer s.Close()
			if s.events != want {
				t.Errorf("reopened with %d events, want %d", s.events, want)
			}
		})
	}
}

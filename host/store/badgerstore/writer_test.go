package badgerstore

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// Test_groupCommit checks that concurrent submitters share commits.
func Test_groupCommit(t *testing.T) {
	s := openTest(t, Options{})
	pk := randHex32()
	var es []testEvent
	for i := range 2000 {
		es = append(es, makeEvent(pk, 1, int64(1000+i), nostr.Tags{{"t", "x"}}, strconv.Itoa(i)))
	}
	for i, err := range submitAll(s, es, 8) {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	commits := s.commits.Load()
	t.Logf("%d events in %d commits", len(es), commits)
	if commits > uint64(len(es))/2 {
		t.Errorf("got %d commits for %d concurrent events, want at most %d", commits, len(es), len(es)/2)
	}
}

// Test_txnSplit checks batches larger than one badger transaction: they are
// split, and an event too large for any transaction is refused alone.
func Test_txnSplit(t *testing.T) {
	s := openTest(t, Options{MemTableSize: 1 << 20})
	pk := randHex32()
	var es []testEvent
	for i := range 300 {
		var tags nostr.Tags
		for j := range 50 {
			tags = append(tags, nostr.Tag{"t", strconv.Itoa(i*100 + j)})
		}
		es = append(es, makeEvent(pk, 1, int64(1000+i), tags, ""))
	}
	var huge nostr.Tags
	for j := range 5000 {
		huge = append(huge, nostr.Tag{"p", strconv.Itoa(j)})
	}
	es = append(es, makeEvent(pk, 1, 5000, huge, "huge"))
	errs := submitAll(s, es, 4)
	for i, err := range errs[:300] {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if err := errs[300]; !errors.Is(err, store.ErrTooLarge) {
		t.Errorf("event with 5000 tags: got %v, want %v", err, store.ErrTooLarge)
	}
	if n := count(t, s, nostr.Filter{Authors: []string{pk}}); n != 300 {
		t.Errorf("count: got %d, want 300", n)
	}
	t.Logf("300 events in %d commits", s.commits.Load())
}

func Test_maxEventSize(t *testing.T) {
	s := openTest(t, Options{MaxEventSize: 1000})
	pk := randHex32()
	tests := []struct {
		name    string
		content int
		want    error
	}{
		{"fits", 100, nil},
		{"too large", 1000, store.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := makeEvent(pk, 1, 1000, nil, string(make([]byte, tc.content)))
			if err := s.Save(context.Background(), e.ev, e.raw); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// Test_reopen checks that events, deletions and the serial survive a
// close and reopen.
func Test_reopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pk := randHex32()
	keep := makeEvent(pk, 1, 1000, nil, "keep")
	gone := makeEvent(pk, 1, 1001, nil, "gone")
	del := makeEvent(pk, 5, 1002, nostr.Tags{{"e", gone.ev.ID}}, "")
	ctx := context.Background()
	for _, e := range []testEvent{keep, gone, del} {
		if err := s.Save(ctx, e.ev, e.raw); err != nil {
			t.Fatal(err)
		}
	}
	serial := s.serial
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.serial != serial {
		t.Errorf("serial after reopen: got %d, want %d", s.serial, serial)
	}
	if err := s.Save(ctx, gone.ev, gone.raw); !errors.Is(err, store.ErrDeleted) {
		t.Errorf("save deleted event after reopen: got %v, want %v", err, store.ErrDeleted)
	}
	next := makeEvent(pk, 1, 1003, nil, "next")
	if err := s.Save(ctx, next.ev, next.raw); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = s.Query(ctx, nostr.Filter{Authors: []string{pk}}, 10, func(raw []byte) bool {
		got = append(got, string(raw))
		return true
	})
	want := []string{string(next.raw), string(del.raw), string(keep.raw)}
	if err != nil || len(got) != len(want) {
		t.Fatalf("query: got %d events (%v), want %d", len(got), err, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: got %s, want %s", i, got[i], want[i])
		}
	}
}

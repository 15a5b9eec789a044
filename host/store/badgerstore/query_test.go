package badgerstore

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/nbd-wtf/go-nostr"
)

// Test_querySelectivity checks that the index picked for each filter shape
// makes a query read about as many events as it returns, not the store.
func Test_querySelectivity(t *testing.T) {
	s := openTest(t, Options{})
	var (
		authors []string
		es      []testEvent
	)
	for range 20 {
		authors = append(authors, randHex32())
	}
	for i := range 2000 {
		kind := 1
		if i%10 == 0 {
			kind = 7
		}
		tags := nostr.Tags{{"t", "tag" + strconv.Itoa(i%50)}, {"e", randHex32()}}
		es = append(es, makeEvent(authors[i%20], kind, int64(10_000+i), tags, "note "+strconv.Itoa(i)))
	}
	for i, err := range submitAll(s, es, 4) {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	a := authors[3]
	since, until := nostr.Timestamp(10_500), nostr.Timestamp(10_519)
	tests := []struct {
		name    string
		f       nostr.Filter
		limit   int
		want    int // events returned
		maxRead int
	}{
		{"author", nostr.Filter{Authors: []string{a}}, 10, 10, 10},
		{"three authors", nostr.Filter{Authors: authors[:3]}, 10, 10, 10},
		{"author and kind", nostr.Filter{Authors: []string{a}, Kinds: []int{1}}, 10, 10, 10},
		{"rare kind", nostr.Filter{Kinds: []int{7}}, 10, 10, 10},
		{"tag", nostr.Filter{Tags: nostr.TagMap{"t": {"tag7"}}}, 100, 40, 40},
		{"e tag", nostr.Filter{Tags: nostr.TagMap{"e": {es[1234].ev.Tags[1][1]}}}, 10, 1, 1},
		{"ids", nostr.Filter{IDs: []string{es[1].ev.ID, es[2].ev.ID, es[3].ev.ID}}, 10, 3, 3},
		{"time window", nostr.Filter{Since: &since, Until: &until}, 100, 20, 20},
		{"author in a window", nostr.Filter{Authors: []string{a}, Since: &since, Until: &until}, 100, 1, 1},
		{"newest", nostr.Filter{}, 50, 50, 50},
		{"author count", nostr.Filter{Authors: []string{a}}, 1 << 30, 100, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := 0
			read, err := s.scan(context.Background(), tc.f, tc.limit, false, func([]byte) bool { got++; return true })
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || read > tc.maxRead {
				t.Errorf("got %d events for %d read, want %d for at most %d", got, read, tc.want, tc.maxRead)
			}
		})
	}
}

// TestQueryManyAuthorKindPairs: an authors×kinds filter past
// maxAuthorKindPairs iterates only the pairs that exist and were asked for
// (the asked kinds each author has): it returns the events newest first and
// reads no event of another kind.
func TestQueryManyAuthorKindPairs(t *testing.T) {
	s := openTest(t, Options{})
	var authors []string
	var es []testEvent
	for i := range 40 {
		authors = append(authors, randHex32())
		for j, kind := range []int{1, 7, 30023, 1} {
			es = append(es, makeEvent(authors[i], kind, int64(5_000+i*10+j), nostr.Tags{{"d", strconv.Itoa(j)}}, "e"+strconv.Itoa(j)))
		}
	}
	for i, err := range submitAll(s, es, 2) {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	names := slices.Clone(authors)
	for len(names) <= maxAuthorKindPairs/2 {
		names = append(names, randHex32()) // authors with no events
	}
	f := nostr.Filter{Authors: names, Kinds: []int{1, 7}}
	if len(f.Authors)*len(f.Kinds) <= maxAuthorKindPairs {
		t.Fatalf("%d pairs: not past the cap", len(f.Authors)*len(f.Kinds))
	}
	var want []string
	for i := len(es) - 1; i >= 0; i-- {
		if k := es[i].ev.Kind; k == 1 || k == 7 {
			want = append(want, es[i].ev.ID)
		}
	}
	if got := queryIDs(t, s, f); !slices.Equal(got, want) {
		t.Fatalf("%d events, want %d newest first", len(got), len(want))
	}
	read, err := s.scan(context.Background(), f, 1<<30, false, func([]byte) bool { return true })
	if err != nil || read != len(want) {
		t.Fatalf("read %d events (err %v), want only the %d returned", read, err, len(want))
	}
}

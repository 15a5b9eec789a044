package badgerstore

import (
	"context"
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

package badgerstore

import (
	"context"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// TestCompressionChangeOpens opens a store whose tables were written with
// snappy (the default before Compress) with the default options, and the
// other way round: badger records each table's compression in its
// MANIFEST, so every event and index entry reads back, before and after
// a compaction rewrites the tables with the new setting, and fsck finds
// nothing.
func TestCompressionChangeOpens(t *testing.T) {
	tests := []struct {
		name          string
		before, after Options
	}{
		{"snappy store, default options", Options{Compress: true}, Options{}},
		{"uncompressed store, snappy", Options{}, Options{Compress: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			authors := []string{randHex32(), randHex32(), randHex32()}
			var es []testEvent
			start := time.Now().Unix() - 10_000
			for i := range 3000 {
				es = append(es, note(authors, es, i, start+int64(i)))
			}
			s, err := Open(dir, tc.before)
			if err != nil {
				t.Fatal(err)
			}
			for i, err := range submitAll(s, es[:2000], 8) {
				if err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
			}
			if err := s.Close(); err != nil { // flushes the memtable into a table
				t.Fatal(err)
			}

			s, err = Open(dir, tc.after)
			if err != nil {
				t.Fatalf("reopen with the other compression: %v", err)
			}
			defer s.Close()
			for i, err := range submitAll(s, es[2000:], 8) {
				if err != nil {
					t.Fatalf("event %d: %v", 2000+i, err)
				}
			}
			check := func(when string) {
				t.Helper()
				if n := count(t, s, nostr.Filter{}); n != 3000 {
					t.Errorf("%s: %d events, want 3000", when, n)
				}
				if n := count(t, s, nostr.Filter{Authors: authors[:1]}); n != 1000 {
					t.Errorf("%s: %d events by the first author, want 1000", when, n)
				}
				if n := count(t, s, nostr.Filter{Tags: nostr.TagMap{"t": {"topic3"}}}); n != 150 {
					t.Errorf("%s: %d events tagged topic3, want 150", when, n)
				}
				res, err := s.Check(context.Background(), func(p Problem) { t.Errorf("%s: fsck: %v", when, p) })
				if err != nil || res.Total() != 0 {
					t.Errorf("%s: fsck: %+v, %v", when, res, err)
				}
			}
			check("reopened")
			if _, _, err := s.Compact(context.Background(), 0.5); err != nil {
				t.Fatal(err)
			}
			check("compacted")
		})
	}
}

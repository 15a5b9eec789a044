package main

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/nbd-wtf/go-nostr"
)

// Test_pagerAdvance pages through a simulated relay (newest first, at most
// limit events at or before until): every event comes out once, in order,
// across page edges that split a second; a second with more events than a
// page is reported, and only then are events missing.
func Test_pagerAdvance(t *testing.T) {
	tests := []struct {
		name    string
		seconds []int // created_at of the stored events, newest first
		page    int
		missing int
		warned  bool
	}{
		{"distinct seconds", []int{9, 8, 7, 6, 5, 4, 3}, 2, 0, false},
		{"edge splits a second", []int{10, 10, 9, 9, 9, 8, 7, 7}, 3, 0, true},
		{"second larger than a page", []int{10, 10, 10, 9, 8}, 2, 1, true},
		{"one page", []int{5, 5, 4}, 10, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var all []pagedEvent
			for i, s := range tc.seconds {
				all = append(all, pagedEvent{id: fmt.Sprint(s, "-", i), createdAt: nostr.Timestamp(s)})
			}
			pg := pager{seen: map[string]struct{}{}}
			var got []string
			var warn bytes.Buffer
			for rounds := 0; ; rounds++ {
				if rounds > 100 {
					t.Fatal("paging does not end")
				}
				var resp []pagedEvent
				for _, e := range all {
					if (pg.until == nil || e.createdAt <= *pg.until) && len(resp) < tc.page {
						resp = append(resp, e)
					}
				}
				if len(resp) == 0 {
					break
				}
				for _, e := range pg.advance(resp, tc.page, &warn) {
					got = append(got, e.id)
				}
			}
			var want []string
			for _, e := range all {
				want = append(want, e.id)
			}
			if len(want)-len(got) != tc.missing {
				t.Errorf("got %v, want %v with %d missing", got, want, tc.missing)
			}
			for i := 1; i < len(got); i++ {
				if slices.Index(want, got[i]) <= slices.Index(want, got[i-1]) {
					t.Errorf("out of order or repeated: %v", got)
				}
			}
			if (warn.Len() > 0) != tc.warned {
				t.Errorf("warning %q, want one: %v", warn.String(), tc.warned)
			}
		})
	}
}

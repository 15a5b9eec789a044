package subindex_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/subindex"
)

// FuzzMatch holds the index to nostr.Filters.Match for filters and events
// read from JSON (with go-nostr's own decoders): one subscription with all
// the filters, one per filter, and an unrelated one, before and after
// removing some. Seeds are in testdata/fuzz/FuzzMatch.
func FuzzMatch(f *testing.F) {
	f.Add([]byte(`[{"kinds":[1]},{"#t":["x"]}]`), []byte(`{"kind":1,"tags":[["t","x"]]}`))
	f.Fuzz(func(t *testing.T, filtersJSON, eventJSON []byte) {
		var filters nostr.Filters
		if json.Unmarshal(filtersJSON, &filters) != nil {
			return
		}
		var ev nostr.Event
		if ev.UnmarshalJSON(eventJSON) != nil {
			return
		}
		ix := subindex.New[int]()
		subs := []testSub{{session: 1, id: "all", filters: filters}}
		ix.Add(1, "all", filters, 0)
		for i, f := range filters {
			s := testSub{session: 2, id: string(rune('a' + i)), filters: nostr.Filters{f}}
			ix.Add(s.session, s.id, s.filters, len(subs))
			subs = append(subs, s)
		}
		other := nostr.Filters{{Kinds: []int{ev.Kind + 1}}}
		ix.Add(3, "other", other, len(subs))
		subs = append(subs, testSub{session: 3, id: "other", filters: other})
		check := func(when string) {
			if got, want := matchAll(t, ix, &ev), bruteForce(subs, &ev); !slices.Equal(got, want) {
				t.Fatalf("%s: Match(%s) with %s = %v, want %v", when, eventJSON, filtersJSON, got, want)
			}
		}
		check("added")
		for i := 1; i < len(subs)-1; i += 2 {
			ix.Remove(subs[i].session, subs[i].id)
			subs[i].removed = true
		}
		check("after Remove")
		ix.RemoveSession(1)
		subs[0].removed = true
		check("after RemoveSession")
	})
}

package subindex_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/subindex"
)

// testSub is a subscription as the tests track it; its value is its index
// in a []testSub.
type testSub struct {
	session uint64
	id      string
	filters nostr.Filters
	removed bool
}

// matchAll returns the sorted values Match reports, failing on duplicates.
func matchAll(t testing.TB, ix *subindex.Index[int], ev *nostr.Event) []int {
	t.Helper()
	var got []int
	ix.Match(ev, func(v int) { got = append(got, v) })
	slices.Sort(got)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("Match reported subscription %d twice", got[i])
		}
	}
	return got
}

// bruteForce returns the sorted values of the live subscriptions whose
// filters match ev, by nostr.Filters.Match.
func bruteForce(subs []testSub, ev *nostr.Event) []int {
	var want []int
	for i, s := range subs {
		if !s.removed && s.filters.Match(ev) {
			want = append(want, i)
		}
	}
	return want
}

func ts(n int64) *nostr.Timestamp {
	t := nostr.Timestamp(n)
	return &t
}

const (
	idA  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	idB  = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	pkA  = "1111111111111111111111111111111111111111111111111111111111111111"
	pkB  = "2222222222222222222222222222222222222222222222222222222222222222"
	many = 12 // more values than the linear search handles
)

// longList returns n values, one of which is v.
func longList(n int, v string) []string {
	l := []string{v}
	for i := 1; i < n; i++ {
		l = append(l, fmt.Sprintf("%064d", i))
	}
	return l
}

func TestMatch(t *testing.T) {
	event := &nostr.Event{ID: idA, PubKey: pkA, CreatedAt: 100, Kind: 1, Tags: nostr.Tags{
		{"e", idB, "wss://r", "root"}, {"p", pkB}, {"t", "nostr"}, {"t", "go"}, {"x"}, {"emoji", "smile"}, {"d", ""},
	}}
	tests := []struct {
		name    string
		filters nostr.Filters
		want    bool
	}{
		{"empty filter", nostr.Filters{{}}, true},
		{"no filters", nostr.Filters{}, false},
		{"id", nostr.Filters{{IDs: []string{idB, idA}}}, true},
		{"other id", nostr.Filters{{IDs: []string{idB}}}, false},
		{"long id list", nostr.Filters{{IDs: longList(many, idA)}}, true},
		{"empty ids", nostr.Filters{{IDs: []string{}}}, false},
		{"author", nostr.Filters{{Authors: []string{pkA}}}, true},
		{"other author", nostr.Filters{{Authors: []string{pkB}}}, false},
		{"author and long id list", nostr.Filters{{Authors: []string{pkA}, IDs: longList(many, idA)}}, true},
		{"authors and other kind", nostr.Filters{{Authors: []string{pkA}, Kinds: []int{7}}}, false},
		{"kind", nostr.Filters{{Kinds: []int{7, 1}}}, true},
		{"other kind", nostr.Filters{{Kinds: []int{0}}}, false},
		{"empty kinds", nostr.Filters{{Kinds: []int{}}}, false},
		{"tag", nostr.Filters{{Tags: nostr.TagMap{"e": {idB}}}}, true},
		{"tag second value ignored", nostr.Filters{{Tags: nostr.TagMap{"e": {"wss://r"}}}}, false},
		{"tag without value", nostr.Filters{{Tags: nostr.TagMap{"x": {""}}}}, false},
		{"empty tag value", nostr.Filters{{Tags: nostr.TagMap{"d": {""}}}}, true},
		{"two tags", nostr.Filters{{Tags: nostr.TagMap{"t": {"go"}, "p": {pkB}}}}, true},
		{"two tags one missing", nostr.Filters{{Tags: nostr.TagMap{"t": {"go"}, "p": {pkA}}}}, false},
		{"duplicate tag values", nostr.Filters{{Tags: nostr.TagMap{"t": {"go", "nostr", "go"}}}}, true},
		{"nil tag values ignored", nostr.Filters{{Tags: nostr.TagMap{"q": nil}}}, true},
		{"empty tag values", nostr.Filters{{Tags: nostr.TagMap{"t": {}}}}, false},
		{"multi-letter tag", nostr.Filters{{Tags: nostr.TagMap{"emoji": {"smile"}}}}, true},
		{"multi-letter tag missing", nostr.Filters{{Tags: nostr.TagMap{"emoji": {"frown"}}}}, false},
		{"multi-letter tag and kind", nostr.Filters{{Kinds: []int{1}, Tags: nostr.TagMap{"emoji": {"frown"}}}}, false},
		{"long tag list and author", nostr.Filters{{Authors: []string{pkA}, Tags: nostr.TagMap{"p": longList(many, pkB)}}}, true},
		{"since", nostr.Filters{{Since: ts(100)}}, true},
		{"since after", nostr.Filters{{Since: ts(101)}}, false},
		{"until", nostr.Filters{{Until: ts(100)}}, true},
		{"until before", nostr.Filters{{Kinds: []int{1}, Until: ts(99)}}, false},
		{"limit ignored", nostr.Filters{{Kinds: []int{1}, Limit: 1, LimitZero: true}}, true},
		{"second filter", nostr.Filters{{Kinds: []int{0}}, {Tags: nostr.TagMap{"t": {"nostr"}}}}, true},
		{"all filters match", nostr.Filters{{}, {IDs: []string{idA}}, {Tags: nostr.TagMap{"t": {"go", "nostr"}}}}, true},
		{"everything", nostr.Filters{{IDs: []string{idA}, Authors: []string{pkA}, Kinds: []int{1}, Tags: nostr.TagMap{"t": {"go"}, "e": {idB}}, Since: ts(1), Until: ts(1000)}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.filters.Match(event); got != tc.want {
				t.Fatalf("oracle nostr.Filters.Match = %v, want %v", got, tc.want)
			}
			ix := subindex.New[int]()
			ix.Add(1, "other", nostr.Filters{{Kinds: []int{9}}}, 0)
			ix.Add(2, "sub", tc.filters, 1)
			got := matchAll(t, ix, event)
			if want := map[bool][]int{true: {1}, false: nil}[tc.want]; !slices.Equal(got, want) {
				t.Errorf("Match = %v, want %v", got, want)
			}
		})
	}
}

func TestAddRemove(t *testing.T) {
	ix := subindex.New[string]()
	event := &nostr.Event{ID: idA, PubKey: pkA, Kind: 1}
	matched := func() []string {
		var got []string
		ix.Match(event, func(v string) { got = append(got, v) })
		slices.Sort(got)
		return got
	}
	ix.Add(1, "a", nostr.Filters{{Kinds: []int{1}}}, "1a")
	ix.Add(1, "b", nostr.Filters{{Authors: []string{pkA}}}, "1b")
	ix.Add(2, "a", nostr.Filters{{}}, "2a")
	ix.Add(3, "a", nostr.Filters{{IDs: []string{idA}}, {Kinds: []int{1}}}, "3a")
	steps := []struct {
		name string
		do   func() any
		want any
		len  int
		hits []string
	}{
		{"start", func() any { return nil }, nil, 4, []string{"1a", "1b", "2a", "3a"}},
		{"replace", func() any { ix.Add(1, "a", nostr.Filters{{Kinds: []int{2}}}, "1a'"); return nil }, nil, 4, []string{"1b", "2a", "3a"}},
		{"replace back", func() any { ix.Add(1, "a", nostr.Filters{{Kinds: []int{1}}}, "1a''"); return nil }, nil, 4, []string{"1a''", "1b", "2a", "3a"}},
		{"remove", func() any { return ix.Remove(2, "a") }, true, 3, []string{"1a''", "1b", "3a"}},
		{"remove again", func() any { return ix.Remove(2, "a") }, false, 3, []string{"1a''", "1b", "3a"}},
		{"remove unknown session", func() any { return ix.Remove(9, "a") }, false, 3, []string{"1a''", "1b", "3a"}},
		{"remove session", func() any { return ix.RemoveSession(1) }, 2, 1, []string{"3a"}},
		{"remove empty session", func() any { return ix.RemoveSession(1) }, 0, 1, []string{"3a"}},
		{"remove last", func() any { return ix.RemoveSession(3) }, 1, 0, nil},
		{"add after empty", func() any { ix.Add(4, "z", nostr.Filters{{}}, "4z"); return nil }, nil, 1, []string{"4z"}},
	}
	for _, step := range steps {
		if got := step.do(); got != step.want {
			t.Fatalf("%s: got %v, want %v", step.name, got, step.want)
		}
		if got := ix.Len(); got != step.len {
			t.Fatalf("%s: Len = %d, want %d", step.name, got, step.len)
		}
		if got := matched(); !slices.Equal(got, step.hits) {
			t.Fatalf("%s: Match = %v, want %v", step.name, got, step.hits)
		}
	}
}

func TestMatchDedup(t *testing.T) {
	event := &nostr.Event{ID: idA, PubKey: pkA, Kind: 1, Tags: nostr.Tags{{"t", "a"}, {"t", "b"}, {"t", "a"}}}
	for _, n := range []int{1, 31, 32, 33, 200} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ix := subindex.New[int]()
			var subs []testSub
			for i := range n {
				f := nostr.Filters{{Tags: nostr.TagMap{"t": {"a", "b"}}}, {Kinds: []int{1}}, {}}
				if i%2 == 1 {
					f = nostr.Filters{{Tags: nostr.TagMap{"t": {"b", "a"}}}}
				}
				subs = append(subs, testSub{session: uint64(i), id: "s", filters: f})
				ix.Add(uint64(i), "s", f, i)
			}
			for range 3 { // the pooled map must come back empty
				if got, want := matchAll(t, ix, event), bruteForce(subs, event); !slices.Equal(got, want) {
					t.Fatalf("Match = %v, want %v", got, want)
				}
			}
		})
	}
}

// universe is the small set of values random filters and events draw from,
// so that they often match.
var universe = struct {
	ids, pubkeys, names, values []string
}{
	ids:     []string{idA, idB, "cc", "dd"},
	pubkeys: []string{pkA, pkB, "33", "44"},
	names:   []string{"e", "p", "t", "ab", "E"},
	values:  []string{"v0", "v1", "v2", ""},
}

func pick[E any](r *rand.Rand, s []E, max int) []E {
	if r.IntN(3) == 0 {
		return nil
	}
	out := []E{}
	for range r.IntN(max + 1) {
		out = append(out, s[r.IntN(len(s))])
	}
	return out
}

func randomFilter(r *rand.Rand) nostr.Filter {
	f := nostr.Filter{IDs: pick(r, universe.ids, 2), Authors: pick(r, universe.pubkeys, 3)}
	if r.IntN(2) == 0 {
		f.Kinds = pick(r, []int{0, 1, 2, 3}, 3)
	}
	if r.IntN(2) == 0 {
		f.IDs = nil
	}
	if r.IntN(3) == 0 {
		f.Authors = nil
	}
	if r.IntN(2) == 0 {
		f.Tags = nostr.TagMap{}
		for range r.IntN(3) {
			f.Tags[universe.names[r.IntN(len(universe.names))]] = pick(r, universe.values, 3)
		}
	}
	if r.IntN(4) == 0 {
		f.Since = ts(r.Int64N(10))
	}
	if r.IntN(4) == 0 {
		f.Until = ts(r.Int64N(10))
	}
	return f
}

func randomEvent(r *rand.Rand) *nostr.Event {
	ev := &nostr.Event{
		ID: universe.ids[r.IntN(4)], PubKey: universe.pubkeys[r.IntN(4)],
		Kind: r.IntN(4), CreatedAt: nostr.Timestamp(r.Int64N(10)),
	}
	for range r.IntN(5) {
		tag := nostr.Tag{universe.names[r.IntN(len(universe.names))]}
		for range r.IntN(3) {
			tag = append(tag, universe.values[r.IntN(len(universe.values))])
		}
		ev.Tags = append(ev.Tags, tag)
	}
	return ev
}

// TestMatchRandom is a differential test: random subscriptions, added,
// replaced and removed at random, against a brute-force scan.
func TestMatchRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ix := subindex.New[int]()
	var subs []testSub
	live := map[[2]string]int{} // (session, id) → index in subs
	for round := range 3000 {
		switch op := r.IntN(10); {
		case op < 6:
			s := testSub{session: uint64(r.IntN(20)), id: fmt.Sprint(r.IntN(3))}
			for range r.IntN(4) {
				s.filters = append(s.filters, randomFilter(r))
			}
			key := [2]string{fmt.Sprint(s.session), s.id}
			if old, ok := live[key]; ok {
				subs[old].removed = true
			}
			live[key] = len(subs)
			subs = append(subs, s)
			ix.Add(s.session, s.id, s.filters, len(subs)-1)
		case op < 8:
			session, id := uint64(r.IntN(20)), fmt.Sprint(r.IntN(3))
			key := [2]string{fmt.Sprint(session), id}
			old, ok := live[key]
			if got := ix.Remove(session, id); got != ok {
				t.Fatalf("round %d: Remove = %v, want %v", round, got, ok)
			}
			if ok {
				subs[old].removed = true
				delete(live, key)
			}
		default:
			session := uint64(r.IntN(20))
			want := 0
			for key, i := range live {
				if key[0] == fmt.Sprint(session) {
					subs[i].removed = true
					delete(live, key)
					want++
				}
			}
			if got := ix.RemoveSession(session); got != want {
				t.Fatalf("round %d: RemoveSession = %d, want %d", round, got, want)
			}
		}
		if ix.Len() != len(live) {
			t.Fatalf("round %d: Len = %d, want %d", round, ix.Len(), len(live))
		}
		for range 5 {
			ev := randomEvent(r)
			if got, want := matchAll(t, ix, ev), bruteForce(subs, ev); !slices.Equal(got, want) {
				t.Fatalf("round %d: Match(%v) = %v, want %v", round, ev, got, want)
			}
		}
	}
}

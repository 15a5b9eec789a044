package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"
)

// fixture is a small set of events from three authors, with ties on
// created_at, every kind of tag the index has to handle, and one
// addressable event.
type fixture struct {
	alice, bob, carol key
	x1                string // an e tag value that is no stored event
	n                 [9]signed
}

func newFixture(t *testing.T) *fixture {
	fx := &fixture{alice: newKey(t), bob: newKey(t), carol: newKey(t), x1: strings.Repeat("e1", 32)}
	a, b, c := fx.alice, fx.bob, fx.carol
	fx.n[0] = a.sign(t, 1, 10, nostr.Tags{{"e", fx.x1}, {"p", b.pk}, {"t", "nostr"}}, "n0")
	fx.n[1] = a.sign(t, 1, 20, nostr.Tags{{"t", "go"}}, "n1")
	fx.n[2] = a.sign(t, 7, 30, nostr.Tags{{"e", fx.n[0].ev.ID}, {"p", a.pk}}, "+")
	fx.n[3] = b.sign(t, 1, 20, nostr.Tags{{"t", "nostr"}, {"t", "go"}}, "n3")
	fx.n[4] = b.sign(t, 1, 40, nostr.Tags{{"r", "https://example.com/"}, {"L", "#lang"}, {"l", "en", "#lang"}}, "n4")
	fx.n[5] = c.sign(t, 1, 20, nostr.Tags{{"e", fx.x1, "wss://relay.example"}, {"x", "deadbeef"}}, "n5")
	fx.n[6] = c.sign(t, 1, 50, nostr.Tags{{"p", a.pk}, {"T", "upper"}, {"e"}}, "n6")
	fx.n[7] = c.sign(t, 30023, 5, nostr.Tags{{"d", "post"}, {"title", "Hello"}}, "n7")
	fx.n[8] = a.sign(t, 1, 20, nostr.Tags{{"t", "Go"}}, "n8")
	return fx
}

func (fx *fixture) pick(is ...int) []signed {
	out := make([]signed, len(is))
	for j, i := range is {
		out[j] = fx.n[i]
	}
	return out
}

func (h harness) testQuery(t *testing.T) {
	fx := newFixture(t)
	s := h.open(t)
	mustSave(t, s, fx.n[:]...)
	a, b, c, n := fx.alice.pk, fx.bob.pk, fx.carol.pk, fx.n
	tests := []struct {
		name string
		f    nostr.Filter
		want []int
	}{
		{"empty filter", nostr.Filter{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"one id", nostr.Filter{IDs: []string{n[3].ev.ID}}, []int{3}},
		{"several ids", nostr.Filter{IDs: []string{n[7].ev.ID, n[0].ev.ID, n[5].ev.ID}}, []int{0, 5, 7}},
		{"unknown id", nostr.Filter{IDs: []string{fx.x1}}, nil},
		{"ids none", nostr.Filter{IDs: []string{}}, nil},
		{"id prefix is not a match", nostr.Filter{IDs: []string{n[3].ev.ID[:16]}}, nil},
		{"id and author", nostr.Filter{IDs: []string{n[3].ev.ID, n[0].ev.ID}, Authors: []string{b}}, []int{3}},
		{"one author", nostr.Filter{Authors: []string{a}}, []int{0, 1, 2, 8}},
		{"several authors", nostr.Filter{Authors: []string{a, c}}, []int{0, 1, 2, 5, 6, 7, 8}},
		{"unknown author", nostr.Filter{Authors: []string{fx.x1}}, nil},
		{"upper case author", nostr.Filter{Authors: []string{strings.ToUpper(a)}}, nil},
		{"authors none", nostr.Filter{Authors: []string{}}, nil},
		{"one kind", nostr.Filter{Kinds: []int{1}}, []int{0, 1, 3, 4, 5, 6, 8}},
		{"several kinds", nostr.Filter{Kinds: []int{7, 30023}}, []int{2, 7}},
		{"unused kind", nostr.Filter{Kinds: []int{2}}, nil},
		{"kinds none", nostr.Filter{Kinds: []int{}}, nil},
		{"author and kind", nostr.Filter{Authors: []string{a}, Kinds: []int{1}}, []int{0, 1, 8}},
		{"authors and kinds", nostr.Filter{Authors: []string{a, c}, Kinds: []int{7, 30023}}, []int{2, 7}},
		{"#e", nostr.Filter{Tags: nostr.TagMap{"e": {fx.x1}}}, []int{0, 5}},
		{"#e event id", nostr.Filter{Tags: nostr.TagMap{"e": {n[0].ev.ID}}}, []int{2}},
		{"#e other case", nostr.Filter{Tags: nostr.TagMap{"e": {strings.ToUpper(fx.x1)}}}, nil},
		{"#e prefix", nostr.Filter{Tags: nostr.TagMap{"e": {fx.x1[:10]}}}, nil},
		{"#p", nostr.Filter{Tags: nostr.TagMap{"p": {a}}}, []int{2, 6}},
		{"#p several", nostr.Filter{Tags: nostr.TagMap{"p": {a, b}}}, []int{0, 2, 6}},
		{"#t", nostr.Filter{Tags: nostr.TagMap{"t": {"nostr"}}}, []int{0, 3}},
		{"#t several", nostr.Filter{Tags: nostr.TagMap{"t": {"nostr", "go"}}}, []int{0, 1, 3}},
		{"#t is case sensitive", nostr.Filter{Tags: nostr.TagMap{"t": {"Go"}}}, []int{8}},
		{"#t and #p", nostr.Filter{Tags: nostr.TagMap{"t": {"nostr"}, "p": {b}}}, []int{0}},
		{"#r", nostr.Filter{Tags: nostr.TagMap{"r": {"https://example.com/"}}}, []int{4}},
		{"#L", nostr.Filter{Tags: nostr.TagMap{"L": {"#lang"}}}, []int{4}},
		{"#l", nostr.Filter{Tags: nostr.TagMap{"l": {"en"}}}, []int{4}},
		{"#x", nostr.Filter{Tags: nostr.TagMap{"x": {"deadbeef"}}}, []int{5}},
		{"#T upper case letter", nostr.Filter{Tags: nostr.TagMap{"T": {"upper"}}}, []int{6}},
		{"#d", nostr.Filter{Tags: nostr.TagMap{"d": {"post"}}}, []int{7}},
		{"#title multi-letter", nostr.Filter{Tags: nostr.TagMap{"title": {"Hello"}}}, []int{7}},
		{"tag without value", nostr.Filter{Tags: nostr.TagMap{"e": {""}}}, nil},
		{"tag values none", nostr.Filter{Tags: nostr.TagMap{"t": {}}}, nil},
		{"kind and #t", nostr.Filter{Kinds: []int{1}, Tags: nostr.TagMap{"t": {"go"}}}, []int{1, 3}},
		{"author and #t", nostr.Filter{Authors: []string{b}, Tags: nostr.TagMap{"t": {"go"}}}, []int{3}},
		{"since inclusive", nostr.Filter{Since: ts(20)}, []int{1, 2, 3, 4, 5, 6, 8}},
		{"until inclusive", nostr.Filter{Until: ts(20)}, []int{0, 1, 3, 5, 7, 8}},
		{"since equals until", nostr.Filter{Since: ts(20), Until: ts(20)}, []int{1, 3, 5, 8}},
		{"since after until", nostr.Filter{Since: ts(30), Until: ts(20)}, nil},
		{"window", nostr.Filter{Since: ts(11), Until: ts(39)}, []int{1, 2, 3, 5, 8}},
		{"author and window", nostr.Filter{Authors: []string{a}, Since: ts(15), Until: ts(25)}, []int{1, 8}},
		{"kind and since", nostr.Filter{Kinds: []int{1}, Since: ts(40)}, []int{4, 6}},
		{"#e and until", nostr.Filter{Tags: nostr.TagMap{"e": {fx.x1}}, Until: ts(15)}, []int{0}},
		{"ids and since", nostr.Filter{IDs: []string{n[0].ev.ID, n[6].ev.ID}, Since: ts(20)}, []int{6}},
		{"everything at once", nostr.Filter{
			IDs: []string{n[3].ev.ID, n[4].ev.ID}, Authors: []string{b}, Kinds: []int{1},
			Tags: nostr.TagMap{"t": {"go"}}, Since: ts(20), Until: ts(20),
		}, []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantIDs(t, s, tc.f, fx.pick(tc.want...)...)
		})
	}
}

func (h harness) testQueryLimit(t *testing.T) {
	fx := newFixture(t)
	s := h.open(t)
	mustSave(t, s, fx.n[:]...)
	all := ordered(fx.n[:]...)
	kind1 := ordered(fx.pick(0, 1, 3, 4, 5, 6, 8)...)
	tests := []struct {
		name  string
		f     nostr.Filter
		limit int
		want  []string
	}{
		{"limit 1", nostr.Filter{}, 1, all[:1]},
		{"limit inside a tie", nostr.Filter{}, 4, all[:4]},
		{"limit above total", nostr.Filter{}, 100, all},
		{"limit 0 means none", nostr.Filter{}, 0, nil},
		{"negative limit means none", nostr.Filter{}, -1, nil},
		{"limit after kind filter", nostr.Filter{Kinds: []int{1}}, 3, kind1[:3]},
		{"filter Limit is ignored", nostr.Filter{Limit: 1}, 3, all[:3]},
		{"limit with ids", nostr.Filter{IDs: []string{fx.n[0].ev.ID, fx.n[6].ev.ID, fx.n[7].ev.ID}}, 2,
			ordered(fx.pick(6, 0)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := queryIDs(t, s, tc.f, tc.limit); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("count ignores limit", func(t *testing.T) {
		if n := count(t, s, nostr.Filter{Limit: 1}); n != int64(len(all)) {
			t.Errorf("got %d, want %d", n, len(all))
		}
	})
	t.Run("fn stops the query", func(t *testing.T) {
		calls := 0
		err := s.Query(context.Background(), nostr.Filter{}, 100, func([]byte) bool {
			calls++
			return calls < 2
		})
		if err != nil || calls != 2 {
			t.Errorf("got %d calls and %v, want 2 calls and nil", calls, err)
		}
	})
}

// testQueryTies checks the tie-break on equal created_at: id ascending,
// whatever the order the events were saved in.
func (h harness) testQueryTies(t *testing.T) {
	s := h.open(t)
	var (
		es      []signed
		authors []string
	)
	for i := range 12 {
		k := newKey(t)
		es = append(es, k.sign(t, 1, 100, nostr.Tags{{"t", "tie"}}, strings.Repeat("z", i)))
		authors = append(authors, k.pk)
	}
	older := newKey(t).sign(t, 1, 99, nostr.Tags{{"t", "tie"}}, "")
	newer := newKey(t).sign(t, 1, 101, nostr.Tags{{"t", "tie"}}, "")
	authors = append(authors, older.ev.PubKey, newer.ev.PubKey)
	mustSave(t, s, append(es, older, newer)...)
	ids := make([]string, 0, len(es)+2)
	ids = append(ids, newer.ev.ID)
	for _, e := range es {
		ids = append(ids, e.ev.ID)
	}
	slices.Sort(ids[1:])
	ids = append(ids, older.ev.ID)
	filters := []struct {
		name string
		f    nostr.Filter
	}{
		{"all", nostr.Filter{}},
		{"kind", nostr.Filter{Kinds: []int{1}}},
		{"authors", nostr.Filter{Authors: authors}},
		{"authors and kind", nostr.Filter{Authors: authors, Kinds: []int{1}}},
		{"tag", nostr.Filter{Tags: nostr.TagMap{"t": {"tie"}}}},
	}
	for _, fc := range filters {
		for _, limit := range []int{1, 2, 5, 13, 14, 50} {
			want := ids[:min(limit, len(ids))]
			if got := queryIDs(t, s, fc.f, limit); !slices.Equal(got, want) {
				t.Errorf("%s, limit %d:\n got %v\nwant %v", fc.name, limit, got, want)
			}
		}
	}
}

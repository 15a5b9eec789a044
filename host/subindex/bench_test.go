package subindex_test

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/subindex"
)

func randomHex(r *rand.Rand) string {
	var b [32]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b[:])
}

// bench10k builds 10,000 subscriptions by various authors, kinds and tags,
// 10 of which match the returned event.
func bench10k(b *testing.B) (*subindex.Index[int], []testSub, *nostr.Event) {
	r := rand.New(rand.NewPCG(7, 7))
	ev := &nostr.Event{ID: randomHex(r), PubKey: randomHex(r), Kind: 1, CreatedAt: 1700000000}
	e, p := randomHex(r), randomHex(r)
	ev.Tags = nostr.Tags{{"e", e, "", "root"}, {"p", p}, {"t", "nostr"}, {"t", "bitcoin"}}
	subs := make([]testSub, 10000)
	for i := range subs {
		var f nostr.Filter
		switch i % 5 {
		case 0:
			f = nostr.Filter{Authors: []string{randomHex(r)}, Kinds: []int{1, 6}}
		case 1:
			f = nostr.Filter{Tags: nostr.TagMap{"p": {randomHex(r)}}, Kinds: []int{1, 7, 9735}}
		case 2:
			f = nostr.Filter{Tags: nostr.TagMap{"e": {randomHex(r)}}}
		case 3:
			f = nostr.Filter{Authors: []string{randomHex(r), randomHex(r), randomHex(r)}}
		case 4:
			f = nostr.Filter{Kinds: []int{30000 + r.IntN(10000)}, Tags: nostr.TagMap{"t": {fmt.Sprint("tag", r.IntN(500))}}}
		}
		subs[i] = testSub{session: uint64(i / 4), id: fmt.Sprint(i % 4), filters: nostr.Filters{f, {IDs: []string{randomHex(r)}}}}
	}
	since := nostr.Timestamp(1600000000)
	matching := []nostr.Filter{
		{Authors: []string{ev.PubKey}, Kinds: []int{1, 6}},
		{Tags: nostr.TagMap{"p": {p}}, Kinds: []int{1, 7, 9735}},
		{Tags: nostr.TagMap{"e": {e}}},
		{Authors: []string{randomHex(r), ev.PubKey, randomHex(r)}},
		{Tags: nostr.TagMap{"t": {"nostr", "tag1"}}},
		{Authors: []string{ev.PubKey}, Since: &since},
		{Tags: nostr.TagMap{"p": {p}}},
		{Tags: nostr.TagMap{"e": {e}}, Kinds: []int{1}},
		{Tags: nostr.TagMap{"t": {"bitcoin"}}},
		{Kinds: []int{1}, Authors: []string{ev.PubKey}},
	}
	for i, f := range matching {
		subs[i*997].filters[0] = f
	}
	ix := subindex.New[int]()
	for i, s := range subs {
		ix.Add(s.session, s.id, s.filters, i)
	}
	if n := len(bruteForce(subs, ev)); n != 10 {
		b.Fatalf("%d subscriptions match, want 10", n)
	}
	return ix, subs, ev
}

func BenchmarkMatch10kSubs10Match(b *testing.B) {
	ix, _, ev := bench10k(b)
	n := 0
	count := func(int) { n++ }
	b.ReportAllocs()
	for b.Loop() {
		ix.Match(ev, count)
	}
	if n != 10*b.N {
		b.Fatalf("matched %d, want %d", n, 10*b.N)
	}
}

func BenchmarkBruteForce10kSubs10Match(b *testing.B) {
	_, subs, ev := bench10k(b)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for i := range subs {
			if subs[i].filters.Match(ev) {
				n++
			}
		}
		if n != 10 {
			b.Fatalf("matched %d", n)
		}
	}
}

// BenchmarkMatch1kSubsAllMatch is the popular case: 1,000 subscriptions
// to kind 1, all matching.
func BenchmarkMatch1kSubsAllMatch(b *testing.B) {
	ix := subindex.New[int]()
	for i := range 1000 {
		ix.Add(uint64(i), "feed", nostr.Filters{{Kinds: []int{1}}}, i)
	}
	ev := &nostr.Event{Kind: 1}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		ix.Match(ev, func(int) { n++ })
	}
}

// BenchmarkMatch1kSubsAllMatchDedup is the same with subscriptions that
// need deduplication (two filters each), past the stack array.
func BenchmarkMatch1kSubsAllMatchDedup(b *testing.B) {
	ix := subindex.New[int]()
	for i := range 1000 {
		ix.Add(uint64(i), "feed", nostr.Filters{{Kinds: []int{1}}, {Kinds: []int{7}}}, i)
	}
	ev := &nostr.Event{Kind: 1}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		ix.Match(ev, func(int) { n++ })
	}
}

func BenchmarkAddRemove(b *testing.B) {
	ix, _, _ := bench10k(b)
	filters := nostr.Filters{
		{Authors: []string{randomHex(rand.New(rand.NewPCG(1, 1)))}, Kinds: []int{1, 6}},
		{Tags: nostr.TagMap{"p": {"x"}}, Kinds: []int{1, 7}},
	}
	b.ReportAllocs()
	for b.Loop() {
		ix.Add(99999, "x", filters, 0)
		ix.Remove(99999, "x")
	}
}

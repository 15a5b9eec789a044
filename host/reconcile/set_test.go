package reconcile_test

import (
	"encoding/hex"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy/storage/vector"

	"github.com/relayd/relayd/host/reconcile"
)

// randomItems returns n items with created_at in [0, span) (so some tie)
// and random ids, from a fixed seed.
func randomItems(seed uint64, n, span int) []negentropy.Item {
	rng := rand.New(rand.NewPCG(seed, 1))
	items := make([]negentropy.Item, n)
	for i := range items {
		var id [32]byte
		for j := range id {
			id[j] = byte(rng.Uint32())
		}
		items[i] = negentropy.Item{Timestamp: nostr.Timestamp(rng.IntN(span)), ID: hex.EncodeToString(id[:])}
	}
	return items
}

// both returns a sealed Set and a sealed go-nostr vector of items.
func both(t testing.TB, items []negentropy.Item) (*reconcile.Set, *vector.Vector) {
	t.Helper()
	set, vec := reconcile.NewSet(len(items)), vector.New()
	for _, it := range items {
		if err := set.Add(it.Timestamp, it.ID); err != nil {
			t.Fatal(err)
		}
		vec.Insert(it.Timestamp, it.ID)
	}
	set.Seal()
	vec.Seal()
	return set, vec
}

// TestSetMatchesVector holds Set to go-nostr's vector storage: same items
// in the same order, same bounds, same fingerprints.
func TestSetMatchesVector(t *testing.T) {
	tests := []struct {
		name    string
		n, span int
	}{
		{"empty", 0, 1},
		{"one", 1, 1},
		{"all tied", 100, 1},
		{"some ties", 1000, 300},
		{"spread", 3000, 1 << 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := randomItems(uint64(tc.n), tc.n, tc.span)
			set, vec := both(t, items)
			if set.Size() != vec.Size() {
				t.Fatalf("size %d, want %d", set.Size(), vec.Size())
			}
			var got, want []negentropy.Item
			for _, it := range set.Range(0, set.Size()) {
				got = append(got, it)
			}
			for _, it := range vec.Range(0, vec.Size()) {
				want = append(want, it)
			}
			if !slices.Equal(got, want) {
				t.Fatal("items differ from the vector's")
			}
			rng := rand.New(rand.NewPCG(7, uint64(tc.n)))
			for range 200 {
				a := rng.IntN(tc.n + 1)
				b := a + rng.IntN(tc.n+1-a)
				if g, w := set.Fingerprint(a, b), vec.Fingerprint(a, b); g != w {
					t.Fatalf("Fingerprint(%d, %d) = %s, want %s", a, b, g, w)
				}
				if g, w := set.GetBound(a), vec.GetBound(a); g != w {
					t.Fatalf("GetBound(%d) = %v, want %v", a, g, w)
				}
				bound := randomBound(rng, items)
				if g, w := set.FindLowerBound(a, b, bound), vec.FindLowerBound(a, b, bound); g != w {
					t.Fatalf("FindLowerBound(%d, %d, %v) = %d, want %d", a, b, bound, g, w)
				}
			}
		})
	}
}

// randomBound returns a bound near the items: an item, a prefix of one
// (as the engine's minimal bounds are), odd text, or infinity.
func randomBound(rng *rand.Rand, items []negentropy.Item) negentropy.Bound {
	if len(items) == 0 || rng.IntN(10) == 0 {
		return negentropy.InfiniteBound
	}
	it := items[rng.IntN(len(items))]
	switch rng.IntN(4) {
	case 0:
		it.ID = it.ID[:rng.IntN(65)]
	case 1:
		it.ID = it.ID[:rng.IntN(64)] + "g"
	case 2:
		it.Timestamp += nostr.Timestamp(rng.IntN(3) - 1)
	}
	return negentropy.Bound{Item: it}
}

// TestSetFingerprintCarry: the sum carries through every limb, as the
// reference negentropy does (go-nostr's Accumulator drops this carry).
func TestSetFingerprintCarry(t *testing.T) {
	ones := make([]byte, 32)
	for i := range ones {
		ones[i] = 0xff
	}
	one := make([]byte, 32)
	one[0] = 1
	max := hex.EncodeToString(ones)
	set := reconcile.NewSet(2)
	set.Add(1, max)
	set.Add(2, hex.EncodeToString(one))
	set.Seal()
	// 2^256-1 + 1 = 0 mod 2^256: the fingerprint of two items summing to
	// zero is that of an all-zero sum with count 2.
	zero := reconcile.NewSet(2)
	zero.Add(1, hex.EncodeToString(make([]byte, 32)))
	zero.Add(2, hex.EncodeToString(make([]byte, 32)))
	zero.Seal()
	if got, want := set.Fingerprint(0, 2), zero.Fingerprint(0, 2); got != want {
		t.Fatalf("fingerprint of a carrying sum %s, want %s", got, want)
	}
}

func TestSetAddAndSeal(t *testing.T) {
	set := reconcile.NewSet(0)
	id := hex.EncodeToString(make([]byte, 32))
	for _, bad := range []string{"", "abc", id[:63] + "G", id + "00"} {
		if err := set.Add(1, bad); err == nil {
			t.Errorf("Add(%q) accepted", bad)
		}
	}
	set.Add(2, id)
	set.Add(1, id)
	set.Add(2, id) // repeated pair: kept once
	set.Seal()
	set.Seal()
	if set.Len() != 2 || !set.Sealed() {
		t.Fatalf("Len %d, want 2", set.Len())
	}
	if err := set.Add(3, id); err == nil {
		t.Fatal("Add after Seal accepted")
	}
	if b := set.GetBound(0); b.Timestamp != 1 {
		t.Fatalf("first item at %d, want 1 (sorted)", b.Timestamp)
	}
}

// TestSetMemory measures what a set of 100k items holds: 40 bytes an item
// (go-nostr's vector holds about 100).
func TestSetMemory(t *testing.T) {
	const n = 100000
	items := randomItems(1, n, 1<<30)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	set := reconcile.NewSet(0) // grown by append, as the relay does
	for _, it := range items {
		set.Add(it.Timestamp, it.ID)
	}
	set.Seal()
	held := int64(heap()) - int64(before)
	runtime.KeepAlive(set)
	runtime.KeepAlive(items)
	t.Logf("100k items: Bytes() %d, heap %d (%.1f bytes an item)", set.Bytes(), held, float64(held)/n)
	if set.Bytes() > n*40*9/8 {
		t.Errorf("Bytes() = %d, want at most %d", set.Bytes(), n*40*9/8)
	}
	if held > n*48 {
		t.Errorf("set holds %d bytes of heap, want at most %d", held, n*48)
	}
}

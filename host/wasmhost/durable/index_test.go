package durable

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// Test_index: random inserts and removes across many chunk splits keep
// the index equal to a sorted slice, and from seeks right.
func Test_index(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var x index
	in := map[string]bool{}
	for i := range 20000 {
		k := fmt.Sprintf("%05d", r.IntN(5000))
		if in[k] {
			x.remove(k)
			delete(in, k)
		} else {
			x.insert(k)
			in[k] = true
		}
		if i%997 != 0 {
			continue
		}
		want := make([]string, 0, len(in))
		for k := range in {
			want = append(want, k)
		}
		slices.Sort(want)
		for _, from := range []string{"", "02500", "025005", "99999", want[len(want)/3]} {
			var got []string
			x.from(from, func(k string) bool { got = append(got, k); return true })
			i, _ := slices.BinarySearch(want, from)
			if !slices.Equal(got, want[i:]) {
				t.Fatalf("step %d: from %q: %d keys, want %d", i, from, len(got), len(want[i:]))
			}
		}
		for _, c := range x.chunks {
			if len(c) == 0 || len(c) > maxChunk {
				t.Fatalf("a chunk of %d keys", len(c))
			}
		}
	}
	x.remove("absent")
	var none index
	none.remove("x")
	none.from("", func(string) bool { t.Fatal("a key in an empty index"); return false })
}

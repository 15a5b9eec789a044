package durable

import (
	"slices"
	"strings"
)

// maxChunk is the most keys a chunk of an index holds before it splits.
const maxChunk = 512

// index is an ordered set of keys for db_list: sorted chunks of at most
// maxChunk keys, each chunk's keys all below the next chunk's. Insert and
// remove cost a binary search over the chunks and a copy within one chunk
// (O(log n + maxChunk)), a seek the same, and each key after it O(1), so
// neither a big namespace nor a page near its end costs a hook more than a
// few microseconds. Not safe for concurrent use.
type index struct {
	chunks [][]string
}

// chunk returns the index of the chunk k belongs in: the first whose last
// key is at or after k, or the last chunk.
func (x *index) chunk(k string) int {
	i, _ := slices.BinarySearchFunc(x.chunks, k, func(c []string, k string) int { return strings.Compare(c[len(c)-1], k) })
	return min(i, len(x.chunks)-1)
}

// insert adds k, which must not be in x.
func (x *index) insert(k string) {
	if len(x.chunks) == 0 {
		x.chunks = [][]string{{k}}
		return
	}
	i := x.chunk(k)
	c := x.chunks[i]
	j, _ := slices.BinarySearch(c, k)
	c = slices.Insert(c, j, k)
	if len(c) <= maxChunk {
		x.chunks[i] = c
		return
	}
	half := len(c) / 2
	lo, hi := slices.Clone(c[:half]), slices.Clone(c[half:])
	x.chunks[i] = lo
	x.chunks = slices.Insert(x.chunks, i+1, hi)
}

// remove deletes k, if it is in x.
func (x *index) remove(k string) {
	if len(x.chunks) == 0 {
		return
	}
	i := x.chunk(k)
	c := x.chunks[i]
	j, found := slices.BinarySearch(c, k)
	if !found {
		return
	}
	if c = slices.Delete(c, j, j+1); len(c) == 0 {
		x.chunks = slices.Delete(x.chunks, i, i+1)
		return
	}
	x.chunks[i] = c
}

// from calls fn with each key at or after k, in order, until fn returns
// false. fn must not change x.
func (x *index) from(k string, fn func(string) bool) {
	if len(x.chunks) == 0 {
		return
	}
	i := x.chunk(k)
	j, _ := slices.BinarySearch(x.chunks[i], k)
	for ; i < len(x.chunks); i, j = i+1, 0 {
		for _, key := range x.chunks[i][j:] {
			if !fn(key) {
				return
			}
		}
	}
}

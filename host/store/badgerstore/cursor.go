package badgerstore

import (
	"container/heap"

	"github.com/dgraph-io/badger/v4"
)

// cursor is a (newest-first) iterator over one index prefix, positioned on the
// key (ts, serial).
type cursor struct {
	it     *badger.Iterator
	ts     int64
	serial uint64
}

// read loads the current key and reports whether the cursor is still on a
// key of its prefix at or after since.
func (c *cursor) read(since int64) bool {
	if !c.it.Valid() {
		return false
	}
	c.ts, c.serial = splitSuffix(c.it.Item().Key())
	return c.ts >= since
}

// cursorHeap orders cursors newest first: the largest (ts, serial) on top.
type cursorHeap struct {
	h   cursors
	all []*cursor // every cursor opened, to close them
}

type cursors []*cursor

func (h cursors) Len() int { return len(h) }

func (h cursors) Less(i, j int) bool {
	if h[i].ts != h[j].ts {
		return h[i].ts > h[j].ts
	}
	return h[i].serial > h[j].serial
}

func (h cursors) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *cursors) Push(x any) { *h = append(*h, x.(*cursor)) }

func (h *cursors) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

func (ch *cursorHeap) push(c *cursor) { heap.Push(&ch.h, c) }

// popGroup appends to serials every entry with the newest created_at across
// all cursors, advancing past them.
func (ch *cursorHeap) popGroup(serials []uint64, since int64) []uint64 {
	ts := ch.h[0].ts
	for len(ch.h) > 0 && ch.h[0].ts == ts {
		c := ch.h[0]
		serials = append(serials, c.serial)
		c.it.Next()
		if c.read(since) {
			heap.Fix(&ch.h, 0)
		} else {
			heap.Pop(&ch.h)
		}
	}
	return serials
}

func (ch *cursorHeap) close() {
	for _, c := range ch.all {
		c.it.Close()
	}
}

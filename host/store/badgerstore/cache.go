package badgerstore

import (
	"sync"
)

// eventCache keeps recently read event values (header and JSON) by serial,
// so hot events are served without a badger lookup (a skiplist search in
// every memtable, then the tables): queries spend most of their time there.
//
// A serial is never reused and a stored value never changes, so an entry
// is valid for as long as any index reaches its serial; entries of deleted
// events are dropped eagerly and would only waste space otherwise.
// Eviction is FIFO per shard, bounded in bytes. Safe for concurrent use.
type eventCache struct {
	shards [16]cacheShard
}

type cacheShard struct {
	mu    sync.Mutex
	m     map[uint64][]byte
	order []uint64 // insertion order, for eviction
	head  int      // first live position in order
	bytes int
	max   int
}

func newEventCache(maxBytes int) *eventCache {
	c := &eventCache{}
	for i := range c.shards {
		c.shards[i].m = map[uint64][]byte{}
		c.shards[i].max = maxBytes / len(c.shards)
	}
	return c
}

func (c *eventCache) shard(serial uint64) *cacheShard {
	return &c.shards[(serial*0x9E3779B97F4A7C15)>>60]
}

// get returns the cached value of serial. The slice must not be modified.
func (c *eventCache) get(serial uint64) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	sh := c.shard(serial)
	sh.mu.Lock()
	v, ok := sh.m[serial]
	sh.mu.Unlock()
	return v, ok
}

// put caches v (which the cache then owns) under serial.
func (c *eventCache) put(serial uint64, v []byte) {
	if c == nil {
		return
	}
	sh := c.shard(serial)
	if len(v) > sh.max/8 {
		return // a few huge events would flush everything else
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[serial]; ok {
		return
	}
	sh.m[serial] = v
	sh.order = append(sh.order, serial)
	sh.bytes += len(v)
	for sh.bytes > sh.max && sh.head < len(sh.order) {
		old := sh.order[sh.head]
		sh.head++
		if ov, ok := sh.m[old]; ok {
			sh.bytes -= len(ov)
			delete(sh.m, old)
		}
	}
	if sh.head > len(sh.order)/2 && sh.head > 1024 {
		sh.order = append(sh.order[:0], sh.order[sh.head:]...)
		sh.head = 0
	}
}

// drop forgets serial.
func (c *eventCache) drop(serial uint64) {
	if c == nil {
		return
	}
	sh := c.shard(serial)
	sh.mu.Lock()
	if v, ok := sh.m[serial]; ok {
		sh.bytes -= len(v)
		delete(sh.m, serial)
	}
	sh.mu.Unlock()
}

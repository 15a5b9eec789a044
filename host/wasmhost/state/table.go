package state

import "sync"

// shards is the number of independently locked parts of a table. Keys are
// spread by an FNV-1a hash, so unrelated keys rarely contend.
const shards = 16

// entry is one key of a table, on its shard's LRU list.
type entry[V any] struct {
	key        string
	val        V
	size       int64 // bytes charged to the table's byte budget
	expires    int64 // unix ns; 0 = never
	prev, next *entry[V]
}

// shard is a map plus an intrusive LRU list; the list head is the most
// recently used entry. All methods expect mu to be held.
type shard[V any] struct {
	mu    sync.Mutex
	m     map[string]*entry[V]
	root  entry[V] // sentinel: root.next is the newest, root.prev the oldest
	bytes int64
}

// table is a bounded map from key to V with TTL and LRU eviction.
type table[V any] struct {
	shards   [shards]shard[V]
	maxKeys  int   // per shard
	maxBytes int64 // per shard; 0 = unbounded
	evicted  *counterStat
}

type counterStat struct {
	mu sync.Mutex
	n  uint64
}

func (c *counterStat) add() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func newTable[V any](maxKeys int, maxBytes int64, evicted *counterStat) *table[V] {
	t := &table[V]{maxKeys: max(maxKeys/shards, 1), evicted: evicted}
	if maxBytes > 0 {
		t.maxBytes = max(maxBytes/shards, 1)
	}
	for i := range t.shards {
		s := &t.shards[i]
		s.m = map[string]*entry[V]{}
		s.root.next, s.root.prev = &s.root, &s.root
	}
	return t
}

func (t *table[V]) shard(key []byte) *shard[V] {
	h := uint32(2166136261)
	for _, c := range key {
		h = (h ^ uint32(c)) * 16777619
	}
	return &t.shards[h%shards]
}

// get returns the live entry for key, marking it used, or nil. An expired
// entry is removed.
func (s *shard[V]) get(key []byte, now int64) *entry[V] {
	e := s.m[string(key)]
	if e == nil {
		return nil
	}
	if e.expires != 0 && now >= e.expires {
		s.remove(e)
		return nil
	}
	s.unlink(e)
	s.pushFront(e)
	return e
}

// add inserts a new entry for key (which must be absent) and evicts expired
// and least recently used entries until the shard is within its bounds.
func (t *table[V]) add(s *shard[V], key []byte, now int64) *entry[V] {
	e := &entry[V]{key: string(key)}
	s.m[e.key] = e
	s.pushFront(e)
	t.trim(s, now, e)
	return e
}

// trim evicts from the old end until the shard is within bounds, never
// evicting keep.
func (t *table[V]) trim(s *shard[V], now int64, keep *entry[V]) {
	for len(s.m) > t.maxKeys || t.maxBytes > 0 && s.bytes > t.maxBytes {
		old := s.root.prev
		if old == keep || old == &s.root {
			return
		}
		if old.expires == 0 || now < old.expires {
			t.evicted.add()
		}
		s.remove(old)
	}
}

func (s *shard[V]) remove(e *entry[V]) {
	s.unlink(e)
	delete(s.m, e.key)
	s.bytes -= e.size
}

func (s *shard[V]) unlink(e *entry[V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (s *shard[V]) pushFront(e *entry[V]) {
	e.prev = &s.root
	e.next = s.root.next
	s.root.next.prev = e
	s.root.next = e
}

func (s *shard[V]) setSize(e *entry[V], size int64) {
	s.bytes += size - e.size
	e.size = size
}

// len returns the number of entries, live or expired.
func (t *table[V]) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

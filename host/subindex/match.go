package subindex

import (
	"sync"

	"github.com/nbd-wtf/go-nostr"
)

// Match calls fn with the value of every subscription that has a filter
// matching ev (nostr.Filter.Matches; limit is ignored), once per
// subscription, in no particular order. It holds the read lock while it
// calls fn: see the package doc. It does not allocate unless more than
// smallSeen subscriptions that need deduplication match.
func (ix *Index[T]) Match(ev *nostr.Event, fn func(v T)) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	st := seen[T]{pool: &ix.seen}
	if p := ix.ids[ev.ID]; p != nil {
		st.visit(p.list, ev, fn)
	}
	if p := ix.authors[ev.PubKey]; p != nil {
		st.visit(p.list, ev, fn)
	}
	for _, tag := range ev.Tags {
		if len(tag) >= 2 && len(tag[0]) == 1 {
			if byValue := ix.tags[tag[0][0]]; byValue != nil {
				if p := byValue[tag[1]]; p != nil {
					st.visit(p.list, ev, fn)
				}
			}
		}
	}
	if p := ix.kinds[ev.Kind]; p != nil {
		st.visit(p.list, ev, fn)
	}
	st.visit(ix.wild.list, ev, fn)
	if st.big != nil {
		clear(st.big)
		ix.seen.Put(st.big)
	}
}

// smallSeen is how many subscriptions Match deduplicates in an array on
// its stack before it takes a map from the pool.
const smallSeen = 32

// seen is the set of subscriptions one Match call has already reported,
// among those that it can reach more than once.
type seen[T any] struct {
	n     int
	small [smallSeen]*sub[T]
	big   map[*sub[T]]struct{}
	pool  *sync.Pool
}

// visit confirms the candidates of one posting list and reports new
// matches to fn.
func (st *seen[T]) visit(list []posting[T], ev *nostr.Event, fn func(v T)) {
	for i := range list {
		e := list[i].e
		if !e.m.match(ev) {
			continue
		}
		if s := e.sub; !s.dedup || st.add(s) {
			fn(s.v)
		}
	}
}

// add adds s to the set and reports whether it was new.
func (st *seen[T]) add(s *sub[T]) bool {
	if st.big == nil {
		for _, x := range st.small[:st.n] {
			if x == s {
				return false
			}
		}
		if st.n < smallSeen {
			st.small[st.n] = s
			st.n++
			return true
		}
		st.big, _ = st.pool.Get().(map[*sub[T]]struct{})
		if st.big == nil {
			st.big = make(map[*sub[T]]struct{}, 4*smallSeen)
		}
		for _, x := range st.small {
			st.big[x] = struct{}{}
		}
	}
	if _, ok := st.big[s]; ok {
		return false
	}
	st.big[s] = struct{}{}
	return true
}

package subindex

import (
	"sync"

	"github.com/nbd-wtf/go-nostr"
)

// Index holds live subscriptions and finds those that match an event. The
// zero value is not ready for use; call New. See the package doc for the
// locking rules.
type Index[T any] struct {
	mu       sync.RWMutex
	sessions map[uint64]map[string]*sub[T]
	n        int

	ids     map[string]*postings[T]
	authors map[string]*postings[T]
	tags    [256]map[string]*postings[T] // by the tag name's one byte
	kinds   map[int]*postings[T]
	wild    postings[T]

	// seen holds the maps Match uses to deduplicate when more
	// subscriptions match than its stack array holds.
	seen sync.Pool
}

// sub is one subscription.
type sub[T any] struct {
	session uint64
	id      string
	v       T
	entries []*entry[T]
	// dedup is set when one Match can reach the subscription more than
	// once: through several filters, or through several tags of the event.
	dedup bool
}

// entry is one filter of a subscription, posted in the index under each
// value of its dimension.
type entry[T any] struct {
	sub *sub[T]
	m   matcher
	pos []int // pos[k]: where the posting for the k-th key is in its list
}

// posting is an entry in the list of one index key; k says which key.
type posting[T any] struct {
	e *entry[T]
	k int
}

// postings is the list of entries posted under one index key.
type postings[T any] struct {
	list []posting[T]
}

// New returns an empty Index.
func New[T any]() *Index[T] {
	return &Index[T]{
		sessions: make(map[uint64]map[string]*sub[T]),
		ids:      make(map[string]*postings[T]),
		authors:  make(map[string]*postings[T]),
		kinds:    make(map[int]*postings[T]),
	}
}

// Add adds the subscription subID of session with its filters and the value
// v that Match passes to fn. It replaces a subscription with the same
// session and subID. The index keeps no reference to filters.
func (ix *Index[T]) Add(session uint64, subID string, filters nostr.Filters, v T) {
	s := &sub[T]{session: session, id: subID, v: v, entries: make([]*entry[T], 0, len(filters))}
	for i := range filters {
		e := &entry[T]{sub: s, m: compile(&filters[i])}
		if e.m.dim != dimNone {
			s.entries = append(s.entries, e)
		}
	}
	s.dedup = len(s.entries) > 1 || (len(s.entries) == 1 && s.entries[0].m.dim == dimTag)

	ix.mu.Lock()
	defer ix.mu.Unlock()
	subs := ix.sessions[session]
	if subs == nil {
		subs = make(map[string]*sub[T])
		ix.sessions[session] = subs
	}
	if old := subs[subID]; old != nil {
		ix.unpost(old)
		ix.n--
	}
	subs[subID] = s
	ix.n++
	for _, e := range s.entries {
		ix.post(e)
	}
}

// Remove removes the subscription subID of session and reports whether
// there was one.
func (ix *Index[T]) Remove(session uint64, subID string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	subs := ix.sessions[session]
	s := subs[subID]
	if s == nil {
		return false
	}
	ix.unpost(s)
	ix.n--
	delete(subs, subID)
	if len(subs) == 0 {
		delete(ix.sessions, session)
	}
	return true
}

// RemoveSession removes all subscriptions of session and returns how many
// there were.
func (ix *Index[T]) RemoveSession(session uint64) int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	subs := ix.sessions[session]
	for _, s := range subs {
		ix.unpost(s)
	}
	ix.n -= len(subs)
	delete(ix.sessions, session)
	return len(subs)
}

// Len returns the number of subscriptions.
func (ix *Index[T]) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.n
}

// post adds the postings of e. Lock must be held for writing.
func (ix *Index[T]) post(e *entry[T]) {
	e.pos = make([]int, e.m.keys())
	for k := range e.pos {
		p := ix.list(e, k)
		e.pos[k] = len(p.list)
		p.list = append(p.list, posting[T]{e: e, k: k})
	}
}

// unpost removes the postings of every entry of s. Lock must be held for
// writing.
func (ix *Index[T]) unpost(s *sub[T]) {
	for _, e := range s.entries {
		for k, i := range e.pos {
			p := ix.list(e, k)
			last := len(p.list) - 1
			if i != last {
				moved := p.list[last]
				p.list[i] = moved
				moved.e.pos[moved.k] = i
			}
			p.list[last] = posting[T]{}
			p.list = p.list[:last]
			if last == 0 {
				ix.drop(e, k)
			}
		}
	}
}

// list returns the posting list of e's k-th key, creating it if needed.
// Lock must be held for writing.
func (ix *Index[T]) list(e *entry[T], k int) *postings[T] {
	m := &e.m
	switch m.dim {
	case dimIDs:
		return mapList(ix.ids, m.ids[k])
	case dimAuthors:
		return mapList(ix.authors, m.authors[k])
	case dimTag:
		tc := &m.tags[m.tag]
		byValue := ix.tags[tc.name[0]]
		if byValue == nil {
			byValue = make(map[string]*postings[T])
			ix.tags[tc.name[0]] = byValue
		}
		return mapList(byValue, tc.values[k])
	case dimKinds:
		return mapList(ix.kinds, m.kinds[k])
	default:
		return &ix.wild
	}
}

// drop deletes the empty posting list of e's k-th key. Lock must be held
// for writing.
func (ix *Index[T]) drop(e *entry[T], k int) {
	m := &e.m
	switch m.dim {
	case dimIDs:
		delete(ix.ids, m.ids[k])
	case dimAuthors:
		delete(ix.authors, m.authors[k])
	case dimTag:
		tc := &m.tags[m.tag]
		delete(ix.tags[tc.name[0]], tc.values[k])
	case dimKinds:
		delete(ix.kinds, m.kinds[k])
	default:
		ix.wild.list = nil
	}
}

// mapList returns the posting list of key in m, creating it if needed.
func mapList[K comparable, T any](m map[K]*postings[T], key K) *postings[T] {
	p := m[key]
	if p == nil {
		p = &postings[T]{}
		m[key] = p
	}
	return p
}

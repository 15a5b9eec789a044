package subindex

import (
	"cmp"
	"slices"

	"github.com/nbd-wtf/go-nostr"
)

// dim is the dimension a filter is indexed under.
type dim uint8

const (
	dimNone dim = iota // never matches: not indexed
	dimIDs
	dimAuthors
	dimTag
	dimKinds
	dimWild
)

// tagCond is one tag condition of a filter: the event must have a tag
// named name whose first value is in values.
type tagCond struct {
	name   string
	values []string // sorted, without duplicates
}

// matcher is a filter compiled for matching live events. It matches
// exactly the events nostr.Filter.Matches matches; limit and search are
// ignored, as go-nostr ignores them.
type matcher struct {
	ids     []string // sorted, without duplicates; nil: any
	authors []string // sorted, without duplicates; nil: any
	kinds   []int    // sorted, without duplicates; nil: any
	tags    []tagCond
	since   nostr.Timestamp
	until   nostr.Timestamp
	hasSince,
	hasUntil bool

	dim dim
	tag int // index in tags of the condition indexed under, for dimTag
}

// compile builds the matcher of f and picks the dimension to index it under.
func compile(f *nostr.Filter) matcher {
	m := matcher{ids: set(f.IDs), authors: set(f.Authors), kinds: set(f.Kinds)}
	if f.Since != nil {
		m.since, m.hasSince = *f.Since, true
	}
	if f.Until != nil {
		m.until, m.hasUntil = *f.Until, true
	}
	never := (m.ids != nil && len(m.ids) == 0) || (m.authors != nil && len(m.authors) == 0) ||
		(m.kinds != nil && len(m.kinds) == 0)
	for name, values := range f.Tags {
		if values == nil {
			continue // go-nostr ignores a tag key without a list
		}
		if len(values) == 0 {
			never = true
		}
		m.tags = append(m.tags, tagCond{name: name, values: set(values)})
	}
	slices.SortFunc(m.tags, func(a, b tagCond) int { return cmp.Compare(a.name, b.name) })
	m.tag = -1
	for i, tc := range m.tags {
		if len(tc.name) == 1 && (m.tag < 0 || len(tc.values) < len(m.tags[m.tag].values)) {
			m.tag = i
		}
	}
	switch {
	case never:
		m.dim = dimNone
	case m.ids != nil:
		m.dim = dimIDs
	case m.authors != nil:
		m.dim = dimAuthors
	case m.tag >= 0:
		m.dim = dimTag
	case m.kinds != nil:
		m.dim = dimKinds
	default:
		m.dim = dimWild
	}
	return m
}

// set returns a sorted copy of s without duplicates, nil if s is nil.
func set[E cmp.Ordered](s []E) []E {
	if s == nil {
		return nil
	}
	out := append(make([]E, 0, len(s)), s...) // non-nil even when empty
	slices.Sort(out)
	return slices.Clip(slices.Compact(out))
}

// keys returns how many index keys m is posted under.
func (m *matcher) keys() int {
	switch m.dim {
	case dimIDs:
		return len(m.ids)
	case dimAuthors:
		return len(m.authors)
	case dimTag:
		return len(m.tags[m.tag].values)
	case dimKinds:
		return len(m.kinds)
	case dimWild:
		return 1
	default:
		return 0
	}
}

// match reports whether ev matches, skipping the condition of the
// dimension m is indexed under: the index lookup that found m checked it.
func (m *matcher) match(ev *nostr.Event) bool {
	if (m.hasSince && ev.CreatedAt < m.since) || (m.hasUntil && ev.CreatedAt > m.until) {
		return false
	}
	if m.ids != nil && m.dim != dimIDs && !has(m.ids, ev.ID) {
		return false
	}
	if m.authors != nil && m.dim != dimAuthors && !has(m.authors, ev.PubKey) {
		return false
	}
	if m.kinds != nil && m.dim != dimKinds && !has(m.kinds, ev.Kind) {
		return false
	}
	for i := range m.tags {
		if (m.dim != dimTag || i != m.tag) && !hasTag(ev.Tags, &m.tags[i]) {
			return false
		}
	}
	return true
}

// has reports whether the sorted s holds v.
func has[E cmp.Ordered](s []E, v E) bool {
	if len(s) <= 8 {
		return slices.Contains(s, v)
	}
	_, ok := slices.BinarySearch(s, v)
	return ok
}

// hasTag reports whether tags has a tag that satisfies tc.
func hasTag(tags nostr.Tags, tc *tagCond) bool {
	for _, tag := range tags {
		if len(tag) >= 2 && tag[0] == tc.name && has(tc.values, tag[1]) {
			return true
		}
	}
	return false
}

package kinds

import (
	"iter"
	"slices"
)

// Map holds a value per kind and per kind range, as a config's per-kind
// overrides do: {"1": …, "30000-39999": …}. Get returns the value of a
// kind's own entry, else that of the narrowest range that holds it. The
// zero value is empty and ready to use.
type Map[V any] struct {
	exact  map[int]V
	ranges []entry[V] // narrowest first, then by Lo
}

type entry[V any] struct {
	Range
	v V
}

// Put sets the value of the kinds in r, replacing the value of the same
// kind or range; ParseRange reads r from a config key.
func (m *Map[V]) Put(r Range, v V) {
	if r.Lo == r.Hi {
		if m.exact == nil {
			m.exact = map[int]V{}
		}
		m.exact[r.Lo] = v
		return
	}
	i, found := slices.BinarySearchFunc(m.ranges, r, func(e entry[V], r Range) int {
		if d := (e.Hi - e.Lo) - (r.Hi - r.Lo); d != 0 {
			return d
		}
		return e.Lo - r.Lo
	})
	if found {
		m.ranges[i].v = v
		return
	}
	m.ranges = slices.Insert(m.ranges, i, entry[V]{r, v})
}

// Get returns the value for kind: its own entry's, else that of the
// narrowest range that holds it (of two as narrow, the lower). ok is false
// if no entry holds kind.
func (m *Map[V]) Get(kind int) (v V, ok bool) {
	if v, ok := m.exact[kind]; ok {
		return v, true
	}
	for i := range m.ranges {
		if m.ranges[i].Has(kind) {
			return m.ranges[i].v, true
		}
	}
	return v, false
}

// All returns every entry: single kinds (as ranges of one), in no
// particular order, then the ranges, narrowest first.
func (m *Map[V]) All() iter.Seq2[Range, V] {
	return func(yield func(Range, V) bool) {
		for k, v := range m.exact {
			if !yield(Range{k, k}, v) {
				return
			}
		}
		for _, e := range m.ranges {
			if !yield(e.Range, e.v) {
				return
			}
		}
	}
}

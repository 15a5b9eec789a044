package main

import (
	"strconv"

	"github.com/relayd/relayd/sdk/filter"
)

// isSelective reports whether f names ids, authors or any tag.
func isSelective(f filter.Filter) bool {
	for _, m := range f {
		if m.Key == "ids" || m.Key == "authors" || len(m.Key) == 2 && m.Key[0] == '#' {
			return true
		}
	}
	return false
}

// kindsOf returns f's kinds, nil if it has none; kinds that are not a list
// of integers read as an empty list.
func kindsOf(f filter.Filter) []int {
	raw := f.Get("kinds")
	if raw == nil {
		return nil
	}
	ks, ok := filter.Ints(raw)
	if !ok {
		return []int{}
	}
	return ks
}

// limitOf returns f's limit, if it has one.
func limitOf(f filter.Filter) (int, bool) {
	n, ok := filter.Int(f.Get("limit"))
	return int(n), ok
}

func itoa(n int) string { return strconv.Itoa(n) }

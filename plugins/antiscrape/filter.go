package main

import "strconv"

// selective reports whether f names ids, authors or any tag.
func (f filter) selective() bool {
	for _, m := range f {
		if m.key == "ids" || m.key == "authors" || len(m.key) == 2 && m.key[0] == '#' {
			return true
		}
	}
	return false
}

// kinds returns f's kinds, nil if it has none.
func (f filter) kinds() []int {
	raw := f.get("kinds")
	if raw == nil {
		return nil
	}
	ks, ok := ints(raw)
	if !ok {
		return []int{}
	}
	return ks
}

// int returns an integer field.
func (f filter) int(key string) (int64, bool) {
	raw := f.get(key)
	if raw == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// limit returns f's limit, if it has one.
func (f filter) limit() (int, bool) {
	n, ok := f.int("limit")
	return int(n), ok
}

func itoa(n int) string { return strconv.Itoa(n) }

package main

import (
	"encoding/json"
	"strconv"
)

// filter is one NIP-01 filter with its keys as raw JSON, so fields this
// plugin does not know survive a rewrite.
type filter map[string]json.RawMessage

func (f filter) has(key string) bool { _, ok := f[key]; return ok }

// selective reports whether f names ids, authors or any tag.
func (f filter) selective() bool {
	for k := range f {
		if k == "ids" || k == "authors" || len(k) == 2 && k[0] == '#' {
			return true
		}
	}
	return false
}

// kinds returns f's kinds, nil if it has none.
func (f filter) kinds() []int {
	var ks []int
	if raw, ok := f["kinds"]; ok {
		json.Unmarshal(raw, &ks)
		if ks == nil {
			ks = []int{}
		}
	}
	return ks
}

// int returns an integer field.
func (f filter) int(key string) (int64, bool) {
	raw, ok := f[key]
	if !ok {
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

func (f filter) setLimit(n int) { f["limit"] = json.RawMessage(strconv.Itoa(n)) }

func itoa(n int) string { return strconv.Itoa(n) }

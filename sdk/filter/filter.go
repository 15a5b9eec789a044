// Package filter reads and rewrites the filters of a REQ or COUNT, the
// JSON array of NIP-01 filter objects that sdk.Req.FiltersJSON returns.
//
// Parse splits the array into filters and each filter into its members,
// keeping every value as raw JSON bytes; Set replaces or adds a member and
// Append writes the filters back, members in their order. ParseNIP01 goes
// one step further and decodes the NIP-01 fields into a NIP01 struct
// (sdk.Req's Filters), which AppendNIP01 writes back. It does not use
// encoding/json: its reflection costs tens of microseconds per REQ in
// wasm, and this about one.
//
// # Notes
//
//   - Parse checks the structure (arrays, objects, strings, nesting), not
//     every literal: it accepts some numbers and words encoding/json would
//     refuse. The relay hands plugins valid JSON, so this only matters for
//     input from elsewhere.
//   - Values are not copied: they point into the bytes given to Parse.
package filter

import (
	"errors"
	"strconv"
)

// ErrSyntax is the error Parse returns for input that is not a JSON array
// of objects.
var ErrSyntax = errors.New("filter: bad filters JSON")

// Member is one key of a filter object and its value.
type Member struct {
	// Key is the decoded key, such as "kinds" or "#e".
	Key string
	// Value is the raw JSON value, such as `[1,7]` or `"text"`.
	Value []byte

	rawKey []byte // the key as it was quoted in the input; nil for keys Set added
}

// Filter is one filter object: its members in the order they came.
type Filter []Member

// Parse splits a JSON array of filter objects.
func Parse(b []byte) ([]Filter, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, ErrSyntax
	}
	var out []Filter
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, nil
	}
	for {
		f, next, err := parseObject(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		i = skipSpace(b, next)
		if i >= len(b) {
			return nil, ErrSyntax
		}
		if b[i] == ']' {
			return out, nil
		}
		if b[i] != ',' {
			return nil, ErrSyntax
		}
		i = skipSpace(b, i+1)
	}
}

// parseObject reads the object at b[i:] and returns it and the index just
// past it.
func parseObject(b []byte, i int) (Filter, int, error) {
	if i >= len(b) || b[i] != '{' {
		return nil, 0, ErrSyntax
	}
	var f Filter
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return f, i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, 0, ErrSyntax
		}
		end, err := skipValue(b, i)
		if err != nil {
			return nil, 0, err
		}
		rawKey := b[i:end]
		key, err := unquote(rawKey)
		if err != nil {
			return nil, 0, err
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, 0, ErrSyntax
		}
		i = skipSpace(b, i+1)
		end, err = skipValue(b, i)
		if err != nil {
			return nil, 0, err
		}
		f = append(f, Member{Key: key, Value: b[i:end], rawKey: rawKey})
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, 0, ErrSyntax
		}
		if b[i] == '}' {
			return f, i + 1, nil
		}
		if b[i] != ',' {
			return nil, 0, ErrSyntax
		}
		i = skipSpace(b, i+1)
	}
}

// Get returns the raw value of key, or nil if f has no such key.
func (f Filter) Get(key string) []byte {
	for _, m := range f {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// Has reports whether f has key.
func (f Filter) Has(key string) bool { return f.Get(key) != nil }

// Set returns a copy of f with the value of key replaced, or with key
// added at the end. val must be valid JSON. f itself is not changed.
func (f Filter) Set(key string, val []byte) Filter {
	g := make(Filter, 0, len(f)+1)
	done := false
	for _, m := range f {
		if m.Key == key {
			m.Value, done = val, true
		}
		g = append(g, m)
	}
	if !done {
		g = append(g, Member{Key: key, Value: val})
	}
	return g
}

// Append appends fs to b as a JSON array and returns the extended buffer.
// Keys that came from Parse are written as they were quoted in its input.
//
// # Notes
//
//   - A key added by Set is quoted with strconv.AppendQuote, which is JSON
//     for the plain ASCII keys of NIP-01 ("limit", "#p"), not for every
//     string.
func Append(b []byte, fs []Filter) []byte {
	b = append(b, '[')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		for j, m := range f {
			if j > 0 {
				b = append(b, ',')
			}
			if m.rawKey != nil {
				b = append(b, m.rawKey...)
			} else {
				b = strconv.AppendQuote(b, m.Key)
			}
			b = append(b, ':')
			b = append(b, m.Value...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

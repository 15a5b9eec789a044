package main

import (
	"errors"
	"strconv"
)

// A small scanner for the filters JSON the relay hands over: it splits the
// array into objects and their members, keeping values as raw bytes, and
// writes objects back. encoding/json's reflection costs tens of
// microseconds per REQ in wasm; this costs about one.

// member is one key and its raw JSON value.
type member struct {
	key    string
	rawKey []byte // the key as it was quoted in the input; nil for new keys
	val    []byte
}

// filter is one filter object, its members in order.
type filter []member

var errSyntax = errors.New("bad filters JSON")

// parseFilters splits a JSON array of objects.
func parseFilters(b []byte) ([]filter, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, errSyntax
	}
	var out []filter
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
			return nil, errSyntax
		}
		if b[i] == ']' {
			return out, nil
		}
		if b[i] != ',' {
			return nil, errSyntax
		}
		i = skipSpace(b, i+1)
	}
}

func parseObject(b []byte, i int) (filter, int, error) {
	if i >= len(b) || b[i] != '{' {
		return nil, 0, errSyntax
	}
	var f filter
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return f, i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, 0, errSyntax
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
			return nil, 0, errSyntax
		}
		i = skipSpace(b, i+1)
		end, err = skipValue(b, i)
		if err != nil {
			return nil, 0, err
		}
		f = append(f, member{key, rawKey, b[i:end]})
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, 0, errSyntax
		}
		if b[i] == '}' {
			return f, i + 1, nil
		}
		if b[i] != ',' {
			return nil, 0, errSyntax
		}
		i = skipSpace(b, i+1)
	}
}

// skipValue returns the index just past the JSON value starting at i.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errSyntax
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errSyntax
	case '[', '{':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipValue(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '[', '{':
				depth++
			case ']', '}':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errSyntax
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && !isSpace(b[j]) {
		j++
	}
	if j == i {
		return 0, errSyntax
	}
	return j, nil
}

// unquote decodes a quoted key; keys without escapes need no work.
func unquote(raw []byte) (string, error) {
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' {
			s, err := strconv.Unquote(string(raw))
			if err != nil {
				return "", errSyntax
			}
			return s, nil
		}
	}
	return string(raw[1 : len(raw)-1]), nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// get returns the raw value of key, or nil.
func (f filter) get(key string) []byte {
	for _, m := range f {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

func (f filter) has(key string) bool { return f.get(key) != nil }

// set returns f with key's value replaced or appended.
func (f filter) set(key string, val []byte) filter {
	g := make(filter, 0, len(f)+1)
	done := false
	for _, m := range f {
		if m.key == key {
			m.val, done = val, true
		}
		g = append(g, m)
	}
	if !done {
		g = append(g, member{key: key, val: val})
	}
	return g
}

// appendFilters writes fs as a JSON array.
func appendFilters(b []byte, fs []filter) []byte {
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
				b = strconv.AppendQuote(b, m.key) // keys this plugin adds are plain ASCII
			}
			b = append(b, ':')
			b = append(b, m.val...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// ints parses a JSON array of integers; ok is false for anything else.
func ints(val []byte) (out []int, ok bool) {
	i := skipSpace(val, 0)
	if i >= len(val) || val[i] != '[' {
		return nil, false
	}
	out = []int{}
	i = skipSpace(val, i+1)
	if i < len(val) && val[i] == ']' {
		return out, true
	}
	for {
		j := i
		for j < len(val) && (val[j] >= '0' && val[j] <= '9' || val[j] == '-') {
			j++
		}
		n, err := strconv.Atoi(string(val[i:j]))
		if err != nil {
			return nil, false
		}
		out = append(out, n)
		i = skipSpace(val, j)
		if i >= len(val) {
			return nil, false
		}
		if val[i] == ']' {
			return out, true
		}
		if val[i] != ',' {
			return nil, false
		}
		i = skipSpace(val, i+1)
	}
}

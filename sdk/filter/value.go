package filter

import "strconv"

// Ints parses a raw JSON array of integers, such as the value of "kinds";
// ok is false for anything else, including nil (a missing key).
func Ints(val []byte) (out []int, ok bool) {
	out = []int{}
	ok = elements(val, func(el []byte) bool {
		for _, c := range el {
			if (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
		n, err := strconv.Atoi(string(el))
		out = append(out, n)
		return err == nil
	})
	if !ok {
		return nil, false
	}
	return out, true
}

// Strings parses a raw JSON array of strings, such as the value of
// "authors" or "#p"; ok is false for anything else, including nil (a
// missing key).
//
// # Notes
//
//   - Escapes are decoded as strconv.Unquote does: JSON's \/ is refused
//     and a UTF-16 surrogate pair reads as two U+FFFD. encoding/json, which
//     the relay uses, writes neither.
func Strings(val []byte) (out []string, ok bool) {
	out = []string{}
	ok = elements(val, func(el []byte) bool {
		if el[0] != '"' {
			return false
		}
		s, err := unquote(el)
		out = append(out, s)
		return err == nil
	})
	if !ok {
		return nil, false
	}
	return out, true
}

// elements calls fn with each raw element of the JSON array val, in order,
// and reports whether val is an array and fn returned true for each.
func elements(val []byte, fn func(el []byte) bool) bool {
	i := skipSpace(val, 0)
	if i >= len(val) || val[i] != '[' {
		return false
	}
	i = skipSpace(val, i+1)
	if i < len(val) && val[i] == ']' {
		return true
	}
	for {
		end, err := skipValue(val, i)
		if err != nil || !fn(val[i:end]) {
			return false
		}
		i = skipSpace(val, end)
		if i >= len(val) {
			return false
		}
		if val[i] == ']' {
			return true
		}
		if val[i] != ',' {
			return false
		}
		i = skipSpace(val, i+1)
	}
}

// Int parses a raw JSON integer, such as the value of "limit" or "since";
// ok is false for anything else, including nil (a missing key).
func Int(val []byte) (n int64, ok bool) {
	n, err := strconv.ParseInt(string(val), 10, 64)
	return n, err == nil
}

// AppendInts appends ns to b as a JSON array, for Set("kinds", ...).
func AppendInts(b []byte, ns []int) []byte {
	b = append(b, '[')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, ']')
}

// Elements returns the raw elements of the JSON array val, such as a
// NIP-86 method's params; ok is false for anything else.
func Elements(val []byte) (els [][]byte, ok bool) {
	els = [][]byte{}
	if !elements(val, func(el []byte) bool { els = append(els, el); return true }) {
		return nil, false
	}
	return els, true
}

// String parses a raw JSON string; ok is false for anything else. Escapes
// are decoded as by Strings.
func String(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' {
		return "", false
	}
	if end, err := skipValue(val, 0); err != nil || end != len(val) {
		return "", false
	}
	s, err := unquote(val)
	return s, err == nil
}

package filter

import (
	"errors"
	"sort"
	"strconv"
	"unicode/utf8"
)

// NIP01 is one filter decoded into its NIP-01 fields: what a handler
// reads to decide on a REQ or COUNT without walking raw JSON (sdk.Req's
// Filters returns them). A nil slice or pointer is a key the filter does
// not have; an empty one is the key with an empty array, which matches
// nothing.
type NIP01 struct {
	IDs     []string
	Authors []string
	Kinds   []int
	// Tags are the "#x" keys, by tag name without the "#" ("e", "p").
	Tags  map[string][]string
	Since *int64
	Until *int64
	// Limit is nil without a "limit"; "limit": 0 asks for live events
	// only.
	Limit *int64
	// Search is NIP-50's "search", "" if none.
	Search string
	// Other are the members of any other key, as they came.
	Other Filter
}

// ParseNIP01 parses a JSON array of filter objects, as sdk.Req's
// FiltersJSON returns, into NIP01 values. A known key with a value of the
// wrong type is an error naming it.
func ParseNIP01(b []byte) ([]NIP01, error) {
	fs, err := Parse(b)
	if err != nil {
		return nil, err
	}
	out := make([]NIP01, len(fs))
	for i, f := range fs {
		if out[i], err = f.NIP01(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// NIP01 decodes f's NIP-01 fields. Values are copies: they do not point
// into the bytes f was parsed from, but Other's members do.
func (f Filter) NIP01() (NIP01, error) {
	var n NIP01
	for _, m := range f {
		var ok bool
		switch {
		case m.Key == "ids":
			n.IDs, ok = Strings(m.Value)
		case m.Key == "authors":
			n.Authors, ok = Strings(m.Value)
		case m.Key == "kinds":
			n.Kinds, ok = Ints(m.Value)
		case m.Key == "since":
			n.Since, ok = intPtr(m.Value)
		case m.Key == "until":
			n.Until, ok = intPtr(m.Value)
		case m.Key == "limit":
			n.Limit, ok = intPtr(m.Value)
		case m.Key == "search":
			ok = len(m.Value) > 0 && m.Value[0] == '"'
			if ok {
				n.Search, ok = unquoteOK(m.Value)
			}
		case len(m.Key) > 1 && m.Key[0] == '#':
			var vals []string
			if vals, ok = Strings(m.Value); ok {
				if n.Tags == nil {
					n.Tags = map[string][]string{}
				}
				n.Tags[m.Key[1:]] = vals
			}
		default:
			n.Other, ok = append(n.Other, m), true
		}
		if !ok {
			return NIP01{}, errors.New("filter: bad value for " + strconv.Quote(m.Key))
		}
	}
	return n, nil
}

func intPtr(val []byte) (*int64, bool) {
	v, ok := Int(val)
	return &v, ok
}

func unquoteOK(raw []byte) (string, bool) {
	s, err := unquote(raw)
	return s, err == nil
}

// Filter encodes n back into members, in NIP-01's order (ids, authors,
// kinds, tags by name, since, until, limit, search) and then Other.
func (n NIP01) Filter() Filter {
	var f Filter
	add := func(key string, val []byte) { f = append(f, Member{Key: key, Value: val}) }
	if n.IDs != nil {
		add("ids", appendStrings(nil, n.IDs))
	}
	if n.Authors != nil {
		add("authors", appendStrings(nil, n.Authors))
	}
	if n.Kinds != nil {
		add("kinds", AppendInts(nil, n.Kinds))
	}
	names := make([]string, 0, len(n.Tags))
	for name := range n.Tags {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		add("#"+name, appendStrings(nil, n.Tags[name]))
	}
	for _, p := range []struct {
		key string
		v   *int64
	}{{"since", n.Since}, {"until", n.Until}, {"limit", n.Limit}} {
		if p.v != nil {
			add(p.key, strconv.AppendInt(nil, *p.v, 10))
		}
	}
	if n.Search != "" {
		add("search", appendString(nil, n.Search))
	}
	return append(f, n.Other...)
}

// AppendNIP01 appends fs to b as a JSON array of filter objects, for
// sdk.RewriteFilters.
func AppendNIP01(b []byte, fs []NIP01) []byte {
	raw := make([]Filter, len(fs))
	for i, n := range fs {
		raw[i] = n.Filter()
	}
	return Append(b, raw)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string. (encoding/json would cost a
// plugin about 1 MB; sdk has the same small writer for its own use.)
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(b, '"')
}

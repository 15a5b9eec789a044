package envelope

import (
	"math"
	"strconv"

	"github.com/nbd-wtf/go-nostr"
)

// Bits for the filter fields seen so far.
const (
	filterIDs uint8 = 1 << iota
	filterAuthors
	filterKinds
	filterSince
	filterUntil
	filterLimit
	filterSearch
)

// Reasons for bad filter fields.
const (
	reasonIDs     = "ids must be an array of 64-character lowercase hex strings"
	reasonAuthors = "authors must be an array of 64-character lowercase hex strings"
	reasonKinds   = "kinds must be an array of integers from 0 to 65535"
	reasonSince   = "since must be an integer"
	reasonUntil   = "until must be an integer"
	reasonLimit   = "limit must be a non-negative integer"
	reasonSearch  = "search must be a string"
)

// filter parses the filter object at the current position into f.
func (p *parser) filter(f *nostr.Filter) bool {
	s := &p.s
	if s.peek() != '{' {
		return s.typeErr(s.pos, 1, ErrFilter, "filter must be an object")
	}
	s.pos++
	if s.consume('}') {
		return true
	}
	var seen uint8
	var seenTags uint64
	for {
		key, ok := s.str()
		if !ok {
			return s.syntax("expected a string key")
		}
		if !s.expect(':') {
			return false
		}
		bit, tagBit := filterKey(key)
		switch {
		case tagBit == badTag:
			return s.fail(ErrFilter, "tag filter "+quote(key)+" must be '#' and one letter")
		case seen&bit != 0 || seenTags&tagBit != 0:
			return s.fail(ErrFilter, "duplicate field "+quote(key))
		}
		seen, seenTags = seen|bit, seenTags|tagBit
		if !s.null() && !p.filterField(key, f) {
			return false
		}
		if !s.next('}') {
			return !s.failed
		}
	}
}

// badTag is the tag bit filterKey returns for a "#" key that is not a
// single letter.
const badTag = 1 << 63

// filterKey returns the bit of a known field or, for "#<letter>", the bit of
// the letter.
func filterKey(key string) (uint8, uint64) {
	switch key {
	case "ids":
		return filterIDs, 0
	case "authors":
		return filterAuthors, 0
	case "kinds":
		return filterKinds, 0
	case "since":
		return filterSince, 0
	case "until":
		return filterUntil, 0
	case "limit":
		return filterLimit, 0
	case "search":
		return filterSearch, 0
	}
	if len(key) == 0 || key[0] != '#' {
		return 0, 0
	}
	if len(key) == 2 {
		switch c := key[1]; {
		case 'a' <= c && c <= 'z':
			return 0, 1 << (c - 'a')
		case 'A' <= c && c <= 'Z':
			return 0, 1 << (c - 'A' + 26)
		}
	}
	return 0, badTag
}

// filterField parses the (non-null) value of one filter field into f.
func (p *parser) filterField(key string, f *nostr.Filter) bool {
	s := &p.s
	var ok bool
	switch key {
	case "ids":
		f.IDs, ok = p.strings("ids", 64, reasonIDs)
	case "authors":
		f.Authors, ok = p.strings("authors", 64, reasonAuthors)
	case "kinds":
		f.Kinds, ok = p.kinds()
	case "since":
		f.Since, ok = p.timestamp(reasonSince)
	case "until":
		f.Until, ok = p.timestamp(reasonUntil)
	case "limit":
		var n int64
		n, ok = p.integer(2, 0, math.MaxInt, ErrFilter, reasonLimit)
		f.Limit, f.LimitZero = int(n), ok && n == 0
	case "search":
		start := s.pos
		if f.Search, ok = s.str(); !ok && !s.failed {
			s.typeErr(start, 2, ErrFilter, reasonSearch)
		}
	default:
		if key == "" || key[0] != '#' {
			return s.value(2)
		}
		var vals []string
		if vals, ok = p.strings(key, 0, key+" must be an array of strings"); ok {
			if f.Tags == nil {
				f.Tags = make(nostr.TagMap, 1)
			}
			f.Tags[key[1:]] = vals
		}
	}
	return ok
}

// strings reads an array of strings, each hexLen lowercase hex characters
// if hexLen > 0. The result is never nil.
func (p *parser) strings(name string, hexLen int, reason string) ([]string, bool) {
	s := &p.s
	if s.peek() != '[' {
		return nil, s.typeErr(s.pos, 2, ErrFilter, reason)
	}
	s.pos++
	vals := p.strBuf[:0]
	for empty := s.consume(']'); !empty; {
		start := s.pos
		v, ok := s.str()
		switch {
		case !ok && s.failed:
			return nil, false
		case !ok:
			return nil, s.typeErr(start, 3, ErrFilter, reason)
		case hexLen > 0 && !isHex(v, hexLen):
			return nil, s.fail(ErrFilter, reason)
		case !p.valueFits(len(vals), name):
			return nil, false
		}
		vals = append(vals, v)
		if !s.next(']') {
			if s.failed {
				return nil, false
			}
			break
		}
	}
	return append(make([]string, 0, len(vals)), vals...), true
}

// kinds reads an array of kinds. The result is never nil.
func (p *parser) kinds() ([]int, bool) {
	s := &p.s
	if s.peek() != '[' {
		return nil, s.typeErr(s.pos, 2, ErrFilter, reasonKinds)
	}
	s.pos++
	vals := p.kindBuf[:0]
	for empty := s.consume(']'); !empty; {
		k, ok := p.integer(3, 0, math.MaxUint16, ErrFilter, reasonKinds)
		if !ok || !p.valueFits(len(vals), "kinds") {
			return nil, false
		}
		vals = append(vals, int(k))
		if !s.next(']') {
			if s.failed {
				return nil, false
			}
			break
		}
	}
	return append(make([]int, 0, len(vals)), vals...), true
}

// valueFits checks that a list holding n values may take one more.
func (p *parser) valueFits(n int, name string) bool {
	if max := p.lim.MaxFilterValues; max > 0 && n >= max {
		return p.s.fail(ErrLimit, "more than "+strconv.Itoa(max)+" values in "+name)
	}
	return true
}

// timestamp reads an integer timestamp.
func (p *parser) timestamp(reason string) (*nostr.Timestamp, bool) {
	t, ok := p.integer(2, math.MinInt64, math.MaxInt64, ErrFilter, reason)
	if !ok {
		return nil, false
	}
	ts := nostr.Timestamp(t)
	return &ts, true
}

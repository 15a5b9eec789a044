package main

import "unicode/utf8"

// tagScanner walks the tags of an event as JSON (an array of arrays of
// strings) without allocating: reading them one by one through
// sdk.Event.Tag costs a host call and three allocations per tag.
type tagScanner struct {
	b []byte
	i int
}

// each calls fn with every tag's name (decoded length and first byte)
// and the decoded length of its value (-1 if it has none). It stops when
// fn returns false, and reports false for malformed JSON.
func (s *tagScanner) each(fn func(nameLen int, name0 byte, valueLen int) bool) bool {
	if !s.consume('[') {
		return false
	}
	if s.consume(']') {
		return true
	}
	for {
		nameLen, name0, valueLen, ok := s.tag()
		if !ok {
			return false
		}
		if !fn(nameLen, name0, valueLen) {
			return true
		}
		if s.consume(']') {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

// tag reads one ["name", "value", ...] array.
func (s *tagScanner) tag() (nameLen int, name0 byte, valueLen int, ok bool) {
	nameLen, valueLen = -1, -1
	if !s.consume('[') {
		return
	}
	if s.consume(']') {
		return 0, 0, -1, true
	}
	for n := 0; ; n++ {
		l, first, ok := s.str()
		if !ok {
			return 0, 0, 0, false
		}
		switch n {
		case 0:
			nameLen, name0 = l, first
		case 1:
			valueLen = l
		}
		if s.consume(']') {
			return nameLen, name0, valueLen, true
		}
		if !s.consume(',') {
			return 0, 0, 0, false
		}
	}
}

// str reads a JSON string and returns its decoded length in bytes and its
// first decoded byte.
func (s *tagScanner) str() (n int, first byte, ok bool) {
	if !s.consume('"') {
		return 0, 0, false
	}
	b := s.b
	for i := s.i; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			return n, first, true
		case c != '\\':
			if n == 0 {
				first = c
			}
			n++
			i++
			continue
		}
		r, size := unescape(b[i:])
		if size == 0 {
			return 0, 0, false
		}
		if n == 0 {
			var enc [4]byte
			utf8.EncodeRune(enc[:], r)
			first = enc[0]
		}
		n += utf8.RuneLen(r)
		i += size
	}
	return 0, 0, false
}

// unescape decodes the escape at the start of b; size 0 means malformed.
func unescape(b []byte) (r rune, size int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2
	case 'b', 'f', 'n', 'r', 't':
		return '\n', 2 // any one-byte rune: only the length matters
	case 'u':
		r1, ok := hex4(b[2:])
		if !ok {
			return 0, 0
		}
		if 0xd800 <= r1 && r1 < 0xdc00 && len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if r2, ok := hex4(b[8:]); ok && 0xdc00 <= r2 && r2 < 0xe000 {
				return (r1-0xd800)<<10 | (r2 - 0xdc00) + 0x10000, 12
			}
		}
		if 0xd800 <= r1 && r1 < 0xe000 {
			return utf8.RuneError, 6
		}
		return r1, 6
	}
	return 0, 0
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// consume skips white space and then c, if c is next.
func (s *tagScanner) consume(c byte) bool {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

package envelope

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects in one message, so a
// hostile client cannot make skipValue recurse without limit. A NIP-01
// message needs 4 levels (message, event, tags, tag); unknown fields get the
// rest.
const maxDepth = 64

// scanner is a strict RFC 8259 reader over one message. It reads from a
// string copy of the message so that strings without escapes can be
// returned as substrings without allocating.
//
// Every method that can fail records the first failure in the scanner and
// returns false; callers stop at the first false.
type scanner struct {
	src string
	pos int

	failed  bool
	failErr error  // sentinel
	failMsg string // reason
	failPos int    // offset of a syntax error
}

// fail records the first failure and returns false.
func (s *scanner) fail(sentinel error, reason string) bool {
	if !s.failed {
		s.failed, s.failErr, s.failMsg, s.failPos = true, sentinel, reason, s.pos
	}
	return false
}

// syntax records a syntax error at the current position.
func (s *scanner) syntax(reason string) bool {
	if s.pos >= len(s.src) {
		reason = "unexpected end of input"
	}
	return s.fail(ErrSyntax, reason)
}

// ws skips JSON whitespace.
func (s *scanner) ws() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-whitespace byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

// consume skips whitespace and c if c is next, and reports whether it was.
func (s *scanner) consume(c byte) bool {
	if s.peek() == c {
		s.pos++
		return true
	}
	return false
}

// expect is consume that records a syntax error when c is not next.
func (s *scanner) expect(c byte) bool {
	if s.consume(c) {
		return true
	}
	return s.syntax("expected '" + string(c) + "'")
}

// next reads the separator after an element of an array or object: it
// returns true after a comma, false at the closing byte, and records a
// syntax error otherwise. Check s.failed to tell the two false cases apart.
func (s *scanner) next(closing byte) bool {
	switch s.peek() {
	case ',':
		s.pos++
		return true
	case closing:
		s.pos++
		return false
	default:
		s.syntax("expected ',' or '" + string(closing) + "'")
		return false
	}
}

// str reads a string value at the current position (after whitespace). It
// returns false and records a syntax error for a malformed string; when the
// next value is not a string at all it records nothing, so the caller can
// report a type error.
func (s *scanner) str() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.pos + 1
	for i := start; i < len(s.src); {
		c := s.src[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return s.src[start:i], true
		case c == '\\':
			return s.strEscaped(start, i)
		case c < 0x20:
			s.pos = i
			return "", s.syntax("control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRuneInString(s.src[i:])
			if r == utf8.RuneError && n == 1 {
				s.pos = i
				return "", s.syntax("invalid UTF-8")
			}
			i += n
		}
	}
	s.pos = len(s.src)
	return "", s.syntax("unterminated string")
}

// strEscaped finishes reading a string that contains escapes; start is the
// first byte after the opening quote and i the first backslash. Lone
// surrogates decode to U+FFFD, as in encoding/json and easyjson.
func (s *scanner) strEscaped(start, i int) (string, bool) {
	var b strings.Builder
	b.Grow(rawEnd(s.src, i) - start) // escapes only shrink the string
	b.WriteString(s.src[start:i])
	for i < len(s.src) {
		c := s.src[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return b.String(), true
		case c == '\\':
			r, n := unescape(s.src[i:])
			if n == 0 {
				s.pos = i
				return "", s.syntax("invalid escape in string")
			}
			b.WriteRune(r)
			i += n
		case c < 0x20:
			s.pos = i
			return "", s.syntax("control character in string")
		case c < utf8.RuneSelf:
			j := i + 1
			for j < len(s.src) && s.src[j] >= 0x20 && s.src[j] < utf8.RuneSelf && s.src[j] != '"' && s.src[j] != '\\' {
				j++
			}
			b.WriteString(s.src[i:j])
			i = j
		default:
			r, n := utf8.DecodeRuneInString(s.src[i:])
			if r == utf8.RuneError && n == 1 {
				s.pos = i
				return "", s.syntax("invalid UTF-8")
			}
			b.WriteString(s.src[i : i+n])
			i += n
		}
	}
	s.pos = len(s.src)
	return "", s.syntax("unterminated string")
}

// rawEnd returns the offset of the quote that ends the string that i is
// in, or len(src) if there is none.
func rawEnd(src string, i int) int {
	for i < len(src) {
		switch src[i] {
		case '\\':
			i += 2
		case '"':
			return i
		default:
			i++
		}
	}
	return len(src)
}

// unescape decodes the escape sequence at the start of e (which begins with
// a backslash). It returns n == 0 when the escape is malformed.
func unescape(e string) (r rune, n int) {
	if len(e) < 2 {
		return 0, 0
	}
	switch e[1] {
	case '"', '\\', '/':
		return rune(e[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r1 := hex4(e[2:])
		if r1 < 0 {
			return 0, 0
		}
		if !utf16.IsSurrogate(r1) {
			return r1, 6
		}
		if len(e) >= 12 && e[6] == '\\' && e[7] == 'u' {
			if r2 := hex4(e[8:]); r2 >= 0 {
				if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
					return dec, 12
				}
			}
		}
		return utf8.RuneError, 6
	}
	return 0, 0
}

// hex4 decodes four hex digits at the start of h, or returns -1.
func hex4(h string) rune {
	if len(h) < 4 {
		return -1
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := h[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// intResult tells how reading an integer went.
type intResult uint8

const (
	intOK       intResult = iota // an integer that fits in int64
	intNotInt                    // a valid JSON value that is not an integer
	intOverflow                  // an integer outside int64
	intBad                       // a syntax error, already recorded
)

// integer reads a JSON number that must be an integer (no fraction, no
// exponent). A value that is not a number at all is intNotInt with the
// position unchanged, so the caller can check its syntax.
func (s *scanner) integer() (int64, intResult) {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, intNotInt
	}
	start := s.pos
	i := start
	neg := c == '-'
	if neg {
		i++
	}
	if i >= len(s.src) || s.src[i] < '0' || s.src[i] > '9' {
		s.pos = i
		s.syntax("invalid number")
		return 0, intBad
	}
	var u uint64
	overflow := false
	if s.src[i] == '0' {
		i++
	} else {
		for ; i < len(s.src) && '0' <= s.src[i] && s.src[i] <= '9'; i++ {
			d := uint64(s.src[i] - '0')
			if u > (1<<63)/10 || u*10 > 1<<63-d {
				overflow = true
			}
			u = u*10 + d
		}
	}
	if i < len(s.src) && (s.src[i] == '.' || s.src[i] == 'e' || s.src[i] == 'E') {
		s.pos = start
		if !s.number() {
			return 0, intBad
		}
		return 0, intNotInt
	}
	s.pos = i
	switch {
	case overflow, !neg && u > 1<<63-1:
		return 0, intOverflow
	case neg:
		return -int64(u), intOK
	default:
		return int64(u), intOK
	}
}

// number skips a JSON number, checking its grammar.
func (s *scanner) number() bool {
	i := s.pos
	if i < len(s.src) && s.src[i] == '-' {
		i++
	}
	switch {
	case i < len(s.src) && s.src[i] == '0':
		i++
	case i < len(s.src) && '1' <= s.src[i] && s.src[i] <= '9':
		i = digits(s.src, i)
	default:
		s.pos = i
		return s.syntax("invalid number")
	}
	if i < len(s.src) && s.src[i] == '.' {
		j := digits(s.src, i+1)
		if j == i+1 {
			s.pos = j
			return s.syntax("invalid number")
		}
		i = j
	}
	if i < len(s.src) && (s.src[i] == 'e' || s.src[i] == 'E') {
		i++
		if i < len(s.src) && (s.src[i] == '+' || s.src[i] == '-') {
			i++
		}
		j := digits(s.src, i)
		if j == i {
			s.pos = j
			return s.syntax("invalid number")
		}
		i = j
	}
	s.pos = i
	return true
}

// digits returns the index of the first non-digit in src at or after i.
func digits(src string, i int) int {
	for i < len(src) && '0' <= src[i] && src[i] <= '9' {
		i++
	}
	return i
}

// literal skips one of true, false or null.
func (s *scanner) literal() bool {
	for _, lit := range [...]string{"true", "false", "null"} {
		if strings.HasPrefix(s.src[s.pos:], lit) {
			s.pos += len(lit)
			return true
		}
	}
	return s.syntax("invalid value")
}

// value skips any JSON value, checking its syntax. depth is the nesting of
// the container the value is in.
func (s *scanner) value(depth int) bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		return s.container(depth, '}')
	case c == '[':
		return s.container(depth, ']')
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	case c == 0 && s.pos >= len(s.src):
		return s.syntax("")
	default:
		return s.literal()
	}
}

// container skips an object or an array whose opening byte is next.
func (s *scanner) container(depth int, closing byte) bool {
	if depth+1 > maxDepth {
		return s.syntax("nesting too deep")
	}
	s.pos++
	if s.consume(closing) {
		return true
	}
	for {
		if closing == '}' {
			if _, ok := s.str(); !ok {
				return s.syntax("expected a string key")
			}
			if !s.expect(':') {
				return false
			}
		}
		if !s.value(depth + 1) {
			return false
		}
		if !s.next(closing) {
			return !s.failed
		}
	}
}

// null skips a null literal if it is next and reports whether it was.
func (s *scanner) null() bool {
	if s.peek() == 'n' && strings.HasPrefix(s.src[s.pos:], "null") {
		s.pos += 4
		return true
	}
	return false
}

// typeErr reports that the value starting at start has the wrong type. If
// that value is not even valid JSON, the syntax error is reported instead.
func (s *scanner) typeErr(start, depth int, sentinel error, reason string) bool {
	s.pos = start
	if !s.value(depth) {
		return false
	}
	return s.fail(sentinel, reason)
}

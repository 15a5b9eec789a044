package envelope

import (
	"math"

	"github.com/nbd-wtf/go-nostr"
)

// Bits for the event fields seen so far.
const (
	fieldID uint8 = 1 << iota
	fieldPubKey
	fieldCreatedAt
	fieldKind
	fieldTags
	fieldContent
	fieldSig
)

// eventFields lists the required fields in the order missing ones are
// reported.
var eventFields = [...]struct {
	bit  uint8
	name string
}{
	{fieldID, "id"}, {fieldPubKey, "pubkey"}, {fieldCreatedAt, "created_at"},
	{fieldKind, "kind"}, {fieldTags, "tags"}, {fieldContent, "content"}, {fieldSig, "sig"},
}

// Reasons for bad event fields.
const (
	reasonID        = "id must be 64 lowercase hex characters"
	reasonPubKey    = "pubkey must be 64 lowercase hex characters"
	reasonSig       = "sig must be 128 lowercase hex characters"
	reasonKind      = "kind must be an integer from 0 to 65535"
	reasonCreatedAt = "created_at must be a non-negative integer"
	reasonTags      = "tags must be an array of arrays of strings"
	reasonContent   = "content must be a string"
)

// event parses the event object at the current position into ev.
func (p *parser) event(ev *nostr.Event) bool {
	s := &p.s
	if s.peek() != '{' {
		return s.typeErr(s.pos, 1, ErrEvent, "event must be an object")
	}
	s.pos++
	var seen uint8
	if s.peek() != '}' {
		for {
			key, ok := s.str()
			if !ok {
				return s.syntax("expected a string key")
			}
			if !s.expect(':') {
				return false
			}
			bit, ok := p.eventField(key, ev)
			if !ok {
				return false
			}
			if seen&bit != 0 {
				return s.fail(ErrEvent, "duplicate field "+quote(key))
			}
			seen |= bit
			if !s.next('}') {
				if s.failed {
					return false
				}
				break
			}
		}
	} else {
		s.pos++
	}
	for _, f := range eventFields {
		if seen&f.bit == 0 {
			return s.fail(ErrEvent, "missing field "+quote(f.name))
		}
	}
	return true
}

// eventField parses the value of one field of an event and returns the
// field's bit, 0 for a field that is ignored.
func (p *parser) eventField(key string, ev *nostr.Event) (uint8, bool) {
	s := &p.s
	var ok bool
	switch key {
	case "id":
		ev.ID, ok = p.hex(64, 2, ErrEvent, reasonID)
		if ok && p.eventID == "" {
			p.eventID = ev.ID
		}
		return fieldID, ok
	case "pubkey":
		ev.PubKey, ok = p.hex(64, 2, ErrEvent, reasonPubKey)
		return fieldPubKey, ok
	case "sig":
		ev.Sig, ok = p.hex(128, 2, ErrEvent, reasonSig)
		return fieldSig, ok
	case "kind":
		var k int64
		k, ok = p.integer(2, 0, math.MaxUint16, ErrEvent, reasonKind)
		ev.Kind = int(k)
		return fieldKind, ok
	case "created_at":
		var t int64
		t, ok = p.integer(2, 0, math.MaxInt64, ErrEvent, reasonCreatedAt)
		ev.CreatedAt = nostr.Timestamp(t)
		return fieldCreatedAt, ok
	case "tags":
		ev.Tags, ok = p.tags()
		return fieldTags, ok
	case "content":
		start := s.pos
		if ev.Content, ok = s.str(); !ok && !s.failed {
			s.typeErr(start, 2, ErrEvent, reasonContent)
		}
		return fieldContent, ok
	default:
		return 0, s.value(2)
	}
}

// hex reads a string of exactly n lowercase hex characters.
func (p *parser) hex(n, depth int, sentinel error, reason string) (string, bool) {
	s := &p.s
	start := s.pos
	v, ok := s.str()
	if !ok {
		if !s.failed {
			s.typeErr(start, depth, sentinel, reason)
		}
		return "", false
	}
	if !isHex(v, n) {
		return "", s.fail(sentinel, reason)
	}
	return v, true
}

// integer reads an integer from lo to hi.
func (p *parser) integer(depth int, lo, hi int64, sentinel error, reason string) (int64, bool) {
	s := &p.s
	start := s.pos
	v, r := s.integer()
	switch {
	case r == intOK && lo <= v && v <= hi:
		return v, true
	case r == intOK:
		return 0, s.fail(sentinel, reason)
	case r == intBad:
		return 0, false
	default:
		return 0, s.typeErr(start, depth, sentinel, reason)
	}
}

// tags reads the tags array of an event. All tag values share one backing
// array, so the tags cost two allocations however many there are.
func (p *parser) tags() (nostr.Tags, bool) {
	s := &p.s
	if s.peek() != '[' {
		return nil, s.typeErr(s.pos, 2, ErrEvent, reasonTags)
	}
	s.pos++
	strs, counts := p.strBuf[:0], p.countBuf[:0]
	if s.consume(']') {
		return nostr.Tags{}, true
	}
	for {
		if s.peek() != '[' {
			return nil, s.typeErr(s.pos, 3, ErrEvent, reasonTags)
		}
		s.pos++
		n := 0
		for empty := s.consume(']'); !empty; {
			start := s.pos
			v, ok := s.str()
			if !ok {
				if !s.failed {
					s.typeErr(start, 4, ErrEvent, reasonTags)
				}
				return nil, false
			}
			strs = append(strs, v)
			n++
			if !s.next(']') {
				if s.failed {
					return nil, false
				}
				break
			}
		}
		counts = append(counts, n)
		if !s.next(']') {
			if s.failed {
				return nil, false
			}
			break
		}
	}
	return buildTags(strs, counts), true
}

// buildTags copies the flat tag values into Tags.
func buildTags(strs []string, counts []int) nostr.Tags {
	tags := make(nostr.Tags, len(counts))
	flat := append([]string(nil), strs...)
	off := 0
	for i, n := range counts {
		if n == 0 {
			tags[i] = nostr.Tag{}
			continue
		}
		tags[i] = flat[off : off+n : off+n]
		off += n
	}
	return tags
}

// isHex reports whether v is exactly n lowercase hex characters.
func isHex(v string, n int) bool {
	if len(v) != n {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// salvageID looks for a well-formed "id" in the event object at start, for
// the OK reply to a bad event. It reads only as far as the message is valid.
func salvageID(src string, start int) string {
	s := scanner{src: src, pos: start}
	if !s.consume('{') || s.consume('}') {
		return ""
	}
	for {
		key, ok := s.str()
		if !ok || !s.expect(':') {
			return ""
		}
		if key == "id" {
			if v, ok := s.str(); ok && isHex(v, 64) {
				return v
			}
			return ""
		}
		if !s.value(2) || !s.next('}') {
			return ""
		}
	}
}

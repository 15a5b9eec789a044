package envelope

import (
	"strconv"
	"unicode/utf8"

	"github.com/nbd-wtf/go-nostr"
)

// The Append functions write relay messages (NIP-01, NIP-42, NIP-45) to
// dst and return the extended slice. They allocate only when dst lacks the
// capacity. Strings are escaped as easyjson does with NoEscapeHTML: quotes,
// backslashes and control characters are escaped, invalid UTF-8 bytes
// become U+FFFD, and U+2028 and U+2029 are escaped.

// AppendOK appends ["OK",id,ok,reason].
func AppendOK(dst []byte, id string, ok bool, reason string) []byte {
	dst = append(dst, `["OK",`...)
	dst = appendString(dst, id)
	if ok {
		dst = append(dst, ",true,"...)
	} else {
		dst = append(dst, ",false,"...)
	}
	dst = appendString(dst, reason)
	return append(dst, ']')
}

// AppendEOSE appends ["EOSE",subID].
func AppendEOSE(dst []byte, subID string) []byte {
	dst = append(dst, `["EOSE",`...)
	dst = appendString(dst, subID)
	return append(dst, ']')
}

// AppendClosed appends ["CLOSED",subID,reason].
func AppendClosed(dst []byte, subID, reason string) []byte {
	dst = append(dst, `["CLOSED",`...)
	dst = appendString(dst, subID)
	dst = append(dst, ',')
	dst = appendString(dst, reason)
	return append(dst, ']')
}

// AppendNotice appends ["NOTICE",msg].
func AppendNotice(dst []byte, msg string) []byte {
	dst = append(dst, `["NOTICE",`...)
	dst = appendString(dst, msg)
	return append(dst, ']')
}

// AppendAuth appends the NIP-42 challenge ["AUTH",challenge].
func AppendAuth(dst []byte, challenge string) []byte {
	dst = append(dst, `["AUTH",`...)
	dst = appendString(dst, challenge)
	return append(dst, ']')
}

// AppendCount appends the NIP-45 answer ["COUNT",subID,{"count":n}].
func AppendCount(dst []byte, subID string, n int64) []byte {
	dst = append(dst, `["COUNT",`...)
	dst = appendString(dst, subID)
	dst = append(dst, `,{"count":`...)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, "}]"...)
}

// AppendEventPrefix appends `["EVENT",subID,`. The caller then appends the
// event's JSON (Message.Raw, shared by all subscribers) and `]`.
func AppendEventPrefix(dst []byte, subID string) []byte {
	dst = append(dst, `["EVENT",`...)
	dst = appendString(dst, subID)
	return append(dst, ',')
}

// appendEvent appends ev exactly as go-nostr's easyjson marshaler writes it
// (field order kind, id, pubkey, created_at, tags, content, sig).
func appendEvent(dst []byte, ev *nostr.Event) []byte {
	dst = append(dst, `{"kind":`...)
	dst = strconv.AppendInt(dst, int64(ev.Kind), 10)
	if ev.ID != "" {
		dst = append(dst, `,"id":`...)
		dst = appendString(dst, ev.ID)
	}
	if ev.PubKey != "" {
		dst = append(dst, `,"pubkey":`...)
		dst = appendString(dst, ev.PubKey)
	}
	dst = append(dst, `,"created_at":`...)
	dst = strconv.AppendInt(dst, int64(ev.CreatedAt), 10)
	dst = append(dst, `,"tags":[`...)
	for i, tag := range ev.Tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		for j, v := range tag {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, v)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `],"content":`...)
	dst = appendString(dst, ev.Content)
	if ev.Sig != "" {
		dst = append(dst, `,"sig":`...)
		dst = appendString(dst, ev.Sig)
	}
	return append(dst, '}')
}

// plain marks the ASCII bytes that appendString copies as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping it like easyjson's
// jwriter.Writer.String with NoEscapeHTML.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	p := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, s[p:i]...)
			switch c {
			case '\t':
				dst = append(dst, `\t`...)
			case '\r':
				dst = append(dst, `\r`...)
			case '\n':
				dst = append(dst, `\n`...)
			case '\\':
				dst = append(dst, `\\`...)
			case '"':
				dst = append(dst, `\"`...)
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			p = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, s[p:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[p:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += n
			continue
		}
		i += n
		p = i
	}
	dst = append(dst, s[p:]...)
	return append(dst, '"')
}

// AppendFilters appends fs as a JSON array of filter objects, in the order
// and form of go-nostr's encoder (ids, kinds, authors, since, until, limit,
// search, then the tag filters in map order), without HTML escaping, with
// one difference: an empty list the client sent ("ids":[], which matches
// nothing) is kept, where go-nostr's encoder drops it (and so turns the
// filter into one that matches everything). A filter with LimitZero has
// "limit":0. nil appends [].
func AppendFilters(dst []byte, fs nostr.Filters) []byte {
	dst = append(dst, '[')
	for i := range fs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendFilter(dst, &fs[i])
	}
	return append(dst, ']')
}

func appendFilter(dst []byte, f *nostr.Filter) []byte {
	dst = append(dst, '{')
	n := len(dst)
	key := func(dst []byte, k string) []byte {
		if len(dst) > n {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		return append(dst, ':')
	}
	if f.IDs != nil {
		dst = appendStrings(key(dst, "ids"), f.IDs)
	}
	if f.Kinds != nil {
		dst = append(key(dst, "kinds"), '[')
		for i, k := range f.Kinds {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendInt(dst, int64(k), 10)
		}
		dst = append(dst, ']')
	}
	if f.Authors != nil {
		dst = appendStrings(key(dst, "authors"), f.Authors)
	}
	if f.Since != nil {
		dst = strconv.AppendInt(key(dst, "since"), int64(*f.Since), 10)
	}
	if f.Until != nil {
		dst = strconv.AppendInt(key(dst, "until"), int64(*f.Until), 10)
	}
	if f.Limit != 0 || f.LimitZero {
		dst = strconv.AppendInt(key(dst, "limit"), int64(f.Limit), 10)
	}
	if f.Search != "" {
		dst = appendString(key(dst, "search"), f.Search)
	}
	for name, values := range f.Tags {
		dst = appendStrings(key(dst, "#"+name), values)
	}
	return append(dst, '}')
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

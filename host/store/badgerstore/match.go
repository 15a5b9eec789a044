package badgerstore

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/mailru/easyjson/jlexer"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// matcher is a filter compiled for checking stored events: most checks run
// on the value header, and only tag conditions parse the JSON.
type matcher struct {
	ids     map[[32]byte]struct{} // nil: any
	authors map[[32]byte]struct{} // nil: any
	kinds   map[uint32]struct{}   // nil: any
	tags    nostr.TagMap          // only conditions with values
	since   int64
	until   int64
	now     int64
	none    bool // the filter matches nothing
	// indexed is the tag condition the query's index already proves: every
	// candidate came from a tag key (letter, sha256(value)[:8]) of one of
	// its values. A false match would need a second preimage of a 64-bit
	// SHA-256 prefix, so the condition is not checked again on the JSON.
	indexed string
}

func compile(f nostr.Filter, now int64) *matcher {
	m := &matcher{since: math.MinInt64, until: math.MaxInt64, now: now}
	m.ids = hexSet(f.IDs)
	m.authors = hexSet(f.Authors)
	if f.Kinds != nil {
		m.kinds = make(map[uint32]struct{}, len(f.Kinds))
		for _, k := range f.Kinds {
			if k >= 0 && k <= math.MaxUint32 {
				m.kinds[uint32(k)] = struct{}{}
			}
		}
	}
	for name, values := range f.Tags {
		if values == nil {
			continue
		}
		if len(values) == 0 {
			m.none = true
		}
		if m.tags == nil {
			m.tags = make(nostr.TagMap, len(f.Tags))
		}
		m.tags[name] = values
	}
	if f.Since != nil {
		m.since = int64(*f.Since)
	}
	if f.Until != nil {
		m.until = int64(*f.Until)
	}
	m.none = m.none || m.since > m.until ||
		(m.ids != nil && len(m.ids) == 0) ||
		(m.authors != nil && len(m.authors) == 0) ||
		(m.kinds != nil && len(m.kinds) == 0)
	return m
}

// hexSet decodes the ids or pubkeys of a filter. Values that are not 64
// lowercase hex digits can match no event and are dropped.
func hexSet(vals []string) map[[32]byte]struct{} {
	if vals == nil {
		return nil
	}
	set := make(map[[32]byte]struct{}, len(vals))
	for _, v := range vals {
		var b [32]byte
		if decodeHex32(&b, v) == nil {
			set[b] = struct{}{}
		}
	}
	return set
}

// matchHeader checks everything but the tag conditions.
func (m *matcher) matchHeader(h *header) bool {
	if h.createdAt < m.since || h.createdAt > m.until || store.Expired(h.exp, m.now) {
		return false
	}
	if m.kinds != nil {
		if _, ok := m.kinds[h.kind]; !ok {
			return false
		}
	}
	if m.authors != nil {
		if _, ok := m.authors[h.pubkey]; !ok {
			return false
		}
	}
	if m.ids != nil {
		if _, ok := m.ids[h.id]; !ok {
			return false
		}
	}
	return true
}

// match checks the stored value v against the whole filter. A value that
// does not decode is an error: skipping it would hide the damage.
func (m *matcher) match(v []byte) (header, bool, error) {
	h, err := decodeHeader(v)
	if err != nil {
		return h, false, err
	}
	if !m.matchHeader(&h) {
		return h, false, nil
	}
	if m.tags == nil || (len(m.tags) == 1 && m.indexed != "") {
		return h, true, nil
	}
	tags, err := jsonTags(v[headerLen:])
	if err != nil {
		return h, false, fmt.Errorf("badgerstore: stored event JSON: %v: %w", err, store.ErrCorrupt)
	}
	for name, values := range m.tags {
		if name == m.indexed {
			continue
		}
		if !tags.ContainsAny(name, values) {
			return h, false, nil
		}
	}
	return h, true, nil
}

// jsonTags decodes only the "tags" member of an event's JSON, skipping the
// rest (the content above all).
func jsonTags(raw []byte) (nostr.Tags, error) {
	l := jlexer.Lexer{Data: raw}
	var tags nostr.Tags
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		if key == "tags" && !l.IsNull() {
			tags = readTags(&l)
		} else {
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
	return tags, l.Error()
}

func readTags(l *jlexer.Lexer) nostr.Tags {
	var tags nostr.Tags
	l.Delim('[')
	for !l.IsDelim(']') {
		var tag nostr.Tag
		l.Delim('[')
		for !l.IsDelim(']') {
			tag = append(tag, l.String())
			l.WantComma()
		}
		l.Delim(']')
		tags = append(tags, tag)
		l.WantComma()
	}
	l.Delim(']')
	return tags
}

// singleLetterTags returns the tag conditions the tag index can serve,
// fewest values first.
func (m *matcher) singleLetterTags() []string {
	var names []string
	for name := range m.tags {
		if len(name) == 1 {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := len(m.tags[a]) - len(m.tags[b]); d != 0 {
			return d
		}
		return cmp.Compare(a, b)
	})
	return names
}

package durable

import (
	"encoding/binary"
	"strings"

	"github.com/relayd/relayd/sdk/abi"
)

// List is db_list: it writes into buf, as whole entries (see ABI.md), the
// keys that start with prefix and sort after after, in ascending byte
// order, at most limit of them (limit <= 0 or over abi.MaxListEntries:
// abi.MaxListEntries), with their values if flags has abi.DBListValues. It
// returns the bytes written, 0 when no key is left; or, when the first
// entry does not fit in buf, that entry's size, writing nothing; or a
// negative abi.Errno.
func (s *Space) List(prefix, after []byte, limit int32, flags uint32, buf []byte) int32 {
	switch {
	case len(prefix) > abi.MaxKeyLen || len(after) > abi.MaxKeyLen:
		return int32(abi.ErrTooLarge)
	case flags&^abi.DBListValues != 0:
		return int32(abi.ErrInvalid)
	}
	if limit <= 0 || limit > abi.MaxListEntries {
		limit = abi.MaxListEntries
	}
	w := &listWriter{buf: buf, values: flags&abi.DBListValues != 0, max: int(limit)}
	p, a := string(prefix), string(after)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.loaded {
		return int32(abi.ErrUnavailable)
	}
	s.keys.from(max(p, a), func(k string) bool {
		switch {
		case !strings.HasPrefix(k, p):
			return false
		case k == a:
			return true
		}
		return w.add(k, s.vals[k])
	})
	return w.result()
}

// listWriter lays out db_list entries in buf: key length and value length
// as little-endian u32, then the key and the value.
type listWriter struct {
	buf    []byte
	values bool
	max    int // entries
	n      int // bytes written
	count  int // entries written
	need   int // the size of a first entry that did not fit
	full   bool
}

// add writes one entry and reports whether there is room for more.
func (w *listWriter) add(k string, v []byte) bool {
	if w.full {
		return false
	}
	if !w.values {
		v = nil
	}
	size := abi.DBEntryHeaderLen + len(k) + len(v)
	if w.n+size > len(w.buf) {
		if w.count == 0 {
			w.need = size
		}
		w.full = true
		return false
	}
	b := w.buf[w.n:]
	binary.LittleEndian.PutUint32(b, uint32(len(k)))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(v)))
	copy(b[abi.DBEntryHeaderLen:], k)
	copy(b[abi.DBEntryHeaderLen+len(k):], v)
	w.n += size
	w.count++
	w.full = w.count >= w.max
	return !w.full
}

func (w *listWriter) result() int32 {
	if w.need > 0 {
		return int32(w.need)
	}
	return int32(w.n)
}

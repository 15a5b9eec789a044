package durable

import (
	"bytes"
	"encoding/binary"
	"slices"
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
//
// The store's keys and the overlay's are merged: an overlay write hides
// the store's value of its key, and a pending deletion hides the key.
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
	ov := s.overlay(prefix, after)
	err := s.be.StateScan(s.ns, prefix, after, w.values, func(k, v []byte) bool {
		for len(ov) > 0 && ov[0].key < string(k) {
			if !w.addOp(ov[0]) {
				return false
			}
			ov = ov[1:]
		}
		if len(ov) > 0 && ov[0].key == string(k) {
			o := ov[0]
			ov = ov[1:]
			return w.addOp(o)
		}
		return w.add(k, v)
	})
	if err != nil {
		return int32(readErrno(err))
	}
	for len(ov) > 0 && w.addOp(ov[0]) {
		ov = ov[1:]
	}
	return w.result()
}

// keyOp is a pending write with its key.
type keyOp struct {
	key string
	*op
}

// overlay returns the pending writes under prefix and after after, sorted
// by key.
func (s *Space) overlay(prefix, after []byte) []keyOp {
	s.mu.Lock()
	var out []keyOp
	for k, o := range s.pending {
		if strings.HasPrefix(k, string(prefix)) && k > string(after) {
			out = append(out, keyOp{k, o})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b keyOp) int { return strings.Compare(a.key, b.key) })
	return out
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
func (w *listWriter) add(k, v []byte) bool {
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

// addOp writes a pending write's entry; a deletion writes nothing.
func (w *listWriter) addOp(o keyOp) bool {
	if o.del {
		return !w.full
	}
	return w.add([]byte(o.key), o.val)
}

func (w *listWriter) result() int32 {
	if w.need > 0 {
		return int32(w.need)
	}
	return int32(w.n)
}

// ParseList splits db_list output into keys and values (nil values when
// listed without abi.DBListValues). It reports false for output that is
// not whole entries.
func ParseList(b []byte) (keys, vals [][]byte, ok bool) {
	for len(b) > 0 {
		if len(b) < abi.DBEntryHeaderLen {
			return nil, nil, false
		}
		kl, vl := int(binary.LittleEndian.Uint32(b)), int(binary.LittleEndian.Uint32(b[4:]))
		b = b[abi.DBEntryHeaderLen:]
		if kl+vl > len(b) || kl < 0 || vl < 0 {
			return nil, nil, false
		}
		keys = append(keys, bytes.Clone(b[:kl]))
		var v []byte
		if vl > 0 {
			v = bytes.Clone(b[kl : kl+vl])
		}
		vals = append(vals, v)
		b = b[kl+vl:]
	}
	return keys, vals, true
}

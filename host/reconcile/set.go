package reconcile

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"iter"
	"math/bits"
	"slices"
	"sort"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
)

// itemBytes is the memory one item of a Set takes.
const itemBytes = 40

// item is one (created_at, id) pair.
type item struct {
	ts int64
	id [32]byte
}

// Set is the set of (created_at, id) pairs one side of a reconciliation
// holds, in negentropy's order (created_at, then id, ascending). Add the
// pairs, then Seal it; a sealed Set is the engine's negentropy.Storage.
//
// A Set is not safe for concurrent use; once sealed it is only read, and
// may be read by one reconciliation at a time (Fingerprint shares no
// state, but the engine is not goroutine-safe either).
type Set struct {
	items  []item
	sealed bool
}

var _ negentropy.Storage = (*Set)(nil)

// NewSet returns an empty set with room for n items.
func NewSet(n int) *Set {
	return &Set{items: make([]item, 0, max(n, 0))}
}

// Add adds the event with created_at ts and id (64 lowercase hex
// characters). It fails on a malformed id or a sealed set.
func (s *Set) Add(ts nostr.Timestamp, id string) error {
	var b [32]byte
	if len(id) != 64 || !isLowerHex(id) {
		return fmt.Errorf("reconcile: bad event id %q", id)
	}
	hex.Decode(b[:], []byte(id))
	return s.AddBytes(ts, b)
}

// AddBytes adds the event with created_at ts and the raw 32-byte id.
func (s *Set) AddBytes(ts nostr.Timestamp, id [32]byte) error {
	if s.sealed {
		return fmt.Errorf("reconcile: add to a sealed set")
	}
	s.items = append(s.items, item{int64(ts), id})
	return nil
}

// Seal sorts the set, drops repeated pairs, and gives back spare capacity.
// Add fails afterwards. Sealing twice does nothing.
func (s *Set) Seal() {
	if s.sealed {
		return
	}
	s.sealed = true
	if !slices.IsSortedFunc(s.items, compareItems) {
		slices.SortFunc(s.items, compareItems)
	}
	s.items = slices.CompactFunc(s.items, func(a, b item) bool { return a == b })
	if cap(s.items)-len(s.items) > len(s.items)/8 {
		s.items = slices.Clone(s.items)
	}
}

// Sealed reports whether Seal was called.
func (s *Set) Sealed() bool { return s.sealed }

// Len returns the number of items.
func (s *Set) Len() int { return len(s.items) }

// Bytes returns the memory the set's items take.
func (s *Set) Bytes() int { return cap(s.items) * itemBytes }

func compareItems(a, b item) int {
	if c := cmp.Compare(a.ts, b.ts); c != 0 {
		return c
	}
	return bytes.Compare(a.id[:], b.id[:])
}

// Size is the number of items (negentropy.Storage).
func (s *Set) Size() int { return len(s.items) }

// Range yields the items from begin to end, ids in hex
// (negentropy.Storage).
func (s *Set) Range(begin, end int) iter.Seq2[int, negentropy.Item] {
	return func(yield func(int, negentropy.Item) bool) {
		for i := begin; i < end; i++ {
			if !yield(i, s.itemAt(i)) {
				return
			}
		}
	}
}

// itemAt returns item i in the engine's form.
func (s *Set) itemAt(i int) negentropy.Item {
	it := &s.items[i]
	return negentropy.Item{Timestamp: nostr.Timestamp(it.ts), ID: hex.EncodeToString(it.id[:])}
}

// GetBound returns item idx as a bound, or the infinite bound past the end
// (negentropy.Storage).
func (s *Set) GetBound(idx int) negentropy.Bound {
	if idx < len(s.items) {
		return negentropy.Bound{Item: s.itemAt(idx)}
	}
	return negentropy.InfiniteBound
}

// FindLowerBound returns the first index from begin to end whose item is
// not below bound, or end (negentropy.Storage). The bound's id is a hex
// prefix of any length, compared as the engine's vector compares strings.
func (s *Set) FindLowerBound(begin, end int, bound negentropy.Bound) int {
	return begin + sort.Search(end-begin, func(i int) bool {
		return compareBound(&s.items[begin+i], bound) >= 0
	})
}

// compareBound compares an item with a bound as negentropy.ItemCompare
// compares their hex forms.
func compareBound(it *item, b negentropy.Bound) int {
	if c := cmp.Compare(it.ts, int64(b.Timestamp)); c != 0 {
		return c
	}
	var h [64]byte
	hex.Encode(h[:], it.id[:])
	n := min(len(h), len(b.ID))
	for i := 0; i < n; i++ {
		if h[i] != b.ID[i] {
			return cmp.Compare(h[i], b.ID[i])
		}
	}
	return cmp.Compare(len(h), len(b.ID))
}

// Fingerprint returns the negentropy fingerprint of the items from begin
// to end: the first 16 bytes of sha256(sum of the ids as little-endian
// 256-bit numbers, mod 2^256 ‖ varint(count)), in hex
// (negentropy.Storage).
//
// go-nostr's Accumulator drops a carry when a 32-bit limb and its addend
// are both 0xffffffff with a carry in; this adds with full carries, as the
// reference implementation (hoytech/negentropy) does. The two differ only
// in that case, about once in 2^64 additions.
func (s *Set) Fingerprint(begin, end int) string {
	var acc [4]uint64
	for i := begin; i < end; i++ {
		id := &s.items[i].id
		var c uint64
		for j := range acc {
			acc[j], c = bits.Add64(acc[j], binary.LittleEndian.Uint64(id[j*8:]), c)
		}
	}
	buf := make([]byte, 32, 32+10)
	for j, v := range acc {
		binary.LittleEndian.PutUint64(buf[j*8:], v)
	}
	buf = append(buf, negentropy.EncodeVarInt(end-begin)...)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:negentropy.FingerprintSize])
}

// isLowerHex reports whether s is lowercase hex.
func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

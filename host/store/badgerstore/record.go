package badgerstore

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// Event value header: format, created_at, kind, expiration, pubkey, id.
const (
	headerFormat byte = 1
	offCreated        = 1
	offKind           = 9
	offExp            = 13
	offPubkey         = 21
	offID             = 53
	headerLen         = 85
)

// header is the decoded fixed-size prefix of an event value.
type header struct {
	createdAt int64
	kind      uint32
	exp       int64
	pubkey    [32]byte
	id        [32]byte
}

// errBadValue is a stored value that does not decode.
var errBadValue = fmt.Errorf("badgerstore: stored value does not decode: %w", store.ErrCorrupt)

func decodeHeader(v []byte) (header, error) {
	if len(v) < headerLen || v[0] != headerFormat {
		return header{}, errBadValue
	}
	return header{
		createdAt: int64(binary.BigEndian.Uint64(v[offCreated:])),
		kind:      binary.BigEndian.Uint32(v[offKind:]),
		exp:       int64(binary.BigEndian.Uint64(v[offExp:])),
		pubkey:    [32]byte(v[offPubkey : offPubkey+32]),
		id:        [32]byte(v[offID : offID+32]),
	}, nil
}

// record is an event prepared for the writer: everything it needs that can
// be computed without the database, computed by the submitting goroutine.
type record struct {
	header
	value    []byte              // header + raw JSON
	tags     [][1 + hashLen]byte // letter + hash of each distinct single-letter tag value
	addr     []byte              // addrSuffix for replaceable and addressable kinds
	delIDs   [][32]byte          // kind 5: e tag targets
	delAddrs [][]byte            // kind 5: a tag targets of the author's own addresses
}

// newRecord prepares ev for storage. raw is copied when withValue is set.
func newRecord(ev *nostr.Event, raw []byte, withValue bool) (*record, error) {
	r := &record{}
	if err := decodeHex32(&r.id, ev.ID); err != nil {
		return nil, fmt.Errorf("badgerstore: event id: %w", err)
	}
	if err := decodeHex32(&r.pubkey, ev.PubKey); err != nil {
		return nil, fmt.Errorf("badgerstore: event pubkey: %w", err)
	}
	if ev.Kind < 0 || ev.Kind > math.MaxUint32 {
		return nil, fmt.Errorf("badgerstore: event kind %d out of range", ev.Kind)
	}
	r.createdAt = int64(ev.CreatedAt)
	r.kind = uint32(ev.Kind)
	r.exp = store.Expiration(ev)
	r.tags = tagHashes(ev.Tags)
	if a, ok := store.AddressOf(ev); ok {
		r.addr = addrSuffix(r.kind, &r.pubkey, a.D)
	}
	if ev.Kind == store.KindDeletion {
		r.addDeletionTargets(ev)
	}
	if withValue {
		r.value = r.encodeValue(raw)
	}
	return r, nil
}

func (r *record) encodeValue(raw []byte) []byte {
	v := make([]byte, headerLen, headerLen+len(raw))
	v[0] = headerFormat
	binary.BigEndian.PutUint64(v[offCreated:], uint64(r.createdAt))
	binary.BigEndian.PutUint32(v[offKind:], r.kind)
	binary.BigEndian.PutUint64(v[offExp:], uint64(r.exp))
	copy(v[offPubkey:], r.pubkey[:])
	copy(v[offID:], r.id[:])
	return append(v, raw...)
}

func (r *record) addDeletionTargets(ev *nostr.Event) {
	ids, addrs := store.DeletionTargets(ev)
	for _, id := range ids {
		var b [32]byte
		if decodeHex32(&b, id) == nil {
			r.delIDs = append(r.delIDs, b)
		}
	}
	for _, a := range addrs {
		// Only the author's own addresses can be deleted (NIP-09).
		if a.PubKey == ev.PubKey {
			r.delAddrs = append(r.delAddrs, addrSuffix(uint32(a.Kind), &r.pubkey, a.D))
		}
	}
}

// tagHashes returns letter + hash for each distinct (letter, value) of the
// single-letter tags, the ones NIP-01 filters can name.
func tagHashes(tags nostr.Tags) [][1 + hashLen]byte {
	out := make([][1 + hashLen]byte, 0, len(tags))
	for _, tag := range tags {
		if len(tag) < 2 || len(tag[0]) != 1 {
			continue
		}
		var k [1 + hashLen]byte
		k[0] = tag[0][0]
		h := tagHash(tag[1])
		copy(k[1:], h[:])
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b [1 + hashLen]byte) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(out)
}

// indexKeys returns the index keys of the event r stored under serial,
// without the event, id, address and expiration keys. They share one
// allocation.
func (r *record) indexKeys(serial uint64) [][]byte {
	const (
		kindLen     = 1 + 4 + suffixLn
		authKindLen = 1 + pk8Len + 4 + suffixLn
		timeLen     = 1 + suffixLn
		tagLen      = 2 + hashLen + suffixLn
	)
	buf := make([]byte, 0, kindLen+authKindLen+timeLen+len(r.tags)*tagLen)
	keys := make([][]byte, 0, 3+len(r.tags))
	add := func(parts ...[]byte) {
		start := len(buf)
		for _, p := range parts {
			buf = append(buf, p...)
		}
		buf = appendSuffix(buf, r.createdAt, serial)
		keys = append(keys, buf[start:len(buf):len(buf)])
	}
	var kind [4]byte
	binary.BigEndian.PutUint32(kind[:], r.kind)
	pk8 := r.pubkey[:pk8Len]
	add([]byte{pKind}, kind[:])
	add([]byte{pAuthKind}, pk8, kind[:])
	add([]byte{pTime})
	for i := range r.tags {
		add([]byte{pTag}, r.tags[i][:])
	}
	return keys
}

var errNotHex64 = errors.New("not 64 lowercase hex digits")

func decodeHex32(dst *[32]byte, s string) error {
	if !store.IsHex64(s) {
		return errNotHex64
	}
	_, err := hex.Decode(dst[:], []byte(s))
	return err
}

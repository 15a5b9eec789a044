package badgerstore

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// Key prefixes; see the layout in doc.go. The values are stored on disk and
// must never be renumbered.
const (
	pMeta     byte = 0x00
	pEvent    byte = 0x01
	pID       byte = 0x02
	pAuthor   byte = 0x03 // format 1 only: retired (format.go)
	pKind     byte = 0x04
	pAuthKind byte = 0x05
	pTag      byte = 0x06
	pTime     byte = 0x07
	pAddr     byte = 0x08
	pDelID    byte = 0x09
	pDelAddr  byte = 0x0a
	pExpire   byte = 0x0b
	pLost     byte = 0x0c
)

// metaSerial is the key of the last serial used, metaCount the key of the
// number of events stored; every commit that changes the second changes
// the first.
var (
	metaSerial = []byte{pMeta, 'S'}
	metaCount  = []byte{pMeta, 'C'}
)

// lostKey marks serial as lost: its event was unreadable and removed, and
// the index keys that could not be derived from it may still point there.
func lostKey(serial uint64) []byte { return appendU64([]byte{pLost}, serial) }

const (
	pk8Len   = 8
	hashLen  = 8  // tag value hash in tag keys
	suffixLn = 16 // ts + serial at the end of index keys
)

// encTS maps created_at to 8 bytes whose byte order is numeric order.
func encTS(ts int64) uint64 { return uint64(ts) ^ (1 << 63) }

func decTS(u uint64) int64 { return int64(u ^ (1 << 63)) }

func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

func eventKey(serial uint64) []byte { return appendU64([]byte{pEvent}, serial) }

func idKey(id *[32]byte) []byte { return append([]byte{pID}, id[:]...) }

// addrSuffix is kind, pubkey and dhash: the address part of pAddr and
// pDelAddr keys.
func addrSuffix(kind uint32, pubkey *[32]byte, d string) []byte {
	b := make([]byte, 0, 4+32+32)
	b = appendU32(b, kind)
	b = append(b, pubkey[:]...)
	h := sha256.Sum256([]byte(d))
	return append(b, h[:]...)
}

func prefixed(p byte, rest []byte) []byte {
	return append([]byte{p}, rest...)
}

func delIDKey(id, pubkey *[32]byte) []byte {
	b := make([]byte, 0, 65)
	b = append(b, pDelID)
	b = append(b, id[:]...)
	return append(b, pubkey[:]...)
}

func expireKey(exp int64, serial uint64) []byte {
	return appendU64(appendU64([]byte{pExpire}, uint64(exp)), serial)
}

// tagHash is the 8-byte hash of a tag value in pTag keys.
func tagHash(v string) [hashLen]byte {
	h := sha256.Sum256([]byte(v))
	return [hashLen]byte(h[:hashLen])
}

// Index key prefixes: each is followed by ts and serial.

func kindPrefix(kind uint32) []byte { return appendU32([]byte{pKind}, kind) }

func authKindPrefix(pubkey *[32]byte, kind uint32) []byte {
	return appendU32(append([]byte{pAuthKind}, pubkey[:pk8Len]...), kind)
}

func tagPrefix(letter byte, h [hashLen]byte) []byte {
	return append([]byte{pTag, letter}, h[:]...)
}

func timePrefix() []byte { return []byte{pTime} }

// appendSuffix appends the ts and serial that end an index key, both
// bit-inverted, so that ascending key order is newest first: queries
// iterate forward, which badger's skiplist memtables do in O(1) per step
// (a reverse step is a search from the top).
func appendSuffix(b []byte, ts int64, serial uint64) []byte {
	return appendU64(appendU64(b, ^encTS(ts)), ^serial)
}

// withSuffix returns prefix + ts + serial in a new slice.
func withSuffix(prefix []byte, ts int64, serial uint64) []byte {
	b := make([]byte, 0, len(prefix)+suffixLn)
	b = append(b, prefix...)
	return appendSuffix(b, ts, serial)
}

// seekKey is where a (forward, newest-first) iteration over prefix starts
// for until: the newest key with created_at <= until.
func seekKey(prefix []byte, until int64) []byte {
	return withSuffix(prefix, until, math.MaxUint64)
}

// splitSuffix returns the created_at and serial at the end of an index key.
func splitSuffix(key []byte) (int64, uint64) {
	n := len(key)
	return decTS(^binary.BigEndian.Uint64(key[n-16:])), ^binary.BigEndian.Uint64(key[n-8:])
}

package main

import (
	"encoding/binary"
	"math/bits"
)

// contentHash returns a 128-bit hash of the normalised content as 32 hex
// characters: the flood rule's key for "the same content". It is
// MurmurHash3 (x64, 128-bit, seed 0) rather than SHA-256, which cost
// several microseconds per note in wasm. The flood rule needs no
// collision resistance against an attacker: all a crafted collision buys
// is counting someone's content as flooded, and whoever knows that content
// in advance can post the content itself from enough accounts (RATIONALE.md,
// "Why the spam plugin hashes content with MurmurHash3"). 128 bits keep
// accidental collisions out of reach.
func contentHash(b []byte) string {
	h1, h2 := murmur3(b)
	var out [32]byte
	const digits = "0123456789abcdef"
	for i := range 8 {
		out[i*2] = digits[byte(h1>>(56-8*i))>>4]
		out[i*2+1] = digits[byte(h1>>(56-8*i))&15]
		out[16+i*2] = digits[byte(h2>>(56-8*i))>>4]
		out[16+i*2+1] = digits[byte(h2>>(56-8*i))&15]
	}
	return string(out[:])
}

// murmur3 is MurmurHash3_x64_128 with seed 0 (Austin Appleby's public
// domain reference), returning its two 64-bit halves.
func murmur3(b []byte) (uint64, uint64) {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	var h1, h2 uint64
	n := len(b)
	for ; len(b) >= 16; b = b[16:] {
		k1 := binary.LittleEndian.Uint64(b)
		k2 := binary.LittleEndian.Uint64(b[8:])
		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
		h1 = (bits.RotateLeft64(h1, 27)+h2)*5 + 0x52dce729
		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
		h2 = (bits.RotateLeft64(h2, 31)+h1)*5 + 0x38495ab5
	}
	if len(b) > 0 {
		var tail [16]byte
		copy(tail[:], b)
		if len(b) > 8 {
			h2 ^= bits.RotateLeft64(binary.LittleEndian.Uint64(tail[8:])*c2, 33) * c1
		}
		h1 ^= bits.RotateLeft64(binary.LittleEndian.Uint64(tail[:])*c1, 31) * c2
	}
	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1, h2 = fmix(h1), fmix(h2)
	h1 += h2
	h2 += h1
	return h1, h2
}

// fmix is MurmurHash3's 64-bit finaliser.
func fmix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

package main

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
)

// parsePubkey accepts a pubkey as 64 hex characters or as an npub (NIP-19)
// and returns it as lowercase hex.
func parsePubkey(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 64 {
		if _, err := hex.DecodeString(s); err == nil {
			return strings.ToLower(s), nil
		}
	}
	if b, err := decodeNpub(s); err == nil {
		return hex.EncodeToString(b), nil
	}
	return "", errors.New("pubkey " + strconv.Quote(s) + ": want 64 hex characters or an npub")
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// decodeNpub decodes a bech32 "npub1..." string to its 32 bytes.
func decodeNpub(s string) ([]byte, error) {
	bad := errors.New("not an npub")
	if strings.ToLower(s) != s && strings.ToUpper(s) != s {
		return nil, bad
	}
	s = strings.ToLower(s)
	data, ok := strings.CutPrefix(s, "npub1")
	if !ok || len(data) < 6 {
		return nil, bad
	}
	vals := make([]byte, len(data))
	for i := range len(data) {
		c := strings.IndexByte(bech32Charset, data[i])
		if c < 0 {
			return nil, bad
		}
		vals[i] = byte(c)
	}
	if bech32Polymod(append(hrpExpand("npub"), vals...)) != 1 {
		return nil, bad
	}
	out, ok := regroup(vals[:len(vals)-6])
	if !ok || len(out) != 32 {
		return nil, bad
	}
	return out, nil
}

func hrpExpand(hrp string) []byte {
	out := make([]byte, 0, 2*len(hrp)+1)
	for i := range len(hrp) {
		out = append(out, hrp[i]>>5)
	}
	out = append(out, 0)
	for i := range len(hrp) {
		out = append(out, hrp[i]&31)
	}
	return out
}

func bech32Polymod(vals []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range vals {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// regroup converts 5-bit groups to bytes; leftover bits must be zero
// padding.
func regroup(vals []byte) ([]byte, bool) {
	var acc uint32
	var bits uint
	out := make([]byte, 0, len(vals)*5/8)
	for _, v := range vals {
		acc = acc<<5 | uint32(v)
		bits += 5
		for bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out, bits < 5 && acc&(1<<bits-1) == 0
}

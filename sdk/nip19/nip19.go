// Package nip19 reads public keys as people write them in configs and
// list files: 64 hex characters or a bech32 "npub1..." (NIP-19). Plugins
// compare pubkeys as lowercase hex, the form the relay hands them.
package nip19

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
)

// ErrNotNpub is the error DecodeNpub returns for anything but a valid
// npub.
var ErrNotNpub = errors.New("nip19: not an npub")

// Pubkey returns the public key s, given as 64 hex characters (either
// case) or as an npub, as 64 lowercase hex characters. Spaces around s
// are ignored.
func Pubkey(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 64 {
		if _, err := hex.DecodeString(s); err == nil {
			return strings.ToLower(s), nil
		}
	}
	if b, err := DecodeNpub(s); err == nil {
		return hex.EncodeToString(b), nil
	}
	return "", errors.New("pubkey " + strconv.Quote(s) + ": want 64 hex characters or an npub")
}

// DecodeNpub decodes a bech32 "npub1..." string, all lowercase or all
// uppercase, to the 32 bytes of the public key.
func DecodeNpub(s string) ([]byte, error) { return decode32("npub", s, ErrNotNpub) }

// ErrNotNsec is the error DecodeNsec returns for anything but a valid
// nsec.
var ErrNotNsec = errors.New("nip19: not an nsec")

// DecodeNsec decodes a bech32 "nsec1..." string, all lowercase or all
// uppercase, to the 32 bytes of the secret key (relayd admin reads keys
// so).
func DecodeNsec(s string) ([]byte, error) { return decode32("nsec", s, ErrNotNsec) }

// decode32 decodes the bech32 string s of human-readable part hrp holding
// 32 bytes, or fails with bad.
func decode32(hrp, s string, bad error) ([]byte, error) {
	if strings.ToLower(s) != s && strings.ToUpper(s) != s {
		return nil, bad
	}
	s = strings.ToLower(s)
	data, ok := strings.CutPrefix(s, hrp+"1")
	if !ok || len(data) < 6 {
		return nil, bad
	}
	vals := make([]byte, len(data))
	for i := range len(data) {
		c := strings.IndexByte(charset, data[i])
		if c < 0 {
			return nil, bad
		}
		vals[i] = byte(c)
	}
	if polymod(append(hrpExpand(hrp), vals...)) != 1 {
		return nil, bad
	}
	out, ok := regroup(vals[:len(vals)-6])
	if !ok || len(out) != 32 {
		return nil, bad
	}
	return out, nil
}

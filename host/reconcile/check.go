package reconcile

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
)

// ProtocolVersion is the negentropy protocol version this package speaks
// (version 1), the first byte of every message.
const ProtocolVersion = 0x61

// Modes of a negentropy range.
const (
	modeSkip        = int(negentropy.SkipMode)
	modeFingerprint = int(negentropy.FingerprintMode)
	modeIDList      = int(negentropy.IdListMode)
)

// maxVarintBytes bounds a varint (7 bits a byte: 56 bits), so a value
// never overflows an int.
const maxVarintBytes = 8

// ErrMalformed is wrapped by every error Check returns.
var ErrMalformed = errors.New("malformed negentropy message")

// Check validates the structure of a hex negentropy message before the
// engine decodes it: whole bytes of hex, a protocol version byte, and then
// ranges (bound, mode, payload) that end exactly at the end of the message,
// with bound ids of at most 32 bytes, varints of at most 8 bytes, known
// modes, and id lists no longer than what follows. A message of another
// protocol version is only checked for its first byte: the engine answers
// it with its own version, as the protocol asks.
func Check(msg string) error {
	if len(msg) < 2 || len(msg)%2 != 0 {
		return fmt.Errorf("%w: not whole bytes of hex", ErrMalformed)
	}
	b, err := hex.DecodeString(msg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if b[0] != ProtocolVersion {
		return nil
	}
	r := reader{b: b, pos: 1}
	for n := 0; r.pos < len(r.b); n++ {
		if err := r.rangeItem(); err != nil {
			return fmt.Errorf("%w: range %d: %w", ErrMalformed, n, err)
		}
	}
	return nil
}

// reader walks the bytes of a message.
type reader struct {
	b   []byte
	pos int
}

// rangeItem reads one range: bound, mode and its payload.
func (r *reader) rangeItem() error {
	if _, err := r.varint(); err != nil {
		return fmt.Errorf("bound timestamp: %w", err)
	}
	n, err := r.varint()
	switch {
	case err != nil:
		return fmt.Errorf("bound length: %w", err)
	case n > 32:
		return fmt.Errorf("bound id of %d bytes, more than 32", n)
	}
	if err := r.skip(n); err != nil {
		return fmt.Errorf("bound id: %w", err)
	}
	mode, err := r.varint()
	if err != nil {
		return fmt.Errorf("mode: %w", err)
	}
	switch mode {
	case modeSkip:
		return nil
	case modeFingerprint:
		return r.skip(negentropy.FingerprintSize)
	case modeIDList:
		return r.idList()
	}
	return fmt.Errorf("unknown mode %d", mode)
}

// idList reads the count and ids of an id list.
func (r *reader) idList() error {
	n, err := r.varint()
	if err != nil {
		return fmt.Errorf("id count: %w", err)
	}
	if n > (len(r.b)-r.pos)/32 {
		return fmt.Errorf("%d ids but %d bytes left", n, len(r.b)-r.pos)
	}
	return r.skip(n * 32)
}

// varint reads a negentropy varint (big-endian base 128, high bit set on
// every byte but the last).
func (r *reader) varint() (int, error) {
	v := 0
	for i := 0; i < maxVarintBytes; i++ {
		if r.pos >= len(r.b) {
			return 0, errors.New("unexpected end")
		}
		c := r.b[r.pos]
		r.pos++
		v = v<<7 | int(c&0x7f)
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("varint longer than %d bytes", maxVarintBytes)
}

// skip steps over n bytes.
func (r *reader) skip(n int) error {
	if n > len(r.b)-r.pos {
		return fmt.Errorf("%d bytes needed, %d left", n, len(r.b)-r.pos)
	}
	r.pos += n
	return nil
}

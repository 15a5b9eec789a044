package preempt

import (
	"errors"
	"fmt"
)

var errTruncated = fmt.Errorf("%w: truncated", ErrUnsupported)

// reader decodes the wasm binary encoding. The first error sticks; reads
// after it return zero.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.off = len(r.b)
}

func (r *reader) byte() byte {
	if r.off >= len(r.b) {
		r.fail(errTruncated)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || r.off+n > len(r.b) {
		r.fail(errTruncated)
		return nil
	}
	out := r.b[r.off : r.off+n]
	r.off += n
	return out
}

// uleb reads an unsigned LEB128 of at most bits bits.
func (r *reader) uleb(bits uint) uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		if shift >= bits+7 {
			r.fail(errors.Join(ErrUnsupported, errors.New("leb128 too long")))
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
}

func (r *reader) u32() uint32 { return uint32(r.uleb(32)) }

// s33 and s64 read signed LEB128s; only their length matters here.
func (r *reader) s33() { r.uleb(33) }
func (r *reader) s64() { r.uleb(64) }

func (r *reader) name() string { return string(r.bytes(int(r.u32()))) }

// valtype reads a value type and returns its encoding: one byte, or a
// reference type prefix (0x63, 0x64) and its heap type.
func (r *reader) valtype() []byte {
	start := r.off
	switch c := r.byte(); {
	case c == 0x63 || c == 0x64:
		r.s33()
	case c >= 0x69 && c <= 0x7f:
	default:
		r.fail(fmt.Errorf("%w: value type %#x", ErrUnsupported, c))
		return nil
	}
	return r.b[start:r.off]
}

func (r *reader) limits() {
	flags := r.byte()
	r.uleb(64)
	if flags&1 != 0 {
		r.uleb(64)
	}
}

// memarg: align (bit 6 set: a memory index follows), then offset.
func (r *reader) memarg() {
	align := r.u32()
	if align&0x40 != 0 {
		r.u32()
	}
	r.uleb(64)
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendName(b []byte, s string) []byte { return append(appendU32(b, uint32(len(s))), s...) }

func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

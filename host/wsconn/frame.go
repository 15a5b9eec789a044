package wsconn

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// maxControl is the largest control frame payload (RFC 6455 5.5).
const maxControl = 125

// header is a parsed client frame header.
type header struct {
	fin    bool
	rsv    byte
	op     ws.OpCode
	masked bool
	mask   [4]byte
	length int64
}

// errNeedMore means the buffer does not yet hold a whole frame header.
var errNeedMore = errors.New("wsconn: need more bytes")

// parseHeader decodes a frame header from the start of b. It returns the
// header and its size in bytes, or errNeedMore.
func parseHeader(b []byte) (h header, n int, err error) {
	if len(b) < 2 {
		return h, 0, errNeedMore
	}
	h.fin = b[0]&0x80 != 0
	h.rsv = (b[0] >> 4) & 0x07
	h.op = ws.OpCode(b[0] & 0x0f)
	h.masked = b[1]&0x80 != 0
	n = 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return h, 0, errNeedMore
		}
		h.length = int64(binary.BigEndian.Uint16(b[2:4]))
		n = 4
	case 127:
		if len(b) < 10 {
			return h, 0, errNeedMore
		}
		u := binary.BigEndian.Uint64(b[2:10])
		if u>>63 != 0 {
			return h, 0, errBadLength
		}
		h.length = int64(u)
		n = 10
	default:
		h.length = int64(l)
	}
	if h.masked {
		if len(b) < n+4 {
			return h, 0, errNeedMore
		}
		copy(h.mask[:], b[n:n+4])
		n += 4
	}
	return h, n, nil
}

var (
	errBadLength   = errors.New("frame length has the most significant bit set")
	errUnmasked    = errors.New("client frame is not masked")
	errRsv         = errors.New("reserved bits set without a negotiated extension")
	errReservedOp  = errors.New("reserved opcode")
	errControl     = errors.New("fragmented or oversized control frame")
	errContinue    = errors.New("continuation frame without a started message")
	errInterleave  = errors.New("new data frame inside a fragmented message")
	errCloseBody   = errors.New("malformed close frame")
	errInvalidUTF8 = errors.New("text message is not valid UTF-8")
)

// check validates a client frame header against RFC 6455 rules that do
// not depend on the payload. fragmenting tells whether a fragmented message
// is being assembled.
func (h *header) check(fragmenting bool) error {
	switch {
	case !h.masked:
		return errUnmasked
	case h.rsv != 0:
		return errRsv
	case h.op.IsReserved():
		return errReservedOp
	case h.op.IsControl() && (!h.fin || h.length > maxControl):
		return errControl
	case h.op == ws.OpContinuation && !fragmenting:
		return errContinue
	case (h.op == ws.OpText || h.op == ws.OpBinary) && fragmenting:
		return errInterleave
	}
	return nil
}

// appendHeader appends an unmasked server frame header.
func appendHeader(dst []byte, op ws.OpCode, length int) []byte {
	b0 := 0x80 | byte(op)
	switch {
	case length < 126:
		return append(dst, b0, byte(length))
	case length <= 0xffff:
		return append(dst, b0, 126, byte(length>>8), byte(length))
	default:
		dst = append(dst, b0, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(length))
	}
}

// headerLen returns the size of a server frame header for a payload length.
func headerLen(length int) int {
	switch {
	case length < 126:
		return 2
	case length <= 0xffff:
		return 4
	}
	return 10
}

// parseClose validates a close frame payload and returns its status code
// (1005 "no status" when empty).
func parseClose(p []byte) (ws.StatusCode, error) {
	if len(p) == 0 {
		return ws.StatusNoStatusRcvd, nil
	}
	if len(p) == 1 {
		return 0, errCloseBody
	}
	code := ws.StatusCode(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) || !utf8.Valid(p[2:]) {
		return 0, errCloseBody
	}
	return code, nil
}

// validCloseCode reports whether a peer may send code in a close frame
// (RFC 6455 7.4).
func validCloseCode(c ws.StatusCode) bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// closePayload builds a close frame payload: code and a reason cut to fit
// in a control frame.
func closePayload(code ws.StatusCode, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	b := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(b, uint16(code))
	return append(b, reason...)
}

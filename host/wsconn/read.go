package wsconn

import (
	"errors"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// smallRead is the first read's buffer size. Idle clients send a small
// message now and then; only a connection that fills it gets a large
// buffer, which keeps the memory of thousands of quiet connections low
// when many wake at once.
const smallRead = 4 << 10

// feed parses frames from data (after any pending partial frame) and hands
// complete messages to the handler. It returns false when the connection
// is closing and reading should stop.
func (c *Conn) feed(data []byte) bool {
	if len(c.pending) > 0 {
		c.pending = append(c.pending, data...)
		data = c.pending
	}
	max := int64(c.o.MaxMessageBytes)
	for len(data) > 0 {
		if c.skip != nil && c.skip.left > 0 {
			data = c.skipPayload(data)
			continue
		}
		h, hn, err := parseHeader(data)
		if err == errNeedMore {
			break
		}
		if err == nil {
			err = h.check(c.frag != nil || c.skip != nil)
		}
		if err != nil {
			c.protocolError(err)
			return false
		}
		if !h.op.IsControl() && (c.skip != nil || h.length > max || int64(len(c.frag))+h.length > max) {
			// Over the limit: skip the message without buffering it and
			// tell the handler, which answers; the connection stays.
			c.startSkip(h)
			data = data[hn:]
			if c.skip.left == 0 {
				c.endSkip()
			}
			continue
		}
		total := hn + int(h.length)
		if len(data) < total {
			if cap(c.pending) < total {
				// Reserve the whole frame once instead of growing by reads.
				p := make([]byte, len(data), total)
				copy(p, data)
				c.pending = p
				return c.stillOpen()
			}
			break
		}
		payload := data[hn:total]
		ws.Cipher(payload, h.mask, 0)
		data = data[total:]
		if !c.frame(h, payload) {
			c.pending = nil
			return false
		}
	}
	if len(data) == 0 {
		c.pending = nil
	} else if len(c.pending) == 0 || &data[0] != &c.pending[0] {
		c.pending = append(c.pending[:0], data...)
	}
	return c.stillOpen()
}

// skipState tracks a message over the size limit being read past.
type skipState struct {
	left int64   // payload bytes of the current frame still to skip
	fin  bool    // the current frame ends the message
	mask [4]byte // the current frame's mask
	off  int     // payload offset within the current frame
	head []byte  // the message's first bytes, unmasked
	size int64   // the message's size so far
}

// skipHead is how many leading bytes of a skipped message the handler gets.
const skipHead = 512

// startSkip begins (or continues, for a continuation frame) skipping a
// message whose frame header h was just read.
func (c *Conn) startSkip(h header) {
	if c.skip == nil {
		c.skip = &skipState{}
		if len(c.frag) > 0 {
			c.skip.head = append(c.skip.head, c.frag[:min(len(c.frag), skipHead)]...)
			c.skip.size = int64(len(c.frag))
			c.frag = nil
		}
	}
	c.skip.left, c.skip.fin, c.skip.mask, c.skip.off = h.length, h.fin, h.mask, 0
}

// skipPayload consumes skipped payload bytes from data, keeping the first
// skipHead bytes of the message, and returns the rest of data.
func (c *Conn) skipPayload(data []byte) []byte {
	sk := c.skip
	n := int(min(int64(len(data)), sk.left))
	if room := skipHead - len(sk.head); room > 0 {
		k := min(room, n)
		start := len(sk.head)
		sk.head = append(sk.head, data[:k]...)
		ws.Cipher(sk.head[start:], sk.mask, sk.off)
	}
	sk.off += n
	sk.left -= int64(n)
	sk.size += int64(n)
	if sk.left == 0 {
		c.endSkip()
	}
	return data[n:]
}

// endSkip finishes a skipped frame; after the message's last frame it tells
// the handler.
func (c *Conn) endSkip() {
	if !c.skip.fin {
		return
	}
	sk := c.skip
	c.skip = nil
	c.srv.h.OnTooLarge(c, sk.head, sk.size)
}

func (c *Conn) stillOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.tcpWanted
}

// frame handles one complete frame. It returns false to stop reading.
func (c *Conn) frame(h header, payload []byte) bool {
	switch h.op {
	case ws.OpPing:
		c.pong(payload)
		return true
	case ws.OpPong:
		return true
	case ws.OpClose:
		code, err := parseClose(payload)
		if err != nil {
			c.protocolError(err)
			return false
		}
		c.mu.Lock()
		closing := c.closing
		c.mu.Unlock()
		if closing {
			// The client answered our close: we are done.
			c.abort(c.reason, nil)
			return false
		}
		if code == ws.StatusNoStatusRcvd {
			code = ws.StatusNormalClosure
		}
		c.closeWith(ReasonClientClose, code, "")
		return false
	case ws.OpContinuation:
		c.frag = append(c.frag, payload...)
		if !h.fin {
			return true
		}
		msg, op := c.frag, c.fragOp
		c.frag = nil
		return c.message(op, msg)
	default: // text or binary
		if !h.fin {
			c.frag = append(make([]byte, 0, len(payload)*2), payload...)
			c.fragOp = h.op
			return true
		}
		return c.message(h.op, payload)
	}
}

// message delivers one complete data message to the handler.
func (c *Conn) message(op ws.OpCode, msg []byte) bool {
	if op == ws.OpText && !utf8.Valid(msg) {
		c.Close(ReasonBadData, errInvalidUTF8.Error())
		return false
	}
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		return false
	}
	c.srv.h.OnMessage(c, msg)
	return true
}

func (c *Conn) protocolError(err error) {
	var text string
	if !errors.Is(err, errNeedMore) {
		text = err.Error()
	}
	c.Close(ReasonProtocol, text)
}

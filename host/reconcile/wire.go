package reconcile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gobwas/ws"
)

// ErrTooLarge is returned when the relay sends a message over
// Options.MaxMessageBytes; the connection is closed.
var ErrTooLarge = errors.New("reconcile: relay message too large")

// wire is the client end of one websocket connection: whole text messages
// in and out, pings answered, bounded reads. Not safe for concurrent use.
type wire struct {
	nc      net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	maxMsg  int
	timeout time.Duration

	sent, received int64 // payload bytes of data frames
}

func newWire(nc net.Conn, br *bufio.Reader, maxMsg int, timeout time.Duration) *wire {
	if br == nil {
		br = bufio.NewReaderSize(nc, 64<<10)
	}
	return &wire{nc: nc, r: br, w: bufio.NewWriterSize(nc, 64<<10), maxMsg: maxMsg, timeout: timeout}
}

// deadline returns the time by which the next read or write must finish:
// the timeout from now, or ctx's deadline if sooner.
func (w *wire) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(w.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	return d
}

// interrupt makes the pending read or write fail at once (on ctx's end).
func (w *wire) interrupt() { w.nc.SetDeadline(time.Unix(1, 0)) }

// write sends msg as one masked text frame. It masks msg in place.
func (w *wire) write(ctx context.Context, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.sent += int64(len(msg))
	return w.frame(ctx, ws.MaskFrameInPlace(ws.NewTextFrame(msg)))
}

// frame writes and flushes one frame.
func (w *wire) frame(ctx context.Context, f ws.Frame) error {
	w.nc.SetWriteDeadline(w.deadline(ctx))
	err := ws.WriteFrame(w.w, f)
	if err == nil {
		err = w.w.Flush()
	}
	if err != nil {
		return w.ioErr(ctx, "write", err)
	}
	return nil
}

// read returns the next whole data message, answering pings on the way.
func (w *wire) read(ctx context.Context) ([]byte, error) {
	var msg []byte
	fragmented := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		w.nc.SetReadDeadline(w.deadline(ctx))
		h, err := ws.ReadHeader(w.r)
		if err != nil {
			return nil, w.ioErr(ctx, "read", err)
		}
		switch {
		case h.OpCode.IsReserved() || h.Rsv != 0:
			return nil, fmt.Errorf("reconcile: relay sent a frame with opcode %d and rsv %d, which were not negotiated", h.OpCode, h.Rsv)
		case h.OpCode.IsControl() && (h.Length > 125 || !h.Fin):
			return nil, fmt.Errorf("reconcile: relay sent a bad control frame")
		}
		if h.Length > int64(w.maxMsg-len(msg)) {
			w.nc.Close()
			return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, w.maxMsg)
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(w.r, payload); err != nil {
			return nil, w.ioErr(ctx, "read", err)
		}
		if h.Masked {
			ws.Cipher(payload, h.Mask, 0)
		}
		switch {
		case h.OpCode == ws.OpPing:
			if err := w.frame(ctx, ws.MaskFrameInPlace(ws.NewPongFrame(payload))); err != nil {
				return nil, err
			}
			continue
		case h.OpCode == ws.OpPong:
			continue
		case h.OpCode == ws.OpClose:
			code, reason := ws.ParseCloseFrameData(payload)
			w.frame(ctx, ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(code, ""))))
			return nil, fmt.Errorf("reconcile: relay closed the connection (%d %q)", code, reason)
		case h.OpCode == ws.OpContinuation && !fragmented, h.OpCode != ws.OpContinuation && fragmented:
			return nil, fmt.Errorf("reconcile: relay sent frames out of order")
		}
		msg = append(msg, payload...)
		fragmented = !h.Fin
		if h.Fin {
			w.received += int64(len(msg))
			return msg, nil
		}
	}
}

// ioErr explains a failed read or write: ctx's end, a timeout, or the
// connection's error.
func (w *wire) ioErr(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("reconcile: %s: nothing from the relay in %v: %w", op, w.timeout, ErrTimeout)
	}
	return fmt.Errorf("reconcile: %s: %w", op, err)
}

// ErrTimeout is wrapped when the relay sends nothing for
// Options.ReadTimeout.
var ErrTimeout = errors.New("timed out")

// close sends a close frame (best effort) and closes the connection.
func (w *wire) close() error {
	w.nc.SetWriteDeadline(time.Now().Add(time.Second))
	ws.WriteFrame(w.w, ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))))
	w.w.Flush()
	return w.nc.Close()
}

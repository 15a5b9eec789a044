package wsconn

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"
)

// Conn is one upgraded websocket connection.
//
// Reading: on Linux the server's poller hands a readable connection to a
// short-lived reader goroutine (at most one per connection at a time),
// which reads until the socket is drained, hands complete messages to the
// Handler in order, and re-arms the poller. An idle connection has no
// goroutine and no buffers. Elsewhere (see Reader) one reader goroutine
// per connection blocks in Read for its whole life, with the same
// ordering and close rules.
//
// Writing: every outgoing frame goes through Send/SendParts into the
// connection's queue, bounded in bytes. Exactly one writer at a time
// drains the queue — the server's flusher (or a Batch caller) for one
// non-blocking write, or the connection's writer goroutine, which exists
// only while the queue is not empty and coalesces queued frames into one
// writev (see the package doc). A frame is written whole or not at all, in
// enqueue order.
//
// Lock order: Conn.mu, then the flusher's lock (flusher.add); nothing else
// is locked while Conn.mu is held (the poller's epoll_ctl and the portable
// reader's SetReadDeadline are system calls, not locks).
type Conn struct {
	srv   *Server
	o     *Options // the server's options when the connection was served
	id    uint64
	nc    net.Conn
	fd    int             // the socket, for the epoll reader only
	raw   syscall.RawConn // the socket, for the flusher only (epoll build)
	value any

	lastRead atomic.Int64 // coarse unix nanoseconds of the last read
	lastPing atomic.Int64

	// Reader state, owned by the reader goroutine of the moment.
	pending []byte     // bytes of an incomplete frame
	frag    []byte     // a fragmented message being assembled
	fragOp  ws.OpCode  // opcode of the fragmented message
	skip    *skipState // a message over the limit being skipped

	mu        sync.Mutex
	q         []outMsg
	qbytes    int // payload bytes queued, including the writer's batch
	pongAt    int // index in q of the pong the writer has not taken, or -1
	low       lowWaiters
	writing   bool // a writer (the flusher, a Batch caller or a writer goroutine) owns the queue
	reading   bool // a reader goroutine is active
	closing   bool // no more data frames are accepted
	tcpWanted bool // the socket must be closed once the reader is out
	tcpClosed bool
	reason    CloseReason
}

// outMsg is one frame in the queue: a header built at write time, then
// head, body and tail, which together are the payload. body and tail may be
// shared between connections and are never modified.
type outMsg struct {
	op         ws.OpCode
	closeAfter bool
	head       []byte
	body       []byte
	tail       []byte
}

func (m *outMsg) size() int { return len(m.head) + len(m.body) + len(m.tail) }

// Errors returned by the send methods.
var (
	// ErrClosed: the connection is closing or closed.
	ErrClosed = errors.New("wsconn: connection closed")
	// ErrQueueFull: the message would put the queue over its cap; the
	// connection is being closed with ReasonQueueFull.
	ErrQueueFull = errors.New("wsconn: outbound queue full")
)

// ID is the connection's id, unique in the server's lifetime.
func (c *Conn) ID() uint64 { return c.id }

// Value returns the value given to Serve.
func (c *Conn) Value() any { return c.value }

// RemoteAddr is the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// QueueCap is the connection's queue bound (Options.QueueBytes when it
// was served).
func (c *Conn) QueueCap() int { return c.o.QueueBytes }

// WriteTimeout is the connection's write timeout (Options.WriteTimeout
// when it was served).
func (c *Conn) WriteTimeout() time.Duration { return c.o.WriteTimeout }

// MaxMessageBytes is the largest message the connection reads
// (Options.MaxMessageBytes when it was served).
func (c *Conn) MaxMessageBytes() int { return c.o.MaxMessageBytes }

// QueuedBytes returns the payload bytes waiting to be written.
func (c *Conn) QueuedBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.qbytes
}

// WaitQueueBelow blocks until fewer than n payload bytes are queued, the
// deadline passes or the connection closes. It reports whether the queue
// is below n. The writer wakes it when a write brings the queue under n;
// nothing polls. It is safe for concurrent use.
func (c *Conn) WaitQueueBelow(n int, deadline time.Time) bool {
	var t *time.Timer
	for {
		c.mu.Lock()
		if c.qbytes < n {
			c.mu.Unlock()
			return true
		}
		if c.closing {
			c.mu.Unlock()
			return false
		}
		ch := c.low.add(n)
		c.mu.Unlock()
		if t == nil {
			d := time.Until(deadline)
			if d <= 0 {
				return false
			}
			t = time.NewTimer(d)
			defer t.Stop()
		}
		select {
		case <-ch:
		case <-t.C:
			return c.QueuedBytes() < n
		}
	}
}

// lowWaiters wakes goroutines waiting in WaitQueueBelow. Guarded by
// Conn.mu.
type lowWaiters struct {
	ch   chan struct{} // closed to wake every waiter; nil when none waits
	mark int           // the highest threshold waited for
}

// add registers a waiter for the queue to drop under n and returns the
// channel that will be closed.
func (w *lowWaiters) add(n int) chan struct{} {
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	w.mark = max(w.mark, n)
	return w.ch
}

// wake wakes the waiters once queued is under the highest threshold; each
// re-checks its own.
func (w *lowWaiters) wake(queued int) {
	if queued < w.mark {
		w.wakeAll()
	}
}

// wakeAll wakes every waiter (the connection is closing).
func (w *lowWaiters) wakeAll() {
	if w.ch != nil {
		close(w.ch)
		w.ch, w.mark = nil, 0
	}
}

// Send queues msg as one text frame. The connection owns msg afterwards.
func (c *Conn) Send(msg []byte) error {
	return c.enqueue(outMsg{op: ws.OpText, head: msg})
}

// SendParts queues one text frame whose payload is head, body and tail
// concatenated. body and tail may be shared with other connections: they
// are only read, never modified or kept beyond the write. The connection
// owns head.
func (c *Conn) SendParts(head, body, tail []byte) error {
	return c.enqueue(outMsg{op: ws.OpText, head: head, body: body, tail: tail})
}

func (c *Conn) enqueue(m outMsg) error {
	size := m.size()
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.qbytes+size > c.o.QueueBytes {
		c.mu.Unlock()
		c.slowReader()
		return ErrQueueFull
	}
	c.pushLocked(m)
	c.mu.Unlock()
	return nil
}

// slowReader closes a connection whose queue would go over its cap.
func (c *Conn) slowReader() {
	c.srv.opts.Logger.Warn("disconnecting slow reader", "conn", c.id, "remote", c.nc.RemoteAddr().String(),
		"queued_bytes", c.QueuedBytes(), "cap", c.o.QueueBytes)
	c.Close(ReasonQueueFull, "outbound queue full: reading too slowly")
}

// pushLocked appends to the queue and starts the writer if none runs.
// c.mu must be held.
func (c *Conn) pushLocked(m outMsg) {
	c.q = append(c.q, m)
	c.qbytes += m.size()
	if !c.writing {
		c.writing = true
		c.startWriterLocked()
	}
}

// ping queues a ping frame; it bypasses the byte cap.
func (c *Conn) ping() {
	c.mu.Lock()
	if !c.closing {
		c.pushLocked(outMsg{op: ws.OpPing})
	}
	c.mu.Unlock()
}

// pong answers a ping with its payload. At most one pong waits in the
// queue: while the writer has not taken it, a newer ping replaces its
// payload (RFC 6455 5.5.3 allows answering only the most recent ping), so
// a client that floods pings and never reads cannot grow the queue. Pongs
// count against the byte cap like data.
func (c *Conn) pong(payload []byte) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if c.pongAt >= 0 {
		m := &c.q[c.pongAt]
		c.qbytes += len(payload) - len(m.head)
		m.head = append(m.head[:0], payload...)
		c.mu.Unlock()
		return
	}
	m := outMsg{op: ws.OpPong, head: append(make([]byte, 0, maxControl), payload...)}
	if c.qbytes+m.size() > c.o.QueueBytes {
		c.mu.Unlock()
		c.slowReader()
		return
	}
	c.pongAt = len(c.q)
	c.pushLocked(m)
	c.mu.Unlock()
}

// Close starts a websocket close: the frames already queued are written,
// then a close frame with the reason's status code and text, then the
// socket is closed. For ReasonQueueFull the queued frames are dropped
// instead, and the socket is cut if the close frame cannot be written
// within a second. Sends after Close fail with ErrClosed.
func (c *Conn) Close(reason CloseReason, text string) {
	if text == "" {
		text = reason.String()
	}
	c.closeWith(reason, reason.Code(), text)
}

func (c *Conn) closeWith(reason CloseReason, code ws.StatusCode, text string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.reason = reason
	c.low.wakeAll() // waiters see closing
	if reason == ReasonQueueFull {
		// Whatever the writer holds now is all that goes out before the
		// close frame; bound how long that may take.
		c.dropQueueLocked()
		c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	}
	c.pushLocked(outMsg{op: ws.OpClose, closeAfter: true, head: closePayload(code, text)})
	c.mu.Unlock()
	if reason != ReasonClientClose && reason != ReasonShutdown {
		c.srv.opts.Logger.Info("closing connection", "conn", c.id, "remote", c.nc.RemoteAddr().String(), "reason", reason.String())
	}
}

// abort closes the socket without a close frame.
func (c *Conn) abort(reason CloseReason, err error) {
	c.mu.Lock()
	if !c.closing {
		c.closing = true
		c.reason = reason
		c.low.wakeAll()
		if err != nil && reason != ReasonEOF {
			c.srv.opts.Logger.Info("connection failed", "conn", c.id, "reason", reason.String(), "err", err)
		}
	}
	c.dropQueueLocked()
	c.nc.SetDeadline(time.Now()) // unblock a writer stuck in write
	fin := c.closeTCPLocked()
	c.mu.Unlock()
	if fin {
		c.finish()
	}
}

// dropQueueLocked discards the frames not yet taken by the writer.
// c.mu must be held.
func (c *Conn) dropQueueLocked() {
	for i := range c.q {
		c.qbytes -= c.q[i].size()
	}
	c.q, c.pongAt = nil, -1
	c.low.wake(c.qbytes)
}

// closeTCPLocked closes the socket unless a reader is active, in which
// case the reader closes it on its way out (so the reader never touches a
// closed, possibly reused, fd number); a reader blocked on the socket is
// woken for that (kickReaderLocked). It reports whether the caller must
// call finish. c.mu must be held.
func (c *Conn) closeTCPLocked() bool {
	if c.tcpClosed {
		return false
	}
	c.tcpWanted = true
	if c.reading {
		c.kickReaderLocked()
		return false
	}
	c.tcpClosed = true
	c.nc.Close()
	return true
}

// finish runs once, after the socket is closed and no reader is active.
func (c *Conn) finish() {
	c.srv.del(c.id)
	c.srv.h.OnClose(c, c.reason)
}

// Reason returns why the connection closed (0 while open).
func (c *Conn) Reason() CloseReason {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

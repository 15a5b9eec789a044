//go:build linux && !relayd_portable

package wsconn

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Writer names the write path this build uses: "flusher" (Linux with the
// epoll reader: one server goroutine writes every connection whose queue
// became non-empty, see flusher), or "goroutine" (one writer goroutine per
// non-empty queue).
const Writer = "flusher"

// flushMax is the largest batch the flusher copies and writes itself; a
// connection with more queued (a backlog, a large event) gets its own
// writer goroutine, which writes without copying large bodies and may
// block on the socket.
const flushMax = 64 << 10

// startFlusher starts the server's flusher goroutine.
func (s *Server) startFlusher() {
	s.fl.wake = make(chan struct{}, 1)
	s.fl.idle = true // it waits for the first wake-up
	s.inline.New = newInlineFlusher
	s.wg.Add(1)
	go s.flushLoop()
}

// startWriterLocked gives c's writer role (c.writing, just set) to the
// flusher. c.mu must be held; the flusher's lock nests inside it.
func (c *Conn) startWriterLocked() { c.srv.fl.add(c) }

// add queues c, whose writer role it holds, for the flusher, waking it if
// it waits. After the flusher stopped, c gets a writer goroutine instead.
func (f *flusher) add(c *Conn) {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		c.spawnWriter(nil, 0)
		return
	}
	f.ready = append(f.ready, c)
	wake := f.idle && f.hold == 0
	if wake {
		f.idle = false
	}
	f.mu.Unlock()
	if wake {
		f.wake <- struct{}{} // buffered: idle was set, so the slot is free
	}
}

// quietGap: a Batch that starts this long after the previous one ended
// finds the relay quiet and writes the connections it readied itself,
// saving the flusher's wake-up (a thread wake and park). Batches closer
// together leave the writes to the flusher, whose passes then coalesce the
// frames of several batches per connection.
const quietGap = 500 * time.Microsecond

// inlineMax bounds the connections a Batch caller writes itself (~1 ms of
// writes), so that a broadcast to many subscribers does not hold up the
// caller (the store's notifier, which also sends every OK) for long.
const inlineMax = 256

// Batch runs fn (a broadcast), holding back the flusher's wake-up for the
// connections fn (or anyone meanwhile) makes ready until fn returns. Then,
// if the relay was quiet, the caller writes them itself, with one
// non-blocking write each exactly as the flusher would; otherwise it wakes
// the flusher. Every ready connection is taken by one writer only, so the
// caller and the flusher never write the same connection at once.
func (s *Server) Batch(fn func()) {
	f := &s.fl
	f.mu.Lock()
	f.hold++
	f.mu.Unlock()
	fn()
	start := time.Now().UnixNano()
	f.mu.Lock()
	f.hold--
	var list []*Conn
	switch {
	case len(f.ready) == 0:
	case !f.stopped && start-f.lastBatch > int64(quietGap) && len(f.ready) <= inlineMax:
		list, f.ready = f.ready, f.spare[:0]
		f.spare = nil
	case !f.stopped && start-f.lastBatch > int64(quietGap):
		// The caller writes the first inlineMax, the flusher the rest,
		// both at once.
		list = append(f.spare[:0], f.ready[:inlineMax]...)
		f.spare = nil
		n := copy(f.ready, f.ready[inlineMax:])
		clear(f.ready[n:])
		f.ready = f.ready[:n]
		if f.idle && f.hold == 0 {
			f.idle = false
			f.wake <- struct{}{}
		}
	case f.idle && f.hold == 0:
		f.idle = false
		f.wake <- struct{}{}
	}
	f.mu.Unlock()
	if list == nil {
		f.mu.Lock()
		f.lastBatch = start
		f.mu.Unlock()
		return
	}
	in := s.inline.Get().(*inlineFlusher)
	for i, c := range list {
		in.buf = c.flush(in.buf, &in.w)
		list[i] = nil
	}
	s.inline.Put(in)
	end := time.Now().UnixNano()
	f.mu.Lock()
	f.lastBatch = end
	if f.spare == nil {
		f.spare = list[:0]
	}
	f.mu.Unlock()
}

// inlineFlusher is a Batch caller's write buffer and raw writer.
type inlineFlusher struct {
	buf []byte
	w   rawWriter
}

func newInlineFlusher() any {
	in := &inlineFlusher{buf: make([]byte, 0, smallWrite)}
	in.w.fn = in.w.write
	return in
}

// flushLoop is the flusher: it takes every connection that became ready
// since its last pass and writes each one's queue with one non-blocking
// write, until none is ready; then it waits. It never blocks on a socket:
// whatever a socket does not take at once goes to a writer goroutine of
// that connection (writeRest), with the writer role.
func (s *Server) flushLoop() {
	defer s.wg.Done()
	f := &s.fl
	w := &rawWriter{}
	w.fn = w.write
	buf := make([]byte, 0, smallWrite)
	var list []*Conn
	for {
		select {
		case <-f.wake:
		case <-s.done:
			f.mu.Lock()
			list, f.ready = f.ready, nil
			f.stopped = true
			f.mu.Unlock()
			for _, c := range list {
				c.spawnWriter(nil, 0)
			}
			return
		}
		for {
			f.mu.Lock()
			list, f.ready = f.ready, list[:0]
			if len(list) == 0 {
				f.idle = true
				f.mu.Unlock()
				break
			}
			f.mu.Unlock()
			for i, c := range list {
				buf = c.flush(buf, w)
				list[i] = nil
			}
		}
	}
}

// flush is the flusher's turn as c's writer: it copies c's queued frames
// into buf and writes them with one non-blocking write. A connection that
// is closing, has more than flushMax queued, or whose socket does not take
// everything at once, gets a writer goroutine, which takes over the writer
// role. It returns buf for reuse.
func (c *Conn) flush(buf []byte, w *rawWriter) []byte {
	c.mu.Lock()
	if len(c.q) == 0 { // the queue was dropped (abort, slow reader)
		c.writing = false
		c.q = nil
		c.mu.Unlock()
		return buf
	}
	total := 0
	for i := range c.q {
		total += c.q[i].size()
	}
	if c.closing || c.raw == nil || total > flushMax {
		c.mu.Unlock()
		c.spawnWriter(nil, 0)
		return buf
	}
	buf = buf[:0]
	for i := range c.q {
		m := &c.q[i]
		buf = appendHeader(buf, m.op, m.size())
		buf = append(buf, m.head...)
		buf = append(buf, m.body...)
		buf = append(buf, m.tail...)
	}
	clear(c.q)
	c.q = c.q[:0]
	c.pongAt = -1 // the writer has it: a newer ping gets its own pong
	c.mu.Unlock()

	n, err := w.try(c.raw, buf)
	if err != nil {
		c.mu.Lock()
		c.qbytes -= total
		c.low.wake(c.qbytes)
		c.mu.Unlock()
		// abort may end in Handler.OnClose (the relay's close hook, a
		// policy), which must not run on the flusher or a broadcaster.
		go c.abort(ReasonWriteError, err)
		return buf
	}
	if n < len(buf) {
		c.spawnWriter(append([]byte(nil), buf[n:]...), total)
		return buf
	}
	c.mu.Lock()
	c.qbytes -= total
	c.low.wake(c.qbytes)
	if len(c.q) > 0 {
		c.srv.fl.add(c) // frames came while writing: back of the line
	} else {
		c.writing = false
		if cap(c.q) > 16 {
			c.q = nil
		}
	}
	c.mu.Unlock()
	return buf
}

// rawWriter makes one non-blocking write(2) through a RawConn, which holds
// the socket open while the write runs. fn is its write method, bound once
// so that a write allocates nothing.
type rawWriter struct {
	fn     func(fd uintptr) bool
	b      []byte
	n      int
	errno  syscall.Errno
	called bool
}

// try writes what the socket takes of b at once. It returns how much that
// was (0 when the socket is full, or when the descriptor could not be used,
// e.g. an expired write deadline: the writer goroutine sorts that out), or
// the error that makes the connection unusable.
func (w *rawWriter) try(rc syscall.RawConn, b []byte) (int, error) {
	w.b, w.n, w.errno, w.called = b, 0, 0, false
	err := rc.Write(w.fn)
	w.b = nil
	switch {
	case !w.called || w.errno == unix.EAGAIN:
		_ = err // the writer goroutine sees it again, or the deadline fresh
		return 0, nil
	case w.errno != 0:
		return 0, w.errno
	}
	return w.n, nil
}

// write is the RawConn callback. A non-blocking socket write returns at
// once, so it is made as a raw system call: the runtime does not hand off
// the P, and the write does not wake sysmon.
func (w *rawWriter) write(fd uintptr) bool {
	w.called = true
	for {
		r, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&w.b[0])), uintptr(len(w.b)))
		if e == unix.EINTR {
			continue
		}
		w.n, w.errno = int(r), e
		if e != 0 {
			w.n = 0
		}
		return true
	}
}

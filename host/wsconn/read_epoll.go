//go:build linux && !relayd_portable

package wsconn

import (
	"fmt"
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reader names the read path this build uses: "epoll" (Linux), or
// "goroutine" (other systems, and Linux built with the relayd_portable
// tag; see read_portable.go).
const Reader = "epoll"

// attach registers c's socket with the epoll set. It runs before c's first
// read pass, with c.reading set, so an event that fires before that pass
// starts finds the reader role taken and is left to it.
func (s *Server) attach(c *Conn) error {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return fmt.Errorf("wsconn: %T has no file descriptor", c.nc)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("wsconn: syscall conn: %w", err)
	}
	if err := raw.Control(func(fd uintptr) { c.fd = int(fd) }); err != nil {
		return fmt.Errorf("wsconn: fd: %w", err)
	}
	c.mu.Lock() // the flusher reads it under c.mu
	c.raw = raw
	c.mu.Unlock()
	if err := s.poll.add(c.fd, c.id); err != nil {
		return fmt.Errorf("wsconn: epoll add: %w", err)
	}
	return nil
}

// startReading runs c's first read pass, which owns the reader role Serve
// gave it: it feeds the bytes read past the handshake, drains the socket
// and arms the poller.
func (c *Conn) startReading(buffered []byte) { go c.srv.reader(c, buffered) }

// kickReaderLocked has nothing to do here: the epoll reader never blocks
// on the socket, so a reader that holds the role is in the Handler or on
// its way out, and closes the socket itself. c.mu must be held.
func (c *Conn) kickReaderLocked() {}

// startPoller starts the goroutine that dispatches readable connections.
func (s *Server) startPoller() {
	s.wg.Add(1)
	go s.loop()
}

// loop dispatches readable connections to reader goroutines.
func (s *Server) loop() {
	defer s.wg.Done()
	err := s.poll.wait(func(id uint64) {
		if c := s.get(id); c != nil {
			c.readable()
		}
	})
	if err != nil {
		s.opts.Logger.Error("poller stopped", "err", err)
	}
}

// readable is called by the poller when the socket has data or an error.
func (c *Conn) readable() {
	c.mu.Lock()
	if c.reading || c.tcpClosed {
		c.mu.Unlock()
		return
	}
	c.reading = true
	c.mu.Unlock()
	select {
	case c.srv.passes <- c: // a parked reader takes it
	default:
		go c.srv.reader(c, nil)
	}
}

// reader runs c's read pass, then waits for another connection's pass
// while fewer than maxIdle readers wait, or exits. Reusing the goroutine
// keeps its stack, which grows to what the Handler needs (tens of KiB
// with plugins and the store): a new goroutine per pass grew it again
// each time, copying the stack several times (8 us per REQ with the
// default plugins, BENCHMARKS.md "Policy cost"). Parked readers are not
// per connection: an idle relay holds at most maxIdle of them.
func (s *Server) reader(c *Conn, initial []byte) {
	for {
		c.readPass(initial)
		initial = nil
		if s.idleReaders.Add(1) > s.maxIdle {
			s.idleReaders.Add(-1)
			return
		}
		select {
		case c = <-s.passes:
			s.idleReaders.Add(-1)
		case <-s.done:
			s.idleReaders.Add(-1)
			return
		}
	}
}

// readPass is one reader goroutine's turn: process initial bytes, then read
// until the socket would block, then re-arm the poller and exit.
func (c *Conn) readPass(initial []byte) {
	ok := true
	if len(initial) > 0 {
		ok = c.feed(initial)
	}
	if ok {
		c.readSocket()
	}
	c.mu.Lock()
	c.reading = false
	fin := false
	switch {
	case c.tcpWanted:
		fin = c.closeTCPLocked()
	case c.closing:
		// A close frame is on its way out; keep reading so the client's
		// close reply (or EOF) is seen, unless the socket is gone.
		fallthrough
	default:
		if err := c.srv.poll.rearm(c.fd, c.id); err != nil {
			c.srv.opts.Logger.Warn("epoll rearm failed", "conn", c.id, "err", err)
			fin = c.closeTCPLocked()
		}
	}
	c.mu.Unlock()
	if fin {
		c.finish()
	}
}

// readSocket reads until EAGAIN, EOF or an error, feeding each chunk.
func (c *Conn) readSocket() {
	bp, pool := c.srv.rsmall.Get().(*[]byte), &c.srv.rsmall
	defer func() { pool.Put(bp) }()
	buf := *bp
	for {
		n, err := unix.Read(c.fd, buf)
		if n > 0 {
			c.lastRead.Store(c.srv.now.Load())
			if !c.feed(buf[:n]) {
				return
			}
			if n < len(buf) {
				// Short read: the socket is most likely drained. The
				// level-triggered re-arm reports anything that came since.
				return
			}
			if pool == &c.srv.rsmall {
				pool.Put(bp)
				bp, pool = c.srv.rbufs.Get().(*[]byte), &c.srv.rbufs
				buf = *bp
			}
			continue
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return
		case n == 0 && err == nil:
			c.abort(ReasonEOF, io.EOF)
			return
		default:
			c.abort(ReasonReadError, err)
			return
		}
	}
}

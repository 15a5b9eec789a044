//go:build !linux || relayd_portable

package wsconn

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Reader names the read path this build uses: "goroutine" here (systems
// without epoll, and Linux built with the relayd_portable tag, which is how
// CI runs the same tests against this path), "epoll" on Linux.
//
// The goroutine reader gives each connection one goroutine that blocks in
// net.Conn.Read for the connection's life, so an idle connection costs a
// goroutine and a 4 KiB read buffer; a connection that fills that buffer
// borrows a large pooled one until a read comes back short. The count of
// these goroutines is the count of connections, which the relay bounds
// (max_connections). Messages reach the Handler in order, one at a time,
// and OnClose follows the last OnMessage, as on the epoll path.
const Reader = "goroutine"

// poller has nothing to poll here: the Go runtime's network poller
// (kqueue, IOCP) wakes each connection's blocked reader.
type poller struct{}

func newPoller() (*poller, error) { return &poller{}, nil }
func (p *poller) close()          {}
func (p *poller) release()        {}

// startPoller has no goroutine to start.
func (s *Server) startPoller() {}

// attach takes any net.Conn with read deadlines, which kickReaderLocked
// needs. It clears a read deadline the caller left (the blocking reader
// would fail at it; the epoll reader reads the socket itself and never
// sees one). It runs before OnOpen, so a Close from there still wakes the
// reader.
func (s *Server) attach(c *Conn) error {
	if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("wsconn: clear read deadline: %w", err)
	}
	return nil
}

// startReading starts c's reader, which holds the reader role Serve gave
// it until the socket is to be closed.
func (c *Conn) startReading(buffered []byte) { go c.readLoop(buffered) }

// kickReaderLocked wakes a reader blocked in Read so that it sees
// tcpWanted, closes the socket and runs finish. A deadline in the past
// makes the pending and every later Read fail at once, and nothing sets a
// later read deadline once tcpWanted is set. c.mu must be held.
func (c *Conn) kickReaderLocked() { c.nc.SetReadDeadline(time.Now()) }

// readLoop is the connection's only reader: it feeds the bytes read past
// the handshake, then reads and feeds until the socket is to be closed
// (tcpWanted) or fails. Feeding stops for a chunk when feed says so, as an
// epoll read pass does, and reading goes on, as the re-armed poller does,
// so that the client's close reply or EOF is seen.
func (c *Conn) readLoop(initial []byte) {
	if len(initial) > 0 {
		c.feed(initial)
	}
	s := c.srv
	bp, pool := s.rsmall.Get().(*[]byte), &s.rsmall
	for c.stillOpen() {
		n, err := c.nc.Read(*bp)
		if n > 0 {
			c.lastRead.Store(s.now.Load())
			c.feed((*bp)[:n])
			switch {
			case n == len(*bp) && pool == &s.rsmall:
				// A busy connection: read in large chunks.
				pool.Put(bp)
				bp, pool = s.rbufs.Get().(*[]byte), &s.rbufs
			case n < len(*bp) && pool == &s.rbufs:
				// Drained: give the large buffer back before blocking.
				pool.Put(bp)
				bp, pool = s.rsmall.Get().(*[]byte), &s.rsmall
			}
		}
		if err != nil {
			c.readFailed(err)
			break
		}
	}
	pool.Put(bp)
	c.mu.Lock()
	c.reading = false
	fin := c.closeTCPLocked()
	c.mu.Unlock()
	if fin {
		c.finish()
	}
}

// readFailed closes the connection after Read returned err, unless the
// socket was already to be closed (then err is the kick's deadline or the
// closed socket, and the reason stands).
func (c *Conn) readFailed(err error) {
	if !c.stillOpen() {
		return
	}
	if errors.Is(err, io.EOF) {
		c.abort(ReasonEOF, io.EOF)
		return
	}
	c.abort(ReasonReadError, err)
}

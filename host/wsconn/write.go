package wsconn

import (
	"net"
	"time"
)

// bigBody is the payload size above which a body is written from its own
// buffer (one iovec) instead of being copied into the coalescing buffer.
const bigBody = 16 << 10

// maxBatch bounds the bytes one writev carries.
const maxBatch = 1 << 20

// smallWrite is the initial capacity of a coalescing buffer; buffers grow
// as a batch needs and only those up to maxPooledWrite go back to the pool.
const (
	smallWrite     = 4 << 10
	maxPooledWrite = 256 << 10
)

// spawnWriter starts a writer goroutine for c, which holds the writer
// role: it writes rest first (the part of a batch of total payload bytes
// that the socket did not take at once), if any, then the queue.
func (c *Conn) spawnWriter(rest []byte, total int) {
	c.srv.writers.Add(1)
	if rest != nil {
		go c.writeRest(rest, total)
		return
	}
	go c.writeLoop()
}

// writeRest finishes, with a write deadline, a batch the flusher could
// write only partly (rest, which the socket did not take; total, the
// batch's payload bytes), then goes on as c's writer goroutine.
func (c *Conn) writeRest(rest []byte, total int) {
	c.mu.Lock()
	d := c.o.WriteTimeout
	if c.closing && d > time.Second {
		d = time.Second
	}
	c.nc.SetWriteDeadline(time.Now().Add(d))
	c.mu.Unlock()
	_, err := c.nc.Write(rest)
	c.mu.Lock()
	c.qbytes -= total
	c.low.wake(c.qbytes)
	c.mu.Unlock()
	if err != nil {
		c.abort(ReasonWriteError, err)
		return
	}
	c.writeLoop()
}

// writeLoop is the connection's only writer. It runs while the queue is not
// empty and exits when it drained it.
func (c *Conn) writeLoop() {
	bp := c.srv.wbufs.Get().(*[]byte)
	defer c.srv.wbufs.Put(bp)
	var batch []outMsg
	for {
		c.mu.Lock()
		if len(c.q) == 0 {
			c.writing = false
			if cap(c.q) > 16 {
				c.q = nil
			}
			c.mu.Unlock()
			return
		}
		batch, c.q = c.q, batch[:0]
		c.pongAt = -1 // the writer has it: a newer ping gets its own pong
		closing := c.closing
		c.mu.Unlock()

		n, closeAfter, err := c.writeBatch(batch, bp, closing)
		clear(batch)

		c.mu.Lock()
		c.qbytes -= n
		c.low.wake(c.qbytes)
		c.mu.Unlock()
		if err != nil {
			c.abort(ReasonWriteError, err)
			return
		}
		if closeAfter {
			c.mu.Lock()
			c.q, c.pongAt, c.writing = nil, -1, false
			fin := c.closeTCPLocked()
			c.mu.Unlock()
			if fin {
				c.finish()
			}
			return
		}
	}
}

// writeBatch writes the frames of batch, coalescing small ones into *bp
// and passing large bodies as their own iovecs. It stops after a close
// frame. It returns the payload bytes written.
func (c *Conn) writeBatch(batch []outMsg, bp *[]byte, closing bool) (n int, closeAfter bool, err error) {
	buf := (*bp)[:0]
	var bufs net.Buffers
	start := 0 // start of the part of buf not yet in bufs
	flush := func() error {
		if start < len(buf) {
			bufs = append(bufs, buf[start:])
			start = len(buf)
		}
		if len(bufs) == 0 {
			return nil
		}
		d := c.o.WriteTimeout
		if closing && d > time.Second {
			d = time.Second
		}
		c.nc.SetWriteDeadline(time.Now().Add(d))
		var err error
		if len(bufs) == 1 {
			_, err = c.nc.Write(bufs[0])
		} else {
			_, err = bufs.WriteTo(c.nc)
		}
		bufs = bufs[:0]
		buf, start = buf[:0], 0
		return err
	}
	pending := 0
	for i := range batch {
		m := &batch[i]
		size := m.size()
		buf = appendHeader(buf, m.op, size)
		buf = append(buf, m.head...)
		if len(m.body) > bigBody {
			bufs = append(bufs, buf[start:])
			bufs = append(bufs, m.body)
			start = len(buf)
		} else {
			buf = append(buf, m.body...)
		}
		buf = append(buf, m.tail...)
		pending += size
		if m.closeAfter {
			closeAfter = true
			break
		}
		if pending >= maxBatch {
			if err := flush(); err != nil {
				return n, false, err
			}
			n += pending
			pending = 0
		}
	}
	if err := flush(); err != nil {
		return n, false, err
	}
	if cap(buf) <= maxPooledWrite {
		*bp = buf[:0]
	} else {
		*bp = make([]byte, 0, smallWrite)
	}
	return n + pending, closeAfter, nil
}

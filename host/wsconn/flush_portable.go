//go:build !linux || relayd_portable

package wsconn

// Writer names the write path this build uses: "goroutine" here (one
// writer goroutine per non-empty queue), "flusher" on Linux with the epoll
// reader.
const Writer = "goroutine"

// startFlusher has no flusher to start here.
func (s *Server) startFlusher() {}

// startWriterLocked starts c's writer goroutine, which holds the writer
// role (c.writing, just set) until the queue is empty. c.mu must be held.
func (c *Conn) startWriterLocked() { c.spawnWriter(nil, 0) }

// Batch runs fn: there is no flusher to hold back here.
func (s *Server) Batch(fn func()) { fn() }

// Package wsconn owns relayd's websocket connections: upgrade, framing,
// keepalive, idle timeout, close codes, and one bounded outbound queue per
// connection drained by exactly one writer. It knows nothing of Nostr.
//
// # Design
//
// On Linux, reads go through one epoll set (level-triggered, one-shot): a
// readable connection gets a reader goroutine that drains the socket into a
// pooled buffer, parses frames, and calls Handler.OnMessage for each
// complete message in order, then waits for another connection's read pass
// (at most 2 × GOMAXPROCS readers wait; the rest exit). An idle connection
// holds no goroutine and no buffer, only its Conn and the kernel socket.
//
// Elsewhere (macOS, Windows, the BSDs), and on Linux built with the
// relayd_portable tag, each connection has one reader goroutine blocked in
// net.Conn.Read for its whole life (read_portable.go): an idle connection
// costs that goroutine's stack and a 4 KiB buffer more than on Linux. The
// Handler sees the same thing on both paths: messages in order, one at a
// time, OnClose after the last OnMessage. Reader names the path a build
// has. `make test` runs this package's tests, and a relay end-to-end test,
// with the tag, so the portable path is tested on Linux too.
//
// Writes go through Conn.Send and Conn.SendParts, which append a frame to
// the connection's queue and, if no writer holds the queue, give it one.
// Exactly one writer holds a queue at a time, takes everything queued and
// writes it in order, frames whole. On Linux (the epoll build, Writer ==
// "flusher") a queue that becomes non-empty is handed to the server's
// flusher goroutine, which writes each ready connection's frames (up to
// 64 KiB) with one non-blocking write, so waking many idle connections
// costs one goroutine wake-up, not one goroutine each. Server.Batch holds
// that wake-up while a broadcast enqueues; when the relay was quiet, the
// broadcasting goroutine then makes the write pass itself (no wake-up at
// all). Whatever a socket does not take at once, a connection with more
// than 64 KiB queued, and a closing connection get a writer goroutine of
// their own, which takes over the writer role, writes with a deadline and
// coalesces the queue into one writev per pass; that is also the only
// writer elsewhere (Writer == "goroutine"). The flusher never blocks on a
// socket, so a slow reader holds up only its own writer goroutine. Shared
// payloads (an event broadcast to many subscribers) are referenced, not
// copied, until the write. A connection whose queue goes
// over Options.QueueBytes is closed with ReasonQueueFull; nothing else
// waits for it. Pongs count against that cap, and at most one waits in the
// queue: a newer ping replaces its payload (RFC 6455 5.5.3), so pings from
// a client that never reads cannot grow the queue. A producer that prefers
// to wait rather than overrun the cap calls Conn.WaitQueueBelow, which the
// writer wakes; nothing polls.
//
// # Locking
//
// Conn.mu is a leaf lock but for the flusher's lock, which nests inside
// it (a connection is put on the flusher's list with its own lock held).
// Server shard locks are never held while calling into a Conn or the
// Handler. The socket is closed only when no reader
// goroutine is active, so a reader never reads a closed, reused fd; the
// portable reader, always active, is woken for that by a read deadline in
// the past and closes the socket itself on its way out.
package wsconn

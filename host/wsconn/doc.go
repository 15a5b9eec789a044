// Package wsconn owns relayd's websocket connections: upgrade, framing,
// keepalive, idle timeout, close codes, and one bounded outbound queue per
// connection drained by exactly one writer. It knows nothing of Nostr.
//
// # Design
//
// On Linux, reads go through one epoll set (level-triggered, one-shot): a
// readable connection gets a short-lived reader goroutine that drains the
// socket into a pooled buffer, parses frames, and calls Handler.OnMessage
// for each complete message in order. An idle connection holds no goroutine
// and no buffer, only its Conn and the kernel socket.
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
// the connection's queue and start the writer goroutine if none runs. The
// writer coalesces everything queued into one writev, with a write
// deadline. Shared payloads (an event broadcast to many subscribers) are
// referenced, not copied, until the write. A connection whose queue goes
// over Options.QueueBytes is closed with ReasonQueueFull; nothing else
// waits for it. Pongs count against that cap, and at most one waits in the
// queue: a newer ping replaces its payload (RFC 6455 5.5.3), so pings from
// a client that never reads cannot grow the queue. A producer that prefers
// to wait rather than overrun the cap calls Conn.WaitQueueBelow, which the
// writer wakes; nothing polls.
//
// # Locking
//
// Conn.mu is a leaf lock. Server shard locks are never held while calling
// into a Conn or the Handler. The socket is closed only when no reader
// goroutine is active, so a reader never reads a closed, reused fd; the
// portable reader, always active, is woken for that by a read deadline in
// the past and closes the socket itself on its way out.
package wsconn

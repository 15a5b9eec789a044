package wsconn_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/wsconn"
)

// startServerSmallSend is startServer with a 4 KiB send buffer on the
// listening socket, which accepted sockets inherit, so that a client that
// does not read fills the server's socket after a few KiB.
func startServerSmallSend(t *testing.T, opts wsconn.Options) *testServer {
	t.Helper()
	h := &echo{closed: map[uint64]wsconn.CloseReason{}, done: make(chan uint64, 1024)}
	srv, err := wsconn.NewServer(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = setSendBuffer(fd, 4096) }); err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, h: h, addr: ln.Addr().String(), conn: make(chan *wsconn.Conn, 1024)}
	ts.url = "ws://" + ts.addr
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := srv.Upgrade(w, r, nil); err == nil {
			ts.conn <- c
		}
	})}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return ts
}

// TestFlusherWritesWithoutGoroutines (issue 11, item 4): on the epoll
// build, frames sent to idle connections are written by the server's
// flusher (or by a Batch caller, which leaves what is over its share to
// the flusher), not by a writer goroutine per connection; the goroutine
// path starts one per connection that became ready. Each frame arrives
// whole, in order.
func TestFlusherWritesWithoutGoroutines(t *testing.T) {
	const frames = 3
	for _, tc := range []struct {
		name  string
		batch bool
		conns int
	}{
		{"send", false, 20},
		{"batch", true, 20},
		{"batch over the caller's share", true, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, wsconn.Options{}, nil)
			ncs := make([]net.Conn, tc.conns)
			cs := make([]*wsconn.Conn, tc.conns)
			for i := range ncs {
				ncs[i], cs[i] = ts.dial(t)
			}
			for k := 0; k < frames; k++ {
				send := func() {
					for i, c := range cs {
						if err := c.SendParts([]byte(fmt.Sprintf(`["EVENT","s%d",`, i)), []byte(fmt.Sprintf(`{"n":%d}`, k)), []byte("]")); err != nil {
							t.Errorf("send: %v", err)
						}
					}
				}
				if tc.batch {
					ts.srv.Batch(send)
				} else {
					send()
				}
				for i, nc := range ncs {
					f := readFrame(t, nc)
					if want := fmt.Sprintf(`["EVENT","s%d",{"n":%d}]`, i, k); string(f.Payload) != want || f.Header.OpCode != ws.OpText {
						t.Fatalf("conn %d frame %d: got %q (op %v), want %q", i, k, f.Payload, f.Header.OpCode, want)
					}
				}
			}
			got := wsconn.WriterGoroutines(ts.srv)
			switch {
			case wsconn.Writer == "flusher" && got != 0:
				t.Fatalf("flusher: %d writer goroutines started, want none", got)
			case wsconn.Writer == "goroutine" && got < int64(tc.conns):
				// At least one per connection; a later frame may find
				// the previous writer still on its way out.
				t.Fatalf("goroutine writer: %d writer goroutines started, want at least %d", got, tc.conns)
			}
		})
	}
}

// TestFullSocketHandsOffToWriter (issue 11, item 4): when a socket takes
// only part of a batch (the client is not reading), the rest goes to a
// writer goroutine, which blocks on the socket instead of the caller;
// everything arrives whole and in order once the client reads, and later
// frames follow.
func TestFullSocketHandsOffToWriter(t *testing.T) {
	if wsconn.Writer != "flusher" {
		t.Skip("the goroutine writer has no flusher to hand off from")
	}
	ts := startServerSmallSend(t, wsconn.Options{QueueBytes: 1 << 20})
	nc, c := ts.dialNotReading(t)
	payload := bytes.Repeat([]byte("x"), 1000)
	const n = 40 // 40 KB: under the flusher's batch limit, far over the sockets' buffers
	// The first Batch of a server finds it quiet, so its caller writes the
	// batch itself, now: the socket takes a few KiB, and the rest must be
	// with a writer goroutine when Batch returns.
	ts.srv.Batch(func() {
		for i := 0; i < n; i++ {
			if err := c.SendParts([]byte(fmt.Sprintf("%03d:", i)), payload, nil); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
	})
	if got := wsconn.WriterGoroutines(ts.srv); got != 1 {
		t.Fatalf("%d writer goroutines after a batch the socket could not take, want 1", got)
	}
	if err := c.Send([]byte("after")); err != nil { // queued behind the writer's rest
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		f := readFrame(t, nc)
		if want := fmt.Sprintf("%03d:", i); !bytes.HasPrefix(f.Payload, []byte(want)) || len(f.Payload) != len(want)+len(payload) {
			t.Fatalf("frame %d: got %d bytes starting %.8q, want %q and %d bytes", i, len(f.Payload), f.Payload, want, len(want)+len(payload))
		}
	}
	if f := readFrame(t, nc); string(f.Payload) != "after" {
		t.Fatalf("last frame %.20q, want \"after\"", f.Payload)
	}
}

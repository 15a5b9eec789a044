package wsconn_test

import (
	"bytes"
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/wsconn"
)

// dialNotReading opens a client connection with a small receive buffer, so
// that a client that stops reading backs the server's writer up soon.
func (ts *testServer) dialNotReading(t *testing.T) (net.Conn, *wsconn.Conn) {
	t.Helper()
	d := ws.Dialer{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = setReceiveBuffer(fd, 4096)
			})
			if err != nil {
				return err
			}
			return serr
		}}
		return nd.DialContext(ctx, network, addr)
	}}
	nc, _, _, err := d.Dial(context.Background(), ts.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	select {
	case c := <-ts.conn:
		return nc, c
	case <-time.After(5 * time.Second):
		t.Fatal("server did not register the connection")
	}
	return nil, nil
}

// TestPingFloodIsBounded (issue 7, item 6): a client that floods pings and
// never reads does not grow its queue: at most one pong waits (the most
// recent ping's, RFC 6455 5.5.3) and pongs count against the byte cap.
// Before the fix every ping queued its own pong past the cap, ~2.8 bytes
// of relay memory per byte sent.
func TestPingFloodIsBounded(t *testing.T) {
	const capBytes = 64 << 10
	seen := make(chan *wsconn.Conn, 1)
	h := &echo{onMsg: func(c *wsconn.Conn, msg []byte) {
		if string(msg) == "marker" {
			seen <- c
		}
	}}
	ts := startServer(t, wsconn.Options{QueueBytes: capBytes, WriteTimeout: time.Minute}, h)
	nc, _ := ts.dialNotReading(t)
	var ping bytes.Buffer
	ws.WriteFrame(&ping, ws.MaskFrame(ws.NewPingFrame(bytes.Repeat([]byte("p"), 125))))
	const flood = 16 << 20 // far beyond the socket buffers and the cap
	chunk := bytes.Repeat(ping.Bytes(), (64<<10)/ping.Len())
	for sent := 0; sent < flood; sent += len(chunk) {
		nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := nc.Write(chunk); err != nil {
			t.Fatalf("after %d bytes of pings: %v", sent, err)
		}
	}
	// Messages are handled in order: once the marker arrives, every ping
	// before it was answered (or coalesced).
	writeFrame(t, nc, true, ws.OpText, []byte("marker"))
	var c *wsconn.Conn
	select {
	case c = <-seen:
	case <-time.After(30 * time.Second):
		t.Fatal("marker never arrived")
	}
	if r := c.Reason(); r != 0 && r != wsconn.ReasonQueueFull {
		t.Fatalf("closed with %v, want open or cut as a slow reader", r)
	}
	if q := c.QueuedBytes(); q > capBytes {
		t.Fatalf("%d bytes queued after a %d-byte ping flood, want at most the %d-byte cap", q, flood, capBytes)
	}
}

// TestMostRecentPingIsAnswered: pings that arrive while a pong waits are
// answered once, with the latest payload.
func TestMostRecentPingIsAnswered(t *testing.T) {
	seen := make(chan struct{}, 1)
	h := &echo{onMsg: func(c *wsconn.Conn, msg []byte) { seen <- struct{}{} }}
	ts := startServer(t, wsconn.Options{QueueBytes: 64 << 20, WriteTimeout: time.Minute}, h)
	nc, c := ts.dialNotReading(t)
	// A frame larger than the socket buffers keeps the writer busy while
	// the client does not read, so what follows waits in the queue.
	big := bytes.Repeat([]byte("d"), 16<<20)
	if err := c.Send(big); err != nil {
		t.Fatal(err)
	}
	if err := c.Send([]byte("after big")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"p1", "p2", "p3"} {
		writeFrame(t, nc, true, ws.OpPing, []byte(p))
	}
	writeFrame(t, nc, true, ws.OpText, []byte("pings handled"))
	<-seen
	var got []string
	for len(got) < 3 {
		f := readFrame(t, nc)
		switch {
		case f.Header.OpCode == ws.OpPong:
			got = append(got, "pong "+string(f.Payload))
		case len(f.Payload) == len(big):
			got = append(got, "big")
		default:
			got = append(got, string(f.Payload))
		}
	}
	want := []string{"big", "after big", "pong p3"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// TestWaitQueueBelow: the waiter is woken by the writer once the queue
// drops under its threshold, and gives up at its deadline or when the
// connection closes.
func TestWaitQueueBelow(t *testing.T) {
	const threshold = 1 << 20
	tests := []struct {
		name     string
		deadline time.Duration
		then     func(nc net.Conn, c *wsconn.Conn) // after the waiter started
		want     bool
	}{
		{"client catches up", time.Minute, func(nc net.Conn, c *wsconn.Conn) {
			for {
				nc.SetReadDeadline(time.Now().Add(30 * time.Second))
				f, err := ws.ReadFrame(nc)
				if err != nil || string(f.Payload) == "last" {
					return
				}
			}
		}, true},
		{"deadline", 50 * time.Millisecond, func(net.Conn, *wsconn.Conn) {}, false},
		{"connection closes", time.Minute, func(_ net.Conn, c *wsconn.Conn) { c.Close(wsconn.ReasonPolicy, "") }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, wsconn.Options{QueueBytes: 64 << 20, WriteTimeout: time.Minute}, nil)
			nc, c := ts.dialNotReading(t)
			chunk := bytes.Repeat([]byte("q"), 64<<10)
			for range 128 { // 8 MiB: more than the socket buffers hold
				if err := c.Send(chunk); err != nil {
					t.Fatal(err)
				}
			}
			c.Send([]byte("last"))
			if q := c.QueuedBytes(); q < threshold {
				t.Fatalf("only %d bytes queued; the test needs the writer blocked", q)
			}
			done := make(chan bool, 1)
			go func() { done <- c.WaitQueueBelow(threshold, time.Now().Add(tc.deadline)) }()
			tc.then(nc, c)
			if got := <-done; got != tc.want {
				t.Fatalf("WaitQueueBelow returned %v, want %v (queued %d)", got, tc.want, c.QueuedBytes())
			}
			if tc.want {
				if q := c.QueuedBytes(); q >= threshold {
					t.Fatalf("woken with %d bytes queued, want under %d", q, threshold)
				}
			}
		})
	}
}

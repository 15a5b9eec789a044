package wsconn_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/wsconn"
)

// echo answers every message with the same message, and records closes.
type echo struct {
	mu     sync.Mutex
	closed map[uint64]wsconn.CloseReason
	onMsg  func(c *wsconn.Conn, msg []byte)
	done   chan uint64
}

func (e *echo) OnMessage(c *wsconn.Conn, msg []byte) {
	if e.onMsg != nil {
		e.onMsg(c, msg)
		return
	}
	c.Send(append([]byte(nil), msg...))
}

func (e *echo) OnOpen(c *wsconn.Conn) {}

func (e *echo) OnTooLarge(c *wsconn.Conn, head []byte, size int64) {
	c.Send([]byte(fmt.Sprintf("too large: %d %q", size, head[:min(len(head), 8)])))
}

func (e *echo) OnClose(c *wsconn.Conn, r wsconn.CloseReason) {
	e.mu.Lock()
	e.closed[c.ID()] = r
	e.mu.Unlock()
	e.done <- c.ID()
}

type testServer struct {
	url  string
	addr string
	srv  *wsconn.Server
	h    *echo
	conn chan *wsconn.Conn
}

func startServer(t *testing.T, opts wsconn.Options, h *echo) *testServer {
	t.Helper()
	if h == nil {
		h = &echo{}
	}
	h.closed = map[uint64]wsconn.CloseReason{}
	h.done = make(chan uint64, 1024)
	srv, err := wsconn.NewServer(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, h: h, addr: ln.Addr().String(), conn: make(chan *wsconn.Conn, 1024)}
	ts.url = "ws://" + ts.addr
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := srv.Upgrade(w, r, nil)
		if err == nil {
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

// dial opens a raw client connection.
func (ts *testServer) dial(t *testing.T) (net.Conn, *wsconn.Conn) {
	t.Helper()
	nc, _, _, err := ws.Dial(context.Background(), ts.url)
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

func writeFrame(t *testing.T, nc net.Conn, fin bool, op ws.OpCode, p []byte) {
	t.Helper()
	f := ws.NewFrame(op, fin, append([]byte(nil), p...))
	if err := ws.WriteFrame(nc, ws.MaskFrame(f)); err != nil {
		t.Fatal(err)
	}
}

func readFrame(t *testing.T, nc net.Conn) ws.Frame {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := ws.ReadFrame(nc)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return f
}

func closeCode(f ws.Frame) ws.StatusCode {
	if len(f.Payload) < 2 {
		return ws.StatusNoStatusRcvd
	}
	return ws.StatusCode(binary.BigEndian.Uint16(f.Payload))
}

func TestEchoSizes(t *testing.T) {
	ts := startServer(t, wsconn.Options{MaxMessageBytes: 1 << 20}, nil)
	nc, _ := ts.dial(t)
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 100_000, 500_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			msg := bytes.Repeat([]byte("x"), n)
			writeFrame(t, nc, true, ws.OpText, msg)
			f := readFrame(t, nc)
			if f.Header.OpCode != ws.OpText || !f.Header.Fin {
				t.Fatalf("got op %v fin %v, want text fin", f.Header.OpCode, f.Header.Fin)
			}
			if !bytes.Equal(f.Payload, msg) {
				t.Fatalf("got %d bytes back, want %d identical", len(f.Payload), n)
			}
		})
	}
}

func TestFragmentsWithPingBetween(t *testing.T) {
	ts := startServer(t, wsconn.Options{}, nil)
	nc, _ := ts.dial(t)
	writeFrame(t, nc, false, ws.OpText, []byte("hel"))
	writeFrame(t, nc, true, ws.OpPing, []byte("p1"))
	writeFrame(t, nc, false, ws.OpContinuation, []byte("lo "))
	writeFrame(t, nc, true, ws.OpContinuation, []byte("world"))
	f := readFrame(t, nc)
	if f.Header.OpCode != ws.OpPong || string(f.Payload) != "p1" {
		t.Fatalf("got %v %q, want pong p1", f.Header.OpCode, f.Payload)
	}
	f = readFrame(t, nc)
	if string(f.Payload) != "hello world" {
		t.Fatalf("got %q, want %q", f.Payload, "hello world")
	}
}

// TestByteAtATime feeds a frame one byte per write, so every parse path
// for partial headers and payloads runs.
func TestByteAtATime(t *testing.T) {
	ts := startServer(t, wsconn.Options{}, nil)
	nc, _ := ts.dial(t)
	var buf bytes.Buffer
	msg := []byte(strings.Repeat("abc", 100))
	ws.WriteFrame(&buf, ws.MaskFrame(ws.NewTextFrame(msg)))
	for _, b := range buf.Bytes() {
		if _, err := nc.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	if f := readFrame(t, nc); !bytes.Equal(f.Payload, msg) {
		t.Fatalf("got %q", f.Payload)
	}
}

func TestProtocolErrors(t *testing.T) {
	tests := []struct {
		name   string
		frame  func() []byte
		code   ws.StatusCode
		reason wsconn.CloseReason
	}{
		{"unmasked", func() []byte {
			var b bytes.Buffer
			ws.WriteFrame(&b, ws.NewTextFrame([]byte("hi")))
			return b.Bytes()
		}, ws.StatusProtocolError, wsconn.ReasonProtocol},
		{"invalid utf8", func() []byte {
			var b bytes.Buffer
			ws.WriteFrame(&b, ws.MaskFrame(ws.NewTextFrame([]byte{0xff, 0xfe})))
			return b.Bytes()
		}, ws.StatusInvalidFramePayloadData, wsconn.ReasonBadData},
		{"continuation first", func() []byte {
			var b bytes.Buffer
			ws.WriteFrame(&b, ws.MaskFrame(ws.NewFrame(ws.OpContinuation, true, []byte("x"))))
			return b.Bytes()
		}, ws.StatusProtocolError, wsconn.ReasonProtocol},
		{"fragmented ping", func() []byte {
			var b bytes.Buffer
			ws.WriteFrame(&b, ws.MaskFrame(ws.NewFrame(ws.OpPing, false, []byte("x"))))
			return b.Bytes()
		}, ws.StatusProtocolError, wsconn.ReasonProtocol},
		{"reserved opcode", func() []byte {
			var b bytes.Buffer
			ws.WriteFrame(&b, ws.MaskFrame(ws.NewFrame(ws.OpCode(3), true, []byte("x"))))
			return b.Bytes()
		}, ws.StatusProtocolError, wsconn.ReasonProtocol},
		{"rsv bit", func() []byte {
			var b bytes.Buffer
			f := ws.MaskFrame(ws.NewTextFrame([]byte("x")))
			f.Header.Rsv = 4
			ws.WriteFrame(&b, f)
			return b.Bytes()
		}, ws.StatusProtocolError, wsconn.ReasonProtocol},
		{"new message inside a skipped one", func() []byte {
			var b bytes.Buffer
			ws.WriteFrame(&b, ws.MaskFrame(ws.NewFrame(ws.OpText, false, make([]byte, 1200))))
			ws.WriteFrame(&b, ws.MaskFrame(ws.NewFrame(ws.OpText, true, []byte("x"))))
			return b.Bytes()
		}, ws.StatusProtocolError, wsconn.ReasonProtocol},
	}
	ts := startServer(t, wsconn.Options{MaxMessageBytes: 1000}, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nc, c := ts.dial(t)
			if _, err := nc.Write(tc.frame()); err != nil {
				t.Fatal(err)
			}
			f := readFrame(t, nc)
			if f.Header.OpCode != ws.OpClose || closeCode(f) != tc.code {
				t.Fatalf("got %v code %d, want close %d", f.Header.OpCode, closeCode(f), tc.code)
			}
			waitClosed(t, ts, c.ID(), tc.reason)
		})
	}
}

// TestTooLargeIsSkipped: a message over the limit is read past, the
// handler hears of it with its first bytes, and the connection goes on.
func TestTooLargeIsSkipped(t *testing.T) {
	ts := startServer(t, wsconn.Options{MaxMessageBytes: 1000}, nil)
	nc, _ := ts.dial(t)
	big := append([]byte(`["EVENT"`), bytes.Repeat([]byte("a"), 5000)...)
	writeFrame(t, nc, true, ws.OpText, big)
	writeFrame(t, nc, true, ws.OpText, []byte("after"))
	// Fragmented: under the limit at first, over it with the second part,
	// with a ping between the parts.
	writeFrame(t, nc, false, ws.OpText, bytes.Repeat([]byte("b"), 600))
	writeFrame(t, nc, true, ws.OpPing, []byte("p"))
	writeFrame(t, nc, false, ws.OpContinuation, bytes.Repeat([]byte("c"), 600))
	writeFrame(t, nc, true, ws.OpContinuation, bytes.Repeat([]byte("d"), 10))
	writeFrame(t, nc, true, ws.OpText, []byte("end"))
	want := []string{`too large: 5008 "[\"EVENT\""`, "after", "p", `too large: 1210 "bbbbbbbb"`, "end"}
	for _, w := range want {
		if f := readFrame(t, nc); string(f.Payload) != w {
			t.Fatalf("got %q, want %q", f.Payload, w)
		}
	}
}

func waitClosed(t *testing.T, ts *testServer, id uint64, want wsconn.CloseReason) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		ts.h.mu.Lock()
		r, ok := ts.h.closed[id]
		ts.h.mu.Unlock()
		if ok {
			if r != want {
				t.Fatalf("closed with %v, want %v", r, want)
			}
			return
		}
		select {
		case <-ts.h.done:
		case <-deadline:
			t.Fatalf("connection %d not closed", id)
		}
	}
}

func TestClientCloseIsEchoed(t *testing.T) {
	ts := startServer(t, wsconn.Options{}, nil)
	nc, c := ts.dial(t)
	writeFrame(t, nc, true, ws.OpClose, ws.NewCloseFrameBody(4001, "bye"))
	f := readFrame(t, nc)
	if f.Header.OpCode != ws.OpClose || closeCode(f) != 4001 {
		t.Fatalf("got %v %d, want close 4001", f.Header.OpCode, closeCode(f))
	}
	waitClosed(t, ts, c.ID(), wsconn.ReasonClientClose)
	if _, err := io.ReadAll(nc); err != nil {
		t.Fatalf("after close: %v", err)
	}
}

// TestOrderUnderLoad: many frames sent from the handler in a burst arrive
// complete and in order.
func TestOrderUnderLoad(t *testing.T) {
	const n = 20000
	h := &echo{onMsg: func(c *wsconn.Conn, msg []byte) {
		for i := 0; i < n; i++ {
			body := []byte(fmt.Sprintf("%d:", i))
			if i%100 == 0 {
				body = append(body, bytes.Repeat([]byte("y"), 20000)...) // big bodies take the iovec path
			}
			if err := c.SendParts([]byte("["), body, []byte("]")); err != nil {
				panic(err)
			}
		}
	}}
	ts := startServer(t, wsconn.Options{QueueBytes: 64 << 20}, h)
	nc, _ := ts.dial(t)
	writeFrame(t, nc, true, ws.OpText, []byte("go"))
	for i := 0; i < n; i++ {
		f := readFrame(t, nc)
		want := fmt.Sprintf("[%d:", i)
		if !bytes.HasPrefix(f.Payload, []byte(want)) || f.Payload[len(f.Payload)-1] != ']' {
			t.Fatalf("frame %d: got %.20q, want prefix %q", i, f.Payload, want)
		}
	}
}

// TestSlowReaderIsCut: a client that stops reading is disconnected at its
// queue cap while another client keeps receiving everything.
func TestSlowReaderIsCut(t *testing.T) {
	var mu sync.Mutex
	var conns []*wsconn.Conn
	h := &echo{onMsg: func(c *wsconn.Conn, msg []byte) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}}
	ts := startServer(t, wsconn.Options{QueueBytes: 256 << 10, WriteTimeout: 2 * time.Second}, h)
	slow, slowC := ts.dial(t)
	fast, _ := ts.dial(t)
	writeFrame(t, slow, true, ws.OpText, []byte("hello"))
	writeFrame(t, fast, true, ws.OpText, []byte("hello"))
	for {
		mu.Lock()
		n := len(conns)
		mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	payload := bytes.Repeat([]byte("z"), 4096)
	const total = 4000 // 16 MB: far beyond socket buffers and the cap
	got := make(chan int)
	go func() {
		n := 0
		for n < total {
			fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			f, err := ws.ReadFrame(fast)
			if err != nil {
				break
			}
			if f.Header.OpCode == ws.OpText {
				n++
			}
		}
		got <- n
	}()
	// The producer respects the fast reader (waits while its queue is over
	// half the cap) and never looks at the slow one.
	slowCut := false
	for i := 0; i < total; i++ {
		for _, c := range conns {
			if c == slowC {
				if err := c.Send(payload); err != nil {
					slowCut = true
				}
				continue
			}
			for c.QueuedBytes() > 128<<10 {
				time.Sleep(100 * time.Microsecond)
			}
			if err := c.Send(payload); err != nil {
				t.Fatalf("fast reader: %v", err)
			}
		}
	}
	if !slowCut {
		t.Fatal("slow reader was never cut")
	}
	if n := <-got; n != total {
		t.Fatalf("fast reader got %d of %d", n, total)
	}
	waitClosed(t, ts, slowC.ID(), wsconn.ReasonQueueFull)
}

func TestIdleTimeoutAndPing(t *testing.T) {
	ts := startServer(t, wsconn.Options{PingInterval: time.Second, IdleTimeout: 2500 * time.Millisecond}, nil)
	nc, c := ts.dial(t)
	// A client that answers pings stays; one that does not is closed.
	f := readFrame(t, nc)
	if f.Header.OpCode != ws.OpPing {
		t.Fatalf("got %v, want ping", f.Header.OpCode)
	}
	writeFrame(t, nc, true, ws.OpPong, f.Payload)
	go func() { // keep answering
		for {
			f, err := ws.ReadFrame(nc)
			if err != nil {
				return
			}
			if f.Header.OpCode == ws.OpPing {
				ws.WriteFrame(nc, ws.MaskFrame(ws.NewPongFrame(f.Payload)))
			}
		}
	}()
	mute, mc := ts.dial(t)
	_ = mute
	waitClosed(t, ts, mc.ID(), wsconn.ReasonIdle)
	if r := c.Reason(); r != 0 {
		t.Fatalf("answering client closed with %v", r)
	}
}

func TestShutdownFlushesThenCloses(t *testing.T) {
	queued := make(chan struct{})
	h := &echo{onMsg: func(c *wsconn.Conn, msg []byte) {
		for i := 0; i < 100; i++ {
			c.Send([]byte(fmt.Sprint(i)))
		}
		close(queued)
	}}
	ts := startServer(t, wsconn.Options{}, h)
	nc, _ := ts.dial(t)
	writeFrame(t, nc, true, ws.OpText, []byte("go"))
	readFrame(t, nc) // the handler ran
	// Shutdown flushes what is queued when it starts (later sends are
	// refused), so start it once all 100 are queued.
	<-queued
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- ts.srv.Shutdown(ctx) }()
	for i := 1; i < 100; i++ {
		if f := readFrame(t, nc); string(f.Payload) != fmt.Sprint(i) {
			t.Fatalf("got %q, want %d", f.Payload, i)
		}
	}
	f := readFrame(t, nc)
	if f.Header.OpCode != ws.OpClose || closeCode(f) != ws.StatusGoingAway {
		t.Fatalf("got %v %d, want close 1001", f.Header.OpCode, closeCode(f))
	}
	if err := <-errc; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

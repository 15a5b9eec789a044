package wsconn_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/wsconn"
)

// TestServeClearsReadDeadline: a connection handed to Serve with a read
// deadline still set (here one in the past) is read all the same. The
// portable reader blocks in net.Conn.Read, which a leftover deadline would
// end at once; the epoll reader reads the socket itself and never sees it.
func TestServeClearsReadDeadline(t *testing.T) {
	h := &echo{closed: map[uint64]wsconn.CloseReason{}, done: make(chan uint64, 8)}
	srv, err := wsconn.NewServer(wsconn.Options{}, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	served := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			if _, err = ws.Upgrade(nc); err == nil {
				nc.SetReadDeadline(time.Now().Add(-time.Second))
				_, err = srv.Serve(nc, nil, nil)
			}
		}
		served <- err
	}()
	nc, _, _, err := ws.Dial(context.Background(), "ws://"+ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	writeFrame(t, nc, true, ws.OpText, []byte("hello"))
	if f := readFrame(t, nc); f.Header.OpCode != ws.OpText || string(f.Payload) != "hello" {
		t.Fatalf("got %v %q, want the echo of hello", f.Header.OpCode, f.Payload)
	}
}

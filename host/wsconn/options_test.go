package wsconn_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/wsconn"
)

// TestSetOptionsNewConnections: SetOptions changes the options of the
// connections served afterwards; an open connection keeps its own.
func TestSetOptionsNewConnections(t *testing.T) {
	ts := startServer(t, wsconn.Options{MaxMessageBytes: 1000, QueueBytes: 64 << 10}, nil)
	oldNC, oldC := ts.dial(t)
	ts.srv.SetOptions(wsconn.Options{MaxMessageBytes: 4000, QueueBytes: 1 << 20, WriteTimeout: 3 * time.Second})
	newNC, newC := ts.dial(t)
	tests := []struct {
		name      string
		c         *wsconn.Conn
		queue     int
		msg       int
		writeTime time.Duration
	}{
		{"open before", oldC, 64 << 10, 1000, 10 * time.Second},
		{"served after", newC, 1 << 20, 4000, 3 * time.Second},
	}
	for _, tc := range tests {
		if tc.c.QueueCap() != tc.queue || tc.c.MaxMessageBytes() != tc.msg || tc.c.WriteTimeout() != tc.writeTime {
			t.Errorf("%s: got queue %d, message %d, write timeout %v; want %d, %d, %v", tc.name,
				tc.c.QueueCap(), tc.c.MaxMessageBytes(), tc.c.WriteTimeout(), tc.queue, tc.msg, tc.writeTime)
		}
	}
	// The read limit in force is each connection's own.
	msg := bytes.Repeat([]byte("a"), 2000)
	writeFrame(t, oldNC, true, ws.OpText, msg)
	if f := readFrame(t, oldNC); !bytes.HasPrefix(f.Payload, []byte("too large: 2000")) {
		t.Fatalf("old connection: got %.40q, want too large", f.Payload)
	}
	writeFrame(t, newNC, true, ws.OpText, msg)
	if f := readFrame(t, newNC); !bytes.Equal(f.Payload, msg) {
		t.Fatalf("new connection: got %.40q, want the echo", f.Payload)
	}
}

//go:build linux && !relayd_portable

package wsconn_test

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/wsconn"
)

// goroutineID is the id runtime.Stack prints for the calling goroutine.
func goroutineID() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	f := bytes.Fields(b)
	if len(f) < 2 {
		return ""
	}
	return string(f[1])
}

// TestReadersReused: read passes run on reader goroutines that wait for
// the next pass instead of exiting (their grown stacks are kept), and no
// more than the cap of them wait once the clients are quiet.
func TestReadersReused(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]int{}
	h := &echo{onMsg: func(c *wsconn.Conn, msg []byte) {
		mu.Lock()
		ids[goroutineID()]++
		mu.Unlock()
		c.Send(append([]byte(nil), msg...))
	}}
	ts := startServer(t, wsconn.Options{}, h)
	nc, _ := ts.dial(t)
	const rounds = 40
	for i := range rounds {
		// One message, then its echo: each message is its own read pass.
		writeFrame(t, nc, true, ws.OpText, []byte(fmt.Sprint(i)))
		if f := readFrame(t, nc); string(f.Payload) != fmt.Sprint(i) {
			t.Fatalf("echo %d: %q", i, f.Payload)
		}
		time.Sleep(time.Millisecond) // let the pass end before the next one
	}
	mu.Lock()
	n := len(ids)
	mu.Unlock()
	if n > rounds/2 {
		t.Errorf("%d read passes ran on %d goroutines: readers are not reused", rounds, n)
	}

	// Many connections, one pass each, then quiet: the parked readers
	// stay within the cap.
	var ncs []net.Conn
	for range 50 {
		nc, _ := ts.dial(t)
		ncs = append(ncs, nc)
	}
	for _, nc := range ncs { // the passes run at the same time
		writeFrame(t, nc, true, ws.OpText, []byte("x"))
	}
	for _, nc := range ncs {
		readFrame(t, nc)
	}
	time.Sleep(50 * time.Millisecond)
	if idle, most := wsconn.IdleReaders(ts.srv); idle > most || idle < 1 {
		t.Errorf("%d readers wait after the passes, want 1 to %d", idle, most)
	}
}

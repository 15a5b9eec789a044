package wasmhost_test

import (
	"errors"
	"testing"
	"time"

	"github.com/relayd/relayd/host/wasmhost"
)

func pooled(t *testing.T, toml string) *wasmhost.Plugin {
	t.Helper()
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "accept", wasm: "accept", toml: toml})
	if err != nil {
		t.Fatal(err)
	}
	return plugin(t, m, "accept").(*wasmhost.Plugin)
}

// TestPoolHotWaiter: an instance released while a caller waits goes to
// the waiter, not to a hot slot where the waiter would not look.
func TestPoolHotWaiter(t *testing.T) {
	p := pooled(t, "pool = 1\ntimeout_ms = 3000")
	for range 20 {
		inst, err := p.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			w, err := p.Acquire()
			if err == nil {
				p.Release(w)
			}
			got <- err
		}()
		for p.Waiting() == 0 {
			time.Sleep(100 * time.Microsecond)
		}
		p.Release(inst)
		if err := <-got; err != nil {
			t.Fatalf("the waiter: %v", err)
		}
	}
}

// TestPoolHotClosed: closing collects the instances in hot slots too;
// after it no call gets one.
func TestPoolHotClosed(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "accept", wasm: "accept", toml: "pool = 2\ntimeout_ms = 200"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "accept").(*wasmhost.Plugin)
	a, err := p.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	p.Release(a) // into this CPU's hot slot
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if inst, err := p.Acquire(); !errors.Is(err, wasmhost.ErrClosed) {
		t.Fatalf("after close: %p, %v; want ErrClosed", inst, err)
	}
}

package wasmhost_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/relayd/relayd/host/wasmhost"
)

// TestWasmTickQueryFromC runs a C plugin's tick through the real host on a
// real badger store: it reads the stored events with relayd_store_query
// and hands what it read to the event hook through the durable state.
func TestWasmTickQueryFromC(t *testing.T) {
	bin := buildC(t, "tickquery")
	st := dbStore(t, t.TempDir(), newDisk())
	_, size := queryEvents(t, st, 3)
	m, _, err := newManager(t, wasmhost.Options{Store: st}, guest{name: "tq", wasm: bin, toml: "tick_ms = 10\n"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for m.QueryStats()["tq"].Ticks < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no tick")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := m.QueryStats()["tq"]; s.TickFailures != 0 {
		t.Fatalf("stats %+v: a tick failed", s)
	}
	v, err := plugin(t, m, "tq").Event(ctx, event(1))
	if err != nil {
		t.Fatal(err)
	}
	// A tick has ended, so its db_put is visible to every instance.
	if want := fmt.Sprintf("blocked: n=3 bytes=%d", 3*size); v.Reason() != want {
		t.Errorf("got %q, want %q", v.Reason(), want)
	}
}

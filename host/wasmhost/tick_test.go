package wasmhost_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// relayd_on_tick through the real host: testdata/wat/tickcount.wat,
// tickloop.wat and notick.wat on a real Manager.

// waitUntil polls cond until it holds, failing the test after a generous
// bound: a readiness wait on state the test cannot be signalled about.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tickCounts reads tickcount.wat's shared counters through its event hook.
func tickCounts(t *testing.T, p policy.Policy) (ticks, overlaps, running int64) {
	t.Helper()
	v, err := p.Event(ctx, event(1))
	if err != nil {
		t.Fatal(err)
	}
	m := []byte(v.Message)
	if len(m) != 24 {
		t.Fatalf("message of %d bytes, want 24", len(m))
	}
	return int64(binary.LittleEndian.Uint64(m)), int64(binary.LittleEndian.Uint64(m[8:])), int64(binary.LittleEndian.Uint64(m[16:]))
}

// TestWasmTickInterval checks that ticks repeat every tick_ms after the
// previous one ended, on an instance of their own: with a pool of one, a
// hook answers while a tick runs.
func TestWasmTickInterval(t *testing.T) {
	const every = 50 * time.Millisecond
	start := time.Now()
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "tc", wasm: "tickcount", toml: "pool = 1\ntick_ms = 50\n"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "tc")
	// The hook's answer says a tick is running: the pool's one instance
	// is not the one ticking.
	waitUntil(t, "a hook call during a tick", func() bool { _, _, running := tickCounts(t, p); return running == 1 })
	waitUntil(t, "3 ticks", func() bool { ticks, _, _ := tickCounts(t, p); return ticks >= 3 })
	// Three ticks of 300 ms, the second and third each tick_ms after the
	// end of the one before: a lower bound, which holds however slow the
	// machine.
	if took, least := time.Since(start), 3*300*time.Millisecond+2*every; took < least {
		t.Errorf("3 ticks took %v, want at least %v", took, least)
	}
	// The guest counts a tick just before it returns and the host after:
	// the stats may trail the guest's count by the tick in flight.
	waitUntil(t, "3 ticks in the stats", func() bool { return m.QueryStats()["tc"].Ticks >= 3 })
	if s := m.QueryStats()["tc"]; s.TickFailures != 0 {
		t.Errorf("stats %+v: want no failed tick", s)
	}
}

// TestWasmTickNoOverlap checks that a reload does not start the new
// version's first tick while the old version's tick runs: the guest counts
// a tick that starts while another runs, in state the versions share.
func TestWasmTickNoOverlap(t *testing.T) {
	dir := t.TempDir()
	m, _, err := newManager(t, wasmhost.Options{Dir: dir}, guest{name: "tc", wasm: "tickcount", toml: "tick_ms = 10\n"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		waitUntil(t, "a running tick", func() bool { _, _, running := tickCounts(t, plugin(t, m, "tc")); return running == 1 })
		// A new version, while the old one's tick spins.
		install(t, dir, guest{name: "tc", wasm: "tickcount", toml: "tick_ms = 10\norder = " + string(rune('1'+i)) + "\n"})
		if err := m.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "5 ticks", func() bool { ticks, _, _ := tickCounts(t, plugin(t, m, "tc")); return ticks >= 5 })
	if _, overlaps, _ := tickCounts(t, plugin(t, m, "tc")); overlaps != 0 {
		t.Errorf("%d ticks started while another ran, want 0", overlaps)
	}
}

// TestWasmTickDeadline checks a tick's own deadline and what a failed tick
// does: a tick past tick_timeout_ms is stopped, a tick that returns an
// error is reported with its reason, both are counted and logged once per
// window, and neither trips the hooks' breaker.
func TestWasmTickDeadline(t *testing.T) {
	m, logs, err := newManager(t, wasmhost.Options{}, guest{name: "tl", wasm: "tickloop", toml: "tick_ms = 10\ntick_timeout_ms = 30\n"})
	if err != nil {
		t.Fatal(err)
	}
	// More failures than trip the breaker (5 in 10 s).
	waitUntil(t, "8 failed ticks", func() bool { return m.QueryStats()["tl"].TickFailures >= 8 })
	if _, err := plugin(t, m, "tl").Event(ctx, event(1)); err != nil {
		t.Errorf("event after failed ticks: %v, want the hook to run", err)
	}
	out := logs.String()
	for _, want := range []string{
		`msg="plugin tick failed" plugin=tl err="export \"relayd_on_tick\": deadline exceeded"`,
		`msg="plugin tick failed" plugin=tl err="tick returned an error: no luck"`,
	} {
		if n := strings.Count(out, want); n != 1 {
			t.Errorf("log has %d lines %s, want 1 (the flood cap):\n%s", n, want, out)
		}
	}
	if strings.Contains(out, "tripped") {
		t.Errorf("the plugin tripped:\n%s", out)
	}
}

// TestWasmTickNotAsked checks that a guest whose relayd_init mask leaves
// out the tick bit is never ticked, though it exports relayd_on_tick.
func TestWasmTickNotAsked(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "nt", wasm: "notick", toml: "tick_ms = 10\n"})
	if err != nil {
		t.Fatal(err)
	}
	// Calls go through the pool meanwhile; a tick would trap and count.
	for range 20 {
		if _, err := plugin(t, m, "nt").Event(ctx, event(1)); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()
	if s := m.QueryStats()["nt"]; s.Ticks != 0 {
		t.Errorf("stats %+v: want no tick", s)
	}
}

package wasmhost_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// TestWasmHostileLoad: modules that break the ABI are refused at load
// with an error naming the plugin, the file and the symbol, while the
// healthy plugin beside them loads.
func TestWasmHostileLoad(t *testing.T) {
	tests := []struct {
		name, wasm, toml string
		want             []string // substrings of the error
		is               error
	}{
		{"missing abi version", "noversion", "", []string{`export "relayd_abi_version" missing`}, wasmhost.ErrABI},
		{"wrong abi version", "badversion", "", []string{`"relayd_abi_version" returned 2, want 1`}, wasmhost.ErrABI},
		{"wrong hook signature", "badsig", "", []string{`export "relayd_on_event": got (func (param i32) (result i32))`}, wasmhost.ErrABI},
		{"unknown import", "badimport", "", []string{"import relayd_v1.launch_missiles"}, wasmhost.ErrABI},
		{"wrong import signature", "badimportsig", "", []string{"import relayd_v1.get: got (func (param i64) (result i32))"}, wasmhost.ErrABI},
		{"unknown WASI import", "badwasi", "", []string{"import wasi_snapshot_preview1.fd_launch_missiles: no such WASI function"}, wasmhost.ErrABI},
		{"wrong WASI import signature", "badwasisig", "",
			[]string{"import wasi_snapshot_preview1.fd_write: got (func (param i64) (result i32)), want (func (param i32) (param i32) (param i32) (param i32) (result i32))"}, wasmhost.ErrABI},
		{"no memory", "nomemory", "", []string{`export "memory" missing`}, wasmhost.ErrABI},
		{"huge initial memory", "hugemem", "", []string{"min 20000 pages", "memory_mb = 64"}, nil},
		{"initial memory over memory_mb less the stack budget", "bigmem", "memory_mb = 40", []string{"memory_mb = 40", "stack budget of 1280 KiB"}, nil},
		{"init refuses", "initfail", "", []string{"bad config"}, wasmhost.ErrInit},
		{"init never returns", "initloop", "timeout_ms = 5", []string{"instantiate"}, wasmhost.ErrTimeout},
		{"bad settings", "accept", "on_error = \"sometimes\"", []string{`on_error "sometimes"`}, nil},
		{"unknown setting", "accept", "timeout = 5", []string{"unknown settings [timeout]"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, logs, err := newManager(t, wasmhost.Options{},
				guest{name: "bad", wasm: tc.wasm, toml: tc.toml}, guest{name: "good", wasm: "accept"})
			if err == nil {
				t.Fatal("Load: got nil error")
			}
			for _, w := range append(tc.want, "plugin[bad]", "bad.wasm") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q: want errors.Is %v", err, tc.is)
			}
			if es := m.Holder().Load().Entries(); len(es) != 1 || es[0].Policy.Name() != "good" {
				t.Errorf("chain: got %d entries, want only good", len(es))
			}
			if !strings.Contains(logs.String(), "plugin=bad") {
				t.Errorf("log does not name the plugin:\n%s", logs)
			}
		})
	}
}

// TestWasmHostileCalls: guests that misbehave at call time give errors
// (or verdicts) without crashing, and the plugin recovers.
func TestWasmHostileCalls(t *testing.T) {
	for _, mode := range interruptModes {
		t.Run(mode.name, func(t *testing.T) { testHostileCalls(t, mode.off) })
	}
}

// interruptModes are the two ways a call is stopped: the preemption check
// added by package preempt, and wazero's WithCloseOnContextDone.
var interruptModes = []struct {
	name string
	off  bool
}{{"instrumented", false}, {"context", true}}

func testHostileCalls(t *testing.T, noInstrument bool) {
	m, logs, err := newManager(t, wasmhost.Options{NoInstrument: noInstrument, Defaults: wasmhost.Settings{TimeoutMS: 20, Pool: 2}},
		guest{name: "loop", wasm: "loop"}, guest{name: "trap", wasm: "trap"}, guest{name: "grow", wasm: "grow", toml: "memory_mb = 64\ntimeout_ms = 2000"},
		guest{name: "badptr", wasm: "badptr"}, guest{name: "giant", wasm: "giant"}, guest{name: "badverdict", wasm: "badverdict"},
		guest{name: "fib", wasm: "fib", toml: "timeout_ms = 500"}, guest{name: "hog", wasm: "hog", toml: "timeout_ms = 500\nmemory_mb = 4"},
		guest{name: "closejunk", wasm: "badverdict"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, plugin string
		kind         int
		deliver      bool
		want         error // nil: an accepting verdict
	}{
		{"double recursion without loops times out", "fib", 60, false, wasmhost.ErrTimeout},
		{"fib plugin recovers", "fib", 20, false, nil},
		{"unbounded recursion hits the call stack limit", "hog", 2, false, wasmhost.ErrStackLimit},
		{"hog plugin recovers", "hog", 1, false, nil},
		{"infinite loop times out", "loop", 2, false, wasmhost.ErrTimeout},
		{"loop plugin recovers", "loop", 1, false, nil},
		{"unreachable traps", "trap", 13, false, wasmhost.ErrTrap},
		{"divide by zero traps", "trap", 14, false, wasmhost.ErrTrap},
		{"trap plugin recovers", "trap", 1, false, nil},
		{"unbounded allocation fails at the cap", "grow", 13, false, errAny},
		{"big instance answers then is recycled", "grow", 12, false, nil},
		{"grow plugin recovers", "grow", 1, false, nil},
		{"out-of-range pointers get ErrMemory", "badptr", 1, false, nil},
		{"giant outputs get ErrTooLarge", "giant", 1, false, nil},
		{"rewrite without its output", "giant", 1, true, wasmhost.ErrBadVerdict},
		{"unknown action", "badverdict", 1, false, wasmhost.ErrBadVerdict},
		{"reject with a reserved bit", "badverdict", 2, false, wasmhost.ErrBadVerdict},
		{"accept with the top bit", "badverdict", 3, false, wasmhost.ErrBadVerdict},
		{"plain accept after bad verdicts", "badverdict", 4, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := plugin(t, m, tc.plugin)
			in := event(tc.kind)
			var v policy.Verdict
			var err error
			if tc.deliver {
				v, err = p.Deliver(ctx, &policy.DeliverInput{Session: in.Session, SubID: "s", Event: in.Event, Raw: in.Raw})
			} else {
				v, err = p.Event(ctx, in)
			}
			if tc.want == errAny && (errors.Is(err, wasmhost.ErrTrap) || errors.Is(err, wasmhost.ErrTimeout)) {
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %+v, %v, want error %v", v, err, tc.want)
			}
			if err == nil && v.Action != policy.Accept {
				t.Errorf("got %+v, want accept", v)
			}
			hook := map[bool]string{false: "event", true: "deliver"}[tc.deliver]
			if want := "plugin[" + tc.plugin + "] " + hook + ": " + errString(tc.want); err != nil && !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		})
	}
	if !strings.Contains(logs.String(), "plugin instance recycled") {
		t.Errorf("no recycle logged")
	}
	for _, name := range []string{"fib", "hog"} {
		t.Run(name+" pool refilled", func(t *testing.T) { barrier(t, plugin(t, m, name), 2) })
	}
	t.Run("close result ignored", func(t *testing.T) {
		p := plugin(t, m, "closejunk")
		for range 10 {
			p.Close(ctx, session(1))
		}
		if _, err := p.Event(ctx, event(4)); err != nil {
			t.Errorf("after 10 closes returning junk: %v; ABI.md says their result is ignored", err)
		}
	})
}

func errString(err error) string {
	if err == nil || err == errAny {
		return ""
	}
	return err.Error()
}

// barrier sends n calls at once to the barrier of fib.wat and hog.wat
// (kind 1000+n): each waits until all n are in, so they all succeed only
// if the plugin has n instances to run them at the same time.
func barrier(t *testing.T, p policy.Policy, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := p.Event(ctx, event(1000+n)); err != nil {
				t.Errorf("barrier of %d: %v (an instance is missing from the pool)", n, err)
			}
		})
	}
	wg.Wait()
}

// TestWasmNoRecycleThrash: an instance is recycled when its memory passed
// halfway from its initial size to its cap, so a module that starts with
// more than half of memory_mb (40 of 64 MiB) is not replaced after every
// call.
func TestWasmNoRecycleThrash(t *testing.T) {
	m, logs, err := newManager(t, wasmhost.Options{}, guest{name: "big", wasm: "bigmem", toml: "memory_mb = 64\npool = 1"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "big")
	for range 10 {
		if _, err := p.Event(ctx, event(1)); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "plugin instance recycled"); n != 0 {
		t.Errorf("%d of 10 calls recycled their instance; want none", n)
	}
}

// TestWasmHostileInit: _initialize and relayd_init that never return
// because they recurse (without any loop) or recurse without end are
// stopped, in both interruption modes, and the plugin is refused with an
// error naming it, its file and the export, while the healthy plugin
// beside it loads.
func TestWasmHostileInit(t *testing.T) {
	tests := []struct {
		name, wasm string
		timeoutMS  int
		want       []string
		is         error
	}{
		{"double recursion in _initialize", "startfib", 5, []string{`export "_initialize"`}, wasmhost.ErrTimeout},
		{"double recursion in relayd_init", "initfib", 5, []string{`export "relayd_init"`}, wasmhost.ErrTimeout},
		// A deadline far beyond the stack's: on a loaded machine 5 ms
		// could end the descent before the stack limit does.
		{"unbounded recursion in relayd_init", "initdeep", 60000, []string{`export "relayd_init": call stack limit`}, wasmhost.ErrStackLimit},
	}
	for _, mode := range interruptModes {
		for _, tc := range tests {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				m, _, err := newManager(t, wasmhost.Options{NoInstrument: mode.off},
					guest{name: "bad", wasm: tc.wasm, toml: fmt.Sprintf("timeout_ms = %d", tc.timeoutMS)}, guest{name: "good", wasm: "accept"})
				if !errors.Is(err, tc.is) {
					t.Fatalf("Load: got %v, want %v", err, tc.is)
				}
				for _, w := range append(tc.want, "plugin[bad]", "bad.wasm") {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if es := m.Holder().Load().Entries(); len(es) != 1 || es[0].Policy.Name() != "good" {
					t.Errorf("chain: got %d entries, want only good", len(es))
				}
			})
		}
	}
}

// TestWasmCloseStopsRunaway: Manager.Close returns while a call spins in
// recursion without loops under a 10-minute deadline, in both modes: the
// call is interrupted once the drain grace is over, instead of Close
// waiting out the deadline (twice).
func TestWasmCloseStopsRunaway(t *testing.T) {
	for _, mode := range interruptModes {
		t.Run(mode.name, func(t *testing.T) {
			m, logs, err := newManager(t, wasmhost.Options{NoInstrument: mode.off, DrainGrace: 10 * time.Millisecond},
				guest{name: "fib", wasm: "fib", toml: "timeout_ms = 600000\npool = 1"})
			if err != nil {
				t.Fatal(err)
			}
			p := plugin(t, m, "fib")
			done := make(chan error)
			go func() {
				_, err := p.Event(ctx, event(61))
				done <- err
			}()
			waitFor(t, logs, "spinning")
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err == nil {
				t.Error("spinning call: got nil error")
			}
		})
	}
}

// TestWasmDeadlineAfterIdle: the watchdog of a plugin with no call in
// flight parks (no wake-ups on an idle relay), and a call that starts then
// wakes it: a spinning call is still stopped at its deadline, in both
// interrupt modes, and the next one works.
func TestWasmDeadlineAfterIdle(t *testing.T) {
	for _, mode := range interruptModes {
		t.Run(mode.name, func(t *testing.T) {
			m, _, err := newManager(t, wasmhost.Options{NoInstrument: mode.off},
				guest{name: "loop", wasm: "loop", toml: "timeout_ms = 20\npool = 1"})
			if err != nil {
				t.Fatal(err)
			}
			p := plugin(t, m, "loop")
			wp, ok := p.(*wasmhost.Plugin)
			if !ok {
				t.Fatalf("plugin is a %T", p)
			}
			for round := range 3 {
				for deadline := time.Now().Add(10 * time.Second); !wp.WatchdogParked(); time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("round %d: the watchdog of an idle plugin did not park in 10 s", round)
					}
				}
				done := make(chan error, 1)
				go func() {
					_, err := p.Event(ctx, event(2)) // spins
					done <- err
				}()
				select {
				case err := <-done:
					if !errors.Is(err, wasmhost.ErrTimeout) {
						t.Fatalf("round %d: spinning call: got %v, want ErrTimeout", round, err)
					}
				case <-time.After(30 * time.Second): // the deadline is 20 ms
					t.Fatalf("round %d: a call started while the watchdog was parked was never stopped", round)
				}
				if _, err := p.Event(ctx, event(1)); err != nil {
					t.Fatalf("round %d: the call after: %v", round, err)
				}
			}
		})
	}
}

// waitFor waits until the log holds s.
func waitFor(t *testing.T, logs *logBuf, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), s); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q:\n%s", s, logs)
		}
	}
}

// errAny accepts a trap or a timeout: which comes first depends on the
// machine (growing memory copies it).
var errAny = errors.New("trap or timeout")

// TestWasmRunawayDoesNotStall: while every instance of a plugin spins (as
// many as there are CPUs here), a healthy plugin keeps answering, and the
// callers of the spinning one get errors, not a hang. The spinning plugin's
// deadline (3 s) is orders of magnitude above what 100 healthy calls take,
// so "the healthy calls finished while the spinners still spun" is an
// ordering check, not a timed one.
func TestWasmRunawayDoesNotStall(t *testing.T) {
	for _, mode := range interruptModes {
		t.Run(mode.name, func(t *testing.T) { testRunaway(t, mode.off) })
	}
}

func testRunaway(t *testing.T, noInstrument bool) {
	m, _, err := newManager(t, wasmhost.Options{NoInstrument: noInstrument},
		guest{name: "loop", wasm: "loop", toml: "timeout_ms = 3000\npool = 2"}, guest{name: "ok", wasm: "accept"})
	if err != nil {
		t.Fatal(err)
	}
	loop, ok := plugin(t, m, "loop"), plugin(t, m, "ok")
	var wg sync.WaitGroup
	var returned atomic.Int32
	for range 4 { // two spin, two wait for an instance
		wg.Go(func() {
			_, err := loop.Event(ctx, event(2))
			returned.Add(1)
			if !errors.Is(err, wasmhost.ErrTimeout) && !errors.Is(err, wasmhost.ErrBusy) {
				t.Errorf("spinning call: got %v, want a timeout or busy error", err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	for range 100 {
		if _, err := ok.Event(ctx, event(1)); err != nil {
			t.Fatal(err)
		}
	}
	if n := returned.Load(); n != 0 {
		t.Errorf("%d spinning calls returned before 100 healthy calls finished: the healthy plugin waited for the spinning one", n)
	}
	wg.Wait()
}

// TestWasmBreaker: repeated failures trip the plugin; calls then fail fast
// and the chain answers with the plugin's on_error.
func TestWasmBreaker(t *testing.T) {
	m, logs, err := newManager(t, wasmhost.Options{}, guest{name: "trap", wasm: "trap", toml: "on_error = \"closed\"\npool = 1"})
	if err != nil {
		t.Fatal(err)
	}
	ch := m.Holder().Load()
	for i := range 5 {
		v := ch.Event(ctx, event(13))
		if v.Action != policy.Reject || v.Prefix != policy.PrefixError {
			t.Errorf("failure %d: got %+v, want a fail-closed reject", i, v)
		}
	}
	_, err = plugin(t, m, "trap").Event(ctx, event(1))
	if !errors.Is(err, wasmhost.ErrTripped) {
		t.Errorf("after 5 failures: got %v, want ErrTripped (fails at once, without entering the guest)", err)
	}
	if !strings.Contains(logs.String(), "plugin tripped") {
		t.Errorf("trip not logged:\n%s", logs)
	}
}

// TestWasmStartFailures: when replacement instances fail to start, the
// plugin stops retrying after a few attempts (the next one is 30 s away),
// says so once with the reason, and calls fail at once with ErrStart, so
// the chain applies on_error without waiting, while no instance runs.
func TestWasmStartFailures(t *testing.T) {
	m, logs, err := newManager(t, wasmhost.Options{}, guest{name: "flaky", wasm: "flaky", toml: "pool = 1\non_error = \"closed\""})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "flaky")
	if _, err := p.Event(ctx, event(13)); !errors.Is(err, wasmhost.ErrTrap) {
		t.Fatalf("kind 13: got %v, want a trap", err)
	}
	waitFor(t, logs, "keep failing to start")
	if _, err := p.Event(ctx, event(1)); !errors.Is(err, wasmhost.ErrStart) {
		t.Errorf("call with no instance and failing starts: got %v, want ErrStart", err)
	}
	if v := m.Holder().Load().Event(ctx, event(1)); v.Action != policy.Reject || v.Prefix != policy.PrefixError {
		t.Errorf("chain: got %+v, want the on_error = closed reject", v)
	}
	// Long enough for the retries the host used to make (every 50 ms,
	// backing off to 5 s, forever), far short of the next one now.
	time.Sleep(time.Second)
	if n := strings.Count(logs.String(), "start attempt"); n != 1+3 {
		t.Errorf("relayd_init ran %d times; want 1 start and 3 failed restarts", n)
	}
	lines := grepLines(logs.String(), "keep failing to start")
	if len(lines) != 1 || !strings.Contains(lines[0], "no more starts") || !strings.Contains(lines[0], "plugin=flaky") {
		t.Errorf("want one line naming the plugin and the reason; got %q", lines)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

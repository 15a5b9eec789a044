package preempt_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/relayd/relayd/host/wasmhost/preempt"
)

const stopName = "relayd_preempt"

var opts = preempt.Options{Export: stopName, StackBytes: 1 << 20}

// TestInstrumentValid: every test module still compiles after Instrument.
func TestInstrumentValid(t *testing.T) {
	files, _ := filepath.Glob("../testdata/wat/*.wasm")
	if len(files) == 0 {
		t.Fatal("no test modules")
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			bin, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := preempt.Instrument(bin, opts)
			if filepath.Base(f) == "nomemory.wasm" {
				if !errors.Is(err, preempt.ErrUnsupported) {
					t.Errorf("module without memory: got %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cm, err := rt.CompileModule(ctx, out)
			if err != nil {
				if _, origErr := rt.CompileModule(ctx, bin); origErr == nil {
					t.Fatalf("instrumented module does not compile: %v", err)
				}
				return // hugemem: the original is refused too
			}
			cm.Close(ctx)
			if !bytes.Contains(out, []byte(stopName)) {
				t.Errorf("no %s export", stopName)
			}
		})
	}
}

func TestInstrumentRefuses(t *testing.T) {
	tests := []struct {
		name string
		bin  []byte
	}{
		{"not wasm", []byte("hello world")},
		{"truncated", []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 10, 5, 1}},
		{"unknown opcode", []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
			1, 4, 1, 0x60, 0, 0, // type: () -> ()
			3, 2, 1, 0, // func 0: type 0
			10, 5, 1, 3, 0, 0xff, 0x0b}}, // body: 0xff end
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := preempt.Instrument(tc.bin, opts); !errors.Is(err, preempt.ErrUnsupported) {
				t.Errorf("got %v, want ErrUnsupported", err)
			}
		})
	}
}

func spinModule(t testing.TB, rt wazero.Runtime) (api.Module, api.MutableGlobal) {
	t.Helper()
	return instrumented(t, rt, "spin", opts)
}

// instrumented instantiates testdata/wat/NAME.wasm instrumented with o
// and returns it with its stop global.
func instrumented(t testing.TB, rt wazero.Runtime, name string, o preempt.Options) (api.Module, api.MutableGlobal) {
	t.Helper()
	bin, err := os.ReadFile("../testdata/wat/" + name + ".wasm")
	if err != nil {
		t.Fatal(err)
	}
	out, err := preempt.Instrument(bin, o)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.Instantiate(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	return mod, mod.ExportedGlobal(stopName).(api.MutableGlobal)
}

// TestStop: setting the global from another goroutine stops a spinning
// guest without WithCloseOnContextDone, whether it spins in a loop or in
// calls without any loop (doubly recursive fib(45): 3.6 billion calls).
func TestStop(t *testing.T) {
	tests := []struct {
		name    string
		fn      string
		small   uint64 // an argument that finishes
		want    uint64 // its result
		forever uint64 // an argument that runs for minutes
	}{
		{"loop", "spin", 1000, 1000, 1<<32 - 1},
		{"recursion without loops", "fib", 20, 6765, 45},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rt := wazero.NewRuntime(ctx)
			defer rt.Close(ctx)
			mod, stop := spinModule(t, rt)
			f := mod.ExportedFunction(tc.fn)
			if r, err := f.Call(ctx, tc.small); err != nil || r[0] != tc.want {
				t.Fatalf("%s(%d): got %v, %v, want %d", tc.fn, tc.small, r, err, tc.want)
			}
			set := make(chan struct{})
			time.AfterFunc(20*time.Millisecond, func() { stop.Set(uint64(preempt.StopRequested)); close(set) })
			if _, err := f.Call(ctx, tc.forever); err == nil {
				t.Fatalf("%s(%d) finished; want a trap", tc.fn, tc.forever)
			}
			<-set
			if got := int32(stop.Get()); got != preempt.StopRequested {
				t.Errorf("stop global: got %d, want %d", got, preempt.StopRequested)
			}
		})
	}
}

// TestStackBudget: a frame takes FrameBytes from the budget and gives it
// back on every way out (fall through, return, br and br_if to the
// function's label, br_table, multi-value return), so after 100,000
// rounds of every path the deepest recursion that fits the budget still
// fits and one level more still traps, with the stop global set to
// StackExhausted.
func TestStackBudget(t *testing.T) {
	const frame = 40 // deep(d): one i32 parameter
	const budget = 1000 * frame
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	o := preempt.Options{Export: stopName, StackBytes: budget}
	for _, rounds := range []uint64{0, 100000} {
		mod, stop := instrumented(t, rt, "paths", o)
		if rounds > 0 {
			if _, err := mod.ExportedFunction("run").Call(ctx, rounds); err != nil {
				t.Fatalf("run(%d): %v", rounds, err)
			}
		}
		deep := mod.ExportedFunction("deep")
		if r, err := deep.Call(ctx, budget/frame-1); err != nil || r[0] != budget/frame-1 {
			t.Fatalf("after %d rounds: deep(%d) = %v, %v; want it to fit the budget", rounds, budget/frame-1, r, err)
		}
		if _, err := deep.Call(ctx, budget/frame); err == nil {
			t.Fatalf("after %d rounds: deep(%d) fits; want a trap one frame over the budget", rounds, budget/frame)
		}
		if got := int32(stop.Get()); got != preempt.StackExhausted {
			t.Errorf("stop global: got %d, want StackExhausted", got)
		}
		mod.Close(ctx)
	}
}

// TestFrames: Frames gives each function its parameters and locals in
// estimated bytes, imported functions 0.
func TestFrames(t *testing.T) {
	bin, err := os.ReadFile("../testdata/wat/hostcalls.wasm")
	if err != nil {
		t.Fatal(err)
	}
	fr, err := preempt.Frames(bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(fr) < 2 || fr[0] != 0 || fr[len(fr)-1] < 32 {
		t.Errorf("Frames(hostcalls): got %v, want imports 0 then at least 32 bytes a frame", fr)
	}
	bin, _ = os.ReadFile("../testdata/wat/paths.wasm")
	if fr, err = preempt.Frames(bin); err != nil {
		t.Fatal(err)
	}
	if got := fr[len(fr)-1]; got != 40 {
		t.Errorf("Frames(paths): deep got %d, want 40", got)
	}
}

func TestFrameBytes(t *testing.T) {
	i32, v128 := []byte{0x7f}, []byte{0x7b}
	tests := []struct {
		name  string
		types [][]byte
		want  uint32
	}{
		{"no slots", nil, 32},
		{"two i32", [][]byte{i32, i32}, 48},
		{"v128", [][]byte{v128}, 48},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := preempt.FrameBytes(tc.types...); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// BenchmarkLoop compares a 10,000-iteration loop plain and instrumented
// (no WithCloseOnContextDone in either).
func BenchmarkLoop(b *testing.B) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	bin, _ := os.ReadFile("../testdata/wat/spin.wasm")
	plain, err := rt.Instantiate(ctx, bin)
	if err != nil {
		b.Fatal(err)
	}
	inst, _ := spinModule(b, rt)
	for _, m := range []struct {
		name string
		mod  api.Module
	}{{"plain", plain}, {"instrumented", inst}} {
		b.Run(m.name, func(b *testing.B) {
			f := m.mod.ExportedFunction("spin")
			stack := make([]uint64, 1)
			b.ReportAllocs()
			for b.Loop() {
				stack[0] = 10000
				if err := f.CallWithStack(ctx, stack); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

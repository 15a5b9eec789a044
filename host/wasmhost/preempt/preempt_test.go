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
			out, err := preempt.Instrument(bin, stopName)
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
			if _, err := preempt.Instrument(tc.bin, stopName); !errors.Is(err, preempt.ErrUnsupported) {
				t.Errorf("got %v, want ErrUnsupported", err)
			}
		})
	}
}

func spinModule(t testing.TB, rt wazero.Runtime) (api.Module, api.MutableGlobal) {
	t.Helper()
	bin, err := os.ReadFile("../testdata/wat/spin.wasm")
	if err != nil {
		t.Fatal(err)
	}
	out, err := preempt.Instrument(bin, stopName)
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
// guest without WithCloseOnContextDone.
func TestStop(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, stop := spinModule(t, rt)
	spin := mod.ExportedFunction("spin")
	if r, err := spin.Call(ctx, 1000); err != nil || r[0] != 1000 {
		t.Fatalf("spin(1000): got %v, %v", r, err)
	}
	time.AfterFunc(20*time.Millisecond, func() { stop.Set(1) })
	start := time.Now()
	_, err := spin.Call(ctx, 1<<32-1)
	if err == nil {
		t.Fatal("spin(4e9) finished; want a trap")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("stop took %v", el)
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

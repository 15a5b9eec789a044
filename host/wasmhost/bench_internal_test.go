package wasmhost

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/relayd/relayd/host/wasmhost/preempt"
	"github.com/relayd/relayd/host/wasmhost/state"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// BenchmarkWasmInstance is the cost of one pool instance: instantiate,
// _initialize, relayd_abi_version, relayd_init, close.
func BenchmarkWasmInstance(b *testing.B) {
	for _, tc := range []struct{ name, path string }{
		{"wat", "testdata/wat/accept.wasm"},
		{"go", wasmbuild.Build(b, "testdata/go/accept")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bin, err := os.ReadFile(tc.path)
			if err != nil {
				b.Fatal(err)
			}
			set, _ := Settings{Pool: 1}.resolve(Settings{}, 1)
			e := &env{cache: wazero.NewCompilationCache()}
			p, err := loadPlugin(context.Background(), e, "bench", tc.path, bin, set, state.New(state.Limits{}), nil, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer p.close(0, true)
			b.ReportAllocs()
			for b.Loop() {
				inst, _, err := p.newInstance(context.Background(), 0)
				if err != nil {
					b.Fatal(err)
				}
				inst.close()
			}
		})
	}
}

// BenchmarkWasmDeadline compares the ways to bound a call's time on raw
// wazero, for an empty call, a 10,000-iteration loop and fib(20) (21,891
// calls, no loop): no interruption
// at all (a runaway guest cannot be stopped), the preemption check of
// package preempt (our design), CloseOnContextDone with one long-lived
// cancellable context (our fallback), and CloseOnContextDone with a
// context.WithTimeout per call.
func BenchmarkWasmDeadline(b *testing.B) {
	bin, err := os.ReadFile("testdata/wat/spin.wasm")
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"none", "preempt_global", "watchdog_ctx", "timeout_per_call"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			closeOnDone := mode == "watchdog_ctx" || mode == "timeout_per_call"
			rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(closeOnDone))
			defer rt.Close(ctx)
			code := bin
			if mode == "preempt_global" {
				if code, err = preempt.Instrument(bin, preempt.Options{Export: "relayd_preempt", StackBytes: 1 << 20}); err != nil {
					b.Fatal(err)
				}
			}
			mod, err := rt.Instantiate(ctx, code)
			if err != nil {
				b.Fatal(err)
			}
			long, cancel := context.WithCancel(ctx)
			defer cancel()
			for _, fn := range []struct {
				name string
				f    api.Function
				arg  uint64
			}{{"nop", mod.ExportedFunction("nop"), 0}, {"loop10k", mod.ExportedFunction("spin"), 10000}, {"fib20", mod.ExportedFunction("fib"), 20}} {
				b.Run(fn.name, func(b *testing.B) {
					stack := make([]uint64, 1)
					b.ReportAllocs()
					for b.Loop() {
						stack[0] = fn.arg
						c := long
						var cancelCall context.CancelFunc
						if mode == "timeout_per_call" {
							c, cancelCall = context.WithTimeout(ctx, time.Second)
						}
						if err := fn.f.CallWithStack(c, stack); err != nil {
							b.Fatal(err)
						}
						if cancelCall != nil {
							cancelCall()
						}
					}
				})
			}
		})
	}
}

package wasmhost

import (
	"context"
	"errors"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Panics of guard, recovered by wazero into the call's error.
var (
	errHalted     = errors.New("wasmhost: call halted")
	errStackLimit = errors.New("wasmhost: call stack budget exhausted")
)

// guard is the function listener of a plugin whose module could not be
// instrumented (package preempt): it makes the checks the instrumentation
// would have made, at every call of a guest function. wazero's
// WithCloseOnContextDone, which such plugins run with, checks only at loop
// heads, so without it a recursive guest with no loop would never stop.
//
// Before panics with errHalted once the instance is interrupted, and with
// errStackLimit when the call's frames, weighed as preempt.FrameBytes,
// pass the plugin's stack budget; After and Abort give a frame back. The
// cost is two exits to Go per guest call, on a path that is already ~50×
// slower in loops.
type guard struct {
	frames []uint32 // preempt.Frames of the module; nil if it could not be read
}

// defaultFrame weighs frames when the module's locals could not be read.
const defaultFrame = 32 + 8*16

var (
	_ experimental.FunctionListenerFactory = (*guard)(nil)
	_ experimental.FunctionListener        = (*guard)(nil)
)

// NewFunctionListener implements experimental.FunctionListenerFactory.
func (g *guard) NewFunctionListener(api.FunctionDefinition) experimental.FunctionListener { return g }

func (g *guard) frame(def api.FunctionDefinition) int64 {
	if i := def.Index(); int(i) < len(g.frames) {
		return int64(g.frames[i])
	}
	return defaultFrame
}

// Before implements experimental.FunctionListener.
func (g *guard) Before(ctx context.Context, _ api.Module, def api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	inst := instOf(ctx)
	if inst == nil {
		return
	}
	if inst.halt.Load() {
		panic(errHalted)
	}
	inst.stackUsed += g.frame(def)
	if inst.stackUsed > int64(inst.p.set.stackBytes) {
		panic(errStackLimit)
	}
}

// After implements experimental.FunctionListener.
func (g *guard) After(ctx context.Context, _ api.Module, def api.FunctionDefinition, _ []uint64) {
	if inst := instOf(ctx); inst != nil {
		inst.stackUsed -= g.frame(def)
	}
}

// Abort implements experimental.FunctionListener.
func (g *guard) Abort(ctx context.Context, _ api.Module, def api.FunctionDefinition, _ error) {
	g.After(ctx, nil, def, nil)
}

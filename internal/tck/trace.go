package tck

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/relayd/relayd/sdk/abi"
)

// tracer records the relayd_v1 host functions a plugin calls during its
// hook exports. It is a wazero function listener factory, passed in the
// context of Manager.Load: wasmhost builds each plugin's runtime (and so
// its relayd_v1 host module) and compiles the guest with that context, so
// the listener sees every host function call and every hook export. Calls
// made outside a hook export (an instance's start: _initialize,
// relayd_init) are not recorded.
//
// # Notes
//
//   - A module wasmhost cannot instrument is compiled with its own
//     listener instead (package preempt's fallback); the hook exports are
//     then not seen and every host call is recorded.
type tracer struct {
	mu     sync.Mutex
	inHook int
	seen   bool // a hook export was seen: record only inside hooks
	calls  map[string]bool
}

var (
	_ experimental.FunctionListenerFactory = (*tracer)(nil)
	_ experimental.FunctionListener        = (*hostListener)(nil)
	_ experimental.FunctionListener        = (*hookListener)(nil)
)

func newTracer() *tracer { return &tracer{calls: map[string]bool{}} }

// NewFunctionListener implements experimental.FunctionListenerFactory: a
// listener for each relayd_v1 host function and each hook export, none
// for the rest.
func (t *tracer) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if def.GoFunction() != nil && def.ModuleName() == abi.ModuleName {
		return &hostListener{t: t, name: def.Name()}
	}
	for _, name := range def.ExportNames() {
		if strings.HasPrefix(name, "relayd_on_") {
			return &hookListener{t: t}
		}
	}
	return nil
}

// reset forgets the calls recorded so far.
func (t *tracer) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = map[string]bool{}
}

// names returns the host functions called since the last reset, sorted.
func (t *tracer) names() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.calls))
	for n := range t.calls {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

type hostListener struct {
	t    *tracer
	name string
}

// Before implements experimental.FunctionListener.
func (l *hostListener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	if l.t.inHook > 0 || !l.t.seen {
		l.t.calls[l.name] = true
	}
}

// After implements experimental.FunctionListener.
func (l *hostListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}

// Abort implements experimental.FunctionListener.
func (l *hostListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {}

type hookListener struct{ t *tracer }

// Before implements experimental.FunctionListener.
func (l *hookListener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	l.t.inHook++
	l.t.seen = true
}

// After implements experimental.FunctionListener.
func (l *hookListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	l.t.inHook--
}

// Abort implements experimental.FunctionListener.
func (l *hookListener) Abort(ctx context.Context, m api.Module, def api.FunctionDefinition, _ error) {
	l.After(ctx, m, def, nil)
}

package wasmhost

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/relayd/relayd/sdk/abi"
)

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
	f64 = api.ValueTypeF64
)

// hookSig is the signature of every hook export.
var hookSig = sig{params: []api.ValueType{i64, i32, i64, i64, i32, i32, i32}, results: []api.ValueType{i32}}

type sig struct{ params, results []api.ValueType }

func (s sig) String() string {
	var b strings.Builder
	b.WriteString("(func")
	for _, p := range s.params {
		b.WriteString(" (param " + api.ValueTypeName(p) + ")")
	}
	for _, r := range s.results {
		b.WriteString(" (result " + api.ValueTypeName(r) + ")")
	}
	b.WriteString(")")
	return b.String()
}

func sigOf(d api.FunctionDefinition) sig {
	return sig{params: d.ParamTypes(), results: d.ResultTypes()}
}

func (s sig) equal(o sig) bool {
	return slices.Equal(s.params, o.params) && slices.Equal(s.results, o.results)
}

// exports records which optional exports a module has.
type exports struct {
	hooks      [abi.MaxHook + 1]bool
	init       bool
	limitation bool
	initialize bool
	tick       bool
	batch      bool // relayd_on_deliver_batch
}

// newRuntime makes the wazero runtime of one plugin: compiler engine,
// shared compilation cache, the plugin's linear memory cap, WASI without
// a file system, and the relayd_v1 host module. closeOnDone makes calls
// interruptible by context, for modules that could not be instrumented
// (see package preempt).
func newRuntime(ctx context.Context, cache wazero.CompilationCache, linPages uint32, closeOnDone bool) (wazero.Runtime, error) {
	cfg := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(cache).
		WithMemoryLimitPages(linPages).
		WithCloseOnContextDone(closeOnDone)
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("wasi: %w", err)
	}
	b := rt.NewHostModuleBuilder(abi.ModuleName)
	for _, hf := range hostFuncs() {
		b.NewFunctionBuilder().WithGoModuleFunction(hf.fn, hf.sig.params, hf.sig.results).Export(hf.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("host module: %w", err)
	}
	return rt, nil
}

// layout is the linear memory of each instance of a plugin, in bytes:
// its initial size, the reservation (its maximum: the module's declared
// maximum or the cap) and the size past which it is recycled after a call.
type layout struct {
	initial, reserve int
	recycle          uint32
}

// memoryLayout checks the module's initial memory against the cap and
// lays out its instances' memory. An instance is recycled once its memory
// passed halfway from its initial size to its maximum: never for a module
// that starts at its maximum, so no initial size makes every call recycle.
func memoryLayout(mem api.MemoryDefinition, set resolved) (layout, error) {
	if mem.Min() > set.linPages {
		return layout{}, fmt.Errorf("%w: export %q: initial memory %d pages (%d KiB) over the cap of %d pages "+
			"(memory_mb = %d less a call stack budget of %d KiB); raise memory_mb",
			ErrABI, abi.ExportMemory, mem.Min(), mem.Min()*64, set.linPages, set.memPages/16, set.stackBytes>>10)
	}
	maxPages := set.linPages
	if m, ok := mem.Max(); ok && m < maxPages {
		maxPages = m
	}
	l := layout{initial: int(mem.Min()) * pageSize, reserve: int(maxPages) * pageSize}
	l.recycle = uint32(l.initial + (l.reserve-l.initial)/2)
	return l, nil
}

// validate checks a compiled module against the ABI: exports, their
// signatures, imports and initial memory. Errors name the symbol.
// wasi are the signatures of the runtime's WASI functions.
func validate(cm wazero.CompiledModule, set resolved, wasi map[string]sig) (exports, layout, error) {
	ex, err := validateExports(cm, wasi)
	if err != nil {
		return ex, layout{}, err
	}
	l, err := memoryLayout(cm.ExportedMemories()[abi.ExportMemory], set)
	return ex, l, err
}

func validateExports(cm wazero.CompiledModule, wasi map[string]sig) (exports, error) {
	var ex exports
	if _, ok := cm.ExportedMemories()[abi.ExportMemory]; !ok {
		return ex, fmt.Errorf("%w: export %q missing", ErrABI, abi.ExportMemory)
	}
	fns := cm.ExportedFunctions()
	noArgsI32 := sig{results: []api.ValueType{i32}}
	want := func(name string, s sig, required bool) (bool, error) {
		d, ok := fns[name]
		if !ok {
			if required {
				return false, fmt.Errorf("%w: export %q missing; want %s", ErrABI, name, s)
			}
			return false, nil
		}
		if got := sigOf(d); !got.equal(s) {
			return false, fmt.Errorf("%w: export %q: got %s, want %s", ErrABI, name, got, s)
		}
		return true, nil
	}
	var err error
	if _, err = want(abi.ExportABIVersion, noArgsI32, true); err != nil {
		return ex, err
	}
	if ex.init, err = want(abi.ExportInit, noArgsI32, false); err != nil {
		return ex, err
	}
	if ex.limitation, err = want(abi.ExportLimitation, noArgsI32, false); err != nil {
		return ex, err
	}
	if ex.initialize, err = want(abi.ExportInitialize, sig{}, false); err != nil {
		return ex, err
	}
	if ex.tick, err = want(abi.ExportOnTick, noArgsI32, false); err != nil {
		return ex, err
	}
	for h := abi.HookConnect; h <= abi.MaxHook; h++ {
		if ex.hooks[h], err = want(abi.HookExport(h), hookSig, false); err != nil {
			return ex, err
		}
	}
	if ex.batch, err = want(abi.ExportOnDeliverBatch, hookSig, false); err != nil {
		return ex, err
	}
	return ex, checkImports(cm, wasi)
}

// wasiFuncs returns the signatures of the WASI functions instantiated in
// rt (by newRuntime).
func wasiFuncs(rt wazero.Runtime) map[string]sig {
	out := map[string]sig{}
	if mod := rt.Module(wasi_snapshot_preview1.ModuleName); mod != nil {
		for name, d := range mod.ExportedFunctionDefinitions() {
			out[name] = sigOf(d)
		}
	}
	return out
}

// checkImports checks every import against the relayd_v1 host functions
// and the WASI functions, so that a wrong one is an ABI error naming it
// at load rather than a failed instantiation.
func checkImports(cm wazero.CompiledModule, wasi map[string]sig) error {
	host := map[string]sig{}
	for _, hf := range hostFuncs() {
		host[hf.name] = hf.sig
	}
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		switch mod {
		case wasi_snapshot_preview1.ModuleName:
			s, ok := wasi[name]
			if !ok {
				return fmt.Errorf("%w: import %s.%s: no such WASI function", ErrABI, mod, name)
			}
			if got := sigOf(d); !got.equal(s) {
				return fmt.Errorf("%w: import %s.%s: got %s, want %s", ErrABI, mod, name, got, s)
			}
		case abi.ModuleName:
			s, ok := host[name]
			if !ok {
				return fmt.Errorf("%w: import %s.%s: no such host function", ErrABI, mod, name)
			}
			if got := sigOf(d); !got.equal(s) {
				return fmt.Errorf("%w: import %s.%s: got %s, want %s", ErrABI, mod, name, got, s)
			}
		default:
			return fmt.Errorf("%w: import %s.%s: unknown module", ErrABI, mod, name)
		}
	}
	if len(cm.ImportedMemories()) > 0 {
		return fmt.Errorf("%w: the module imports its memory; it must export it", ErrABI)
	}
	return nil
}

// importNames lists a module's imports as "module.name".
func importNames(cm wazero.CompiledModule) []string {
	var out []string
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		out = append(out, mod+"."+name)
	}
	return out
}

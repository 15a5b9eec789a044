package wasmhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost/preempt"
	"github.com/relayd/relayd/sdk/abi"
)

// instance is one guest module instance with everything a call needs
// cached: function handles, a parameter stack, output buffers. It is used
// by one goroutine at a time (it is taken from and returned to the pool).
type instance struct {
	p    *Plugin
	slot int
	mod  api.Module
	mem  *linearMemory
	fns  [abi.HookDeliverBatch + 1]api.Function // by hook; HookDeliverBatch: relayd_on_deliver_batch
	// stack is the reused CallWithStack parameter/result stack.
	stack []uint64
	// ctx is the instance's long-lived context: it carries the instance
	// for host functions, and cancel is how the watchdog stops a runaway
	// call of a non-instrumented module (wazero's CloseOnContextDone).
	ctx    context.Context
	cancel context.CancelFunc
	// stop is the relayd_preempt global of an instrumented module. The
	// guest reads it, and writes StackExhausted; from Go it is set and read
	// under stopMu (the watchdog sets it while the owner may read it).
	stop   api.MutableGlobal
	stopMu sync.Mutex
	// halt asks a non-instrumented module's function listener to stop the
	// call at its next function entry (see guard).
	halt atomic.Bool
	// stackUsed is the estimated stack of the running call of a
	// non-instrumented module, kept by its function listener.
	stackUsed int64
	// start is the call state: the watchdog epoch at which the current
	// call started, or one of the states below.
	start atomic.Int64

	cur      abi.Hook
	in       callInput
	out      [abi.MaxOutput + 1][]byte
	outSet   uint32
	buf      []byte
	bufField abi.Field
	query    queryCache // store_query's result in this call
	stdout   lineWriter
	// methods are the management methods relayd_init declared
	// (OutputMethods), checked; the plugin keeps those of its first
	// instance.
	methods []string
	// kinds is what relayd_init declared with hook_kinds: the event kinds
	// per hook (nil: every kind). The pool's first instance decides.
	kinds [abi.MaxHook + 1][]int
}

// Call states of instance.start besides a running call's epoch (> 0). The
// watchdog claims a stale call by moving its epoch to stateClaimed; Free
// (module close from another goroutine) moves a running state to
// stateFreePending, and whoever ends the call unmaps the memory.
const (
	stateIdle         = 0
	stateClaimed      = -1
	stateFreed        = -2
	stateFreePending  = -3
	stateInitializing = math.MaxInt64 // never stale for the watchdog
)

// newInstance instantiates the plugin's module, runs _initialize, checks
// the ABI version and runs relayd_init. It returns the instance and the
// hook mask relayd_init returned (HookMaskAll without relayd_init). Every
// step is bounded by the init timeout, through the preemption check (or
// the function listener, see guard) and the stack budget.
func (p *Plugin) newInstance(ctx context.Context, slot int) (*instance, abi.HookMask, error) {
	inst := &instance{p: p, slot: slot, stack: make([]uint64, abi.HookParams)}
	inst.start.Store(stateInitializing)
	mem, err := newLinearMemory(inst, &p.acct, p.layout.initial, p.layout.reserve, int64(p.set.stackBytes))
	if err != nil {
		return nil, 0, err
	}
	inst.mem = mem
	base, cancel := context.WithCancel(context.Background())
	inst.ctx, inst.cancel = context.WithValue(base, instKey{}, inst), cancel
	inst.stdout = lineWriter{p: p}
	ictx, icancel := context.WithTimeout(context.WithValue(ctx, instKey{}, inst), p.initTimeout())
	defer icancel()
	ictx = experimental.WithMemoryAllocator(ictx, &allocator{mem: mem})
	cfg := wazero.NewModuleConfig().WithName("").
		WithStdout(&inst.stdout).WithStderr(&inst.stdout).
		WithSysWalltime().WithSysNanotime().WithRandSource(rand.Reader)
	var fired atomic.Bool
	fire := func() { fired.Store(true); inst.interrupt() }
	if !p.preempt {
		cfg = cfg.WithStartFunctions(abi.ExportInitialize) // bounded by ictx and the guard
		t := time.AfterFunc(p.initTimeout(), fire)
		defer t.Stop()
	} else {
		cfg = cfg.WithStartFunctions() // run below, bounded by the stop global
	}
	inst.cur = curInit
	mod, err := p.rt.InstantiateModule(ictx, p.compiled, cfg)
	if err != nil {
		cancel()
		inst.start.Store(stateFreed)
		mem.release()
		if fired.Load() {
			err = ErrTimeout
		}
		// Uninstrumented modules run _initialize inside InstantiateModule.
		if err = inst.callErr(err); p.ex.initialize && (errors.Is(err, ErrTimeout) || errors.Is(err, ErrStackLimit)) {
			err = fmt.Errorf("export %q: %w", abi.ExportInitialize, err)
		}
		return nil, 0, fmt.Errorf("instantiate: %w", err)
	}
	inst.mod = mod
	if p.preempt {
		inst.stop, _ = mod.ExportedGlobal(abi.ExportPreempt).(api.MutableGlobal)
		if inst.stop == nil {
			inst.endInit()
			inst.close()
			return nil, 0, fmt.Errorf("%w: instrumented module lacks %q", ErrABI, abi.ExportPreempt)
		}
		t := time.AfterFunc(p.initTimeout(), fire)
		defer t.Stop()
	}
	mask, err := inst.start0(ictx)
	if closed := inst.endInit(); closed && err == nil {
		err = ErrClosed
	}
	if err != nil {
		inst.close()
		if fired.Load() {
			if !errors.Is(err, ErrTimeout) {
				err = fmt.Errorf("%w (%v)", ErrTimeout, err)
			}
			err = fmt.Errorf("instantiate: %w", err)
		}
		return nil, 0, err
	}
	for h := abi.HookConnect; h <= abi.MaxHook; h++ {
		if p.ex.hooks[h] {
			inst.fns[h] = mod.ExportedFunction(abi.HookExport(h))
		}
	}
	if p.ex.batch {
		inst.fns[abi.HookDeliverBatch] = mod.ExportedFunction(abi.ExportOnDeliverBatch)
	}
	inst.reset()
	return inst, mask, nil
}

// endInit ends the initialising state; closed reports that the module
// was closed meanwhile (its memory is now unmapped).
func (inst *instance) endInit() (closed bool) {
	_, closed = inst.endCall(stateInitializing)
	return closed
}

// beginCall marks a call starting at epoch; false if the instance's
// module was closed under it (the plugin is closing).
func (inst *instance) beginCall(epoch int64) bool {
	return inst.start.CompareAndSwap(stateIdle, epoch)
}

// endCall marks the call begun with state s0 as ended. claimed reports
// that the watchdog stopped it; closed that the module was closed while
// it ran, in which case endCall unmapped the memory.
func (inst *instance) endCall(s0 int64) (claimed, closed bool) {
	if inst.start.CompareAndSwap(s0, stateIdle) {
		return false, false
	}
	for {
		switch s := inst.start.Load(); s {
		case stateClaimed:
			if inst.start.CompareAndSwap(stateClaimed, stateIdle) {
				return true, false
			}
		case stateFreePending:
			inst.start.Store(stateFreed)
			inst.mem.release()
			return false, true
		default:
			panic(fmt.Sprintf("BUG: wasmhost: call state %d at the end of a call", s))
		}
	}
}

// freeMemory is linearMemory.Free: it unmaps the memory now if no call
// runs, or leaves that to endCall.
func (inst *instance) freeMemory() {
	for {
		switch s := inst.start.Load(); s {
		case stateFreed, stateFreePending:
			return
		case stateIdle:
			if inst.start.CompareAndSwap(stateIdle, stateFreed) {
				inst.mem.release()
				return
			}
		default:
			if inst.start.CompareAndSwap(s, stateFreePending) {
				return
			}
		}
	}
}

// start0 runs _initialize (instrumented modules), checks
// relayd_abi_version and runs relayd_init.
func (inst *instance) start0(ctx context.Context) (abi.HookMask, error) {
	if inst.p.preempt && inst.p.ex.initialize {
		if _, err := inst.mod.ExportedFunction(abi.ExportInitialize).Call(ctx); err != nil {
			return 0, fmt.Errorf("export %q: %w", abi.ExportInitialize, inst.callErr(err))
		}
	}
	v, err := inst.mod.ExportedFunction(abi.ExportABIVersion).Call(ctx)
	if err != nil {
		return 0, fmt.Errorf("export %q: %w", abi.ExportABIVersion, inst.callErr(err))
	}
	if got := api.DecodeI32(v[0]); got != abi.Version {
		return 0, fmt.Errorf("%w: export %q returned %d, want %d", ErrABI, abi.ExportABIVersion, got, abi.Version)
	}
	if !inst.p.ex.init {
		return abi.HookMaskAll.With(abi.HookTick).With(abi.HookDeliverBatch), nil
	}
	r, err := inst.mod.ExportedFunction(abi.ExportInit).Call(ctx)
	if err != nil {
		return 0, fmt.Errorf("export %q: %w", abi.ExportInit, inst.callErr(err))
	}
	m := api.DecodeI32(r[0])
	if m < 0 {
		return 0, fmt.Errorf("%w: %s", ErrInit, inst.out[abi.OutputMessage])
	}
	if inst.outSet&(1<<abi.OutputMethods) != 0 {
		if inst.methods, err = parseMethods(inst.out[abi.OutputMethods]); err != nil {
			return 0, fmt.Errorf("export %q: %w", abi.ExportInit, err)
		}
	}
	return abi.HookMask(m) & abi.HookMaskAll.With(abi.HookTick).With(abi.HookDeliverBatch), nil
}

// limitation runs relayd_limitation and decodes its output.
func (inst *instance) limitation(ctx context.Context) (map[string]any, error) {
	inst.cur = curLimitation
	defer inst.reset()
	ctx = context.WithValue(ctx, instKey{}, inst)
	if !inst.beginCall(stateInitializing) {
		return nil, fmt.Errorf("export %q: %w", abi.ExportLimitation, ErrClosed)
	}
	t := time.AfterFunc(inst.p.initTimeout(), inst.interrupt)
	_, err := inst.mod.ExportedFunction(abi.ExportLimitation).Call(ctx)
	t.Stop()
	if _, closed := inst.endCall(stateInitializing); closed && err == nil {
		err = ErrClosed
	}
	if err != nil {
		return nil, fmt.Errorf("export %q: %w", abi.ExportLimitation, inst.callErr(err))
	}
	out := inst.out[abi.OutputLimitation]
	if inst.outSet&(1<<abi.OutputLimitation) == 0 || len(out) == 0 {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("export %q: limitation is not a JSON object: %w", abi.ExportLimitation, err)
	}
	for k, v := range m {
		if f, ok := v.(float64); ok && f == float64(int(f)) {
			m[k] = int(f) // policy.Chain merges ints
		}
	}
	return m, nil
}

// setOutput copies data as output kind if the current export may set it.
func (inst *instance) setOutput(kind abi.Output, data []byte) abi.Errno {
	var limit int
	switch kind {
	case abi.OutputMessage:
		limit = abi.MaxMessageLen
	case abi.OutputFilters:
		if inst.cur != abi.HookReq && inst.cur != abi.HookCount {
			return abi.ErrUnavailable
		}
		limit = abi.MaxFiltersLen
	case abi.OutputPayload:
		if inst.cur != abi.HookDeliver {
			return abi.ErrUnavailable
		}
		limit = abi.MaxPayloadLen
	case abi.OutputLimitation:
		if inst.cur != curLimitation {
			return abi.ErrUnavailable
		}
		limit = abi.MaxLimitationLen
	case abi.OutputMethods:
		if inst.cur != curInit {
			return abi.ErrUnavailable
		}
		limit = abi.MaxMethodsLen
	case abi.OutputResult:
		if inst.cur != abi.HookManage {
			return abi.ErrUnavailable
		}
		limit = abi.MaxResultLen
	case abi.OutputVerdicts:
		if inst.cur != abi.HookDeliverBatch {
			return abi.ErrUnavailable
		}
		limit = 4 * abi.MaxDeliverBatch
	default:
		return abi.ErrInvalid
	}
	if len(data) > limit {
		return abi.ErrTooLarge
	}
	inst.out[kind] = append(inst.out[kind][:0], data...)
	inst.outSet |= 1 << kind
	return abi.OK
}

// verdictBits are the bits of a verdict that carry the action and the
// prefix; the others are reserved and must be 0 (ABI.md).
const verdictBits = 0xffff

// verdict decodes a hook's result and outputs.
func (inst *instance) verdict(h abi.Hook, r uint32) (policy.Verdict, error) {
	a, pfx := abi.UnpackVerdict(r)
	if a > abi.MaxAction || pfx > abi.MaxPrefix || r&^verdictBits != 0 {
		return policy.Verdict{}, fmt.Errorf("%w: result %#x", ErrBadVerdict, r)
	}
	v := policy.Verdict{Action: policy.Action(a), Prefix: policy.Prefix(pfx)}
	if v.Final() && inst.outSet&(1<<abi.OutputMessage) != 0 {
		v.Message = string(inst.out[abi.OutputMessage])
	}
	if h == abi.HookManage {
		return inst.manageVerdict(v)
	}
	if a != abi.ActionRewrite {
		return v, nil
	}
	switch h {
	case abi.HookReq, abi.HookCount:
		if inst.outSet&(1<<abi.OutputFilters) == 0 {
			return policy.Verdict{}, fmt.Errorf("%w: rewrite without filters", ErrBadVerdict)
		}
		var fs nostr.Filters
		if err := json.Unmarshal(inst.out[abi.OutputFilters], &fs); err != nil {
			return policy.Verdict{}, fmt.Errorf("%w: rewritten filters: %v", ErrBadVerdict, err)
		}
		v.Filters = fs
	case abi.HookDeliver:
		out := inst.out[abi.OutputPayload]
		if inst.outSet&(1<<abi.OutputPayload) == 0 || !json.Valid(out) || !bytes.HasPrefix(bytes.TrimSpace(out), []byte("{")) {
			return policy.Verdict{}, fmt.Errorf("%w: rewritten payload is not a JSON object", ErrBadVerdict)
		}
		v.Payload = bytes.Clone(out)
	default:
		v.Action = policy.Accept
	}
	return v, nil
}

// reset forgets the last call's inputs and outputs.
func (inst *instance) reset() {
	inst.in = callInput{}
	inst.outSet = 0
	inst.bufField = 0
	inst.cur = 0
	inst.query.reset()
	if cap(inst.buf) > 1<<16 {
		inst.buf = nil
	}
}

// interrupt stops the instance's current call: the preemption global for
// instrumented modules; the halt flag (checked by the function listener at
// every call) and the context (checked by wazero at every loop head)
// otherwise. Safe from any goroutine once stop is set.
func (inst *instance) interrupt() {
	inst.halt.Store(true)
	if inst.stop != nil {
		inst.stopMu.Lock()
		inst.stop.Set(uint64(preempt.StopRequested))
		inst.stopMu.Unlock()
	}
	inst.cancel()
}

// stopValue reads the stop global of an instrumented module (0 if none).
func (inst *instance) stopValue() int32 {
	if inst.stop == nil {
		return 0
	}
	inst.stopMu.Lock()
	defer inst.stopMu.Unlock()
	return int32(inst.stop.Get())
}

// close closes the module and unmaps its memory. Only the instance's
// owner calls it, with no call running.
func (inst *instance) close() {
	inst.cancel()
	if inst.mod != nil {
		_ = inst.mod.Close(context.Background())
	}
	inst.start.Store(stateFreed)
	inst.mem.release()
}

// callErr classifies an error from a guest call.
func (inst *instance) callErr(err error) error {
	var ee *sys.ExitError
	switch {
	case errors.Is(err, ErrTimeout), errors.Is(err, errHalted):
		return ErrTimeout
	case errors.Is(err, errStackLimit):
		return ErrStackLimit
	case inst.stopValue() == preempt.StackExhausted:
		return ErrStackLimit
	case inst.stopValue() == preempt.StopRequested:
		return ErrTimeout
	case strings.Contains(err.Error(), wazeroStackOverflow):
		// wazero's own ceiling (~84 MB of native stack), reached only by
		// frames far bigger than their estimate (see preempt.FrameBytes).
		return fmt.Errorf("%w: %v", ErrStackLimit, err)
	case errors.As(err, &ee):
		switch ee.ExitCode() {
		case sys.ExitCodeDeadlineExceeded, sys.ExitCodeContextCanceled:
			return ErrTimeout
		}
		return fmt.Errorf("%w: exit code %d", ErrTrap, ee.ExitCode())
	}
	return fmt.Errorf("%w: %v", ErrTrap, err)
}

// wazeroStackOverflow is how wazero v1.12.0 words the trap at its native
// stack ceiling; it exports no sentinel for it.
const wazeroStackOverflow = "wasm error: stack overflow"

// lineWriter sends a guest's stdout and stderr to the plugin's log, one
// line at a time, through the plugin's log rate cap.
type lineWriter struct {
	p   *Plugin
	buf []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			room := abi.MaxLogLen - len(w.buf)
			w.buf = append(w.buf, b[:min(len(b), max(room, 0))]...)
			break
		}
		w.buf = append(w.buf, b[:i]...)
		w.p.logLine(slog.LevelInfo, string(w.buf[:min(len(w.buf), abi.MaxLogLen)]))
		w.buf = w.buf[:0]
		b = b[i+1:]
	}
	return n, nil
}

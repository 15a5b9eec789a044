package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/wasmhost/durable"
	"github.com/relayd/relayd/host/wasmhost/preempt"
	"github.com/relayd/relayd/host/wasmhost/state"
	"github.com/relayd/relayd/sdk/abi"
)

// env is what every plugin of a Manager shares.
type env struct {
	cache        wazero.CompilationCache
	store        store.Store
	db           store.PluginState // nil: no durable state (FeatureDB off)
	relayVersion string
	noInstrument bool
}

// Plugin is one loaded WebAssembly policy: a wazero runtime, its compiled
// module and a fixed pool of initialised instances. It implements
// policy.Policy and policy.Informer and is safe for concurrent use.
type Plugin struct {
	name, file string
	sum        [3][32]byte // sha256 of the .wasm, the .toml and the listed files
	source     string      // SourceLocal or SourcePushed
	// kinds is what the first instance's relayd_init declared with
	// hook_kinds, per hook; nil: every kind.
	kinds [abi.MaxHook + 1][]int
	set   resolved
	env   *env
	log   *slog.Logger
	logs  logLimiter
	space *state.Space
	db    *durable.Space // nil without a store that keeps plugin state

	rt       wazero.Runtime
	compiled wazero.CompiledModule
	preempt  bool   // instrumented: stopped through the relayd_preempt global
	guard    *guard // not instrumented: the function listener that stops calls
	ex       exports
	layout   layout
	acct     account
	hooks    policy.HookSet
	limits   map[string]any
	methods  []string // management methods served (HookManage), sorted
	// ticks is set if the host calls relayd_on_tick (see tick.go); tk is
	// the tick goroutine's state once the plugin is in the chain.
	ticks bool
	// batches is set if the relay may call relayd_on_deliver_batch (see
	// batch.go): the export is present, relayd_init asked for it and the
	// deliver hook runs.
	batches bool
	tk      *ticker
	// stats counts store_query calls and ticks; the Manager keeps one
	// per plugin name, across versions.
	stats *QueryStats

	free  chan *instance // the pool: every slot is here, in hot or held by one goroutine
	slots []atomic.Pointer[instance]
	// hot keeps an idle instance for each CPU (index cpuID() % len(hot)):
	// a call takes the instance last released on its CPU, whose guest
	// memory and stack are still in that CPU's caches, before any other.
	// Without it the FIFO channel handed each call the instance that
	// had waited longest, most often last run on the other CPU
	// (BENCHMARKS.md "Policy cost": ingest CPU with the default set −3.5%).
	// Instances go to hot only while nobody waits on free (waiting).
	hot     []atomic.Pointer[instance]
	waiting atomic.Int32
	epoch   atomic.Int64 // watchdog clock, in ticks
	// parked is set while the watchdog sleeps for want of calls (a
	// relay's plugins are idle most of the time: no ticking then); the
	// call that finds it set wakes the watchdog through wake.
	parked atomic.Bool
	wake   chan struct{}
	br     breaker
	st     starts       // restarts of discarded instances
	live   atomic.Int32 // instances alive (idle or in a call)
	// refilling counts the slot tokens held by refill goroutines (not by
	// calls).
	refilling atomic.Int32
	done      chan struct{}
	once      sync.Once
}

var (
	_ policy.Policy   = (*Plugin)(nil)
	_ policy.Informer = (*Plugin)(nil)
)

// loadPlugin compiles bin, checks it, fills the pool and asks for its
// limitation keys. On error everything it made is closed.
func loadPlugin(ctx context.Context, e *env, name, file string, bin []byte, set resolved, space *state.Space, db *durable.Space, log *slog.Logger) (p *Plugin, err error) {
	p = &Plugin{name: name, file: file, set: set, env: e, space: space, db: db, done: make(chan struct{}),
		wake: make(chan struct{}, 1), log: log.With("plugin", name), stats: &QueryStats{}}
	p.logs.init()
	p.epoch.Store(1)
	bin, p.preempt, p.guard = instrument(bin, e.noInstrument, set.stackBytes, p.log)
	p.acct.limit = int64(set.pool) * int64(set.memPages) * pageSize
	rt, err := newRuntime(ctx, e.cache, set.linPages, !p.preempt)
	if err != nil {
		return nil, err
	}
	p.rt = rt
	defer func() {
		if err != nil {
			rt.Close(context.Background())
		}
	}()
	cctx := ctx
	if p.guard != nil {
		cctx = experimental.WithFunctionListenerFactory(ctx, p.guard)
	}
	if p.compiled, err = p.rt.CompileModule(cctx, bin); err != nil {
		if strings.Contains(err.Error(), "over limit") { // wazero's wording for a memory over WithMemoryLimitPages
			return nil, fmt.Errorf("compile: %w (memory_mb = %d less a call stack budget of %d KiB leaves %d pages; raise memory_mb)",
				err, set.memPages/16, set.stackBytes>>10, set.linPages)
		}
		return nil, fmt.Errorf("compile: %w", err)
	}
	if p.ex, p.layout, err = validate(p.compiled, set, wasiFuncs(rt)); err != nil {
		return nil, err
	}
	if p.ex.tick {
		p.acct.limit += int64(set.memPages) * pageSize // the tick instance
	}
	if err = p.fill(ctx); err != nil {
		return nil, err
	}
	go p.watch()
	return p, nil
}

// instrument adds the preemption check and the stack budget to bin (see
// package preempt). If the module cannot be instrumented it is run as is,
// interruptible through WithCloseOnContextDone and a function listener
// that keeps the same budget (guard), which costs ~1 µs per call, two
// exits to Go per guest function call and much more in loops.
func instrument(bin []byte, off bool, stackBytes uint32, log *slog.Logger) ([]byte, bool, *guard) {
	if !off {
		out, err := preempt.Instrument(bin, preempt.Options{Export: abi.ExportPreempt, StackBytes: stackBytes})
		if err == nil {
			return out, true, nil
		}
		log.Warn("wasm plugin not instrumented for preemption; using slower context interruption", "err", err)
	}
	frames, err := preempt.Frames(bin)
	if err != nil {
		frames = nil // every frame weighs defaultFrame
	}
	return bin, false, &guard{frames: frames}
}

// fill creates the pool's instances. The first one decides the hooks and
// the limitation keys.
func (p *Plugin) fill(ctx context.Context) error {
	n := p.set.pool
	p.free = make(chan *instance, n)
	p.slots = make([]atomic.Pointer[instance], n)
	p.hot = make([]atomic.Pointer[instance], max(1, min(n, runtime.NumCPU())))
	for i := range n {
		inst, mask, err := p.newInstance(ctx, i)
		if err != nil {
			p.closeSlots()
			return err
		}
		if i == 0 {
			p.hooks = p.hookSet(mask)
			if err = p.setMethods(inst.methods); err != nil {
				inst.close()
				p.closeSlots()
				return err
			}
			p.ticks = p.ticksWanted(mask)
			p.batches = p.ex.batch && mask.Has(abi.HookDeliverBatch) && p.hooks.Has(policy.HookDeliver)
			p.kinds = inst.kinds
			if p.ex.limitation {
				lctx, cancel := context.WithTimeout(ctx, p.initTimeout())
				p.limits, err = inst.limitation(lctx)
				cancel()
				if err != nil {
					inst.close()
					p.closeSlots()
					return err
				}
			}
		}
		p.slots[i].Store(inst)
		p.live.Add(1)
		p.free <- inst
	}
	return nil
}

// hookSet is: hook exports present ∩ relayd_init's mask ∩ the settings.
func (p *Plugin) hookSet(mask abi.HookMask) policy.HookSet {
	var hs policy.HookSet
	for h := abi.HookConnect; h <= abi.MaxHook; h++ {
		if p.ex.hooks[h] && mask.Has(h) && p.set.hooks.Has(policy.Hook(h)) {
			hs |= policy.Hooks(policy.Hook(h))
		}
	}
	return hs
}

func (p *Plugin) initTimeout() time.Duration { return max(time.Second, 20*p.set.timeout) }

// Name returns the plugin's name: its file name without ".wasm".
func (p *Plugin) Name() string { return p.name }

// Hooks returns the hooks the plugin implements and is allowed to run.
func (p *Plugin) Hooks() policy.HookSet { return p.hooks }

// Limitation returns the NIP-11 limitation keys the plugin reported at load.
func (p *Plugin) Limitation() map[string]any { return p.limits }

// acquire takes an instance from the pool, waiting at most the plugin's
// timeout, or fails at once when the breaker is open, or when no instance
// is alive and restarts are failing.
func (p *Plugin) acquire() (*instance, error) {
	if p.br.open() {
		return nil, fmt.Errorf("plugin[%s]: %w", p.name, ErrTripped)
	}
	if inst := p.hot[cpuID()%len(p.hot)].Swap(nil); inst != nil {
		return inst, nil
	}
	select {
	case inst := <-p.free:
		if inst == nil {
			p.free <- nil
			return nil, fmt.Errorf("plugin[%s]: %w", p.name, ErrClosed)
		}
		return inst, nil
	default:
	}
	// Waiting is counted before the hot slots are searched: a release
	// that puts an instance in one either is seen here or sees waiting
	// and moves it to free (see release).
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	if inst := p.takeHot(); inst != nil {
		return inst, nil
	}
	if p.st.failing.Load() && p.live.Load() == 0 {
		return nil, fmt.Errorf("plugin[%s]: %w", p.name, ErrStart)
	}
	t := time.NewTimer(p.set.timeout)
	defer t.Stop()
	select {
	case inst := <-p.free:
		if inst == nil {
			p.free <- nil
			return nil, fmt.Errorf("plugin[%s]: %w", p.name, ErrClosed)
		}
		return inst, nil
	case <-p.done:
		return nil, fmt.Errorf("plugin[%s]: %w", p.name, ErrClosed)
	case <-t.C:
		return nil, fmt.Errorf("plugin[%s]: %w", p.name, ErrBusy)
	}
}

// run calls hook h on inst (whose stack and input the caller filled),
// decodes the verdict and returns the instance to the pool, or replaces it
// when it trapped, timed out or grew too big.
func (p *Plugin) run(inst *instance, h abi.Hook) (policy.Verdict, error) {
	inst.cur = h
	inst.stackUsed = 0
	epoch := p.epoch.Load()
	var err error
	var claimed, closed bool
	if inst.beginCall(epoch) {
		if p.parked.Load() {
			p.rouse()
		}
		err = inst.fns[h].CallWithStack(inst.ctx, inst.stack)
		claimed, closed = inst.endCall(epoch)
	} else {
		closed = true
	}
	var v policy.Verdict
	switch {
	case claimed:
		err = ErrTimeout
	case err != nil:
		err = inst.callErr(err)
	case closed:
		err = ErrClosed
	case h == abi.HookClose: // its result is ignored (ABI.md)
	case h == abi.HookDeliverBatch:
		err = inst.batchVerdicts(uint32(inst.stack[0]))
	default:
		v, err = inst.verdict(h, uint32(inst.stack[0]))
	}
	inst.reset()
	p.release(inst, claimed || closed || err != nil && !errors.Is(err, ErrBadVerdict))
	if err != nil {
		p.failed(h, err)
		name := policy.Hook(h).String()
		if h == abi.HookDeliverBatch {
			name = "deliver (batch)"
		}
		return policy.Verdict{}, fmt.Errorf("plugin[%s] %s: %w", p.name, name, err)
	}
	return v, nil
}

// release returns inst to the pool, or closes it and starts a
// replacement: when it is broken, or when its linear memory passed the
// recycle size (see memoryLayout), since wasm memory never shrinks.
func (p *Plugin) release(inst *instance, broken bool) {
	if !broken && inst.mem.committed <= int(p.layout.recycle) {
		p.putBack(inst)
		return
	}
	if !broken {
		p.log.Info(msgRecycled, "memory_bytes", inst.mem.committed, "threshold", p.layout.recycle)
	}
	inst.close()
	p.live.Add(-1)
	p.refilling.Add(1)
	go p.refill(inst.slot)
}

// putBack returns a healthy instance to the pool: to this CPU's hot slot
// when it is empty and no caller waits, else to free. Once the plugin is
// closing, or when a caller began to wait in between, what is in the slot
// moves on to free, where drain and the waiters look.
func (p *Plugin) putBack(inst *instance) {
	slot := &p.hot[cpuID()%len(p.hot)]
	if p.waiting.Load() != 0 || !slot.CompareAndSwap(nil, inst) {
		p.free <- inst
		return
	}
	if p.waiting.Load() == 0 && !p.closing() {
		return
	}
	if inst := slot.Swap(nil); inst != nil {
		p.free <- inst
	}
}

// takeHot takes an idle instance from any hot slot.
func (p *Plugin) takeHot() *instance {
	for i := range p.hot {
		if inst := p.hot[i].Swap(nil); inst != nil {
			return inst
		}
	}
	return nil
}

// closing reports whether close has begun.
func (p *Plugin) closing() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// idle counts the slot tokens not held by calls: instances in free and
// in hot, and slots being refilled.
func (p *Plugin) idle() int {
	n := len(p.free) + int(p.refilling.Load())
	for i := range p.hot {
		if p.hot[i].Load() != nil {
			n++
		}
	}
	return n
}

// watch is the deadline watchdog: every quarter timeout it advances the
// epoch and interrupts any instance whose call started too many epochs
// ago: it sets the instance's relayd_preempt global, so the guest traps at
// its next loop head, and cancels its context (which stops a
// non-instrumented guest through WithCloseOnContextDone). After a whole
// deadline with no call in flight it parks until a call starts (rouse):
// an idle plugin costs no wake-ups (eight default plugins ticking every
// 12.5 ms were 3% of a core on an idle relay, BENCHMARKS.md "Policy cost").
// A call that starts while it is parked counts its epochs from the first
// tick after it woke, as a call starting between two ticks does.
func (p *Plugin) watch() {
	tick := max(p.set.timeout/4, time.Millisecond)
	limit := int64(p.set.timeout/tick) + 1
	t := time.NewTicker(tick)
	defer t.Stop()
	idle := int64(0)
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		if p.check(limit) {
			idle = 0
			continue
		}
		if idle++; idle < limit {
			continue
		}
		// Park. A call that began before parked was set did not see it, so
		// look once more after setting it.
		p.parked.Store(true)
		if p.busy() {
			p.parked.Store(false)
			idle = 0
			continue
		}
		t.Stop()
		select {
		case <-p.done:
			return
		case <-p.wake:
		}
		idle = 0
		t.Reset(tick)
	}
}

// check advances the epoch and interrupts the calls older than limit
// epochs. It reports whether any call is in flight.
func (p *Plugin) check(limit int64) (busy bool) {
	e := p.epoch.Add(1)
	for i := range p.slots {
		inst := p.slots[i].Load()
		if inst == nil {
			continue
		}
		s := inst.start.Load()
		if s > 0 {
			busy = true
		}
		if s > 0 && e-s >= limit && inst.start.CompareAndSwap(s, -1) {
			inst.interrupt()
		}
	}
	return busy
}

// busy reports whether a call is in flight on any instance.
func (p *Plugin) busy() bool {
	for i := range p.slots {
		if inst := p.slots[i].Load(); inst != nil && inst.start.Load() > 0 {
			return true
		}
	}
	return false
}

// rouse wakes the parked watchdog (see watch); one call of those that
// find it parked sends the signal.
func (p *Plugin) rouse() {
	if p.parked.CompareAndSwap(true, false) {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// failed counts a failure (of a call to hook h, or of a restart when h
// is 0) and trips the breaker after too many.
func (p *Plugin) failed(h abi.Hook, err error) {
	if backoff, tripped := p.br.fail(time.Now()); tripped {
		what := "restart"
		switch h {
		case 0:
		case abi.HookDeliverBatch:
			what = "deliver (batch)"
		default:
			what = policy.Hook(h).String()
		}
		p.log.Error("plugin tripped: calls fail fast until the backoff ends", "file", p.file,
			"hook", what, "backoff", backoff, "last_err", err)
	}
}

// close stops the plugin. Calls keep working for grace (callers that
// loaded the previous chain finish on it), or only until no call is in
// flight if untilIdle; then new calls fail with ErrClosed, calls still
// running are interrupted (they stop at their next preemption check, so a
// runaway guest cannot hold up a reload or Manager.Close), the instances
// are collected (waiting at most one more deadline) and the runtime is
// closed.
func (p *Plugin) close(grace time.Duration, untilIdle bool) {
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if untilIdle && p.idle() >= cap(p.free) {
			break
		}
		time.Sleep(min(10*time.Millisecond, time.Until(deadline)))
	}
	p.once.Do(func() { close(p.done) })
	for i := range p.slots {
		if inst := p.slots[i].Load(); inst != nil && inst.start.Load() != stateIdle {
			inst.interrupt()
		}
	}
	p.stopTick(p.initTimeout())
	p.drain(p.set.timeout + 100*time.Millisecond)
	// A call still out (in a host function past the drain) has its memory
	// unmapped when it returns (instance.freeMemory).
	_ = p.rt.Close(context.Background())
}

// closeSlots closes the instances made so far by a failed fill.
func (p *Plugin) closeSlots() {
	for i := range p.slots {
		if inst := p.slots[i].Load(); inst != nil {
			inst.close()
		}
	}
}

// drain collects every slot token, closing the instances, for up to
// grace.
func (p *Plugin) drain(grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	n := 0
	for inst := p.takeHot(); inst != nil; inst = p.takeHot() {
		inst.close()
		n++
	}
	for ; n < cap(p.free); n++ {
		select {
		case inst := <-p.free:
			if inst != nil {
				inst.close()
			}
		case <-t.C:
			return
		}
	}
}

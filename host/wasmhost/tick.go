package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/relayd/relayd/sdk/abi"
)

// Ticks (ABI.md, "Tick"): a plugin that exports relayd_on_tick, and asks
// for it in relayd_init's mask, is called every tick_ms by one goroutine
// of its own, on an instance of its own, so that:
//   - ticks never overlap: one goroutine runs them one after the other,
//     the next tick_ms after the previous one ended, and a per-name lock
//     held by the Manager across versions keeps the next version's first
//     tick from starting while the old version's last one runs;
//   - a tick never holds up a hook: the pool's instances stay the hooks';
//   - a tick has its own deadline (tick_timeout_ms), enforced by a timer
//     that interrupts the instance, as limitation's is; the watchdog skips
//     it (its call state is stateInitializing, never stale);
//   - a failed tick is logged through the flood cap (msgTickFailed, kinds
//     tick_failed, tick_timeout...) and counted in the plugin's QueryStats, but not in the
//     breaker: the breaker makes the hooks fail fast, and a broken tick
//     leaves the hooks working on what the last good tick left.

// msgTickFailed is the line about a failed tick, capped by floodHandler.
const msgTickFailed = "plugin tick failed"

// errTickFailed: relayd_on_tick returned a negative value.
var errTickFailed = errors.New("tick returned an error")

// ticker is a plugin's tick goroutine's state.
type ticker struct {
	mu   *sync.Mutex // the Manager's lock for the plugin's name
	inst *instance   // the tick instance; the tick goroutine's own
	// running is the instance of the tick in progress, for close.
	running sync.Mutex
	cur     *instance
	done    chan struct{} // closed when the goroutine has ended
	// stop is closed when the plugin leaves the chain: no tick starts
	// after it, though the plugin's calls in flight go on.
	stop     chan struct{}
	stopOnce sync.Once
}

// ticks reports whether the host calls p's relayd_on_tick: exported, and
// asked for by relayd_init's mask (mask is HookMaskAll plus the tick bit
// without relayd_init).
func (p *Plugin) ticksWanted(mask abi.HookMask) bool {
	return p.ex.tick && mask.Has(abi.HookTick)
}

// startTick starts p's tick goroutine if p ticks. lock is shared by the
// versions of the plugin. It is called once, when the plugin enters the
// chain.
func (p *Plugin) startTick(lock *sync.Mutex) {
	if !p.ticks || p.tk != nil {
		return
	}
	p.tk = &ticker{mu: lock, done: make(chan struct{}), stop: make(chan struct{})}
	go p.tickLoop()
}

// tickLoop runs the ticks until the plugin closes.
func (p *Plugin) tickLoop() {
	tk := p.tk
	defer close(tk.done)
	defer func() {
		if tk.inst != nil {
			tk.inst.close()
		}
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-tk.stop:
			return
		case <-t.C:
		}
		tk.mu.Lock()
		select {
		case <-p.done: // closed or replaced while another version ticked
			tk.mu.Unlock()
			return
		case <-tk.stop:
			tk.mu.Unlock()
			return
		default:
		}
		err := p.tickOnce()
		tk.mu.Unlock()
		if err != nil && !errors.Is(err, ErrClosed) {
			p.log.Warn(msgTickFailed, "err", err)
		}
		t.Reset(p.set.tickEvery)
	}
}

// tickOnce runs one tick, making the tick instance first if there is
// none, and drops the instance if the tick broke it or it grew too big.
func (p *Plugin) tickOnce() error {
	tk := p.tk
	if tk.inst == nil {
		inst, _, err := p.newInstance(context.Background(), -1)
		if err != nil {
			p.stats.observeTick(0, true)
			return fmt.Errorf("tick instance: %w", err)
		}
		tk.inst = inst
	}
	inst := tk.inst
	tk.running.Lock()
	tk.cur = inst
	tk.running.Unlock()
	start := time.Now()
	err := inst.tick(p.set.tickTime)
	p.stats.observeTick(time.Since(start), err != nil)
	tk.running.Lock()
	tk.cur = nil
	tk.running.Unlock()
	if err != nil && !errors.Is(err, errTickFailed) || inst.mem.committed > int(p.layout.recycle) {
		inst.close()
		tk.inst = nil
	}
	return err
}

// tick calls relayd_on_tick once with deadline d.
func (inst *instance) tick(d time.Duration) error {
	inst.cur = curTick
	defer inst.reset()
	if !inst.beginCall(stateInitializing) {
		return ErrClosed
	}
	t := time.AfterFunc(d, inst.interrupt)
	r, err := inst.mod.ExportedFunction(abi.ExportOnTick).Call(inst.ctx)
	t.Stop()
	if _, closed := inst.endCall(stateInitializing); closed && err == nil {
		err = ErrClosed
	}
	if err != nil {
		return fmt.Errorf("export %q: %w", abi.ExportOnTick, inst.callErr(err))
	}
	if api.DecodeI32(r[0]) < 0 {
		msg := "no reason given"
		if inst.outSet&(1<<abi.OutputMessage) != 0 {
			msg = string(inst.out[abi.OutputMessage])
		}
		return fmt.Errorf("%w: %s", errTickFailed, msg)
	}
	return nil
}

// retireTick stops p's ticks from starting: p left the chain. A tick in
// progress runs to its end (its result may still be useful to the
// version that replaces p, whose first tick waits for it).
func (p *Plugin) retireTick() {
	if tk := p.tk; tk != nil {
		tk.stopOnce.Do(func() { close(tk.stop) })
	}
}

// stopTick interrupts a tick in progress and waits, at most wait, for the
// tick goroutine to end. p.done is closed.
func (p *Plugin) stopTick(wait time.Duration) {
	tk := p.tk
	if tk == nil {
		return
	}
	tk.running.Lock()
	if tk.cur != nil {
		tk.cur.interrupt()
	}
	tk.running.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-tk.done:
	case <-t.C:
	}
}

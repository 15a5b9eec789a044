package wasmhost

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Restart policy: after a failed start the next attempt waits
// startRetry, doubling; from the startFailLimit-th consecutive failure on,
// the plugin is parked: one attempt per startPark, doubling up to
// startParkMax, so a plugin whose instances cannot start costs almost
// nothing. A success resets it.
const (
	startRetry     = 100 * time.Millisecond
	startFailLimit = 3
	startPark      = 30 * time.Second
	startParkMax   = 10 * time.Minute
)

// starts serialises a plugin's instance restarts and counts their
// consecutive failures.
type starts struct {
	mu    sync.Mutex // held for a whole attempt: one restart at a time
	fails int        // consecutive failures; mu
	next  time.Time  // no attempt before; mu
	// failing is fails > 0, for acquire.
	failing atomic.Bool
}

// delay is the wait after the n-th consecutive failure.
func startDelay(n int) time.Duration {
	if n < startFailLimit {
		return startRetry << (n - 1)
	}
	return min(startPark<<min(n-startFailLimit, 8), startParkMax)
}

// refill makes a new instance for slot (see starts). The slot's token goes
// back to the pool: the new instance, or nil once the plugin is closed.
func (p *Plugin) refill(slot int) {
	defer p.refilling.Add(-1)
	for {
		p.st.mu.Lock()
		if wait := time.Until(p.st.next); wait > 0 {
			p.st.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-p.done:
				t.Stop()
				p.free <- nil
				return
			case <-t.C:
			}
			continue
		}
		select {
		case <-p.done:
			p.st.mu.Unlock()
			p.free <- nil
			return
		default:
		}
		inst, _, err := p.newInstance(context.Background(), slot)
		p.started(err)
		p.st.mu.Unlock()
		if err == nil {
			p.slots[slot].Store(inst)
			p.live.Add(1)
			p.free <- inst
			return
		}
	}
}

// started records the result of a restart, with p.st.mu held, and logs
// the first failure of a run, the one that parks the plugin, and the
// recovery.
func (p *Plugin) started(err error) {
	st := &p.st
	if err == nil {
		if st.fails > 0 {
			p.log.Info("plugin instance started again", "file", p.file, "after_failures", st.fails)
		}
		st.fails, st.next = 0, time.Time{}
		st.failing.Store(false)
		return
	}
	st.fails++
	st.failing.Store(true)
	wait := startDelay(st.fails)
	st.next = time.Now().Add(wait)
	p.failed(0, err)
	switch {
	case st.fails == startFailLimit:
		p.log.Error("plugin instances keep failing to start: no more restarts until the retry; calls fail fast while no instance runs",
			"file", p.file, "failures", st.fails, "retry_in", wait, "err", err)
	default:
		p.log.Warn(msgStartFailed, "file", p.file, "failures", st.fails, "retry_in", wait, "err", err)
	}
}

// msgStartFailed is logged for failed restarts (capped, see floodLimiter).
const msgStartFailed = "plugin instance failed to start"

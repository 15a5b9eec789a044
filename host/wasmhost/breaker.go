package wasmhost

import (
	"sync"
	"sync/atomic"
	"time"
)

// Breaker settings: tripFailures failures within tripWindow trip the
// plugin for a backoff that starts at backoffMin and doubles on each trip
// up to backoffMax. A plugin that stays healthy for two backoffs starts
// again from backoffMin.
const (
	tripFailures = 5
	tripWindow   = 10 * time.Second
	backoffMin   = time.Second
	backoffMax   = time.Minute
)

// breaker is a plugin's circuit breaker. open is the hot-path check: one
// atomic load while the breaker is closed.
type breaker struct {
	until    atomic.Int64 // unix ns the trip ends; 0 when not tripped
	mu       sync.Mutex
	fails    [tripFailures]int64 // ring of failure times
	next     int
	backoff  time.Duration
	lastTrip time.Time
}

// open reports whether calls must fail fast.
func (b *breaker) open() bool {
	u := b.until.Load()
	if u == 0 {
		return false
	}
	if time.Now().UnixNano() < u {
		return true
	}
	b.until.CompareAndSwap(u, 0)
	return false
}

// fail records a failure at now. It reports whether this failure tripped
// the breaker, and for how long.
func (b *breaker) fail(now time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails[b.next] = now.UnixNano()
	b.next = (b.next + 1) % tripFailures
	oldest := b.fails[b.next] // the failure tripFailures-1 failures ago
	if oldest == 0 || now.UnixNano()-oldest > int64(tripWindow) || b.until.Load() != 0 {
		return 0, false
	}
	switch {
	case b.backoff == 0 || now.Sub(b.lastTrip) > 2*b.backoff+tripWindow:
		b.backoff = backoffMin
	default:
		b.backoff = min(2*b.backoff, backoffMax)
	}
	b.lastTrip = now
	b.fails = [tripFailures]int64{}
	b.until.Store(now.Add(b.backoff).UnixNano())
	return b.backoff, true
}

package badgerstore

import (
	"fmt"
	"sync/atomic"
)

// diskCheckBytes is how much the writer may write between two measures of
// the free space, on top of the periodic check: with a batch of at most
// MaxBatchBytes, ingest overshoots the reserve by at most this plus one
// batch (and badger's keys for it).
const diskCheckBytes = 1 << 20

// diskGuard tracks the free space on the store's filesystem against the
// reserve. low is read by every write; check is called by Open, by the
// writer before a batch (every diskCheckBytes written, and on every batch
// while the store is read-only) and by the monitor's ticker.
type diskGuard struct {
	dir     string
	free    func(dir string) (uint64, error)
	reserve uint64 // below: low
	resume  uint64 // at or above: not low any more

	low      atomic.Bool
	last     atomic.Uint64 // free bytes at the last successful check
	failed   atomic.Bool   // the last check failed
	refused  atomic.Uint64 // writes refused with ErrDiskFull
	unlogged int64         // bytes written since the last check; writer only
}

// newDiskGuard returns nil when the reserve is disabled (negative).
func newDiskGuard(dir string, o *Options) *diskGuard {
	if o.DiskReserve < 0 {
		return nil
	}
	r := uint64(o.DiskReserve)
	return &diskGuard{dir: dir, free: o.FreeSpace, reserve: r, resume: r + r/10}
}

// check measures the free space and updates low, with hysteresis: low
// starts below reserve and ends at resume. A failed measure keeps the
// state and is returned.
func (g *diskGuard) check() error {
	if g == nil {
		return nil
	}
	free, err := g.free(g.dir)
	if err != nil {
		g.failed.Store(true)
		return fmt.Errorf("badgerstore: free space on %s: %w", g.dir, err)
	}
	g.failed.Store(false)
	g.last.Store(free)
	if free < g.reserve {
		g.low.CompareAndSwap(false, true)
	} else if free >= g.resume {
		g.low.CompareAndSwap(true, false)
	}
	return nil
}

// isLow reports whether writes must stop.
func (g *diskGuard) isLow() bool { return g != nil && g.low.Load() }

// wrote counts n bytes written, and measures the free space again when
// diskCheckBytes have been written since the last time. Writer only.
func (g *diskGuard) wrote(n int) error {
	if g == nil {
		return nil
	}
	g.unlogged += int64(n)
	if g.unlogged < diskCheckBytes {
		return nil
	}
	g.unlogged = 0
	return g.check()
}

// mib formats a byte count for logs and errors.
func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

package wasmhost

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// errAccountFull: the plugin's memory account cannot cover a new instance
// (see account).
var errAccountFull = errors.New("plugin memory account full")

// account is a plugin's memory account: the committed linear memory of
// all its instances plus one stack budget per instance, against a limit of
// pool × memory_mb. A grow that would pass the limit fails (memory.grow
// returns -1), so the bound holds even if more instances than the pool
// were alive at once. Safe for concurrent use.
type account struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64
}

// charge takes n bytes from the account; false if that would pass the
// limit.
func (a *account) charge(n int64) bool {
	for {
		u := a.used.Load()
		if u+n > a.limit {
			return false
		}
		if a.used.CompareAndSwap(u, u+n) {
			for p := a.peak.Load(); u+n > p && !a.peak.CompareAndSwap(p, u+n); p = a.peak.Load() {
			}
			return true
		}
	}
}

func (a *account) credit(n int64) { a.used.Add(-n) }

// linearMemory is the linear memory of one instance, outside the Go heap:
// the instance's maximum is reserved at once as address space only
// (reserveMemory: mmap PROT_NONE and MAP_NORESERVE, or VirtualAlloc
// MEM_RESERVE on Windows), Reallocate makes pages accessible
// in place (the memory never moves or copies on grow), and release unmaps
// it, returning it to the OS the moment the instance closes. Committed
// bytes and the instance's stack budget are charged to the plugin's
// account.
//
// wazero calls Reallocate from the guest's goroutine and Free when the
// module closes, which can be from another goroutine while a call still
// runs (Runtime.Close after a drain timed out); Free therefore defers to
// the instance (instance.freeMemory), which unmaps only once no call is
// running, since a guest touching unmapped memory would crash the
// process.
type linearMemory struct {
	inst      *instance
	acct      *account
	buf       []byte // the reservation
	committed int
	stack     int64 // the stack budget charged with this memory
	once      sync.Once
}

var _ experimental.LinearMemory = (*linearMemory)(nil)

// newLinearMemory reserves max bytes, makes the first initial bytes
// accessible and charges initial + stack to acct.
func newLinearMemory(inst *instance, acct *account, initial, max int, stack int64) (*linearMemory, error) {
	if !acct.charge(int64(initial) + stack) {
		return nil, fmt.Errorf("%w: %d bytes in use of %d", errAccountFull, acct.used.Load(), acct.limit)
	}
	m := &linearMemory{inst: inst, acct: acct, stack: stack}
	if max > 0 {
		buf, err := reserveMemory(max)
		if err != nil {
			acct.credit(int64(initial) + stack)
			return nil, fmt.Errorf("reserve %d bytes of linear memory: %w", max, err)
		}
		m.buf = buf
	}
	if initial > 0 {
		if err := commitMemory(m.buf[:initial]); err != nil {
			acct.credit(int64(initial))
			m.release()
			return nil, fmt.Errorf("commit %d bytes of linear memory: %w", initial, err)
		}
	}
	m.committed = initial
	return m, nil
}

// Reallocate implements experimental.LinearMemory: it makes the first
// size bytes accessible, in place, or returns nil past the reservation or
// the account's limit (memory.grow then returns -1).
func (m *linearMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	n := int(size)
	if n <= m.committed {
		return m.buf[:n:n]
	}
	delta := int64(n - m.committed)
	if !m.acct.charge(delta) {
		return nil
	}
	if err := commitMemory(m.buf[m.committed:n]); err != nil {
		m.acct.credit(delta)
		return nil
	}
	m.committed = n
	return m.buf[:n:n]
}

// Free implements experimental.LinearMemory (see linearMemory).
func (m *linearMemory) Free() { m.inst.freeMemory() }

// release unmaps the memory and credits the account, once. It runs with
// no call in flight (see instance.freeMemory), so committed is stable; it
// writes no field, since the owner may still read them.
func (m *linearMemory) release() {
	m.once.Do(func() {
		if m.buf != nil {
			_ = releaseMemory(m.buf)
		}
		m.acct.credit(int64(m.committed) + m.stack)
	})
}

// allocator hands wazero the instance's pre-made memory (made before
// instantiation, so that its errors are load errors rather than a panic
// inside wazero).
type allocator struct{ mem *linearMemory }

// Allocate implements experimental.MemoryAllocator. The reservation is the
// module's maximum as memoryLayout computed it, which is wazero's max too;
// were it ever smaller, grows past it would just fail.
func (a *allocator) Allocate(_, _ uint64) experimental.LinearMemory {
	if a.mem == nil {
		panic("BUG: wasmhost: a second memory allocated for one instance")
	}
	m := a.mem
	a.mem = nil
	return m
}

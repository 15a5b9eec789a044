// Package preempt rewrites a WebAssembly module so that a host can stop
// it cheaply from another goroutine, and so that its call stack stays
// within a budget.
//
// wazero v1.12.0 can interrupt a running guest only with
// WithCloseOnContextDone, which makes every loop back-edge exit to Go (a
// tight loop runs ~48× slower), checks nowhere else (a recursive function
// without loops is never stopped) and makes every call spawn a goroutine
// (~1 µs). Instrument instead adds three globals (an exported stop flag, a
// countdown and a stack budget) and code at two places:
//
//   - At every loop head and at the entry of every function that makes
//     calls, the countdown. Every
//     4,096 ticks its rare branch leaves compiled code for the Go runtime
//     (a memory.grow of 0 pages), so that a spinning guest can be
//     descheduled and the watchdog that sets the stop flag gets to run,
//     then traps if the flag is set. Any code that runs long either loops
//     or calls (recursion without loops does not end by itself: fib(60)
//     makes 3·10^12 calls), so setting the flag stops every guest within
//     4,096 ticks, each of which runs at most one function body of
//     straight-line code and the leaf functions it calls (host functions
//     are bounded by the host).
//   - At the same entries, the frame's estimated size (FrameBytes) is
//     taken from the budget, and given back at every exit (the body is
//     wrapped in a block, so branches to the function's label exit through
//     it; return and return_call* give it back first). A call that takes
//     the budget below zero sets the stop flag to StackExhausted and traps,
//     long before wazero's own stack ceiling (tens of MB of native stack
//     and a second or more of work).
//
// Leaf functions (no call instruction) get neither: see isLeaf. A trap
// discards the instance, so the budget needs no repair after one.
// Exception handling (try, throw, try_table) would unwind frames without
// giving their budget back, so modules that use it are refused.
//
// Instrument decodes every instruction. It refuses modules it cannot
// fully decode (ErrUnsupported), and the caller falls back to
// WithCloseOnContextDone plus a function listener that makes the same
// checks at every call (see Frames).
package preempt

import (
	"errors"
	"fmt"
)

// ErrUnsupported: the module uses an encoding Instrument does not decode.
var ErrUnsupported = errors.New("preempt: unsupported module")

// Values of the stop global. The host sets StopRequested; the guest sets
// StackExhausted just before it traps on its stack budget, so the host
// can tell the two traps from any other.
const (
	StopRequested  int32 = 1
	StackExhausted int32 = 2
)

// Options configure Instrument.
type Options struct {
	// Export is the name the stop global is exported under.
	Export string
	// StackBytes is the stack budget of one call into the module, in the
	// estimated bytes of FrameBytes; at least 1.
	StackBytes uint32
}

// yieldEvery is how many ticks (loop iterations and function entries)
// pass between two exits to Go.
const yieldEvery = 4096

// Instrument returns a copy of bin with the stop global exported as
// o.Export, the countdown at every loop head and function entry, and the
// stack budget of o.StackBytes.
func Instrument(bin []byte, o Options) ([]byte, error) {
	if o.StackBytes == 0 || o.StackBytes > 1<<30 {
		return nil, fmt.Errorf("preempt: stack budget %d out of range", o.StackBytes)
	}
	m, err := parseModule(bin)
	if err != nil {
		return nil, err
	}
	if !m.hasMemory {
		return nil, fmt.Errorf("%w: no memory (the yield needs memory.grow)", ErrUnsupported)
	}
	if taken, err := m.exports(o.Export); err != nil {
		return nil, err
	} else if taken {
		return nil, fmt.Errorf("%w: the module already exports %q", ErrUnsupported, o.Export)
	}
	stop := m.importedGlobals + m.definedGlobals
	g := globals{stop: stop, ticks: stop + 1, budget: stop + 2}
	bts, extra := m.blockTypes()
	secs := append([]section(nil), m.secs...)
	if !m.hasGlobal {
		secs = insertBefore(secs, section{id: secGlobal, body: []byte{0}}, secExport, 8, 9, 12, secCode, 11)
	}
	if !m.hasExport {
		secs = insertBefore(secs, section{id: secExport, body: []byte{0}}, 8, 9, 12, secCode, 11)
	}
	out := append([]byte(nil), bin[:8]...)
	for _, s := range secs {
		switch s.id {
		case secType:
			for _, t := range extra {
				s.body = appendToVec(s.body, t)
			}
		case secGlobal:
			s.body = appendToVec(s.body, []byte{0x7f, 0x01, 0x41, 0x00, 0x0b})                            // $stop: (mut i32) (i32.const 0)
			s.body = appendToVec(s.body, append(appendS32([]byte{0x7f, 0x01, 0x41}, yieldEvery-1), 0x0b)) // $ticks
			s.body = appendToVec(s.body, append(appendS32([]byte{0x7f, 0x01, 0x41}, int32(o.StackBytes)), 0x0b))
		case secExport:
			e := append(appendName(nil, o.Export), 0x03) // global
			s.body = appendToVec(s.body, appendU32(e, stop))
		case secCode:
			if s.body, err = m.instrumentCode(s.body, bts, g); err != nil {
				return nil, err
			}
		}
		out = append(out, s.id)
		out = appendU32(out, uint32(len(s.body)))
		out = append(out, s.body...)
	}
	return out, nil
}

// blockTypes returns, for each defined function, the block type of its
// results, and the function types (encoded) to add to the type section
// for functions with more than one result.
func (m *module) blockTypes() (bts [][]byte, extra [][]byte) {
	added := map[string]uint32{}
	for _, ti := range m.funcs {
		res := m.types[ti].results
		switch len(res) {
		case 0:
			bts = append(bts, []byte{0x40})
			continue
		case 1:
			bts = append(bts, res[0])
			continue
		}
		enc := appendU32(nil, uint32(len(res)))
		for _, v := range res {
			enc = append(enc, v...)
		}
		idx, ok := added[string(enc)]
		if !ok {
			idx = uint32(len(m.types) + len(extra))
			added[string(enc)] = idx
			extra = append(extra, append([]byte{0x60, 0x00}, enc...))
		}
		bts = append(bts, appendS32(nil, int32(idx)))
	}
	return bts, extra
}

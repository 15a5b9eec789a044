// Package preempt rewrites a WebAssembly module so that a host can stop it
// cheaply from another goroutine.
//
// wazero v1.12.0 can interrupt a running guest only with
// WithCloseOnContextDone, which makes every loop back-edge exit to Go (a
// tight loop runs ~48× slower) and every call spawn a goroutine (~1 µs).
// Instrument instead adds one exported mutable i32 global and, at the head
// of every loop (and at the entry of every function when the module uses
// tail calls), a countdown whose rare branch checks the global and traps
// (see checkCode). The common path costs a few instructions. Setting the global to 1 makes the guest
// trap at its next loop iteration; the host then discards the instance.
// Straight-line code and recursion end by themselves (the stack is
// bounded); host functions are bounded by the host.
//
// Every yieldEvery iterations the check also leaves compiled code for the
// Go runtime (a memory.grow of 0 pages), so that a spinning guest can be
// descheduled and the watchdog that sets the global gets to run.
//
// Instrument decodes every instruction to find the loops. It refuses
// modules it cannot fully decode (ErrUnsupported), and the caller falls
// back to WithCloseOnContextDone.
package preempt

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrUnsupported: the module uses an encoding Instrument does not decode.
var ErrUnsupported = errors.New("preempt: unsupported module")

const (
	secImport = 2
	secMemory = 5
	secGlobal = 6
	secExport = 7
	secCode   = 10
)

type section struct {
	id   byte
	body []byte
}

// Instrument returns a copy of bin with the stop global exported as
// exportName and a check at every loop head.
func Instrument(bin []byte, exportName string) ([]byte, error) {
	if len(bin) < 8 || !bytes.Equal(bin[:8], []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
		return nil, fmt.Errorf("%w: not a wasm 1.0 binary", ErrUnsupported)
	}
	secs, err := sections(bin[8:])
	if err != nil {
		return nil, err
	}
	var importedGlobals, definedGlobals uint32
	hasGlobal, hasExport, hasMemory := false, false, false
	for _, s := range secs {
		switch s.id {
		case secImport:
			var mems uint32
			if importedGlobals, mems, err = countImports(s.body); err != nil {
				return nil, err
			}
			hasMemory = hasMemory || mems > 0
		case secMemory:
			hasMemory = hasMemory || len(s.body) > 0 && s.body[0] > 0
		case secGlobal:
			hasGlobal = true
			r := reader{b: s.body}
			definedGlobals = r.u32()
			if r.err != nil {
				return nil, r.err
			}
		case secExport:
			hasExport = true
			if err := checkExportFree(s.body, exportName); err != nil {
				return nil, err
			}
		}
	}
	if !hasMemory {
		return nil, fmt.Errorf("%w: no memory (the yield needs memory.grow)", ErrUnsupported)
	}
	idx := importedGlobals + definedGlobals // $stop; idx+1 is $ticks
	if !hasGlobal {
		secs = insertBefore(secs, section{id: secGlobal, body: []byte{0}}, secExport, 8, 9, 12, secCode, 11)
	}
	if !hasExport {
		secs = insertBefore(secs, section{id: secExport, body: []byte{0}}, 8, 9, 12, secCode, 11)
	}
	out := append([]byte(nil), bin[:8]...)
	for _, s := range secs {
		switch s.id {
		case secGlobal:
			s.body = appendToVec(s.body, []byte{0x7f, 0x01, 0x41, 0x00, 0x0b}) // $stop: (mut i32) (i32.const 0)
			ticks := appendS32([]byte{0x7f, 0x01, 0x41}, yieldEvery)
			s.body = appendToVec(s.body, append(ticks, 0x0b)) // $ticks
		case secExport:
			e := appendName(nil, exportName)
			e = append(e, 0x03) // global
			s.body = appendToVec(s.body, appendU32(e, idx))
		case secCode:
			if s.body, err = instrumentCode(s.body, idx); err != nil {
				return nil, err
			}
		}
		out = append(out, s.id)
		out = appendU32(out, uint32(len(s.body)))
		out = append(out, s.body...)
	}
	return out, nil
}

func sections(b []byte) ([]section, error) {
	var out []section
	r := reader{b: b}
	for r.err == nil && r.off < len(r.b) {
		id := r.byte()
		n := r.u32()
		body := r.bytes(int(n))
		out = append(out, section{id: id, body: body})
	}
	return out, r.err
}

// insertBefore puts s before the first section whose id is one of ids.
func insertBefore(secs []section, s section, ids ...byte) []section {
	for i, x := range secs {
		if bytes.IndexByte(ids, x.id) >= 0 {
			return append(secs[:i], append([]section{s}, secs[i:]...)...)
		}
	}
	return append(secs, s)
}

// appendToVec returns vec (a count followed by items) with item added.
func appendToVec(vec, item []byte) []byte {
	r := reader{b: vec}
	n := r.u32()
	out := appendU32(nil, n+1)
	out = append(out, vec[r.off:]...)
	return append(out, item...)
}

// countImports returns the number of imported globals and memories.
func countImports(b []byte) (globals, memories uint32, err error) {
	r := reader{b: b}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		r.name()
		r.name()
		switch r.byte() {
		case 0x00: // func
			r.u32()
		case 0x01: // table
			r.s33()
			r.limits()
		case 0x02: // memory
			r.limits()
			memories++
		case 0x03: // global
			r.s33()
			r.byte()
			globals++
		case 0x04: // tag
			r.byte()
			r.u32()
		default:
			return 0, 0, fmt.Errorf("%w: import kind", ErrUnsupported)
		}
	}
	return globals, memories, r.err
}

func checkExportFree(b []byte, name string) error {
	r := reader{b: b}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		if r.name() == name {
			return fmt.Errorf("%w: the module already exports %q", ErrUnsupported, name)
		}
		r.byte()
		r.u32()
	}
	return r.err
}

// yieldEvery is how many loop iterations pass between two exits to Go.
const yieldEvery = 4096

// checkCode is the sequence inserted at each loop head:
//
//	global.get $ticks  i32.const 1  i32.sub  global.set $ticks
//	global.get $ticks  i32.eqz
//	if
//	  i32.const yieldEvery  global.set $ticks
//	  i32.const 0  memory.grow  drop
//	  global.get $stop
//	  if  unreachable  end
//	end
//
// The memory.grow by 0 pages is a no-op that leaves compiled code for the
// Go runtime, where the goroutine can be preempted: compiled wasm cannot
// be preempted asynchronously, so without it guests spinning on every P
// would starve the watchdog itself.
func checkCode(stop uint32) []byte {
	ticks := stop + 1
	b := appendU32([]byte{0x23}, ticks)
	b = append(b, 0x41, 0x01, 0x6b, 0x24)
	b = appendU32(b, ticks)
	b = append(b, 0x23)
	b = appendU32(b, ticks)
	b = append(b, 0x45, 0x04, 0x40, 0x41)
	b = appendS32(b, yieldEvery)
	b = append(b, 0x24)
	b = appendU32(b, ticks)
	b = append(b, 0x41, 0x00, 0x40, 0x00, 0x1a, 0x23)
	b = appendU32(b, stop)
	return append(b, 0x04, 0x40, 0x00, 0x0b, 0x0b)
}

// instrumentCode rewrites every function body of the code section.
func instrumentCode(b []byte, global uint32) ([]byte, error) {
	check := checkCode(global)
	r := reader{b: b}
	n := r.u32()
	out := appendU32(nil, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		size := r.u32()
		body, err := instrumentBody(r.bytes(int(size)), check)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out, r.err
}

func instrumentBody(b []byte, check []byte) ([]byte, error) {
	r := reader{b: b}
	for n := r.u32(); n > 0 && r.err == nil; n-- { // locals
		r.u32()
		r.s33()
	}
	if r.err != nil {
		return nil, r.err
	}
	out := make([]byte, 0, len(b)+len(b)/8)
	out = append(out, b[:r.off]...)
	tail := false
	for r.off < len(r.b) {
		start := r.off
		op := r.byte()
		if err := skipImmediates(&r, op); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		out = append(out, r.b[start:r.off]...)
		switch op {
		case 0x03: // loop
			out = append(out, check...)
		case 0x12, 0x13, 0x15: // return_call*
			tail = true
		}
	}
	if tail { // a tail-call cycle has no loop: check on every entry too
		locals := startOfCode(b)
		return append(append(append([]byte(nil), out[:locals]...), check...), out[locals:]...), nil
	}
	return out, nil
}

// startOfCode returns the offset of the first instruction of a body.
func startOfCode(b []byte) int {
	r := reader{b: b}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		r.u32()
		r.s33()
	}
	return r.off
}

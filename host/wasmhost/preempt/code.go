package preempt

import "fmt"

// globals are the indices of the three globals Instrument adds.
type globals struct{ stop, ticks, budget uint32 }

// Opcodes the inserted code uses.
const (
	opUnreachable = 0x00
	opIf          = 0x04
	opEnd         = 0x0b
	opDrop        = 0x1a
	opGlobalGet   = 0x23
	opGlobalSet   = 0x24
	opMemoryGrow  = 0x40
	opI32Const    = 0x41
	opI32LtS      = 0x48
	opI32Add      = 0x6a
	opI32Sub      = 0x6b
	opI32Or       = 0x72
	blockEmpty    = 0x40
)

type code []byte

func (c code) get(g uint32) code      { return appendU32(append(c, opGlobalGet), g) }
func (c code) set(g uint32) code      { return appendU32(append(c, opGlobalSet), g) }
func (c code) i32(v int32) code       { return appendS32(append(c, opI32Const), v) }
func (c code) op(ops ...byte) code    { return append(c, ops...) }
func (c code) if_(body code) code     { return append(append(c, opIf, blockEmpty), append(body, opEnd)...) }
func (c code) negative(g uint32) code { return c.get(g).i32(0).op(opI32LtS) }

// tick counts one tick down: ticks -= 1.
func (g globals) tick(c code) code { return c.get(g.ticks).i32(1).op(opI32Sub).set(g.ticks) }

// yield is the countdown's rare branch: reset the countdown, leave
// compiled code (memory.grow 0 is a no-op that exits to the Go runtime,
// where the goroutine can be preempted: compiled wasm cannot be preempted
// asynchronously, so guests spinning on every P would otherwise starve
// the watchdog itself), then trap if the host asked to stop.
func (g globals) yield() code {
	c := code(nil).i32(yieldEvery - 1).set(g.ticks)
	c = c.i32(0).op(opMemoryGrow, 0x00, opDrop)
	return c.get(g.stop).if_(code{opUnreachable})
}

// loopCheck is inserted at each loop head:
//
//	ticks -= 1; if ticks < 0 { yield }
func (g globals) loopCheck() code {
	return g.tick(nil).negative(g.ticks).if_(g.yield())
}

// entry is inserted at the entry of a function whose frame is w bytes:
//
//	ticks -= 1; budget -= w
//	if (ticks | budget) < 0 {
//	  if ticks < 0 { yield }
//	  if budget < 0 { stop = StackExhausted; unreachable }
//	}
//
// One branch on the common path.
func (g globals) entry(w int32) code {
	c := g.tick(nil)
	c = c.get(g.budget).i32(w).op(opI32Sub).set(g.budget)
	c = c.get(g.ticks).get(g.budget).op(opI32Or).i32(0).op(opI32LtS)
	slow := code(nil).negative(g.ticks).if_(g.yield())
	slow = slow.negative(g.budget).if_(code(nil).i32(StackExhausted).set(g.stop).op(opUnreachable))
	return c.if_(slow)
}

// exit gives a frame's w bytes back: budget += w.
func (g globals) exit(w int32) code { return code(nil).get(g.budget).i32(w).op(opI32Add).set(g.budget) }

// instrumentCode rewrites every function body of the code section.
func (m *module) instrumentCode(b []byte, bts [][]byte, g globals) ([]byte, error) {
	r := reader{b: b}
	n := r.u32()
	if int(n) != len(m.funcs) {
		return nil, fmt.Errorf("%w: %d bodies for %d functions", ErrUnsupported, n, len(m.funcs))
	}
	loop := g.loopCheck()
	out := appendU32(nil, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		size := r.u32()
		body, err := instrumentBody(r.bytes(int(size)), m.paramBytes(i), bts[i], g, loop)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out, r.err
}

// instrumentBody rewrites one body (locals, then instructions ending with
// the function's end) as
//
//	locals  entry  block bt  instructions…  end  exit  end
//
// with the loop check after every loop and exit before every return and
// return_call*. The original final end closes the added block, so a
// branch to the function's label now lands on exit. A leaf (see isLeaf)
// only gets the loop checks.
func instrumentBody(b []byte, params uint32, bt []byte, g globals, loop code) ([]byte, error) {
	r := reader{b: b}
	w := uint64(params) + localBytes(&r)
	if r.err != nil {
		return nil, r.err
	}
	if len(b) == r.off || b[len(b)-1] != opEnd {
		return nil, fmt.Errorf("%w: body does not end with end", ErrUnsupported)
	}
	leaf, err := isLeaf(r)
	if err != nil {
		return nil, err
	}
	frame := int32(min(w, maxFrame))
	exit := g.exit(frame)
	out := make([]byte, 0, len(b)+len(b)/4+64)
	out = append(out, b[:r.off]...)
	if !leaf {
		out = append(out, g.entry(frame)...)
		out = append(append(out, 0x02), bt...) // block bt
	}
	for r.off < len(r.b) {
		start := r.off
		op := r.byte()
		if err := skipImmediates(&r, op); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		switch op {
		case 0x0f, 0x12, 0x13, 0x15: // return, return_call*
			if !leaf {
				out = append(out, exit...)
			}
		}
		out = append(out, r.b[start:r.off]...)
		if op == 0x03 { // loop
			out = append(out, loop...)
		}
	}
	if leaf {
		return out, nil
	}
	out = append(out, exit...)
	return append(out, opEnd), nil
}

// isLeaf scans the instructions from r (a copy) and reports whether the
// function makes no call of any kind. A leaf needs neither check: it runs
// straight-line code (its loops have their own check), cannot deepen the
// stack past its own frame, and is entered only from a function that made
// both checks, at most once per call instruction of that function's body.
// It refuses exception handling, which would unwind frames without giving
// their budget back.
func isLeaf(r reader) (bool, error) {
	leaf := true
	for r.off < len(r.b) {
		op := r.byte()
		if err := skipImmediates(&r, op); err != nil {
			return false, err
		}
		switch op {
		case 0x10, 0x11, 0x12, 0x13, 0x14, 0x15: // call call_indirect return_call* call_ref
			leaf = false
		case 0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f:
			return false, fmt.Errorf("%w: exception handling (opcode %#x)", ErrUnsupported, op)
		}
	}
	return leaf, r.err
}

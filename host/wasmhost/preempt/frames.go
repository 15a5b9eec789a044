package preempt

import "fmt"

// frameBase is the estimated native stack of a frame beyond its
// parameters and locals: return address, saved frame pointer and spill
// alignment. Measured on wazero v1.12.0's compiler (amd64): a frame costs
// ~40 bytes with 2 slots, ~55 with 6, ~164 with 18 and ~404 with 50.
const frameBase = 32

// maxFrame caps one frame's estimate, so that sums stay within int32.
const maxFrame = 1 << 30

// FrameBytes is the estimated native stack of one call of a function with
// these parameter and local types (each encoded as in the binary format):
// frameBase plus 8 bytes per slot (16 for v128). It is an estimate: a
// function that keeps many values on the operand stack, or many
// generations of its locals, alive across its calls uses more.
func FrameBytes(types ...[]byte) uint32 {
	n := uint64(frameBase)
	for _, t := range types {
		n += slotBytes(t)
	}
	return uint32(min(n, maxFrame))
}

func slotBytes(t []byte) uint64 {
	if len(t) == 1 && t[0] == 0x7b { // v128
		return 16
	}
	return 8
}

// Frames returns FrameBytes of every function of bin by its index in the
// function index space (imported functions first, with 0), for hosts that
// run a module uninstrumented and keep the same stack budget with a
// function listener. It decodes only the sections and local declarations,
// so it also works for modules Instrument refuses.
func Frames(bin []byte) ([]uint32, error) {
	m, err := parseModule(bin)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, m.importedFuncs, int(m.importedFuncs)+len(m.funcs))
	for _, s := range m.secs {
		if s.id != secCode {
			continue
		}
		r := reader{b: s.body}
		n := r.u32()
		if int(n) != len(m.funcs) {
			return nil, fmt.Errorf("%w: %d bodies for %d functions", ErrUnsupported, n, len(m.funcs))
		}
		for i := range n {
			body := reader{b: r.bytes(int(r.u32()))}
			w := uint64(m.paramBytes(i)) + localBytes(&body)
			if body.err != nil {
				return nil, fmt.Errorf("function %d: %w", i, body.err)
			}
			out = append(out, uint32(min(w, maxFrame)))
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	return out, nil
}

// paramBytes is FrameBytes of defined function i's parameters alone.
func (m *module) paramBytes(i uint32) uint32 { return FrameBytes(m.types[m.funcs[i]].params...) }

// localBytes reads a body's local declarations and returns their
// estimated stack bytes.
func localBytes(r *reader) uint64 {
	var n uint64
	for k := r.u32(); k > 0 && r.err == nil; k-- {
		count := r.u32()
		n += uint64(count) * slotBytes(r.valtype())
	}
	return n
}

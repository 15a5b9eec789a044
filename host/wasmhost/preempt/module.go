package preempt

import (
	"bytes"
	"fmt"
)

const (
	secType     = 1
	secImport   = 2
	secFunction = 3
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secCode     = 10
)

type section struct {
	id   byte
	body []byte
}

// funcType is a function type; each value type is kept as its encoding.
type funcType struct {
	params, results [][]byte
}

// module is what Instrument and Frames need to know about a module.
type module struct {
	secs            []section
	types           []funcType
	funcs           []uint32 // type index of each defined function
	importedFuncs   uint32
	importedGlobals uint32
	definedGlobals  uint32
	hasMemory       bool
	hasGlobal       bool
	hasExport       bool
}

func parseModule(bin []byte) (*module, error) {
	if len(bin) < 8 || !bytes.Equal(bin[:8], []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
		return nil, fmt.Errorf("%w: not a wasm 1.0 binary", ErrUnsupported)
	}
	m := &module{}
	var err error
	if m.secs, err = sections(bin[8:]); err != nil {
		return nil, err
	}
	for _, s := range m.secs {
		r := reader{b: s.body}
		switch s.id {
		case secType:
			m.types = readTypes(&r)
		case secImport:
			m.readImports(&r)
		case secFunction:
			for n := r.u32(); n > 0 && r.err == nil; n-- {
				m.funcs = append(m.funcs, r.u32())
			}
		case secMemory:
			m.hasMemory = m.hasMemory || r.u32() > 0
		case secGlobal:
			m.hasGlobal = true
			m.definedGlobals = r.u32()
		case secExport:
			m.hasExport = true
		}
		if r.err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, r.err)
		}
	}
	for _, t := range m.funcs {
		if int(t) >= len(m.types) {
			return nil, fmt.Errorf("%w: function type %d out of range", ErrUnsupported, t)
		}
	}
	return m, nil
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

// readTypes decodes a type section of plain function types (no GC
// proposal recursion groups or struct and array types).
func readTypes(r *reader) []funcType {
	var out []funcType
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		if r.byte() != 0x60 {
			r.fail(fmt.Errorf("%w: type form other than func", ErrUnsupported))
			return nil
		}
		var t funcType
		for k := r.u32(); k > 0 && r.err == nil; k-- {
			t.params = append(t.params, r.valtype())
		}
		for k := r.u32(); k > 0 && r.err == nil; k-- {
			t.results = append(t.results, r.valtype())
		}
		out = append(out, t)
	}
	return out
}

// readImports counts the imported functions, globals and memories.
func (m *module) readImports(r *reader) {
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		r.name()
		r.name()
		switch r.byte() {
		case 0x00: // func
			r.u32()
			m.importedFuncs++
		case 0x01: // table
			r.valtype()
			r.limits()
		case 0x02: // memory
			r.limits()
			m.hasMemory = true
		case 0x03: // global
			r.valtype()
			r.byte()
			m.importedGlobals++
		case 0x04: // tag
			r.byte()
			r.u32()
		default:
			r.fail(fmt.Errorf("%w: import kind", ErrUnsupported))
		}
	}
}

// exports reports whether the export section names name.
func (m *module) exports(name string) (bool, error) {
	for _, s := range m.secs {
		if s.id != secExport {
			continue
		}
		r := reader{b: s.body}
		for n := r.u32(); n > 0 && r.err == nil; n-- {
			if r.name() == name {
				return true, nil
			}
			r.byte()
			r.u32()
		}
		return false, r.err
	}
	return false, nil
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

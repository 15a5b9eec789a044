package ctest_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// wasmImports returns the function imports of a wasm module as
// "module.name" -> "(i32, i32) -> i32", reading only the type and import
// sections.
func wasmImports(b []byte) (map[string]string, error) {
	if !bytes.HasPrefix(b, []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, errors.New("not a wasm module")
	}
	r := &reader{b: b[8:]}
	var types []string
	out := map[string]string{}
	for len(r.b) > 0 && r.err == nil {
		id, size := r.byte(), r.u32()
		sec := &reader{b: r.bytes(size)}
		switch id {
		case 1:
			for n := sec.u32(); n > 0 && sec.err == nil; n-- {
				types = append(types, sec.funcType())
			}
		case 2:
			for n := sec.u32(); n > 0 && sec.err == nil; n-- {
				mod, name := string(sec.bytes(sec.u32())), string(sec.bytes(sec.u32()))
				if kind := sec.byte(); kind != 0 {
					return nil, fmt.Errorf("import %s.%s is not a function (kind %d)", mod, name, kind)
				}
				if i := sec.u32(); int(i) < len(types) {
					out[mod+"."+name] = types[i]
				}
			}
		}
		if sec.err != nil {
			return nil, sec.err
		}
	}
	return out, r.err
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.err = errors.New("truncated module")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) u32() uint32 { // unsigned LEB128
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint32(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	r.err = errors.New("bad LEB128")
	return 0
}

func (r *reader) bytes(n uint32) []byte {
	if uint32(len(r.b)) < n {
		r.err = errors.New("truncated module")
		n = uint32(len(r.b))
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func (r *reader) funcType() string {
	if r.byte() != 0x60 {
		r.err = errors.New("bad function type")
	}
	names := map[byte]string{0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64"}
	list := func() string {
		var vs []string
		for n := r.u32(); n > 0 && r.err == nil; n-- {
			vs = append(vs, names[r.byte()])
		}
		return strings.Join(vs, ", ")
	}
	params := list()
	return "(" + params + ") -> (" + list() + ")"
}

var watImportRE = regexp.MustCompile(`\(import "(\w+)" "(\w+)" \(func \$\w+((?: \(param \$\w+ \w+\))*)(?: \(result (\w+)\))?\)\)`)
var watParamRE = regexp.MustCompile(`\(param \$\w+ (\w+)\)`)

// abiImports returns the host functions of ABI.md's .wat blocks in the
// form wasmImports uses.
func abiImports(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "abi", "ABI.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range watImportRE.FindAllStringSubmatch(string(b), -1) {
		var ps []string
		for _, p := range watParamRE.FindAllStringSubmatch(m[3], -1) {
			ps = append(ps, p[1])
		}
		out[m[1]+"."+m[2]] = "(" + strings.Join(ps, ", ") + ") -> (" + m[4] + ")"
	}
	return out
}

// TestHeaderImportSignatures compiles testdata/kit.c, which calls every
// import of relayd.h, and checks that the module imports exactly ABI.md's
// host functions with ABI.md's signatures.
func TestHeaderImportSignatures(t *testing.T) {
	cc := clang(t)
	out := filepath.Join(t.TempDir(), "kit.wasm")
	run(t, cc, "--target=wasm32-wasi", "-mexec-model=reactor", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
		"-Wl,--strip-all", "-I", "..", "-o", out, filepath.Join("testdata", "kit.c"), filepath.Join("..", "relayd.c"))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := wasmImports(b)
	if err != nil {
		t.Fatal(err)
	}
	want := abiImports(t)
	if len(want) < 16 {
		t.Fatalf("read only %d imports from ABI.md", len(want))
	}
	for name, sig := range want {
		if got[name] != sig {
			t.Errorf("%s: relayd.h compiles to %q, ABI.md says %q", name, got[name], sig)
		}
	}
	for name, sig := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("kit imports %s %s, which ABI.md does not define", name, sig)
		}
	}
}

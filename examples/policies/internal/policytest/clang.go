//go:build !wasip1

// Package policytest builds the C example policies for their tests (clang
// with sdk/c) and checks that every example keeps the layout of
// examples/policies/README.md. Package internal/testing/plugintest runs
// the built plugins in a relayd.
package policytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// CFlags are the clang flags that build a C plugin: a WASI reactor (so it
// exports _initialize), optimised, without debug sections.
var CFlags = []string{"--target=wasm32-wasi", "-mexec-model=reactor", "-O2", "-Wall", "-Wextra", "-Werror", "-Wl,--strip-all"}

// CPackages are the Debian packages the C toolchain needs.
const CPackages = "clang lld wasi-libc libclang-rt-14-dev-wasm32"

// SDKC returns the directory of the C SDK (sdk/c).
func SDKC() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "sdk", "c")
}

// Clang returns the path of clang. It skips the test if clang is not
// installed, unless RELAYD_REQUIRE_CLANG=1 (as in CI), which makes a
// missing clang a failure.
func Clang(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("clang")
	if err != nil {
		if os.Getenv("RELAYD_REQUIRE_CLANG") == "1" {
			t.Fatalf("clang not found and RELAYD_REQUIRE_CLANG=1: apt-get install %s", CPackages)
		}
		t.Skipf("clang not found; apt-get install %s (RELAYD_REQUIRE_CLANG=1 makes this a failure)", CPackages)
	}
	return p
}

// BuildC compiles the C sources (relative to the test's directory) with
// sdk/c/relayd.c into a plugin and returns the .wasm path.
func BuildC(t testing.TB, srcs ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "plugin.wasm")
	sdk := SDKC()
	args := append(append([]string{}, CFlags...), "-I", sdk, "-o", out)
	args = append(append(args, srcs...), filepath.Join(sdk, "relayd.c"))
	if b, err := exec.Command(Clang(t), args...).CombinedOutput(); err != nil {
		t.Fatalf("clang %v: %v\n%s\n(the C toolchain needs: %s)", args, err, b, CPackages)
	}
	return out
}

// Package ctest_test checks the C guest SDK (relayd.h, relayd.c) against the
// ABI contract in sdk/abi/ABI.md: every constant, every import signature
// (as clang compiles it), and the helpers in relayd.c.
package ctest_test

import (
	"os"
	"os/exec"
	"testing"
)

// cPackages are the Debian packages the C toolchain needs.
const cPackages = "clang lld wasi-libc libclang-rt-14-dev-wasm32"

// clang returns the path of clang. It skips the test if clang is not
// installed, unless RELAYD_REQUIRE_CLANG=1 (as in CI).
func clang(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("clang")
	if err != nil {
		if os.Getenv("RELAYD_REQUIRE_CLANG") == "1" {
			t.Fatalf("clang not found and RELAYD_REQUIRE_CLANG=1: apt-get install %s", cPackages)
		}
		t.Skipf("clang not found; apt-get install %s (RELAYD_REQUIRE_CLANG=1 makes this a failure)", cPackages)
	}
	return p
}

// run runs a command and fails the test with its output if it fails.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if b, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s\n(the C toolchain needs: %s)", name, args, err, b, cPackages)
	}
}

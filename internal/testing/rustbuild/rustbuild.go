// Package rustbuild builds Rust plugin crates (sdk/rust) to WebAssembly for
// tests, with Debian's rustc and cargo and their wasm32-wasi standard
// library (packages rustc, cargo, libstd-rust-dev-wasm32). It uses those
// binaries by path, /usr/bin/cargo and /usr/bin/rustc (RELAYD_CARGO and
// RELAYD_RUSTC override them), not whatever cargo comes first on PATH: a
// rustup toolchain there may lack the wasm32-wasi target.
//
// Without the toolchain a test skips, unless RELAYD_REQUIRE_RUST=1 (as in
// CI), which makes it a failure.
package rustbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Packages are the Debian packages the Rust toolchain needs.
const Packages = "rustc cargo libstd-rust-dev-wasm32"

// Flags are the cargo arguments that build a plugin crate, as the
// Makefile's CARGO_WASM_FLAGS (cmd/relayd's TestPluginExamples reads those).
var Flags = []string{"build", "--offline", "--release", "--target", "wasm32-wasi"}

// Tools returns the paths of cargo and rustc. It skips the test if they
// or the wasm32-wasi standard library are missing, unless
// RELAYD_REQUIRE_RUST=1.
func Tools(t testing.TB) (cargo, rustc string) {
	t.Helper()
	cargo, rustc = env("RELAYD_CARGO", "/usr/bin/cargo"), env("RELAYD_RUSTC", "/usr/bin/rustc")
	if err := check(rustc, cargo); err != "" {
		if os.Getenv("RELAYD_REQUIRE_RUST") == "1" {
			t.Fatalf("%s and RELAYD_REQUIRE_RUST=1: apt-get install %s", err, Packages)
		}
		t.Skipf("%s; apt-get install %s (RELAYD_REQUIRE_RUST=1 makes this a failure)", err, Packages)
	}
	return cargo, rustc
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// check reports what is missing of the toolchain, or "".
func check(rustc, cargo string) string {
	for _, p := range []string{cargo, rustc} {
		if _, err := os.Stat(p); err != nil {
			return p + " not found"
		}
	}
	out, err := exec.Command(rustc, "--print", "target-libdir", "--target", "wasm32-wasi").Output()
	if err != nil {
		return rustc + " has no wasm32-wasi target"
	}
	if _, err := os.Stat(strings.TrimSpace(string(out))); err != nil {
		return "no wasm32-wasi standard library for " + rustc
	}
	return ""
}

// Build compiles the plugin crate in dir (a cdylib; relative to the
// test's working directory, or absolute) with Flags and returns the path
// of the .wasm, a copy in the test's temporary directory.
func Build(t testing.TB, dir string) string {
	t.Helper()
	return BuildWith(t, dir, Flags)
}

// BuildWith is Build with the given cargo arguments. Builds share one
// target directory under the system's temporary directory (cargo locks
// it), so a crate built by several tests compiles once.
func BuildWith(t testing.TB, dir string, flags []string) string {
	t.Helper()
	cargo, rustc := Tools(t)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(os.TempDir(), "relayd-cargo-target")
	args := append(append([]string{}, flags...), "--manifest-path", filepath.Join(abs, "Cargo.toml"), "--target-dir", target)
	cmd := exec.Command(cargo, args...)
	cmd.Env = append(os.Environ(), "RUSTC="+rustc)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cargo, strings.Join(args, " "), err, out)
	}
	lib := strings.ReplaceAll(filepath.Base(abs), "-", "_") + ".wasm"
	b, err := os.ReadFile(filepath.Join(target, "wasm32-wasi", "release", lib))
	if err != nil {
		t.Fatalf("%v (the crate's [lib] name must be its folder's name with _ for -)", err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(abs)+".wasm")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// Package asbuild builds AssemblyScript plugins for tests: a directory with
// index.ts and asconfig.json (which extends sdk/assemblyscript/asconfig.json),
// compiled with the SDK's pinned compiler,
//
//	cd DIR && asc index.ts --config asconfig.json -o OUT
//
// (asc is sdk/assemblyscript/node_modules/.bin/asc) as `make plugins` does. The compiler is installed by `npm ci` in
// sdk/assemblyscript (.ci/run does it). Without it the test is skipped,
// unless RELAYD_REQUIRE_ASC=1 (as in CI), which makes it a failure.
package asbuild

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Install is the command that installs the compiler.
const Install = "cd sdk/assemblyscript && npm ci (node and npm: apt-get install nodejs npm)"

type result struct {
	once sync.Once
	path string
	err  error
}

// builds caches one build per directory per test binary: a compile takes
// seconds.
var builds sync.Map

// SDK returns the directory of the AssemblyScript SDK.
func SDK() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "sdk", "assemblyscript")
}

// ASC returns the path of the SDK's asc. It skips the test if the compiler
// is not installed, unless RELAYD_REQUIRE_ASC=1.
func ASC(t testing.TB) string {
	t.Helper()
	p := filepath.Join(SDK(), "node_modules", ".bin", "asc")
	if _, err := os.Stat(p); err == nil {
		if _, err := exec.LookPath("node"); err == nil {
			return p
		}
	}
	if os.Getenv("RELAYD_REQUIRE_ASC") == "1" {
		t.Fatalf("AssemblyScript compiler %s not found and RELAYD_REQUIRE_ASC=1: %s", p, Install)
	}
	t.Skipf("AssemblyScript compiler not found; %s (RELAYD_REQUIRE_ASC=1 makes this a failure)", Install)
	return ""
}

// Build compiles the plugin in dir (index.ts and asconfig.json, relative to
// the test's directory or absolute) and returns the .wasm path, once per
// directory per test binary. Safe for concurrent use.
func Build(t testing.TB, dir string) string {
	t.Helper()
	asc := ASC(t)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := builds.LoadOrStore(abs, &result{})
	r := v.(*result)
	r.once.Do(func() { r.path, r.err = build(asc, abs) })
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.path
}

func build(asc, dir string) (string, error) {
	out, err := os.MkdirTemp("", "asbuild-")
	if err != nil {
		return "", err
	}
	wasm := filepath.Join(out, filepath.Base(dir)+".wasm")
	for _, f := range []string{"index.ts", "asconfig.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Errorf("asbuild %s: %w", dir, err)
		}
	}
	// asc resolves the --lib path of an extended asconfig.json relative to
	// its working directory, so it runs in dir with relative paths.
	cmd := exec.Command(asc, "index.ts", "--config", "asconfig.json", "-o", wasm)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("asc %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, b)
	}
	if _, err := os.Stat(wasm); err != nil {
		return "", errors.Join(fmt.Errorf("asc wrote no %s", wasm), err)
	}
	return wasm, nil
}

// Package plugintest runs relayd plugins, built to WebAssembly, through
// the real host for the tests and benchmarks of plugins/* and
// examples/policies/*: loaded by host/wasmhost (Manager, Chain, Policy),
// or in a whole relayd (Start). It also reads the examples of a plugin's
// README (ReadExamples) and runs them natively (Native), so that tests
// exercise exactly what operators copy.
//
// A plugin is a main package, so plugins cannot share test code with each
// other; they share this package. Import it only from _test.go files:
//
//	const pluginName = "limits"
//
//	func TestMain(m *testing.M) { plugintest.Main(m) }
//
//	func TestDefaultSettings(t *testing.T) { plugintest.CheckDefaults(t, pluginName) }
package plugintest

import (
	"os"
	"sync"
	"testing"

	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// Main runs the tests of a plugin package, removes what they built (the
// .wasm files and the compilation cache) and exits. Call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	wasmbuild.RemoveAll()
	if cacheDir != "" {
		os.RemoveAll(cacheDir)
	}
	os.Exit(code)
}

// Build builds the Go plugin in the test's working directory, once per
// test binary, and returns the path of the .wasm.
func Build(t testing.TB) string {
	t.Helper()
	return wasmbuild.Build(t, ".")
}

// cacheDir keeps wazero's compiled code for the test binary, so a plugin
// is compiled once however many managers and relays load it.
var (
	cacheDir  string
	cacheErr  error
	cacheOnce sync.Once
)

func sharedCache(t testing.TB) string {
	t.Helper()
	cacheOnce.Do(func() { cacheDir, cacheErr = os.MkdirTemp("", "plugintest-wasm-cache-") })
	if cacheErr != nil {
		t.Fatal(cacheErr)
	}
	return cacheDir
}

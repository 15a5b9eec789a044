package imports

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/relayd/relayd/sdk/abi"
)

// TestWasmImportNames checks that imports.go declares exactly the host
// functions of sdk/abi, in module abi.ModuleName.
func TestWasmImportNames(t *testing.T) {
	b, err := os.ReadFile("imports.go")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`//go:wasmimport (\S+) (\S+)`).FindAllStringSubmatch(string(b), -1) {
		if m[1] != abi.ModuleName {
			t.Errorf("import %s: got module %q, want %q", m[2], m[1], abi.ModuleName)
		}
		got = append(got, m[2])
	}
	want := abi.HostFunctions()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("wasmimport names: got %v, want %v", got, want)
	}
}

package sdk

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/relayd/relayd/sdk/abi"
)

// TestWasmExportNames checks that exports.go exports exactly the names
// sdk/abi defines.
func TestWasmExportNames(t *testing.T) {
	b, err := os.ReadFile("exports.go")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`//go:wasmexport (\S+)`).FindAllStringSubmatch(string(b), -1) {
		got = append(got, m[1])
	}
	want := []string{abi.ExportABIVersion, abi.ExportInit, abi.ExportLimitation, abi.ExportOnTick, abi.ExportOnDeliverBatch}
	for h := abi.HookConnect; h <= abi.MaxHook; h++ {
		want = append(want, abi.HookExport(h))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("wasmexport names: got %v, want %v", got, want)
	}
}

func TestEncodeLimits(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]any
		want string
	}{
		{"empty", map[string]any{}, `{}`},
		{"mixed", map[string]any{"min_pow_difficulty": 20, "auth_required": true, "x": "a\"b\n"}, `{"auth_required":true,"min_pow_difficulty":20,"x":"a\"b\u000a"}`},
		{"float", map[string]any{"f": 1.5, "i": int64(-3)}, `{"f":1.5,"i":-3}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeLimits(tc.in)
			if err != nil || string(got) != tc.want {
				t.Errorf("got %s, %v, want %s", got, err, tc.want)
			}
		})
	}
	if _, err := encodeLimits(map[string]any{"c": make(chan int)}); err == nil {
		t.Errorf("unsupported type: got nil error")
	}
}

// Package astest_test checks the AssemblyScript SDK against the ABI
// contract in sdk/abi/ABI.md. The SDK's behaviour through the real host is
// checked by its TCK plugin (sdk/tck/assemblyscript) and the
// as-kind-keyword example's tests, which need the relay's module.
package astest_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk/internal/abidoc"
)

var constRE = regexp.MustCompile(`(?m)^export const (\w+): (?:i32|string) = (-?0x[0-9a-f]+|-?\d+|"[^"]*");$`)

// TestConstantsMatchABI: assembly/abi.ts has every row of ABI.md's tables
// with the same value, and nothing else.
func TestConstantsMatchABI(t *testing.T) {
	rows, err := abidoc.Rows(filepath.Join("..", "..", "abi", "ABI.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100 {
		t.Fatalf("read %d rows from ABI.md: is the parser broken?", len(rows))
	}
	b, err := os.ReadFile(filepath.Join("..", "assembly", "abi.ts"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range constRE.FindAllStringSubmatch(string(b), -1) {
		got[m[1]] = m[2]
	}
	if n := strings.Count(string(b), "\nexport "); n != len(got) {
		t.Errorf("abi.ts has %d exports, %d of them constants this test reads", n, len(got))
	}
	for name, want := range rows {
		if !abidoc.IsValue(want) {
			continue // a signature or a prose cell
		}
		if g, ok := got[name]; !ok {
			t.Errorf("abi.ts has no %s (ABI.md: %s)", name, want)
		} else if g != want {
			t.Errorf("abi.ts: %s = %s, ABI.md: %s", name, g, want)
		}
	}
	for name := range got {
		if _, ok := rows[name]; !ok {
			t.Errorf("abi.ts: %s is not in ABI.md", name)
		}
	}
}

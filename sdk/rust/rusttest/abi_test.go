// Package rusttest checks the Rust SDK (sdk/rust) against ABI.md. The
// Rust code itself is built and run by the tests of the root module
// (examples/policies/rust-kind-keyword, internal/tck), which need
// Debian's Rust toolchain.
package rusttest

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/relayd/relayd/sdk/internal/abidoc"
)

var constRE = regexp.MustCompile(`(?m)^pub const ([A-Z0-9_]+): [&a-z0-9]+ = (-?0x[0-9a-f]+|-?\d+|"[^"]*");`)

// rustConsts returns the constants of src/abi.rs: name -> value.
func rustConsts(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "src", "abi.rs"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range constRE.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// constName turns an ABI constant into its Rust name: HookEventPre ->
// HOOK_EVENT_PRE, ExportABIVersion -> EXPORT_ABI_VERSION.
func constName(name string) string { return abidoc.UpperSnake(name) }

// TestABIMatches checks that src/abi.rs has every constant of ABI.md with
// the same value, and none ABI.md does not have.
func TestABIMatches(t *testing.T) {
	all, err := abidoc.Rows(filepath.Join("..", "..", "abi", "ABI.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for name, v := range all {
		if abidoc.IsValue(v) {
			rows[name] = v
		}
	}
	consts := rustConsts(t)
	if len(rows) < 100 {
		t.Fatalf("read only %d rows from ABI.md", len(rows))
	}
	seen := map[string]bool{}
	for name, doc := range rows {
		c := constName(name)
		seen[c] = true
		got, ok := consts[c]
		switch {
		case !ok:
			t.Errorf("%s (%s = %s) missing from src/abi.rs", c, name, doc)
		case !abidoc.SameValue(doc, got):
			t.Errorf("%s: abi.rs says %s, ABI.md says %s", c, got, doc)
		}
	}
	for c, v := range consts {
		if !seen[c] {
			t.Errorf("abi.rs defines %s = %s, which is not in ABI.md", c, v)
		}
	}
}

func TestConstName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Version", "VERSION"},
		{"HookEventPre", "HOOK_EVENT_PRE"},
		{"ExportABIVersion", "EXPORT_ABI_VERSION"},
		{"SourceIP4", "SOURCE_IP4"},
		{"FuncKVCAS", "FUNC_KV_CAS"},
		{"DBPutIfAbsent", "DB_PUT_IF_ABSENT"},
	}
	for _, tc := range tests {
		if got := constName(tc.in); got != tc.want {
			t.Errorf("constName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

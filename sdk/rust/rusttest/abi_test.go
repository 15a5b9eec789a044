// Package rusttest checks the Rust SDK (sdk/rust) against ABI.md. The
// Rust code itself is built and run by the tests of the root module
// (examples/policies/rust-kind-keyword, internal/tck), which need
// Debian's Rust toolchain.
package rusttest

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// abiRows returns name -> value of every ABI.md table row whose first cell
// is a backticked identifier, as sdk/abi's own doc test reads it.
func abiRows(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "abi", "ABI.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.TrimSpace(cells[0]) != "" {
			continue
		}
		name := strings.TrimSpace(cells[1])
		if !strings.HasPrefix(name, "`") || !strings.HasSuffix(name, "`") {
			continue
		}
		val := strings.Trim(strings.TrimSpace(cells[2]), "`")
		if strings.HasPrefix(val, "(func") || val == "memory" || strings.Contains(val, "signature") {
			continue // a signature, not a value
		}
		rows[strings.Trim(name, "`")] = val
	}
	return rows
}

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
func constName(name string) string {
	if name == "FuncKVCAS" { // two acronyms in a row
		return "FUNC_KV_CAS"
	}
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}

func sameValue(doc, got string) bool {
	if strings.HasPrefix(doc, `"`) {
		return doc == got
	}
	a, err1 := strconv.ParseInt(doc, 0, 64)
	b, err2 := strconv.ParseInt(got, 0, 64)
	return err1 == nil && err2 == nil && a == b
}

// TestABIMatches checks that src/abi.rs has every constant of ABI.md with
// the same value, and none ABI.md does not have.
func TestABIMatches(t *testing.T) {
	rows, consts := abiRows(t), rustConsts(t)
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
		case !sameValue(doc, got):
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

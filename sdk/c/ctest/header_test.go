package ctest_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/relayd/relayd/sdk/internal/abidoc"
)

var defineRE = regexp.MustCompile(`(?m)^#define (RELAYD_\w+) (-?0x[0-9a-f]+|-?\d+|"[^"]*")`)

// headerDefines returns the value defines of relayd.h: macro -> value.
func headerDefines(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "relayd.h"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range defineRE.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// macroName turns an ABI constant into its C macro: HookEventPre ->
// RELAYD_HOOK_EVENT_PRE, ExportABIVersion -> RELAYD_EXPORT_ABI_VERSION.
func macroName(name string) string { return "RELAYD_" + abidoc.UpperSnake(name) }

// TestHeaderMatchesABI checks that relayd.h defines every constant of
// ABI.md with the same value, and no value ABI.md does not have.
func TestHeaderMatchesABI(t *testing.T) {
	rows, err := abidoc.Rows(filepath.Join("..", "..", "abi", "ABI.md"))
	if err != nil {
		t.Fatal(err)
	}
	defs := headerDefines(t)
	if len(rows) < 100 {
		t.Fatalf("read only %d rows from ABI.md", len(rows))
	}
	seen := map[string]bool{}
	for name, doc := range rows {
		if !abidoc.IsValue(doc) {
			doc = "" // a signature, not a value: the export name is checked below
		}
		macro := macroName(name)
		seen[macro] = true
		got, ok := defs[macro]
		switch {
		case !ok:
			t.Errorf("%s (%s) missing from relayd.h", macro, name)
		case doc != "" && !abidoc.SameValue(doc, got):
			t.Errorf("%s: relayd.h says %s, ABI.md says %s", macro, got, doc)
		}
	}
	for macro, v := range defs {
		if !seen[macro] {
			t.Errorf("relayd.h defines %s %s, which is not in ABI.md", macro, v)
		}
	}
}

func TestMacroName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Version", "RELAYD_VERSION"},
		{"OK", "RELAYD_OK"},
		{"HookEventPre", "RELAYD_HOOK_EVENT_PRE"},
		{"ExportABIVersion", "RELAYD_EXPORT_ABI_VERSION"},
		{"FieldEventID", "RELAYD_FIELD_EVENT_ID"},
		{"SourceIP4", "RELAYD_SOURCE_IP4"},
		{"FuncKVGet", "RELAYD_FUNC_KV_GET"},
		{"FuncKVCAS", "RELAYD_FUNC_KV_CAS"},
		{"ErrNotFound", "RELAYD_ERR_NOT_FOUND"},
	}
	for _, tc := range tests {
		if got := macroName(tc.in); got != tc.want {
			t.Errorf("macroName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

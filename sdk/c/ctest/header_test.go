package ctest_test

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
// is a backticked identifier (as sdk/abi's own doc test reads it).
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
		rows[strings.Trim(name, "`")] = strings.Trim(strings.TrimSpace(cells[2]), "`")
	}
	return rows
}

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
func macroName(name string) string {
	if name == "FuncKVCAS" { // two acronyms in a row
		return "RELAYD_FUNC_KV_CAS"
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
	return "RELAYD_" + b.String()
}

func sameValue(doc, c string) bool {
	if strings.HasPrefix(doc, `"`) {
		return doc == c
	}
	a, err1 := strconv.ParseInt(doc, 0, 64)
	b, err2 := strconv.ParseInt(c, 0, 64)
	return err1 == nil && err2 == nil && a == b
}

// TestHeaderMatchesABI checks that relayd.h defines every constant of
// ABI.md with the same value, and no value ABI.md does not have.
func TestHeaderMatchesABI(t *testing.T) {
	rows, defs := abiRows(t), headerDefines(t)
	if len(rows) < 100 {
		t.Fatalf("read only %d rows from ABI.md", len(rows))
	}
	seen := map[string]bool{}
	for name, doc := range rows {
		if strings.HasPrefix(doc, "(func") || doc == "memory" || strings.Contains(doc, "signature") {
			doc = "" // a signature, not a value: the export name is checked below
		}
		macro := macroName(name)
		seen[macro] = true
		got, ok := defs[macro]
		switch {
		case !ok:
			t.Errorf("%s (%s) missing from relayd.h", macro, name)
		case doc != "" && !sameValue(doc, got):
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

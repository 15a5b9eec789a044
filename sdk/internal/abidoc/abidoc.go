// Package abidoc reads the constants of sdk/abi/ABI.md, the ABI contract,
// for the tests that hold each guest SDK (C, Rust, AssemblyScript) to it.
package abidoc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
)

// Rows returns name -> value of every table row of the ABI.md at path whose
// first cell is a backticked identifier (as sdk/abi's own doc test reads
// it), the value being the second cell without its backticks.
func Rows(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("abidoc: %w", err)
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
	return rows, nil
}

// IsValue reports whether a row's value is a number or a string, not a
// signature or prose (an export's "hook signature", "(func ...)", "memory").
func IsValue(v string) bool {
	if strings.HasPrefix(v, `"`) {
		return true
	}
	return !strings.HasPrefix(v, "(func") && v != "memory" && !strings.Contains(v, "signature") &&
		!strings.ContainsAny(v, " ")
}

// SameValue reports whether a constant's value in an SDK's source equals
// the value ABI.md gives: strings byte for byte, integers by value (0x10
// and 16 are the same).
func SameValue(doc, got string) bool {
	if strings.HasPrefix(doc, `"`) {
		return doc == got
	}
	a, err1 := strconv.ParseInt(doc, 0, 64)
	b, err2 := strconv.ParseInt(got, 0, 64)
	return err1 == nil && err2 == nil && a == b
}

// UpperSnake turns an ABI constant's name into the C and Rust spelling:
// HookEventPre -> HOOK_EVENT_PRE, ExportABIVersion -> EXPORT_ABI_VERSION,
// FuncKVCAS -> FUNC_KV_CAS.
func UpperSnake(name string) string {
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

//go:build !wasip1

package sdktest

import (
	"strings"
	"testing"
)

// TestParseSettings covers the reader within the SDK module; the full
// comparison with the relay's reader is TestSettingsMatchRelay in
// internal/presubmit, which needs the relay's module.
func TestParseSettings(t *testing.T) {
	tests := []struct {
		name, toml, config, err string
	}{
		{"none", "", "{}", ""},
		{"config", "order = 2\n[config]\nmax = 5\nwords = [\"a\", 'b']\n[config.per_kind]\n\"1\" = 3\n",
			`{"max":5,"per_kind":{"1":3},"words":["a","b"]}`, ""},
		{"array of tables", "[[config.rule]]\nkind = 1\n[[config.rule]]\nkind = 4\n", `{"rule":[{"kind":1},{"kind":4}]}`, ""},
		{"error line", "order = 1\n\n[config]\nx = [1,\n", "", "line 5: key x: unterminated array"},
		{"duplicate", "[config]\nx = 1\nx = 2\n", "", "line 3: key x is defined twice"},
		{"unknown", "ordre = 1\n", "", "unknown settings [ordre]"},
		{"type", "kinds = 1\n", "", "kinds: want an array of kinds"},
		{"mode", "mode = \"loud\"\n", "", `mode: "loud": want one of ["enforce" "shadow"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSettings([]byte(tc.toml))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil || s.Config != tc.config {
				t.Errorf("got %s, %v, want %s", s.Config, err, tc.config)
			}
		})
	}
}

package main

import (
	"strings"
	"testing"
)

// TestCheckConfig: relayd check-config validates without starting: exit 0
// and "ok", or exit 1 with the key at fault; 2 for bad usage.
func TestCheckConfig(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   []string
		fileBody string // written to a temporary relayd.toml, appended to args
	}{
		{"valid", nil, 0, ": ok\n", nil, "name = \"r\"\nmax_limit = 100\ndefault_limit = 50\nchain = [\"lists\", \"ratelimit\"]\n"},
		{"empty file is the defaults", nil, 0, ": ok\n", nil, ""},
		{"wrong type", nil, 1, "", []string{`last key "max_limit"`, "incompatible types"}, "max_limit = \"many\"\n"},
		{"unknown key", nil, 1, "", []string{`unknown key "max_limitz"`}, "max_limitz = 3\n"},
		{"out of range", nil, 1, "", []string{"max_subscriptions must be > 0", "relayd.toml"}, "max_subscriptions = 0\n"},
		{"two problems", nil, 1, "", []string{"default_limit 600 is above max_limit 500", `chain lists "a" twice`},
			"max_limit = 500\ndefault_limit = 600\nchain = [\"a\", \"b\", \"a\"]\n"},
		{"bad duration", nil, 1, "", []string{`last key "idle_timeout"`, "invalid duration"}, "idle_timeout = \"soon\"\n"},
		{"removed trust_proxy", nil, 1, "", []string{"trusted_proxies"}, "trust_proxy = true\n"},
		{"missing file", []string{"/nonexistent/relayd.toml"}, 1, "", []string{"no such file"}, "-"},
		{"no file", nil, 2, "", []string{"usage: relayd check-config FILE"}, "-"},
		{"two files", []string{"a", "b"}, 2, "", []string{"usage: relayd check-config FILE"}, "-"},
		{"help", []string{"-h"}, 0, "", []string{"usage: relayd check-config FILE"}, "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"check-config"}, tc.args...)
			if tc.fileBody != "-" {
				args = append(args, writeConfig(t, tc.fileBody))
			}
			code, stdout, stderr := relaydRun(args...)
			if code != tc.code || !strings.HasSuffix(stdout, tc.stdout) || (tc.stdout == "" && stdout != "") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, stdout ending %q", code, stdout, stderr, tc.code, tc.stdout)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}

package ctest_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpersNative builds relayd.c natively with testdata/native.c (a
// stub host serving a config) and runs its helpers on table cases.
func TestHelpersNative(t *testing.T) {
	cc := clang(t)
	bin := filepath.Join(t.TempDir(), "native")
	run(t, cc, "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-attributes", "-I", "..", "-o", bin,
		filepath.Join("testdata", "native.c"), filepath.Join("..", "relayd.c"))
	tests := []struct {
		name string
		in   string // a native.c case line
		want string
	}{
		{"ints", "ints\tkinds\t" + `{"kinds":[4,1984]}`, "2: 4,1984"},
		{"ints among other keys", "ints\tkinds\t" + `{"a":"x","kinds":[1],"z":true}`, "1: 1"},
		{"empty array", "ints\tkinds\t" + `{"kinds":[]}`, "0"},
		{"negative and zero", "ints\tk\t" + `{"k":[-4,0]}`, "2: -4,0"},
		{"nested key is not top-level", "ints\tkinds\t" + `{"a":{"kinds":[9]},"kinds":[1]}`, "1: 1"},
		{"key inside a string", "ints\tkinds\t" + `{"a":"\"kinds\":[8]","b":[{"kinds":[7]}]}`, "-1"},
		{"prefix of a key", "ints\tkind\t" + `{"kinds":[1]}`, "-1"},
		{"absent", "ints\tkinds\t" + `{"max":3}`, "-1"},
		{"no config", "ints\tkinds\t" + `{}`, "-1"},
		{"max entries", "ints\tkinds\t" + `{"kinds":[1,2,3,4]}`, "4: 1,2,3,4"},
		{"too many", "ints\tkinds\t" + `{"kinds":[1,2,3,4,5]}`, "-3"},
		{"float", "ints\tkinds\t" + `{"kinds":[1.5]}`, "-4"},
		{"string", "ints\tkinds\t" + `{"kinds":["4"]}`, "-4"},
		{"not an array", "ints\tkinds\t" + `{"kinds":4}`, "-4"},
		{"unterminated", "ints\tkinds\t" + `{"kinds":[1,2`, "-4"},
		{"overflow", "ints\tkinds\t" + `{"kinds":[99999999999999999999]}`, "-4"},
		{"not an object", "ints\tkinds\t" + `[1]`, "-4"},
		{"int zero", "int\t0", "0"},
		{"int", "int\t1984", "1984"},
		{"int negative", "int\t-7", "-7"},
		{"int min", "int\t-9223372036854775808", "-9223372036854775808"},
		{"int max", "int\t9223372036854775807", "9223372036854775807"},
	}
	var in strings.Builder
	for _, tc := range tests {
		in.WriteString(tc.in + "\n")
	}
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("native: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(tests) {
		t.Fatalf("got %d result lines for %d cases:\n%s", len(lines), len(tests), out)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if lines[i] != tc.want {
				t.Errorf("got %q, want %q", lines[i], tc.want)
			}
		})
	}
}

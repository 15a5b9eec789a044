package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// TestPluginTCK runs `relayd plugin tck` as an author would: the Go SDK's
// TCK plugin passes the built-in kit and a cases file; a plugin that is not
// a TCK plugin fails with the cases named; bad usage and a bad cases file
// are refused.
func TestPluginTCK(t *testing.T) {
	tckWasm := wasmbuild.Build(t, "../../sdk/tck/go")
	other := wasmbuild.Build(t, "../../examples/policies/kind-allowlist")
	dir := t.TempDir()
	cases := filepath.Join(dir, "cases.jsonl")
	os.WriteFile(cases, []byte(`{"load":{"config":{}}}
{"name":"one","hook":"event","cmd":"counter-add n 2","want":{"action":"reject","message":"2"},"calls":["counter_add","get","set_output"],"host":{"counters":{"n":2}}}
`), 0o644)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"load":{}}`+"\n"+`{"name":"x","hook":"evnt","cmd":"accept","want":{"action":"accept"}}`+"\n"), 0o644)
	tests := []struct {
		name      string
		args      []string
		code      int
		out, errs string // substrings of stdout and stderr
	}{
		{"built-in kit", []string{tckWasm}, 0, "ok: ", ""},
		{"cases file", []string{tckWasm, cases}, 0, "ok: 2 cases of " + cases, ""},
		{"not a TCK plugin", []string{other, cases}, 1, "line 2: one: ", "FAIL: 2 of 2 cases"},
		{"bad cases", []string{tckWasm, bad}, 1, "", `line 2: hook "evnt"`},
		{"no file", []string{}, 2, "", "want FILE.wasm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb strings.Builder
			code := run(append([]string{"plugin", "tck"}, tc.args...), &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.errs) {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
		})
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPluginTestManage: `relayd plugin test` replays manage lines, the
// NIP-86 methods a plugin serves, through the host's Manager.Manage
// (host/wasmhost/testdata/wat/manage.wat: echo answers its params, fail
// refuses).
func TestPluginTestManage(t *testing.T) {
	wasm := filepath.Join("..", "..", "host", "wasmhost", "testdata", "wat", "manage.wasm")
	tests := []struct {
		name, fixtures string
		code           int
		want           string
		stderr         string
	}{
		{"result and refusal", `{"hook":"manage","method":"echo","params":["a",1]}
{"hook":"manage","method":"echo"}
{"hook":"manage","method":"fail","params":[]}
`, 0, "manage echo result [\"a\",1]\nmanage echo result []\nmanage fail refused nope\n", ""},
		{"unknown method fails the run", `{"hook":"manage","method":"banpubkey","params":[]}
`, 1, "manage banpubkey error wasmhost: manage \"banpubkey\": unknown management method\n", "FAIL"},
		{"method on another hook", `{"hook":"connect","method":"echo"}
`, 1, "", "belong to manage lines"},
		{"manage without a method", `{"hook":"manage"}
`, 1, "", "belong to manage lines"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := filepath.Join(t.TempDir(), "f.jsonl")
			if err := os.WriteFile(fx, []byte(tc.fixtures), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runPlugin("", "test", wasm, fx)
			if code != tc.code || stdout != tc.want || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout:\n%s\nstderr with %q", code, stdout, stderr, tc.code, tc.want, tc.stderr)
			}
		})
	}
}

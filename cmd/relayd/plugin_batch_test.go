package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPluginTestDeliverBatch: for a plugin that asks for deliver batches,
// `relayd plugin test` decides each deliver line through
// relayd_on_deliver_batch too, as the relay decides live deliveries, and
// fails the line when the batch's verdict differs from relayd_on_deliver's
// (host/wasmhost/testdata/wat/batch.wat: kind 97 is refused by the batch
// only). The printed verdict is relayd_on_deliver's, with its message.
func TestPluginTestDeliverBatch(t *testing.T) {
	wasm := filepath.Join("..", "..", "host", "wasmhost", "testdata", "wat", "batch.wasm")
	ev := func(kind string) string {
		return `{"kind":` + kind + `,"id":"` + strings.Repeat("e", 64) + `","pubkey":"` + strings.Repeat("a", 64) +
			`","created_at":1700000000,"tags":[],"content":"x","sig":"` + strings.Repeat("f", 128) + `"}`
	}
	id := strings.Repeat("e", 64)
	tests := []struct {
		name, fixtures string
		code           int
		want           string
		stderr         string
	}{
		{"agreeing", `{"hook":"deliver","sub":"feed","event":` + ev("1") + `}
{"hook":"deliver","sub":"drop","event":` + ev("1") + `}
{"hook":"deliver","sub":"rw","event":` + ev("1") + `}
`, 0, "deliver " + id + " feed accept\ndeliver " + id + " drop drop\ndeliver " + id + " rw rewrite {\"rewritten\":true}\n", ""},
		{"disagreeing", `{"hook":"deliver","sub":"feed","event":` + ev("97") + `}
`, 1, "deliver " + id + " feed error relayd_on_deliver_batch answered reject (blocked), relayd_on_deliver accept: " +
			"a plugin must decide a delivery the same way in both\n", "FAIL"},
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

package wasmhost_test

import (
	"strings"
	"testing"

	"github.com/relayd/relayd/host/wasmhost"
)

// chainOf is the chain's plugin names, in order.
func chainOf(m *wasmhost.Manager) string {
	var names []string
	for _, e := range m.Holder().Load().Entries() {
		names = append(names, e.Policy.Name())
	}
	return strings.Join(names, ",")
}

// TestWasmChainOrder: the chain setting orders the listed plugins first;
// the others follow by their order key, then name; a listed plugin that
// is missing is logged and skipped.
func TestWasmChainOrder(t *testing.T) {
	gs := []guest{{name: "a", wasm: "v1"}, {name: "b", wasm: "v1", toml: "order = -1"}, {name: "c", wasm: "v2"}}
	tests := []struct {
		name    string
		chain   []string
		want    string
		wantLog string
	}{
		{"no chain: order key, then name", nil, "b,a,c", ""},
		{"listed first, in list order", []string{"c", "a"}, "c,a,b", ""},
		{"all listed", []string{"a", "c", "b"}, "a,c,b", ""},
		{"missing one logged", []string{"c", "gone", "a"}, "c,a,b", `chain lists a plugin that is not loaded; it is skipped" plugin=gone`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, logs, err := newManager(t, wasmhost.Options{Chain: tc.chain}, gs...)
			if err != nil {
				t.Fatal(err)
			}
			if got := chainOf(m); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Fatalf("log lacks %q:\n%s", tc.wantLog, logs)
			}
		})
	}
}

// TestWasmSetChain: a new order swaps in a reordered chain of the same
// plugin instances, and logs it; the same order changes nothing.
func TestWasmSetChain(t *testing.T) {
	m, logs, err := newManager(t, wasmhost.Options{Chain: []string{"a", "b"}},
		guest{name: "a", wasm: "v1"}, guest{name: "b", wasm: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	a, before := plugin(t, m, "a"), m.Holder().Load()
	m.SetChain([]string{"a", "b"})
	if m.Holder().Load() != before {
		t.Fatal("the same order swapped the chain")
	}
	m.SetChain([]string{"b"})
	if got := chainOf(m); got != "b,a" {
		t.Fatalf("got %s, want b,a", got)
	}
	if plugin(t, m, "a") != a {
		t.Fatal("reordering reloaded plugin a")
	}
	if got, err := answers(m.Holder().Load()); err != nil || strings.Join(got, ",") != "b:v2,a:v1" {
		t.Fatalf("got %v, %v", got, err)
	}
	if !strings.Contains(logs.String(), "wasm plugin chain reordered") {
		t.Fatalf("no log of the new order:\n%s", logs)
	}
	m.SetChain(nil)
	if got := chainOf(m); got != "a,b" {
		t.Fatalf("got %s after clearing the order, want a,b", got)
	}
}

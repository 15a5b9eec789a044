package wasmhost_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
)

// The NIP-86 methods plugins serve (manage.go), through testdata/wat/manage.wat.

// TestWasmManageRouting: each method reaches the plugin that declared it,
// with its params, and its answer comes back as a result or an error.
func TestWasmManageRouting(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{},
		guest{name: "a", wasm: "manage"},
		guest{name: "b", wasm: "manage", toml: `files = ["methods.json"]`, files: map[string]string{"methods.json": `["other","emit"]`}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"badjson", "echo", "emit", "fail", "other", "spin", "trap", "write"}
	if got := m.ManageMethods(); !slices.Equal(got, want) {
		t.Fatalf("ManageMethods = %v, want %v", got, want)
	}
	tests := []struct {
		name, method, params string
		want                 string // result JSON
		errIs                error
		refused              string // MethodError plugin: message
	}{
		{name: "result", method: "echo", params: `["ab", 1, {"c": true}]`, want: `["ab", 1, {"c": true}]`},
		{name: "null params", method: "echo", params: `null`, want: `[]`},
		{name: "no params", method: "echo", want: `[]`},
		{name: "second plugin", method: "emit", params: `["x"]`, want: `["x"]`},
		{name: "no result is true", method: "write", params: `["v"]`, want: `true`},
		{name: "refusal", method: "fail", params: `[]`, refused: "a: nope"},
		{name: "refusal from b", method: "other", params: `[]`, refused: "b: unknown"},
		{name: "unknown method", method: "banpubkey", params: `[]`, errIs: wasmhost.ErrUnknownMethod},
		{name: "host method", method: "banevent", params: `[]`, errIs: wasmhost.ErrUnknownMethod},
		{name: "params not an array", method: "echo", params: `{"a":1}`, errIs: wasmhost.ErrInvalidParams},
		{name: "params not JSON", method: "echo", params: `[1,`, errIs: wasmhost.ErrInvalidParams},
		{name: "result not JSON", method: "badjson", params: `[]`, errIs: wasmhost.ErrBadVerdict},
		{name: "trap", method: "trap", params: `[]`, errIs: wasmhost.ErrTrap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Manage(ctx, tc.method, json.RawMessage(tc.params))
			var me *wasmhost.MethodError
			switch {
			case tc.refused != "":
				if !errors.As(err, &me) || me.Plugin+": "+me.Message != tc.refused || me.Method != tc.method {
					t.Fatalf("got %s, %v; want refusal %q", got, err, tc.refused)
				}
			case tc.errIs != nil:
				if !errors.Is(err, tc.errIs) {
					t.Fatalf("got %s, %v; want %v", got, err, tc.errIs)
				}
			case err != nil || string(got) != tc.want:
				t.Fatalf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// TestWasmManageConflict: a plugin declaring a method another plugin or
// the relay serves is refused at load, naming both; the first keeps the
// method, and the refused one loads once the clash is gone.
func TestWasmManageConflict(t *testing.T) {
	methods := func(js string) map[string]string { return map[string]string{"methods.json": js} }
	const files = `files = ["methods.json"]`
	aMethods := []string{"badjson", "echo", "fail", "spin", "trap", "write"}
	tests := []struct {
		name    string
		second  guest
		wantErr string
		keep    []string // methods served after the load
	}{
		{name: "same method as a plugin", second: guest{name: "b", wasm: "manage", toml: files, files: methods(`["x","echo"]`)},
			wantErr: `plugin[b] load`, keep: aMethods},
		{name: "a method of the relay", second: guest{name: "b", wasm: "manage", toml: files, files: methods(`["y","banevent"]`)},
			wantErr: `manage method "banevent" is served by the relay itself`, keep: aMethods},
		{name: "no clash", second: guest{name: "b", wasm: "manage", toml: files, files: methods(`["y"]`)},
			keep: append(slices.Clone(aMethods), "y")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a := guest{name: "a", wasm: "manage"} // the default methods
			m, _, err := newManager(t, wasmhost.Options{Dir: dir}, a)
			if err != nil {
				t.Fatal(err)
			}
			install(t, dir, tc.second)
			err = m.Reload(ctx)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				if !errors.Is(err, wasmhost.ErrMethodConflict) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("reload: %v, want ErrMethodConflict with %q", err, tc.wantErr)
				}
				if strings.Contains(tc.wantErr, "plugin[b]") && !strings.Contains(err.Error(), "served by plugin a too") {
					t.Fatalf("reload: %v does not name plugin a", err)
				}
				failed, _ := m.Failed()
				if _, ok := failed["b"]; !ok {
					t.Errorf("Failed() = %v, want b", failed)
				}
			}
			if got := m.ManageMethods(); !slices.Equal(got, tc.keep) {
				t.Errorf("ManageMethods = %v, want %v", got, tc.keep)
			}
			if _, err := m.Manage(ctx, "echo", json.RawMessage(`[]`)); err != nil {
				t.Errorf("a's echo after the load: %v", err)
			}
			if tc.wantErr == "" {
				return
			}
			// The clash goes: b loads at the next reload.
			if err := os.Remove(filepath.Join(dir, "a.wasm")); err != nil {
				t.Fatal(err)
			}
			if err := m.Reload(ctx); err != nil && strings.Contains(tc.wantErr, "plugin[b]") {
				t.Fatalf("reload without a: %v", err)
			}
			if strings.Contains(tc.wantErr, "plugin[b]") {
				if got := m.ManageMethods(); !slices.Equal(got, []string{"echo", "x"}) {
					t.Errorf("after a is gone: ManageMethods = %v, want b's", got)
				}
			}
		})
	}
}

// TestWasmManageConflictAtStart: two new plugins with the same method in
// one load: the first in the chain keeps it, the other is refused.
func TestWasmManageConflictAtStart(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{Chain: []string{"b", "a"}},
		guest{name: "a", wasm: "manage"}, guest{name: "b", wasm: "manage"})
	if err == nil || !strings.Contains(err.Error(), "plugin[a] load") || !strings.Contains(err.Error(), "served by plugin b too") {
		t.Fatalf("load: %v, want a refused for b's methods", err)
	}
	if names := chainNames(m); !slices.Equal(names, []string{"b"}) {
		t.Errorf("chain %v, want [b]", names)
	}
}

func chainNames(m *wasmhost.Manager) []string {
	var out []string
	for _, e := range m.Holder().Load().Entries() {
		out = append(out, e.Policy.Name())
	}
	return out
}

// manageRecs records the manage calls the chain's recorders see.
type manageRecs struct {
	mu    sync.Mutex
	calls []string // plugin:action or plugin:error
}

func (o *manageRecs) Observe(entries []policy.Entry) []policy.Recorder {
	out := make([]policy.Recorder, len(entries))
	for i, e := range entries {
		out[i] = manageRec{o, e.Policy.Name()}
	}
	return out
}

type manageRec struct {
	o    *manageRecs
	name string
}

func (r manageRec) Record(h policy.Hook, a policy.Action, _ policy.Prefix, err error, _ time.Duration) {
	if h != policy.HookManage {
		return
	}
	what := a.String()
	if err != nil {
		what = "error"
	}
	r.o.mu.Lock()
	r.o.calls = append(r.o.calls, r.name+":"+what)
	r.o.mu.Unlock()
}

// TestWasmManageDeadline: a method call runs under the plugin's deadline
// and breaker, and is counted in its metrics as hook "manage".
func TestWasmManageDeadline(t *testing.T) {
	recs := &manageRecs{}
	h := &policy.Holder{}
	h.Observe(recs)
	m, _, err := newManager(t, wasmhost.Options{Holder: h}, guest{name: "a", wasm: "manage", toml: "timeout_ms = 20\npool = 1\n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Manage(ctx, "echo", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := m.Manage(ctx, "spin", nil); !errors.Is(err, wasmhost.ErrTimeout) {
			t.Fatalf("spin %d: %v, want ErrTimeout", i, err)
		}
	}
	if _, err := m.Manage(ctx, "echo", nil); !errors.Is(err, wasmhost.ErrTripped) {
		t.Fatalf("after 5 timeouts: %v, want ErrTripped", err)
	}
	recs.mu.Lock()
	defer recs.mu.Unlock()
	want := []string{"a:accept", "a:error", "a:error", "a:error", "a:error", "a:error", "a:error"}
	if !slices.Equal(recs.calls, want) {
		t.Errorf("recorded %v, want %v", recs.calls, want)
	}
	if hs := plugin(t, m, "a").Hooks(); !hs.Has(policy.HookManage) {
		t.Errorf("hooks %v lack manage", hs.List())
	}
}

// TestWasmManageHooksSetting: an operator's hooks setting without
// "manage" leaves the plugin's methods unserved.
func TestWasmManageHooksSetting(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "a", wasm: "manage", toml: `hooks = ["event"]`})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.ManageMethods(); len(got) != 0 {
		t.Fatalf("ManageMethods = %v, want none", got)
	}
	if _, err := m.Manage(ctx, "echo", nil); !errors.Is(err, wasmhost.ErrUnknownMethod) {
		t.Fatalf("echo: %v, want ErrUnknownMethod", err)
	}
}

// failFirst is a badger store whose first plugin state write fails, as on
// a full disk: the write stays pending until the flusher retries.
type failFirst struct {
	*badgerstore.Store
	failed atomic.Bool
}

func (s *failFirst) StateWrite(ns string, ops []store.StateOp, done func(error)) {
	if s.failed.CompareAndSwap(false, true) {
		done(store.ErrDiskFull)
		return
	}
	s.Store.StateWrite(ns, ops, done)
}

// TestWasmManageDurable: Manage answers only once the plugin's writes are
// committed, so a ban the API reports is in the store.
func TestWasmManageDurable(t *testing.T) {
	st := &failFirst{Store: dbStore(t, t.TempDir(), newDisk())}
	m, _, err := newManager(t, wasmhost.Options{Store: st}, guest{name: "a", wasm: "manage"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Manage(ctx, "write", json.RawMessage(`["banned"]`)); err != nil {
		t.Fatal(err)
	}
	var got string
	ok, err := st.Store.StateGet("a", []byte("k"), func(v []byte) { got = string(v) })
	if err != nil || !ok || got != `["banned"]` {
		t.Fatalf("committed state after Manage: %q %v %v, want the write", got, ok, err)
	}
	if !st.failed.Load() {
		t.Fatal("the first write did not go through the failing store")
	}
}

// TestWasmManageFromC serves methods from a C plugin (sdk/c) through the
// real host and a real badger store, across a restart of both.
func TestWasmManageFromC(t *testing.T) {
	bin := buildC(t, "manage")
	dir, pdir := t.TempDir(), t.TempDir()
	st := dbStore(t, dir, newDisk())
	m, _, err := newManager(t, wasmhost.Options{Store: st, Dir: pdir}, guest{name: "c", wasm: bin})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.ManageMethods(); !slices.Equal(got, []string{"forget", "recall", "remember"}) {
		t.Fatalf("ManageMethods = %v", got)
	}
	if res, err := m.Manage(ctx, "remember", json.RawMessage(`["abc", 7]`)); err != nil || string(res) != "true" {
		t.Fatalf("remember: %s, %v", res, err)
	}
	var me *wasmhost.MethodError
	if _, err := m.Manage(ctx, "forget", nil); !errors.As(err, &me) || me.Message != "will not forget" {
		t.Fatalf("forget: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = dbStore(t, dir, newDisk())
	m2, _, err := newManager(t, wasmhost.Options{Store: st, Dir: pdir})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := m2.Manage(ctx, "recall", nil); err != nil || string(res) != `["abc", 7]` {
		t.Fatalf("recall after restart: %s, %v", res, err)
	}
}

package wasmhost_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// answers calls every policy of one chain snapshot and returns
// "name:message" per policy, in chain order.
func answers(ch *policy.Chain) ([]string, error) {
	var out []string
	for _, e := range ch.Entries() {
		v, err := e.Policy.Event(ctx, event(1))
		if err != nil {
			return out, err
		}
		out = append(out, e.Policy.Name()+":"+v.Message)
	}
	return out, nil
}

// TestWasmReload adds, changes, breaks and removes plugins while several
// goroutines call the chain: no call fails, every call sees one consistent
// chain, and each phase ends with the expected chain.
func TestWasmReload(t *testing.T) {
	dir := t.TempDir()
	m, _, err := newManager(t, wasmhost.Options{Dir: dir, DrainGrace: 3 * time.Second,
		// Four callers share GOMAXPROCS instances: on a loaded machine one may
		// wait longer than the default 50 ms deadline for a free one.
		Defaults: wasmhost.Settings{TimeoutMS: 10000}}, guest{name: "a", wasm: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	valid := map[string]bool{"": true, "a:v1": true, "a:v2": true, "b:v2,a:v1": true, "b:v2,a:v2": true}
	stop := make(chan struct{})
	var calls atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := answers(m.Holder().Load())
				if err != nil {
					t.Errorf("call failed during reload: %v", err)
					return
				}
				if s := strings.Join(got, ","); !valid[s] {
					t.Errorf("inconsistent chain: %q", s)
					return
				}
				calls.Add(1)
			}
		})
	}
	aBefore := plugin(t, m, "a")
	phases := []struct {
		name    string
		do      func()
		wantErr bool
		want    string
	}{
		{"add b first", func() { install(t, dir, guest{name: "b", wasm: "v2", toml: "order = -1"}) }, false, "b:v2,a:v1"},
		{"change a", func() { install(t, dir, guest{name: "a", wasm: "v2"}) }, false, "b:v2,a:v2"},
		{"break a", func() { install(t, dir, guest{name: "a", wasm: "badversion"}) }, true, "b:v2,a:v2"},
		{"remove b", func() { os.Remove(filepath.Join(dir, "b.wasm")) }, false, "a:v2"},
		{"fix a", func() { install(t, dir, guest{name: "a", wasm: "v1"}) }, false, "a:v1"},
		{"disable a", func() { install(t, dir, guest{name: "a", wasm: "v1", toml: "enabled = false"}) }, false, ""},
	}
	for i, ph := range phases {
		ph.do()
		err := m.Reload(ctx)
		if (err != nil) != ph.wantErr {
			t.Fatalf("%s: Reload: got %v, want error %v", ph.name, err, ph.wantErr)
		}
		got, err := answers(m.Holder().Load())
		if err != nil || strings.Join(got, ",") != ph.want {
			t.Fatalf("%s: got %q, %v, want %q", ph.name, got, err, ph.want)
		}
		if i == 0 && plugin(t, m, "a") != aBefore {
			t.Errorf("adding b reloaded the unchanged plugin a")
		}
		time.Sleep(20 * time.Millisecond) // let the callers run on this chain
	}
	close(stop)
	wg.Wait()
	if calls.Load() == 0 {
		t.Error("no calls ran")
	}
}

// TestWasmWatch: Run reloads on file changes (write-rename, removal).
func TestWasmWatch(t *testing.T) {
	dir := t.TempDir()
	m, _, err := newManager(t, wasmhost.Options{Dir: dir, Debounce: 20 * time.Millisecond}, guest{name: "a", wasm: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- m.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			got, err := answers(m.Holder().Load())
			if err == nil && strings.Join(got, ",") == want {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("chain never became %q", want)
	}
	time.Sleep(50 * time.Millisecond) // the watch is set up
	install(t, dir, guest{name: "a", wasm: "v2"})
	waitFor("a:v2")
	if err := os.WriteFile(filepath.Join(dir, "b.wasm"), mustRead(t, wasmPath("v1")), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("a:v2,b:v1")
	os.Remove(filepath.Join(dir, "a.wasm"))
	waitFor("b:v1")
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWasmCheck(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, guest{name: "kinds", wasm: "kinds", toml: "hooks = [\"event\", \"req\"]"})
	install(t, dir, guest{name: "bad", wasm: "badsig"})
	tests := []struct {
		name      string
		file      string
		ok        bool
		hooks     string
		imports   string
		wantProbl string
	}{
		{"good", "kinds.wasm", true, "event", "relayd_v1.set_output", ""},
		{"bad", "bad.wasm", false, "", "", `export "relayd_on_event"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := wasmhost.Check(ctx, filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() && !r.Instrumented {
				t.Errorf("a WAT module with memory was not instrumented")
			}
			if r.OK() != tc.ok || strings.Join(r.Hooks, ",") != tc.hooks || strings.Join(r.Imports, ",") != tc.imports {
				t.Errorf("got ok=%v hooks=%v imports=%v problems=%v", r.OK(), r.Hooks, r.Imports, r.Problems)
			}
			if tc.wantProbl != "" && (len(r.Problems) == 0 || !strings.Contains(r.Problems[0], tc.wantProbl)) {
				t.Errorf("problems: got %v, want %q", r.Problems, tc.wantProbl)
			}
		})
	}
	if _, err := wasmhost.Check(ctx, filepath.Join(dir, "missing.wasm")); err == nil {
		t.Error("missing file: got nil error")
	}
}

// TestWasmRunRescansAtStart: a plugin copied in after Load but before Run
// starts watching sent no event the watcher could see; Run's first rescan
// loads it anyway.
func TestWasmRunRescansAtStart(t *testing.T) {
	dir := t.TempDir()
	m, logs, err := newManager(t, wasmhost.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	install(t, dir, guest{name: "late", wasm: "v1"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	waitFor(t, logs, "plugin=late")
	deadline := time.Now().Add(10 * time.Second)
	for len(m.Holder().Load().Entries()) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the plugin copied before Run never loaded:\n%s", logs)
		}
		time.Sleep(time.Millisecond)
	}
}

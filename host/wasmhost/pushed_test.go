package wasmhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/wasmhost"
)

func sumOf(t *testing.T, g string) string {
	t.Helper()
	b, err := os.ReadFile(wasmPath(g))
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// pushedManager is a Manager with a local dir (if local) and a pushed
// dir, loaded.
func pushedManager(t *testing.T, local bool) (*wasmhost.Manager, string, string, *logBuf) {
	t.Helper()
	dir, pushed := "", t.TempDir()
	if local {
		dir = t.TempDir()
	}
	logs := &logBuf{}
	reloads := 0
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: dir, PushedDir: pushed, CacheDir: cacheDir(),
		Logger:   slog.New(slog.NewTextHandler(logs, nil)),
		OnReload: func() { reloads++ }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Load(context.Background()); err != nil || reloads != 1 {
		t.Fatalf("load: %v, OnReload called %d times", err, reloads)
	}
	return m, dir, pushed, logs
}

// TestWasmPushedDir: the pushed plugin directory is a second source. A
// Manager without a local directory runs pushed plugins; ReloadPushed
// swaps versions; a version that fails keeps the previous one and
// Running says why; removing the files clears the failure.
func TestWasmPushedDir(t *testing.T) {
	m, _, pushed, logs := pushedManager(t, false)
	ctx := context.Background()
	steps := []struct {
		name   string
		write  guest  // installed in the pushed dir ("" wasm: remove p)
		want   string // sha256 running, "" none
		failed string // sha256 failed, "" none
	}{
		{"first push", guest{name: "p", wasm: "v1"}, sumOf(t, "v1"), ""},
		{"new version", guest{name: "p", wasm: "v2"}, sumOf(t, "v2"), ""},
		{"broken version keeps v2", guest{name: "p", wasm: "initfail"}, sumOf(t, "v2"), sumOf(t, "initfail")},
		{"removed", guest{name: "p"}, "", ""},
	}
	for _, st := range steps {
		err := m.ReloadPushed(ctx, func() error {
			if st.write.wasm == "" {
				return os.Remove(filepath.Join(pushed, "p.wasm"))
			}
			install(t, pushed, st.write)
			return nil
		})
		if (err != nil) != (st.failed != "") {
			t.Fatalf("%s: reload error %v", st.name, err)
		}
		run := m.Running()
		if st.want == "" && st.failed == "" {
			if len(run) != 0 || len(m.Holder().Load().Entries()) != 0 {
				t.Fatalf("%s: running %+v", st.name, run)
			}
			if f, _ := m.Failed(); len(f) != 0 {
				t.Fatalf("%s: a removed plugin is still reported failed: %v", st.name, f)
			}
			continue
		}
		if len(run) != 1 || run[0].Name != "p" || run[0].SHA256 != st.want || run[0].Source != wasmhost.SourcePushed || run[0].Failed != st.failed {
			t.Fatalf("%s: running %+v, want p %s pushed, failed %q", st.name, run, st.want, st.failed)
		}
		if st.failed != "" && !strings.Contains(run[0].Error, "bad config") {
			t.Fatalf("%s: error %q does not say why", st.name, run[0].Error)
		}
	}
	if !strings.Contains(logs.String(), "wasm plugin failed to load") {
		t.Fatalf("the broken version was not logged:\n%s", logs)
	}
}

// TestWasmPushedLocalWins: a pushed plugin with a local plugin's name is
// refused, loudly, and the local one runs; once the local one is gone the
// pushed one runs.
func TestWasmPushedLocalWins(t *testing.T) {
	m, dir, pushed, logs := pushedManager(t, true)
	ctx := context.Background()
	install(t, dir, guest{name: "p", wasm: "v1"})
	err := m.ReloadPushed(ctx, func() error { install(t, pushed, guest{name: "p", wasm: "v2"}); return nil })
	if err == nil || !strings.Contains(err.Error(), "local wins") {
		t.Fatalf("reload error %v, want the conflict", err)
	}
	run := m.Running()
	if len(run) != 1 || run[0].SHA256 != sumOf(t, "v1") || run[0].Source != wasmhost.SourceLocal || run[0].Failed != sumOf(t, "v2") ||
		!strings.Contains(run[0].Error, "local wins") {
		t.Fatalf("running %+v, want the local v1 and the pushed v2 refused", run)
	}
	if n := strings.Count(logs.String(), "local wins"); n != 1 {
		t.Fatalf("the conflict was logged %d times, want once:\n%s", n, logs)
	}
	if err := m.Reload(ctx); err == nil { // still refused, not logged again
		t.Fatal("the conflict vanished")
	}
	if n := strings.Count(logs.String(), "local wins"); n != 1 {
		t.Fatalf("the conflict was logged %d times after a second reload, want once", n)
	}
	if err := os.Remove(filepath.Join(dir, "p.wasm")); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if run := m.Running(); len(run) != 1 || run[0].SHA256 != sumOf(t, "v2") || run[0].Source != wasmhost.SourcePushed || run[0].Failed != "" {
		t.Fatalf("running %+v, want the pushed v2", run)
	}
}

// TestWasmRemovedFailureCleared: a plugin whose broken files are removed
// from the plugin directory is no longer reported as failed (it used to
// stay in Failed, and relayd_plugin_load_failed, for good).
func TestWasmRemovedFailureCleared(t *testing.T) {
	dir := t.TempDir()
	m, _, err := newManager(t, wasmhost.Options{Dir: dir}, guest{name: "bad", wasm: "initfail"})
	if err == nil {
		t.Fatal("the broken plugin loaded")
	}
	if f, ok := m.Failed(); !ok || len(f) != 1 {
		t.Fatalf("failed %v", f)
	}
	if err := os.Remove(filepath.Join(dir, "bad.wasm")); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f, ok := m.Failed(); !ok || len(f) != 0 {
		t.Fatalf("removed plugin still failed: %v", f)
	}
	if run := m.Running(); len(run) != 0 {
		t.Fatalf("running %+v", run)
	}
}

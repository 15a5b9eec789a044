package plugintest

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/sdk/sdktest"
)

// Options say how Manager sets up the plugin directory and the host.
type Options struct {
	// Wasm is the built plugin; "" builds the Go plugin in the test's
	// working directory (Build).
	Wasm string
	// Files are written into the plugin directory by name, beside the
	// plugins: the list files of the host setting "files".
	Files map[string]string
	// Store backs the store_count host function; nil for none.
	Store store.Store
	// Pool is the number of instances of a plugin whose settings do not
	// say; 0 for the host's default.
	Pool int
}

// Manager loads the plugin once per settings (a NAME.toml each), named
// name1, name2..., into one wasmhost.Manager, which is closed when the
// test ends. It returns the Manager and the error of its first load. The
// compiled code is shared by every Manager and relay of the test binary.
func Manager(t testing.TB, name string, opts Options, settings ...string) (*wasmhost.Manager, error) {
	t.Helper()
	dir := t.TempDir()
	for file, body := range opts.Files {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wasm := opts.Wasm
	if wasm == "" {
		wasm = Build(t)
	}
	for i, s := range settings {
		relaydtest.CopyPlugin(t, dir, name+strconv.Itoa(i+1), wasm, s)
	}
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: dir, CacheDir: sharedCache(t), Store: opts.Store,
		Defaults: wasmhost.Settings{Pool: opts.Pool}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, m.Load(context.Background())
}

// Chain is Manager that fails the test unless every plugin loaded, and
// returns the chain of them, in order.
func Chain(t testing.TB, name string, opts Options, settings ...string) *policy.Chain {
	t.Helper()
	m, err := Manager(t, name, opts, settings...)
	if err != nil {
		t.Fatal(err)
	}
	ch := m.Holder().Load()
	if got := len(ch.Entries()); got != len(settings) {
		t.Fatalf("%d plugins loaded, want %d", got, len(settings))
	}
	return ch
}

// Policy loads the plugin once, with settings and a pool of one instance
// unless opts say otherwise, and returns it: the setup of a benchmark.
func Policy(t testing.TB, name string, opts Options, settings string) policy.Policy {
	t.Helper()
	if opts.Pool == 0 {
		opts.Pool = 1
	}
	return Chain(t, name, opts, settings).Entries()[0].Policy
}

// Session returns session 1, from 203.0.113.7, authenticated as authed
// unless it is empty: the client of a benchmark.
func Session(authed string) *policy.Session {
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7")}
	if authed != "" {
		s.SetAuthed(authed)
	}
	return s
}

// ConfigJSON returns the [config] table of a NAME.toml as the JSON the
// host hands the plugin: "{}" if there is none.
func ConfigJSON(t testing.TB, settings string) string {
	t.Helper()
	var s struct {
		Config map[string]any `toml:"config"`
	}
	if _, err := toml.Decode(settings, &s); err != nil {
		t.Fatalf("%v in:\n%s", err, settings)
	}
	if s.Config == nil {
		return "{}"
	}
	b, err := json.Marshal(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Native runs the plugin of the test binary natively (package sdktest)
// with the [config] of settings, a NAME.toml, and fails the test unless
// its init succeeds. opts.Config is ignored.
func Native(t testing.TB, settings string, opts sdktest.Options) *sdktest.Host {
	t.Helper()
	opts.Config = ConfigJSON(t, settings)
	h := sdktest.New(opts)
	if err := h.Init(); err != nil {
		t.Fatalf("init: %v\nsettings:\n%s", err, settings)
	}
	return h
}

// CheckDefaults loads plugins/defaults/NAME.toml, the settings of the
// default plugin set ("make run"), natively and through the host, and
// fails the test unless both accept it. It runs in plugins/NAME.
func CheckDefaults(t *testing.T, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "defaults", name+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	Native(t, string(b), sdktest.Options{Name: name})
	Chain(t, name, Options{}, string(b))
}

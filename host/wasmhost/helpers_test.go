package wasmhost_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// guest is a plugin to put in a test's plugin directory: a .wasm from
// testdata/wat (or a path), optional NAME.toml text and the files it
// lists.
type guest struct {
	name  string // plugin name
	wasm  string // file in testdata/wat without .wasm, or an absolute path
	toml  string
	files map[string]string // name -> contents
}

func wasmPath(src string) string {
	if filepath.IsAbs(src) {
		return src
	}
	return filepath.Join("testdata", "wat", src+".wasm")
}

// install copies g into dir as NAME.wasm (+ NAME.toml and its files)
// atomically (write then rename, as operators do).
func install(t testing.TB, dir string, g guest) {
	t.Helper()
	b, err := os.ReadFile(wasmPath(g.wasm))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range g.files {
		writeAtomic(t, filepath.Join(dir, name), []byte(body))
	}
	if g.toml != "" {
		writeAtomic(t, filepath.Join(dir, g.name+".toml"), []byte(g.toml))
	}
	writeAtomic(t, filepath.Join(dir, g.name+".wasm"), b)
}

func writeAtomic(t testing.TB, path string, b []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// logBuf collects log output for assertions.
type logBuf struct {
	mu sync.Mutex
	sb strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.String()
}

// cacheDir is shared by the tests of this binary so Go guests compile once.
var cacheDir = sync.OnceValue(func() string {
	d, err := os.MkdirTemp("", "wasmhost-cache-")
	if err != nil {
		panic(err)
	}
	return d
})

// newManager loads gs from a fresh directory. opts.Dir, CacheDir and
// Logger are filled in.
func newManager(t testing.TB, opts wasmhost.Options, gs ...guest) (*wasmhost.Manager, *logBuf, error) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	for _, g := range gs {
		install(t, opts.Dir, g)
	}
	logs := &logBuf{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.CacheDir = cacheDir()
	m, err := wasmhost.NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, logs, m.Load(context.Background())
}

func session(id uint64) *policy.Session {
	return &policy.Session{ID: id, IP: netip.MustParseAddr("203.0.113.7"), ConnectedAt: 1700000000,
		Headers: map[string]string{"user-agent": "test/1.0", "origin": "https://example.com"}}
}

func event(kind int) *policy.EventInput {
	ev := &nostr.Event{
		ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), CreatedAt: 1700000000, Kind: kind,
		Tags: nostr.Tags{{"t", "nostr"}, {"e", strings.Repeat("1", 64), "wss://r.example"}}, Content: "hello", Sig: strings.Repeat("f", 128),
	}
	raw, _ := ev.MarshalJSON()
	s := session(1)
	return &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: 1700000001, Source: s.Source()}
}

// plugin returns the chain entry named name.
func plugin(t testing.TB, m *wasmhost.Manager, name string) policy.Policy {
	t.Helper()
	for _, e := range m.Holder().Load().Entries() {
		if e.Policy.Name() == name {
			return e.Policy
		}
	}
	t.Fatalf("plugin %s not in the chain", name)
	return nil
}

var ctx = context.Background()

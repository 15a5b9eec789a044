package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	"github.com/relayd/relayd/sdk/sdktest"
)

// This file runs the plugin through the real host: the .wasm built from
// this directory, loaded by host/wasmhost or by a whole relayd. It is the
// same in every plugin of this repository but for pluginName, defined in
// the plugin's own tests (plugins are main packages and cannot share test
// code).

func TestMain(m *testing.M) {
	code := m.Run()
	wasmbuild.RemoveAll()
	if cacheDir != "" {
		os.RemoveAll(cacheDir)
	}
	os.Exit(code)
}

// cacheDir keeps wazero's compiled code for the test binary, so the plugin
// is compiled once however many managers and relays load it.
var (
	cacheDir  string
	cacheOnce sync.Once
)

func sharedCache(t testing.TB) string {
	cacheOnce.Do(func() {
		d, err := os.MkdirTemp("", pluginName+"-wasm-cache-")
		if err != nil {
			t.Fatal(err)
		}
		cacheDir = d
	})
	return cacheDir
}

// TestDefaultSettings loads plugins/defaults/NAME.toml, the settings
// "make run" uses, natively and through the host.
func TestDefaultSettings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "defaults", pluginName+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	newHost(t, string(b), sdktest.Options{Name: pluginName})
	loadAll(t, string(b))
}

// readmeExamples returns the ```toml blocks of README.md, in order.
func readmeExamples(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```toml\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatal("README.md has no toml examples")
	}
	return out
}

// configJSON returns the [config] table of a NAME.toml as the JSON the
// host hands the plugin.
func configJSON(t testing.TB, settings string) string {
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

// newHost runs the plugin natively with the [config] of settings.
func newHost(t testing.TB, settings string, opts sdktest.Options) *sdktest.Host {
	t.Helper()
	opts.Config = configJSON(t, settings)
	h := sdktest.New(opts)
	if err := h.Init(); err != nil {
		t.Fatalf("init: %v\nsettings:\n%s", err, settings)
	}
	return h
}

// install puts the built plugin and its settings into dir.
func install(t testing.TB, dir, settings string) {
	t.Helper()
	relaydtest.CopyPlugin(t, dir, pluginName, wasmbuild.Build(t, "."), settings)
}

// loadAll loads the plugin once per settings, named NAME1, NAME2..., into
// one wasmhost Manager, fails the test unless every one loads, and
// returns the chain.
func loadAll(t testing.TB, settings ...string) *policy.Chain {
	t.Helper()
	dir := t.TempDir()
	wasm := wasmbuild.Build(t, ".")
	for i, s := range settings {
		relaydtest.CopyPlugin(t, dir, pluginName+strconv.Itoa(i+1), wasm, s)
	}
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: dir, CacheDir: sharedCache(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ch := m.Holder().Load()
	if got := len(ch.Entries()); got != len(settings) {
		t.Fatalf("%d plugins loaded, want %d", got, len(settings))
	}
	return ch
}

// startRelay runs a relayd with the plugin loaded with settings.
func startRelay(t testing.TB, settings string) *relaydtest.Relay {
	t.Helper()
	dir := t.TempDir()
	install(t, dir, settings)
	cfg := relaydtest.Default(dir)
	cfg.DataDir = t.TempDir()
	if err := os.Symlink(sharedCache(t), filepath.Join(cfg.DataDir, "wasm-cache")); err != nil {
		t.Fatal(err)
	}
	r := relaydtest.Start(t, cfg)
	if logs := r.Logs(); !strings.Contains(logs, "wasm plugin loaded") || strings.Contains(logs, "failed to load") {
		t.Fatalf("plugin did not load:\n%s", logs)
	}
	return r
}

// upgradeStatus sends a websocket upgrade request to the relay and returns
// the HTTP status and body of the answer.
func upgradeStatus(t *testing.T, wsURL string) (int, string) {
	t.Helper()
	addr := strings.TrimPrefix(wsURL, "ws://")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, ""
	}
	var sb strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	sb.Write(buf[:n])
	return resp.StatusCode, sb.String()
}

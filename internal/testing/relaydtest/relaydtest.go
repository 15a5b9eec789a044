// Package relaydtest runs a real relayd in-process for tests: the same
// wiring as the binary (host/server: badger on disk, the WASM plugin
// manager, the relay on a real 127.0.0.1 listener).
package relaydtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/server"
	"github.com/relayd/relayd/host/wasmhost"
)

// Relay is a running relayd.
type Relay struct {
	// URL is the websocket URL, ws://127.0.0.1:PORT.
	URL string
	// Config is the configuration it runs with.
	Config config.Config
	// MetricsURL is the metrics_listen server's URL, http://HOST:PORT, if
	// Config.MetricsListen is set (use "127.0.0.1:0" for any port).
	MetricsURL string
	// Plugins is the relay's plugin manager (nil without a plugin
	// directory), to call its management methods (Manage) as the
	// relay's management API does.
	Plugins *wasmhost.Manager

	logs    *syncBuffer
	reload  chan struct{}
	stop    context.CancelFunc
	done    chan error
	stopped sync.Once
}

// Start runs relayd with cfg (based on config.Default()), on 127.0.0.1:0
// and, unless set, a temporary data dir. It stops when the test ends.
func Start(t testing.TB, cfg config.Config) *Relay {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return start(t, cfg, nil)
}

// StartFile runs relayd from the config file at path, as
// "relayd -config path -listen 127.0.0.1:0 -data TEMPDIR -plugins
// pluginDir" would (no -plugins if pluginDir is empty): the flags stay
// over the file at every reload. Reload then reloads the file too, as
// SIGHUP does, and so does a change of the file.
func StartFile(t testing.TB, path, pluginDir string) *Relay {
	t.Helper()
	data := t.TempDir()
	src := config.Source{Path: path, Flags: func(c *config.Config) {
		c.Listen, c.DataDir = "127.0.0.1:0", data
		if pluginDir != "" {
			c.PluginDir = pluginDir
		}
	}}
	cfg, err := src.Load()
	if err != nil {
		t.Fatal(err)
	}
	return start(t, cfg, &src)
}

func start(t testing.TB, cfg config.Config, src *config.Source) *Relay {
	t.Helper()
	logs := &syncBuffer{}
	var w io.Writer = logs.writer()
	if os.Getenv("RELAYD_TEST_LOG") != "" {
		w = multi{logs.writer(), os.Stderr}
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	ready, metrics := make(chan string, 1), make(chan string, 1)
	plugins := make(chan *wasmhost.Manager, 1)
	r := &Relay{Config: cfg, logs: logs, reload: make(chan struct{}, 1), stop: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- server.Run(ctx, cfg, log, server.Hooks{Ready: ready, Reload: r.reload, Config: src, Version: "test", MetricsListening: metrics, Plugins: plugins})
	}()
	select {
	case addr := <-ready:
		r.URL = "ws://" + addr
		if cfg.MetricsListen != "" {
			r.MetricsURL = "http://" + <-metrics // sent before Ready
		}
		if cfg.PluginDir != "" {
			r.Plugins = <-plugins // sent before Ready
		}
	case err := <-r.done:
		cancel()
		t.Fatalf("relayd did not start: %v\n%s", err, logs.String())
	case <-time.After(5 * time.Minute): // a hang guard: compiling plugins cold under -race on a loaded machine takes over a minute
		cancel()
		t.Fatalf("relayd did not start in time\n%s", logs.String())
	}
	t.Cleanup(func() {
		r.Stop()
		if t.Failed() {
			t.Logf("relayd logs:\n%s", logs.String())
		}
	})
	return r
}

// Default is config.Default() with the plugin directory set and no data
// dir (Start uses a temporary one).
func Default(pluginDir string) config.Config {
	c := config.Default()
	c.PluginDir = pluginDir
	c.DataDir = ""
	return c
}

// Stop shuts the relay down and waits for it (idempotent: later calls
// return at once).
func (r *Relay) Stop() {
	r.stopped.Do(func() {
		r.stop()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		}
	})
}

// Reload reloads the config file (StartFile) and asks the plugin manager
// to rescan, as SIGHUP does.
func (r *Relay) Reload() { r.reload <- struct{}{} }

// Logs returns everything the relay logged so far.
func (r *Relay) Logs() string { return r.logs.String() }

// WaitLog waits until the log contains s, or fails the test after d.
func (r *Relay) WaitLog(t testing.TB, s string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !bytes.Contains([]byte(r.Logs()), []byte(s)) {
		if time.Now().After(deadline) {
			t.Fatalf("relay log never said %q:\n%s", s, r.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CopyPlugin copies a built .wasm (and writes its settings, if not empty)
// into dir as NAME.wasm / NAME.toml, atomically (write then rename), as an
// operator deploying it would.
func CopyPlugin(t testing.TB, dir, name, wasmPath, settings string) {
	t.Helper()
	b, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	if settings != "" {
		writeAtomic(t, filepath.Join(dir, name+".toml"), []byte(settings))
	}
	writeAtomic(t, filepath.Join(dir, name+".wasm"), b)
}

func writeAtomic(t testing.TB, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) writer() *bufWriter { return &bufWriter{s} }

type bufWriter struct{ s *syncBuffer }

func (w *bufWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.b.Write(p)
}

type multi []io.Writer

func (m multi) Write(p []byte) (int, error) {
	for _, w := range m {
		w.Write(p)
	}
	return len(p), nil
}

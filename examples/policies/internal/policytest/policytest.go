//go:build !wasip1

// Package policytest runs the example policies in a real relayd for their
// end-to-end tests: it puts one built plugin and its NAME.toml in a fresh
// plugin directory, starts relayd on it (package relaydtest: badger on
// disk, the plugin manager, a 127.0.0.1 listener) and checks the plugin
// loaded.
package policytest

import (
	"os"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/relaydtest"
)

// Start runs a relayd whose plugin directory holds name.wasm (a copy of
// wasmPath) and name.toml (settings), and fails the test unless the
// plugin loaded.
func Start(t testing.TB, name, wasmPath, settings string) *relaydtest.Relay {
	t.Helper()
	dir := t.TempDir()
	relaydtest.CopyPlugin(t, dir, name, wasmPath, settings)
	cfg := relaydtest.Default(dir)
	cfg.DataDir = t.TempDir() // else config.Default's ./data, in the source tree
	r := relaydtest.Start(t, cfg)
	// The manager loads the directory before the relay listens.
	if want := `msg="wasm plugin loaded" plugin=` + name + " "; !strings.Contains(r.Logs(), want) {
		t.Fatalf("plugin %s did not load:\n%s", name, r.Logs())
	}
	return r
}

// READMESettings returns the first ```toml block of the README at path:
// the e2e tests run the example NAME.toml the README shows, so the two
// cannot drift apart.
func READMESettings(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```toml\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal(path + " has no ```toml block")
	}
	return block
}

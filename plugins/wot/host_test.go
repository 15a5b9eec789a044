package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/sdktest"
)

// The plugin runs through the real host in these tests: the .wasm built
// from this directory, loaded by host/wasmhost or by a whole relayd
// (package plugintest).

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestREADMEExamples loads every example of the README through the host
// (each must start: its db_max_keys fits its max_keys) and natively.
func TestREADMEExamples(t *testing.T) {
	exs := plugintest.ReadExamples(t, "README.md")
	plugintest.Chain(t, pluginName, plugintest.Options{}, exs.Settings()...)
	for _, ex := range exs {
		if err := sdktest.New(sdktest.Options{Name: pluginName, Settings: ex.Settings}).Init(); err != nil {
			t.Errorf("%s: %v", ex.Title, err)
		}
	}
}

// TestDefaultSettings loads plugins/defaults/wot.toml, switched on, through
// the host and natively: the file `make run` ships disabled must start
// once the operator enables it.
func TestDefaultSettings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "defaults", pluginName+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nenabled = false\n") {
		t.Fatal("defaults/wot.toml: want enabled = false (wot needs the operator's keys)")
	}
	on := strings.Replace(string(b), "\nenabled = false\n", "\nenabled = true\n", 1)
	plugintest.Chain(t, pluginName, plugintest.Options{}, on)
	if err := sdktest.New(sdktest.Options{Name: pluginName, Settings: on}).Init(); err != nil {
		t.Error(err)
	}
}

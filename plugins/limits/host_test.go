package main

import (
	"testing"

	"github.com/relayd/relayd/internal/testing/plugintest"
)

// The plugin runs through the real host in these tests: the .wasm built
// from this directory, loaded by host/wasmhost or by a whole relayd
// (package plugintest).

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestDefaultSettings loads plugins/defaults/NAME.toml, the settings
// "make run" uses, natively and through the host.
func TestDefaultSettings(t *testing.T) { plugintest.CheckDefaults(t, pluginName) }

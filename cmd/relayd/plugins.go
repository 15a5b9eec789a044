package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
)

// pluginSet is the running plugin manager, if any.
type pluginSet struct {
	close func()
}

// startPlugins loads the plugin directory into holder and keeps it
// reloading (file changes, SIGHUP) until ctx ends.
func startPlugins(ctx context.Context, cfg config.Config, log *slog.Logger, st store.Store, holder *policy.Holder) (*pluginSet, error) {
	if cfg.PluginDir == "" {
		return &pluginSet{close: func() {}}, nil
	}
	return nil, fmt.Errorf("plugins: the WASM host is not built yet")
}

// pluginCommand runs `relayd plugin ...`.
func pluginCommand(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "relayd plugin: not implemented yet")
	return 2
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/server"
	"github.com/relayd/relayd/host/store/badgerstore"
)

// pluginStore is the store `relayd plugin test` and `plugin bench` give the
// plugin: a real badger store opened as the relay opens its own (the data
// dir's layout, badger's lock), which the plugin host uses as the relay
// does, for store_count and for the plugin's durable state (db_*, package
// host/wasmhost/durable). A plugin that counts strikes or remembers bans
// therefore behaves under test as it will live. With -data DIR the store,
// and so the durable state, is kept between runs; DIR may be a copy of a
// relay's data dir, to replay fixtures against what the relay holds.
// Without it every run gets a new store in a temporary directory, removed
// when the run ends, so a run's verdicts depend on its fixtures alone.
type pluginStore struct {
	*badgerstore.Store
	data *server.Data
	temp string // the temporary data dir to remove, or ""
}

// openPluginStore opens the store of the data dir dir, or of a new
// temporary one when dir is empty. The free-space reserve is off: the
// store holds a plugin's fixtures, not a relay's events.
func openPluginStore(dir string, log *slog.Logger) (*pluginStore, error) {
	ps := &pluginStore{}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "relayd-plugin-data-")
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		dir, ps.temp = tmp, tmp
	}
	cfg := config.Default()
	cfg.DataDir, cfg.DiskReserveMB = dir, 0
	d, err := server.OpenData(context.Background(), cfg, log, server.DataOptions{})
	if err != nil {
		ps.removeTemp()
		if errors.Is(err, badgerstore.ErrLocked) {
			return nil, fmt.Errorf("-data %s is in use by a running relayd or another command (%w); stop it, or test on a copy", dir, err)
		}
		return nil, err
	}
	ps.data, ps.Store = d, d.Store
	return ps, nil
}

// close closes the store, after its queued writes are committed, and
// removes a temporary data dir.
func (ps *pluginStore) close() error {
	err := ps.data.Close()
	ps.removeTemp()
	return err
}

func (ps *pluginStore) removeTemp() {
	if ps.temp != "" {
		os.RemoveAll(ps.temp)
	}
}

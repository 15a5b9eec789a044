package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
)

// Data is relayd's data dir opened by an operator command (relayd import,
// export, delete, stats, compact, fsck) rather than by a serving relay:
// the same badger store with the same options and, for commands that take
// events in, the same relay core and plugins, without a listener.
type Data struct {
	// Store is the event store.
	Store *badgerstore.Store
	// Relay is the relay core, to ingest events with its checks and
	// policies; nil unless DataOptions.Relay was set.
	Relay *relay.Relay

	plugins *wasmhost.Manager
}

// DataOptions say what OpenData sets up besides the store.
type DataOptions struct {
	// Relay builds the relay core (for Relay.NewIngester).
	Relay bool
	// PluginDir, if not empty, loads the plugins there into the relay's
	// chain, as the relay would; a plugin that fails to load is an error.
	PluginDir string
	// Version is the relay version plugins see.
	Version string
}

// OpenData opens cfg's data dir for an operator command. While a relayd
// (or another command) has the store open it fails with an error wrapping
// badgerstore.ErrLocked.
func OpenData(ctx context.Context, cfg config.Config, log *slog.Logger, opts DataOptions) (*Data, error) {
	dir := storeDir(cfg)
	if err := badgerstore.CheckLock(dir); err != nil {
		return nil, err
	}
	st, err := openStore(cfg, log, nil)
	if err != nil {
		return nil, err
	}
	d := &Data{Store: st}
	if !opts.Relay {
		return d, nil
	}
	holder := &policy.Holder{}
	if opts.PluginDir != "" {
		pcfg := cfg
		pcfg.PluginDir = opts.PluginDir
		d.plugins, err = loadPlugins(ctx, pcfg, log, st, holder, opts.Version)
		if err != nil {
			return nil, errors.Join(err, d.Close())
		}
	}
	if d.Relay, err = relay.New(relayOptions(cfg, log, opts.Version), st, holder); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	return d, nil
}

// Close stops the relay core and the plugins and closes the store, after
// its queued writes are committed.
func (d *Data) Close() error {
	var errs []error
	if d.Relay != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, d.Relay.Shutdown(ctx))
		cancel()
	}
	if d.plugins != nil {
		errs = append(errs, d.plugins.Close())
	}
	errs = append(errs, d.Store.Close())
	return errors.Join(errs...)
}

// storeDir is where the badger store of cfg lives.
func storeDir(cfg config.Config) string { return filepath.Join(cfg.DataDir, "events") }

// storeOptions are the store's options for cfg, for the relay and the
// operator commands alike.
func storeOptions(cfg config.Config, log *slog.Logger) badgerstore.Options {
	reserve := int64(cfg.DiskReserveMB) << 20
	if reserve == 0 {
		reserve = -1 // off
	}
	return badgerstore.Options{
		Logger:            log,
		MaxEventSize:      cfg.MaxMessageBytes,
		MemoryBudget:      int64(cfg.StoreMemoryMB) << 20,
		DiskReserve:       reserve,
		DiskCheckInterval: cfg.DiskCheckInterval.Duration,
		AcceptRollback:    cfg.AcceptStoreRollback,
	}
}

// loadPlugins loads cfg.PluginDir once, with no watching: every plugin
// must load.
func loadPlugins(ctx context.Context, cfg config.Config, log *slog.Logger, st *badgerstore.Store, holder *policy.Holder, version string) (*wasmhost.Manager, error) {
	m, err := newManager(cfg, log, st, holder, version, nil)
	if err != nil {
		return nil, err
	}
	if err := m.Load(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("plugins: %w", err), m.Close())
	}
	return m, nil
}

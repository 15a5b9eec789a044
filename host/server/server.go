// Package server wires relayd together from a config.Config: the badger
// store, the WASM plugin manager, the relay, the listener and the debug
// server. cmd/relayd runs it; tests run it in-process to get a real relayd.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
)

// Hooks let the caller observe and steer a running server. All are
// optional.
type Hooks struct {
	// Ready receives the listening address once connections are accepted.
	Ready chan<- string
	// Reload makes the plugin manager rescan the plugin directory (SIGHUP).
	Reload <-chan struct{}
	// Version is the relay version reported in NIP-11 and to plugins.
	Version string
}

// Run serves until ctx ends, then shuts down gracefully: stop accepting,
// flush every connection's queue for at most cfg.ShutdownTimeout, stop the
// plugins, close the store.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, h Hooks) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, err := openStore(cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing store", "err", err)
		}
	}()

	holder := &policy.Holder{}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	if cfg.PluginDir != "" {
		m, err := startPlugins(bg, cfg, log, st, holder, h)
		if err != nil {
			return err
		}
		defer m.Close()
	}

	r, err := relay.New(relayOptions(cfg, log, h.Version), st, holder)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- r.Serve(ln) }()
	log.Info("relayd listening", "addr", ln.Addr().String(), "data", cfg.DataDir, "plugins", cfg.PluginDir)
	if cfg.DebugListen != "" {
		go serveDebug(cfg.DebugListen, log)
	}
	if h.Ready != nil {
		h.Ready <- ln.Addr().String()
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	log.Info("shutting down", "flush_timeout", cfg.ShutdownTimeout.Duration)
	ln.Close() // stop accepting; upgraded connections are the relay's
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.Duration)
	defer cancel()
	if err := r.Shutdown(sctx); err != nil {
		log.Warn("some connections did not flush in time", "err", err)
	}
	return nil
}

// openStore opens the badger store in the data dir. A store that has gone
// backwards is refused with the way out.
func openStore(cfg config.Config, log *slog.Logger) (*badgerstore.Store, error) {
	reserve := int64(cfg.DiskReserveMB) << 20
	if reserve == 0 {
		reserve = -1 // off
	}
	st, err := badgerstore.Open(filepath.Join(cfg.DataDir, "events"), badgerstore.Options{
		Logger:            log,
		MaxEventSize:      cfg.MaxMessageBytes,
		DiskReserve:       reserve,
		DiskCheckInterval: cfg.DiskCheckInterval.Duration,
		AcceptRollback:    cfg.AcceptStoreRollback,
	})
	if errors.Is(err, badgerstore.ErrRolledBack) {
		return nil, fmt.Errorf("store: %w. Restore the data dir from a backup, or start relayd once with -accept-store-rollback "+
			"to serve the store as it is (relayd fsck, planned, will check and repair stores)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return st, nil
}

// startPlugins loads the plugin directory into holder and keeps reloading
// it on file changes and on h.Reload until bg ends.
func startPlugins(bg context.Context, cfg config.Config, log *slog.Logger, st *badgerstore.Store, holder *policy.Holder, h Hooks) (*wasmhost.Manager, error) {
	m, err := wasmhost.NewManager(wasmhost.Options{
		Dir:          cfg.PluginDir,
		CacheDir:     filepath.Join(cfg.DataDir, "wasm-cache"),
		Logger:       log,
		Store:        st,
		Holder:       holder,
		RelayVersion: h.Version,
		Defaults: wasmhost.Settings{
			TimeoutMS: int(cfg.PluginTimeout.Milliseconds()),
			MemoryMB:  cfg.PluginMemoryMB,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	if err := m.Load(bg); err != nil {
		// A broken plugin is left out; the others run. Say so loudly.
		log.Error("some plugins failed to load", "err", err)
	}
	go m.Run(bg)
	if h.Reload != nil {
		go func() {
			for {
				select {
				case <-bg.Done():
					return
				case <-h.Reload:
					log.Info("reloading plugins")
					if err := m.Reload(bg); err != nil {
						log.Error("plugin reload", "err", err)
					}
				}
			}
		}()
	}
	return m, nil
}

func relayOptions(cfg config.Config, log *slog.Logger, version string) relay.Options {
	return relay.Options{
		RelayURL: cfg.RelayURL, TrustProxy: cfg.TrustProxy,
		Name: cfg.Name, Description: cfg.Description, Pubkey: cfg.Pubkey, Contact: cfg.Contact, Icon: cfg.Icon,
		Version:             version,
		MaxMessageBytes:     cfg.MaxMessageBytes,
		MaxContentBytes:     cfg.MaxContentBytes,
		MaxSubscriptions:    cfg.MaxSubscriptions,
		MaxFilters:          cfg.MaxFilters,
		MaxFilterValues:     cfg.MaxFilterValues,
		MaxLimit:            cfg.MaxLimit,
		DefaultLimit:        cfg.DefaultLimit,
		MaxSubIDLength:      cfg.MaxSubIDLength,
		MaxEventTags:        cfg.MaxEventTags,
		CreatedAtLowerLimit: cfg.CreatedAtLowerLimit,
		CreatedAtUpperLimit: cfg.CreatedAtUpperLimit,
		AuthRequired:        cfg.AuthRequired,
		MaxConnections:      cfg.MaxConnections,
		QueueBytes:          cfg.QueueBytes,
		WriteTimeout:        cfg.WriteTimeout.Duration,
		PingInterval:        cfg.PingInterval.Duration,
		IdleTimeout:         cfg.IdleTimeout.Duration,
		ExpireInterval:      cfg.ExpireInterval.Duration,
		Logger:              log,
	}
}

// serveDebug serves Go's pprof handlers on a separate, operator-only address.
func serveDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("debug server listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Warn("debug server stopped", "err", err)
	}
}

// Package server wires relayd together from a config.Config: the badger
// store, the WASM plugin manager, the relay, the listener and the debug
// server, and keeps the config live: SIGHUP and changes of relayd.toml
// reload it into the running parts (reload.go; config.Live holds the
// running config for any part to read). cmd/relayd runs it; tests run it
// in-process to get a real relayd.
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
	"time"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
)

// Hooks let the caller observe and steer a running server. All are
// optional.
type Hooks struct {
	// Listening receives the listening address as soon as connections are
	// accepted, which is before the plugins are loaded: until then the
	// relay answers EVENT, AUTH, REQ and COUNT with "error: starting".
	Listening chan<- string
	// Ready receives the listening address once the relay serves
	// everything: listening, and the plugins loaded.
	Ready chan<- string
	// Reload reloads the config (if Config is set) and makes the plugin
	// manager rescan the plugin directory (SIGHUP).
	Reload <-chan struct{}
	// Config is where cfg came from: with it, Reload and changes of the
	// file reload the config in the running relayd (reload.go). nil: the
	// config is cfg for good.
	Config *config.Source
	// LogLevel, if set, is the level of log's handler: a reload sets it to
	// the new log_level.
	LogLevel *slog.LevelVar
	// Version is the relay version reported in NIP-11 and to plugins.
	Version string
	// MetricsListening receives the metrics_listen address once it
	// accepts connections (before Listening), if metrics_listen is set. It
	// must be buffered or read: the start waits for the send.
	MetricsListening chan<- string
	// Plugins, if set, receives the plugin manager once it is made (before
	// Listening), for tests that drive it (Manager.Manage); none is sent
	// without a plugin directory. It must be buffered or read.
	Plugins chan<- *wasmhost.Manager
}

// Run serves until ctx ends, then shuts down gracefully: stop accepting,
// flush every connection's queue for at most cfg.ShutdownTimeout, stop the
// plugins, close the store.
//
// The listener opens before the plugins load, so one slow plugin does not
// delay the start and ctx is honoured while they load; meanwhile the relay
// refuses work with "error: starting" (relay.Options.Starting). A plugin
// load that does not stop when ctx ends is waited for at most
// cfg.ShutdownTimeout.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, h Hooks) error {
	tel, err := newTelemetry(cfg, h.Version)
	if err != nil {
		return err
	}
	st, err := openStore(cfg, log, tel.store.ObserveCommit)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing store", "err", err)
		}
	}()
	cn, err := startCluster(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cn.close()
	rst, err := cn.replicate(ctx, st, tel.reg)
	if err != nil {
		return err
	}
	live := config.NewLive(cfg)
	holder := &policy.Holder{}
	tel.observe(holder)
	var m *wasmhost.Manager
	if cfg.PluginDir != "" || cn != nil { // a cluster node runs pushed plugins
		if m, err = newManager(cfg, log, st, holder, h.Version, cn); err != nil {
			return err
		}
		cn.pullPlugins(ctx, m)
		if err = tel.watch(m); err != nil {
			m.Close()
			return err
		}
		if h.Plugins != nil {
			h.Plugins <- m
		}
	}
	peers, err := newPeerSet(cfg, log, h.Version)
	if err == nil {
		err = tel.watchPeers(peers)
	}
	var stopMetrics func()
	if err == nil {
		stopMetrics, err = tel.serve(cfg, log, h.MetricsListening)
	}
	if err != nil {
		if m != nil {
			m.Close()
		}
		return err
	}
	defer stopMetrics()
	mg, err := newManagement(live, st, cn.adminStore(st), m, tel, log)
	var r *relay.Relay
	var ln net.Listener
	if err == nil {
		r, ln, err = listen(cfg, log, h.Version, rst, holder, m != nil, tel, mg, cn)
	}

	if err != nil {
		if m != nil {
			m.Close()
		}
		return err
	}
	addr := ln.Addr().String()
	errc := make(chan error, 1)
	go func() { errc <- r.Serve(ln) }()
	log.Info("relayd listening", "addr", addr, "data", cfg.DataDir, "plugins", cfg.PluginDir)
	if cfg.DebugListen != "" {
		go serveDebug(cfg.DebugListen, log)
	}
	announce(ctx, h.Listening, addr)
	cn.announce(ctx, cluster.NodeInfo{URL: "ws://" + addr, Version: h.Version})
	cn.watchManage(mg)

	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	subscribe(live, m, mg, peers, h.LogLevel, log)
	rl := newReloader(h, live, r, tel, log)
	events, stopWatch := watchConfig(rl, log) // before Ready: a change after Ready is seen
	defer stopWatch()
	loaded := startPlugins(ctx, bg, m, r, log, h, addr)
	go reloadLoop(bg, h.Reload, events, rl, m, loaded, log)
	go cn.syncPlugins(bg, loaded)

	go peers.start(bg, r, st, loaded)

	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			serveErr = fmt.Errorf("serve: %w", err)
		}
	}
	cfg = *live.Load()
	log.Info("shutting down", "flush_timeout", cfg.ShutdownTimeout.Duration)
	stopBG()      // stop loading, watching and reloading plugins and the config
	peers.close() // stop syncing; what peers sent is answered
	ln.Close()    // stop accepting; upgraded connections are the relay's
	shutdown(cfg, log, r, m, loaded)
	return serveErr
}

// shutdown flushes the relay's connections, then closes the plugins, all
// within cfg.ShutdownTimeout.
func shutdown(cfg config.Config, log *slog.Logger, r *relay.Relay, m *wasmhost.Manager, loaded <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.Duration)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		log.Warn("some connections did not flush in time", "err", err)
	}
	if m != nil {
		closePlugins(ctx, m, loaded, log)
	}
}

// openStore opens the badger store in the data dir; onCommit (optional)
// hears the time of each commit. A store that has gone backwards is
// refused with the way out.
func openStore(cfg config.Config, log *slog.Logger, onCommit func(time.Duration)) (*badgerstore.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	opts := storeOptions(cfg, log)
	opts.OnCommit = onCommit
	st, err := badgerstore.Open(storeDir(cfg), opts)
	if errors.Is(err, badgerstore.ErrRolledBack) {
		return nil, fmt.Errorf("store: %w. Restore the data dir from a backup, or start relayd once with -accept-store-rollback "+
			"to serve the store as it is, then check it with relayd fsck (-repair rebuilds the indexes)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return st, nil
}

// listen builds the relay (in its Starting state while plugins are to be
// loaded), serving the management API mg, and opens the listener.
func listen(cfg config.Config, log *slog.Logger, version string, st store.Store, holder *policy.Holder, starting bool, tel *telemetry, mg *management, cn *clusterNode) (*relay.Relay, net.Listener, error) {
	opts := relayOptions(cfg, log, version)
	cn.relayOptions(&opts)
	opts.Starting = starting
	tel.relayOptions(cfg, &opts)
	opts.Manage = mg.h
	r, err := relay.New(opts, st, holder)
	if err != nil {
		return nil, nil, err
	}
	mg.attach(r)
	if err := cn.startReplication(r); err != nil {
		r.Shutdown(context.Background())
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		r.Shutdown(context.Background())
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	return r, ln, nil
}

// announce sends addr on ch, if set, unless ctx ends first.
func announce(ctx context.Context, ch chan<- string, addr string) {
	if ch == nil {
		return
	}
	select {
	case ch <- addr:
	case <-ctx.Done():
	}
}

// newManager prepares the plugin manager; it loads nothing yet. On a
// cluster node it also loads the pushed plugins (cluster_plugins.go).
func newManager(cfg config.Config, log *slog.Logger, st *badgerstore.Store, holder *policy.Holder, version string, cn *clusterNode) (*wasmhost.Manager, error) {
	opts := wasmhost.Options{
		Dir:          cfg.PluginDir,
		CacheDir:     filepath.Join(cfg.DataDir, "wasm-cache"),
		Logger:       log,
		Store:        st,
		Holder:       holder,
		RelayVersion: version,
		Chain:        cfg.Chain,
		Cluster:      cn.pluginState(),
		Defaults: wasmhost.Settings{
			TimeoutMS: int(cfg.PluginTimeout.Milliseconds()),
			MemoryMB:  cfg.PluginMemoryMB,
		},
	}
	cn.pluginOptions(cfg.DataDir, &opts)
	m, err := wasmhost.NewManager(opts)
	if err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	return m, nil
}

// startPlugins starts loading the plugins, if any, and returns a channel
// closed once the first load returned; without plugins the relay is ready
// at once.
func startPlugins(ctx, bg context.Context, m *wasmhost.Manager, r *relay.Relay, log *slog.Logger, h Hooks, addr string) <-chan struct{} {
	loaded := make(chan struct{})
	if m != nil {
		go runPlugins(bg, m, r, log, h, addr, loaded)
		return loaded
	}
	close(loaded)
	log.Info("relayd ready", "addr", addr)
	announce(ctx, h.Ready, addr)
	return loaded
}

// runPlugins loads the plugin directory into the relay's chain, closes
// loaded, ends the relay's Starting state, and then keeps reloading on
// file changes until bg ends (reloadLoop serves h.Reload).
func runPlugins(bg context.Context, m *wasmhost.Manager, r *relay.Relay, log *slog.Logger, h Hooks, addr string, loaded chan<- struct{}) {
	err := m.Load(bg)
	close(loaded)
	if bg.Err() != nil {
		return // shutting down
	}
	if err != nil {
		// A broken plugin is left out; the others run. Say so loudly.
		log.Error("some plugins failed to load", "err", err)
	}
	r.Started()
	log.Info("relayd ready", "addr", addr)
	announce(bg, h.Ready, addr)
	m.Run(bg)
}

// closePlugins closes the plugin manager once its first load returned,
// waiting for that at most until ctx ends: a plugin whose load ignores
// cancellation must not hold the shutdown.
func closePlugins(ctx context.Context, m *wasmhost.Manager, loaded <-chan struct{}, log *slog.Logger) {
	select {
	case <-loaded:
		m.Close()
	case <-ctx.Done():
		log.Warn("plugins still loading at shutdown; not waiting for them")
		go func() {
			<-loaded
			m.Close()
		}()
	}
}

// relayOptions are the relay's options for cfg.
func relayOptions(cfg config.Config, log *slog.Logger, version string) relay.Options {
	return relay.Options{
		RelayURL: cfg.RelayURL, TrustedProxies: cfg.TrustedProxies,
		Name: cfg.Name, Description: cfg.Description, Pubkey: cfg.Pubkey, Contact: cfg.Contact, Icon: cfg.Icon,
		Version:           version,
		Limits:            cfg.Limits,
		DisableNegentropy: !cfg.Negentropy,
		ExpireInterval:    cfg.ExpireInterval.Duration,
		Logger:            log,
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

package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/wasmhost"
)

// Live config.
//
// relayd.toml is reloaded on SIGHUP (Hooks.Reload) and when the file
// changes (an fsnotify watch on its directory, debounced, acting only when
// the file's bytes changed, so editors' rename dances and config-map
// symlink swaps count once). A reload loads the file, applies the flags
// over it again (config.Source), keeps the restart keys at their running
// values and logs "KEY changed: restart relayd to apply" for each that
// differs (config.Apply), validates, reconfigures the relay
// (relay.Reconfigure: one atomic swap) and then stores the result in the
// running config (config.Live), whose subscribers apply the rest: the
// plugin chain's order, the status page's name, the log level. A file
// that fails to load or validate changes nothing: the running config
// stays, the log says why (naming the key), and
// relayd_config_last_reload_successful drops to 0 until a reload succeeds.
//
// Other parts read the running config from the *config.Live that Run
// builds (admin keys for the management API) and subscribe to it for what
// must be restarted on a change (sync peers).

// reloadDebounce is how long the file must be quiet before it is read.
const reloadDebounce = 100 * time.Millisecond

// reloader applies relayd.toml to a running relayd. Its methods run on
// the reload loop's goroutine only.
type reloader struct {
	src     config.Source
	live    *config.Live
	relay   *relay.Relay
	log     *slog.Logger
	version string
	m       reloadMetrics
	seen    fileState // the file as last read
}

// fileState is what a read of the config file gave: its hash, or that it
// could not be read.
type fileState struct {
	sum    [32]byte
	failed bool
}

func readState(path string) fileState {
	b, err := os.ReadFile(path)
	if err != nil {
		return fileState{failed: true}
	}
	return fileState{sum: sha256.Sum256(b)}
}

// newReloader returns the reloader of h.Config, or nil without one.
func newReloader(h Hooks, live *config.Live, r *relay.Relay, tel *telemetry, log *slog.Logger) *reloader {
	if h.Config == nil {
		return nil
	}
	return &reloader{src: *h.Config, live: live, relay: r, log: log, version: h.Version, m: tel.reloads}
}

// reload loads the config and applies it; why is the trigger, for the log.
func (rl *reloader) reload(why string) {
	if rl.src.Path != "" {
		rl.seen = readState(rl.src.Path)
	}
	if err := rl.apply(why); err != nil {
		rl.log.Error("config reload failed; keeping the running config", "file", rl.src.Path, "trigger", why, "err", err)
		rl.m.failed()
		return
	}
	rl.m.succeeded()
}

// apply loads, checks and installs the config.
func (rl *reloader) apply(why string) error {
	loaded, err := rl.src.Load()
	if err != nil {
		return err
	}
	running := rl.live.Load()
	next, restart := config.Apply(*running, loaded)
	for _, key := range restart {
		rl.log.Warn(key+" changed: restart relayd to apply", "file", rl.src.Path)
	}
	if err := next.Validate(); err != nil {
		return fmt.Errorf("with the keys that need a restart at their running values: %w", err)
	}
	if err := rl.relay.Reconfigure(relayOptions(next, rl.log, rl.version)); err != nil {
		return err
	}
	changed := config.Changed(*running, next)
	rl.live.Store(next)
	rl.log.Info("config reloaded", "file", rl.src.Path, "trigger", why, "changed", changed)
	return nil
}

// changed reports whether the file differs from its last read.
func (rl *reloader) changed() bool { return readState(rl.src.Path) != rl.seen }

// reloadLoop serves SIGHUP (sighup: config, then plugins once loaded) and
// changes of the config file (events, from watchConfig) until ctx ends. rl
// is nil when relayd was not given a config source, m when it has no
// plugins.
func reloadLoop(ctx context.Context, sighup <-chan struct{}, events <-chan struct{}, rl *reloader, m *wasmhost.Manager, loaded <-chan struct{}, log *slog.Logger) {
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sighup:
			if rl != nil {
				rl.reload("SIGHUP")
			}
			if m != nil && waitLoaded(ctx, loaded) {
				log.Info("reloading plugins")
				if err := m.Reload(ctx); err != nil {
					log.Error("plugin reload", "err", err)
				}
			}
		case _, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			debounce.Reset(reloadDebounce)
		case <-debounce.C:
			if rl.changed() {
				rl.reload("file changed")
			}
		}
	}
}

func waitLoaded(ctx context.Context, loaded <-chan struct{}) bool {
	select {
	case <-loaded:
		return true
	case <-ctx.Done():
		return false
	}
}

// watchConfig watches the config file's directory and sends a value for
// each change in it; nil (never ready) when there is no file to watch.
// The watch is in place when it returns; stop ends it.
func watchConfig(rl *reloader, log *slog.Logger) (<-chan struct{}, func()) {
	if rl == nil || rl.src.Path == "" {
		return nil, func() {}
	}
	rl.seen = readState(rl.src.Path)
	w, err := fsnotify.NewWatcher()
	if err == nil {
		err = w.Add(filepath.Dir(rl.src.Path))
		if err != nil {
			w.Close()
		}
	}
	if err != nil {
		log.Warn("not watching the config file; SIGHUP reloads it", "file", rl.src.Path, "err", err)
		return nil, func() {}
	}
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case <-done:
				return
			case _, ok := <-w.Events:
				if !ok {
					return
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Warn("config file watcher", "err", err) // events may be lost: look again
			}
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out, func() { close(done); w.Close() }
}

// reloadMetrics say how the last config reload went.
type reloadMetrics struct {
	ok      prometheus.Gauge
	at      prometheus.Gauge
	reloads *prometheus.CounterVec
}

func newReloadMetrics(reg prometheus.Registerer) (reloadMetrics, error) {
	m := reloadMetrics{
		ok: prometheus.NewGauge(prometheus.GaugeOpts{Name: "relayd_config_last_reload_successful",
			Help: "1 if the last config reload (or the load at start) succeeded, 0 if it failed and the previous config runs on."}),
		at: prometheus.NewGauge(prometheus.GaugeOpts{Name: "relayd_config_last_reload_success_timestamp_seconds",
			Help: "When the config was last loaded successfully (unix seconds)."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relayd_config_reloads_total",
			Help: "Config reloads by result (success, failure)."}, []string{"result"}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.ok, m.at, m.reloads} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return m, fmt.Errorf("metrics: %w", err)
	}
	m.reloads.WithLabelValues("success")
	m.reloads.WithLabelValues("failure")
	m.ok.Set(1)
	m.at.SetToCurrentTime()
	return m, nil
}

func (m reloadMetrics) succeeded() {
	m.ok.Set(1)
	m.at.SetToCurrentTime()
	m.reloads.WithLabelValues("success").Inc()
}

func (m reloadMetrics) failed() {
	m.ok.Set(0)
	m.reloads.WithLabelValues("failure").Inc()
}

// subscribe makes a change of the running config reach what the relay
// does not own: the plugin chain's order, the status page (under the
// NIP-86 overrides), the log level, the sync peers.
func subscribe(live *config.Live, m *wasmhost.Manager, mg *management, peers *peerSet, level *slog.LevelVar, log *slog.Logger) {
	live.Subscribe(func(old, new *config.Config) {
		if !slices.Equal(old.Sync, new.Sync) {
			peers.replace(*new)
		}
		if m != nil {
			m.SetChain(new.Chain)
		}
		if old.Name != new.Name || old.Description != new.Description {
			mg.statusInfo(new, mg.h.Info()) // the NIP-86 overrides stay over the file's values
		}
		if level != nil {
			if err := level.UnmarshalText([]byte(new.LogLevel)); err != nil {
				log.Warn("log_level", "err", err)
			}
		}
	})
}

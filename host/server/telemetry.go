package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/metrics"
	"github.com/relayd/relayd/host/peer"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/status"
	"github.com/relayd/relayd/host/wasmhost"
)

// telemetry is what the server measures and shows: relayd's registry (the
// relay's, the plugins', the store's metrics), the Go runtime and process
// registry, and the status page on top of the first. It is created first
// in Run, so every part registers into it as it is built.
type telemetry struct {
	reg     *prometheus.Registry
	runtime *prometheus.Registry
	plugins *metrics.Plugins
	store   *metrics.Store
	status  *status.Handler
	peers   atomic.Pointer[peerSet] // for the status page, once built
	reloads reloadMetrics
}

func newTelemetry(cfg config.Config, version string) (*telemetry, error) {
	t := &telemetry{reg: prometheus.NewRegistry(), runtime: metrics.NewRuntimeRegistry()}
	var err error
	if t.plugins, err = metrics.NewPlugins(t.reg); err != nil {
		return nil, err
	}
	if t.store, err = metrics.NewStore(t.reg, storeDir(cfg)); err != nil {
		return nil, err
	}
	if t.reloads, err = newReloadMetrics(t.reg); err != nil {
		return nil, err
	}
	t.status, err = status.New(status.Options{
		Name: cfg.Name, Description: cfg.Description, Version: version,
		Started: time.Now(), Gatherer: t.reg,
		Peers: t.syncPeers,
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// syncPeers lists the sync peers and their state for the status page.
func (t *telemetry) syncPeers() []status.Peer {
	ps := t.peers.Load()
	if ps == nil {
		return nil
	}
	var out []status.Peer
	for _, p := range ps.current().SyncPeers() {
		out = append(out, status.Peer{URL: p.URL, State: p.State()})
	}
	return out
}

// observe makes holder's chains report to the plugin metrics.
func (t *telemetry) observe(holder *policy.Holder) { holder.Observe(t.plugins) }

// watch reports m's load failures, its plugins' sources and sha256, and
// their store reads and ticks.
func (t *telemetry) watch(m *wasmhost.Manager) error {
	if _, err := metrics.NewLoadFailures(t.reg, m.Failed); err != nil {
		return err
	}
	if _, err := metrics.NewSources(t.reg, func() []metrics.PluginSource {
		var out []metrics.PluginSource
		for _, r := range m.Running() {
			if r.SHA256 != "" {
				out = append(out, metrics.PluginSource{Name: r.Name, SHA256: r.SHA256, Source: r.Source})
			}
		}
		return out
	}); err != nil {
		return err
	}
	_, err := metrics.NewWork(t.reg, func() map[string]metrics.PluginWork {
		out := map[string]metrics.PluginWork{}
		for name, q := range m.QueryStats() {
			out[name] = metrics.PluginWork{Queries: q.Queries, Events: q.Events, Bytes: q.Bytes, Truncated: q.Truncated,
				Timeouts: q.Timeouts, Errors: q.Errors, Ticks: q.Ticks, TickFailures: q.TickFailures, TickSeconds: q.TickSeconds}
		}
		return out
	})
	return err
}

// watchPeers registers the sync peers' metrics and lists them on the
// status page.
func (t *telemetry) watchPeers(ps *peerSet) error {
	if err := t.reg.Register(peer.NewCollector(ps.current)); err != nil {
		return fmt.Errorf("metrics: sync peers: %w", err)
	}
	t.peers.Store(ps)
	return nil
}

// relayOptions wires the relay to the registry, and serves /metrics on the
// relay's port (to local clients) unless metrics_listen is set, and the
// status page as status_page says.
func (t *telemetry) relayOptions(cfg config.Config, o *relay.Options) {
	o.Registry = t.reg
	if cfg.MetricsListen == "" {
		o.Metrics = metrics.Handler(t.reg, t.runtime)
	}
	if cfg.StatusPage != "off" {
		o.Status, o.StatusLocal = t.status, cfg.StatusPage == "local"
	}
}

// serve starts the metrics_listen server, if configured: /metrics, and the
// status page at every other path, to whoever reaches the address. It
// returns a function that stops it.
func (t *telemetry) serve(cfg config.Config, log *slog.Logger, listening chan<- string) (stop func(), err error) {
	if cfg.MetricsListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("metrics_listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(t.reg, t.runtime))
	mux.Handle("/", t.status)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	if listening != nil {
		listening <- ln.Addr().String()
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

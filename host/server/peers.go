package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/peer"
	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
)

// syncPeers builds the [[sync]] peers of cfg (not started).
func syncPeers(cfg config.Config, log *slog.Logger, version string) (*peer.Group, error) {
	cfgs := make([]peer.Config, 0, len(cfg.Sync))
	for i, sp := range cfg.Sync {
		dir, err := peer.ParseDirection(sp.Dir)
		if err != nil {
			return nil, fmt.Errorf("sync[%d]: %w", i, err)
		}
		var f nostr.Filter
		if sp.Filter != "" {
			if f, err = envelope.ParseFilter([]byte(sp.Filter), envelope.Limits{}); err != nil {
				return nil, fmt.Errorf("sync[%d].filter: %w", i, err)
			}
		}
		cfgs = append(cfgs, peer.Config{URL: sp.URL, Dir: dir, Filter: f, FilterText: sp.Filter,
			Interval: sp.Interval.Duration, Live: sp.Live})
	}
	return peer.NewGroup(cfgs, peer.Options{
		Logger:  log,
		Version: version,
		Limits:  peer.Limits{MaxEvents: cfg.MaxNegentropyEvents},
		// A peer's events may be as large as this relay takes, and its
		// negentropy messages as large as its own limit allows.
		Conn: reconcile.Options{MaxMessageBytes: max(4<<20, cfg.MaxMessageBytes+64<<10)},
	}), nil
}

// peerSet runs the [[sync]] peers of the running config: it starts them
// once the plugins are loaded, so that no peer's event passes before the
// policy chain is in place, and replaces them when a config reload changes
// [[sync]]. Its methods are safe for concurrent use.
type peerSet struct {
	log     *slog.Logger
	version string

	mu      sync.Mutex
	cur     atomic.Pointer[peer.Group]
	ctx     context.Context // set by start
	r       *relay.Relay
	st      store.Store
	started bool
	closed  bool
}

// newPeerSet builds the peers of cfg (not started).
func newPeerSet(cfg config.Config, log *slog.Logger, version string) (*peerSet, error) {
	g, err := syncPeers(cfg, log, version)
	if err != nil {
		return nil, err
	}
	ps := &peerSet{log: log, version: version}
	ps.cur.Store(g)
	return ps, nil
}

// current returns the running peers.
func (ps *peerSet) current() *peer.Group { return ps.cur.Load() }

// start starts the peers once loaded closes; not at all if ctx ends first.
func (ps *peerSet) start(ctx context.Context, r *relay.Relay, st store.Store, loaded <-chan struct{}) {
	select {
	case <-loaded:
	case <-ctx.Done():
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.closed {
		return
	}
	ps.ctx, ps.r, ps.st, ps.started = ctx, r, st, true
	ps.cur.Load().Start(ctx, r, st)
}

// replace swaps the peers for those of cfg: the old ones stop (what they
// sent is answered first), the new ones start if the set has started. A
// cfg whose peers cannot be built keeps the old ones running.
func (ps *peerSet) replace(cfg config.Config) {
	g, err := syncPeers(cfg, ps.log, ps.version)
	if err != nil {
		ps.log.Error("config reload: [[sync]] peers not changed", "err", err)
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.closed {
		return
	}
	old := ps.cur.Swap(g)
	old.Close()
	if ps.started {
		g.Start(ps.ctx, ps.r, ps.st)
	}
	ps.log.Info("config reload: [[sync]] peers restarted", "peers", len(cfg.Sync))
}

// close stops the peers for good.
func (ps *peerSet) close() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.closed = true
	ps.cur.Load().Close()
}

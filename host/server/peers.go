package server

import (
	"context"
	"fmt"
	"log/slog"

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

// startPeers starts the sync peers once the plugins are loaded (loaded
// closes), so that no peer's event passes before the policy chain is in
// place; not at all if bg ends first.
func startPeers(bg context.Context, peers *peer.Group, r *relay.Relay, st store.Store, loaded <-chan struct{}) {
	select {
	case <-loaded:
		peers.Start(bg, r, st)
	case <-bg.Done():
	}
}

package peer

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
)

// Group is the running relay's sync peers. Build it with NewGroup (its
// Collector goes into relayd's metrics registry), Start it once the
// policies are loaded, Close it before the relay shuts down. Its methods
// are safe for concurrent use.
type Group struct {
	peers []*Peer
	opts  Options

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewGroup returns the peers of cfgs, not started.
func NewGroup(cfgs []Config, opts Options) *Group {
	opts = opts.withDefaults()
	g := &Group{opts: opts}
	for _, c := range cfgs {
		g.peers = append(g.peers, newPeer(c, opts))
	}
	return g
}

// Peers returns the peers, in configuration order.
func (g *Group) Peers() []*Peer { return g.peers }

// Start runs every peer on its own goroutines until ctx ends or Close:
// events from a peer go through r's Ingester with source Sync and the
// peer's URL as source info. Start does nothing after Close or a first
// Start.
func (g *Group) Start(ctx context.Context, r *relay.Relay, st store.Store) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started || g.closed {
		return
	}
	g.started = true
	ctx, g.cancel = context.WithCancel(ctx)
	for _, p := range g.peers {
		ing := r.NewIngester(relay.IngestOptions{Source: policy.SourceSync, SourceInfo: p.cfg.URL,
			Workers: g.opts.Workers, Window: g.opts.IngestWindow})
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer ing.Close()
			g.opts.Logger.Info("sync peer started", "peer", p.cfg.URL, "dir", p.cfg.Dir.String(),
				"filter", p.cfg.FilterText, "interval", p.cfg.Interval, "live", p.cfg.Live)
			p.run(ctx, st, ing)
		}()
	}
}

// Close stops the peers and waits for them: every event a peer gave the
// relay is answered (stored or refused) when it returns.
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	cancel := g.cancel
	g.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	g.wg.Wait()
}

// PeerStatus is one sync peer as the status page lists it.
type PeerStatus struct {
	URL      string
	Dir      string
	Filter   string
	Interval time.Duration
	Live     bool
	// LiveConnected is set while the live subscription is open.
	LiveConnected bool
	// LastSync is when the last sync completed; zero for never.
	LastSync time.Time
	Syncs    uint64
	// Errors counts failed syncs and lost live subscriptions; LastError
	// is the latest, at LastErrorTime.
	Errors        uint64
	LastError     string
	LastErrorTime time.Time
	// EventsIn counts the events from the peer by outcome name
	// ("stored", "duplicate", ...); EventsOut the events sent to it by
	// answer ("accepted", "duplicate", "refused").
	EventsIn  map[string]uint64
	EventsOut map[string]uint64
}

// SyncPeers returns a snapshot of every peer for the status page.
func (g *Group) SyncPeers() []PeerStatus {
	out := make([]PeerStatus, 0, len(g.peers))
	for _, p := range g.peers {
		out = append(out, p.status())
	}
	return out
}

func (p *Peer) status() PeerStatus {
	s := &p.stats
	st := PeerStatus{URL: p.cfg.URL, Dir: p.cfg.Dir.String(), Filter: p.cfg.FilterText, Interval: p.cfg.Interval,
		Live: p.cfg.Live, LiveConnected: s.Live.Load() == 1, Syncs: s.Syncs.Load(), Errors: s.Errors.Load(),
		EventsIn: map[string]uint64{}, EventsOut: map[string]uint64{}}
	if t := s.LastSync.Load(); t > 0 {
		st.LastSync = time.Unix(t, 0)
	}
	for o := relay.OutcomeStored; o <= relay.OutcomeFailed; o++ {
		st.EventsIn[o.String()] = s.In[o].Load()
	}
	for u := UploadAccepted; u <= UploadRefused; u++ {
		st.EventsOut[u.String()] = s.Out[u].Load()
	}
	p.mu.Lock()
	st.LastError, st.LastErrorTime = p.lastErr, p.lastErrTime
	p.mu.Unlock()
	return st
}

// State sums the peer up in one line for the status page: its direction,
// the live subscription, the last sync and the errors, e.g. "both, live
// connected, last sync 2026-12-03 19:30:00 UTC (12 syncs), 2 errors (last:
// sync failed: ...)".
func (s PeerStatus) State() string {
	var b strings.Builder
	b.WriteString(s.Dir)
	if s.Live {
		if s.LiveConnected {
			b.WriteString(", live connected")
		} else {
			b.WriteString(", live not connected")
		}
	}
	if s.LastSync.IsZero() {
		b.WriteString(", never synced")
	} else {
		fmt.Fprintf(&b, ", last sync %s (%d syncs)", s.LastSync.UTC().Format("2006-01-02 15:04:05 MST"), s.Syncs)
	}
	if s.Errors > 0 {
		fmt.Fprintf(&b, ", %d errors (last: %s)", s.Errors, s.LastError)
	}
	return b.String()
}

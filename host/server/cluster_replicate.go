package server

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/metrics"
	"github.com/relayd/relayd/host/peer"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/badgerstore"
)

// replicate prepares event replication (host/cluster, "Replication") and
// returns the store the relay writes to: st itself when clustering is
// off, else the replicator in front of it. The cluster metrics go to reg.
func (c *clusterNode) replicate(ctx context.Context, st *badgerstore.Store, reg prometheus.Registerer) (store.Store, error) {
	if c == nil {
		return st, nil
	}
	publish := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "relayd_cluster_publish_seconds",
		Help:    "Time from an EVENT's publish to JetStream's acknowledgement with the stream's replicas.",
		Buckets: metrics.LatencyBuckets(),
	})
	ctx, cancel := context.WithTimeout(ctx, clusterConnect)
	defer cancel()
	rep, err := c.conn.NewReplicator(ctx, st, c.log, cluster.ReplicatorOptions{
		ObservePublish: func(d time.Duration) { publish.Observe(d.Seconds()) },
		OnGap:          c.catchUp,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	s := rep.Stats()
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	for _, m := range []prometheus.Collector{
		publish,
		gauge("relayd_cluster_consumer_pending", "Stream events this node has not fetched yet (its lag).",
			func() float64 { return float64(s.Pending.Load()) }),
		gauge("relayd_cluster_applied_sequence", "The last stream sequence this node applied.",
			func() float64 { return float64(s.Applied.Load()) }),
		counter("relayd_cluster_unavailable_total", "EVENTs answered OK false \"error: cluster unavailable\".",
			func() float64 { return float64(s.Unavailable.Load()) }),
		counter("relayd_cluster_apply_failures_total", "Stream events the local store failed to apply (applied again).",
			func() float64 { return float64(s.ApplyFailures.Load()) }),
		counter("relayd_cluster_stream_gaps_total", "Times the stream no longer held events this node had not applied.",
			func() float64 { return float64(s.Gaps.Load()) }),
	} {
		if err := reg.Register(m); err != nil {
			rep.Close()
			return nil, fmt.Errorf("cluster metrics: %w", err)
		}
	}
	c.rep = rep
	return rep, nil
}

// relayOptions sets what the relay needs to know of replication.
func (c *clusterNode) relayOptions(o *relay.Options) {
	if c == nil || c.rep == nil {
		return
	}
	o.Replicated = true
	o.Fanout = c.rep.Fanout
}

// startReplication starts applying the stream, broadcasting through r.
func (c *clusterNode) startReplication(r *relay.Relay) error {
	if c == nil || c.rep == nil {
		return nil
	}
	c.relay = r
	c.bg, c.stopBG = context.WithCancel(context.Background())
	if err := c.rep.Start(r); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}

// stopReplication stops applying the stream; before the connection
// closes.
func (c *clusterNode) stopReplication() {
	if c.rep != nil {
		c.rep.Close()
	}
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	if c.stopBG != nil {
		c.stopBG()
	}
	c.catchUps.Wait()
}

// catchUpTimeout bounds one catch-up with another node.
const catchUpTimeout = 30 * time.Minute

// catchUp brings this node up to date with another node by negentropy
// (NIP-77), when the stream no longer holds what it missed: it downloads
// the events it lacks from the first node of the nodes bucket that
// answers. They go through the relay's Ingester, so they are published to
// the stream like any event (the nodes that have them answer duplicate).
func (c *clusterNode) catchUp() {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.catchUps.Add(1)
	c.mu.Unlock()
	defer c.catchUps.Done()
	ctx, cancel := context.WithTimeout(c.bg, catchUpTimeout)
	defer cancel()
	nodes, err := c.conn.Nodes(ctx)
	if err != nil {
		c.log.Warn("cluster: catch-up: no node list", "err", err)
		return
	}
	for _, n := range nodes {
		if n.Node == c.conn.Node() || n.URL == "" {
			continue
		}
		ing := c.relay.NewIngester(relay.IngestOptions{Source: policy.SourceSync, SourceInfo: n.URL})
		rep, err := peer.Sync(ctx, c.rep, ing, peer.Request{URL: n.URL, Dir: peer.Down})
		ing.Close()
		if err != nil {
			c.log.Warn("cluster: catch-up failed", "node", n.Node, "url", n.URL, "err", err)
			continue
		}
		c.log.Info("cluster: caught up", "node", n.Node, "url", n.URL, "missing", rep.Need,
			"stored", rep.Downloaded[relay.OutcomeStored])
		return
	}
	c.log.Warn("cluster: catch-up: no other node answered; events older than the stream's retention are missing here")
}

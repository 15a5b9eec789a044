package server

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/metrics"
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
	rep, err := c.conn.NewReplicator(ctx, st, c.log, cluster.ReplicatorOptions{ObservePublish: func(d time.Duration) {
		publish.Observe(d.Seconds())
	}})
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
}

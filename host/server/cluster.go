package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/cluster/sharedstate"
	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/relay"
)

// clusterConnect bounds the wait for NATS at start: a node that cannot
// reach any NATS server refuses to start rather than run alone and let
// the cluster's state diverge.
const clusterConnect = 30 * time.Second

// clusterNode is this node's part in a cluster ([cluster] in relayd.toml);
// nil when clustering is off. Replication, shared policy state and pushed
// plugins hang off it.
type clusterNode struct {
	conn *cluster.Conn
	log  *slog.Logger
	rep  *cluster.Replicator // replication (cluster_replicate.go)

	relay    *relay.Relay       // set before replication starts
	bg       context.Context    // catch-ups run in it; ends with stopReplication
	stopBG   context.CancelFunc //
	catchUps sync.WaitGroup
	mu       sync.Mutex
	stopped  bool // no catch-up starts
	// state is the shared policy state (cluster_state.go).
	state *sharedstate.Shared

	// self is the node's entry in the nodes bucket, as last written:
	// announce sets its URL and version, the pushed plugins' sync its
	// plugins (cluster_plugins.go).
	selfMu sync.Mutex
	self   cluster.NodeInfo
	// plugins is the pushed plugins' sync (cluster_plugins.go).
	plugins *pluginSync
}

// startCluster connects to the cluster's NATS (starting the embedded
// server if configured), or returns nil when [cluster] is off.
func startCluster(ctx context.Context, cfg config.Config, log *slog.Logger) (*clusterNode, error) {
	if !cfg.Cluster.Enabled() {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, clusterConnect)
	defer cancel()
	conn, err := cluster.Connect(ctx, cluster.Options{Config: cfg.Cluster, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c := &clusterNode{conn: conn, log: log}
	if err := c.startState(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// announce writes the node's entry in the cluster's nodes bucket.
func (c *clusterNode) announce(ctx context.Context, info cluster.NodeInfo) {
	if c == nil {
		return
	}
	if u := c.conn.Config().URL; u != "" {
		info.URL = u
	}
	err := c.putSelf(ctx, func(self *cluster.NodeInfo) { self.URL, self.Version = info.URL, info.Version })
	if err != nil {
		c.log.Warn("cluster: could not announce this node", "err", err)
	}
}

// putSelf changes the node's entry with change and writes it to the
// nodes bucket. Writes are serialised, so the last one carries every
// change.
func (c *clusterNode) putSelf(ctx context.Context, change func(*cluster.NodeInfo)) error {
	c.selfMu.Lock()
	defer c.selfMu.Unlock()
	change(&c.self)
	return c.conn.PutNode(ctx, c.self)
}

// close leaves the cluster: the NATS connection, then the embedded server.
func (c *clusterNode) close() {
	if c == nil {
		return
	}
	c.stopReplication()
	c.closeState()
	c.conn.Close()
}

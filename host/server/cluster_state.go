package server

import (
	"context"
	"fmt"

	"github.com/relayd/relayd/host/cluster/sharedstate"
	"github.com/relayd/relayd/host/manage"
	"github.com/relayd/relayd/host/wasmhost"
)

// Shared policy state in a cluster (host/cluster/sharedstate): the
// plugins' state and durable state, and the host's NIP-86 bans and NIP-11
// overrides, are the cluster's, not the node's.

// startState opens the cluster's shared state buckets.
func (c *clusterNode) startState(ctx context.Context) error {
	ss, err := sharedstate.Start(ctx, sharedstate.Options{Conn: c.conn, Logger: c.log,
		LeaseWait: c.conn.Config().StateLeaseWait.Duration})
	if err != nil {
		return fmt.Errorf("cluster: shared state: %w", err)
	}
	c.state = ss
	return nil
}

// pluginState is what the plugin manager shares its plugins' state
// through; nil without a cluster.
func (c *clusterNode) pluginState() wasmhost.ClusterState {
	if c == nil || c.state == nil {
		return nil
	}
	return c.state
}

// adminStore is st as the management API's store: in a cluster, its bans
// and NIP-11 overrides go to every node.
func (c *clusterNode) adminStore(st manage.Store) manage.Store {
	if c == nil || c.state == nil {
		return st
	}
	return c.state.Admin(st)
}

// watchManage applies the bans and overrides made on the other nodes to
// this node's store and relay (mg's). Call it once mg is attached to the
// relay.
func (c *clusterNode) watchManage(mg *management) {
	if c == nil || c.state == nil {
		return
	}
	c.state.WatchManage(mg.st, func() {
		if err := mg.h.RefreshInfo(); err != nil {
			c.log.Warn("cluster: NIP-11 overrides", "err", err)
		}
	})
}

// closeState stops sharing; after the plugins are closed.
func (c *clusterNode) closeState() {
	if c.state != nil {
		c.state.Close()
	}
}

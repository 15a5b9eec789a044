package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/natstest"
)

// TestConnectRegistry: nodes connected to different servers of one NATS
// cluster, and one running its own embedded server, see each other's
// entries in the nodes bucket.
func TestConnectRegistry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc := natstest.StartCluster(t, 3)
	tests := []struct {
		name string
		cfg  config.Cluster
	}{
		{"a", config.Cluster{NATSURL: nc.Servers[0].URL, Node: "a", Replicas: 3}},
		{"b", config.Cluster{NATSURL: nc.Servers[2].URL + "," + nc.Servers[1].URL, Node: "b", Replicas: 3}},
	}
	var conns []*Conn
	for _, tc := range tests {
		c, err := Connect(ctx, Options{Config: tc.cfg, DataDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.PutNode(ctx, NodeInfo{URL: "ws://" + tc.name}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		nodes, err := c.Nodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) != 2 || nodes[0].Node != "a" || nodes[1].URL != "ws://b" {
			t.Fatalf("%s sees %+v", c.Node(), nodes)
		}
	}
}

// TestConnectEmbedded: a node with embedded = true runs its own JetStream
// server, with its store in the data dir.
func TestConnectEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Connect(ctx, Options{Config: config.Cluster{Embedded: true, Listen: "127.0.0.1:0", Node: "solo"}, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Embedded() == nil || !c.Connected() {
		t.Fatal("no embedded server or not connected")
	}
	if err := c.PutNode(ctx, NodeInfo{}); err != nil {
		t.Fatal(err)
	}
	if nodes, err := c.Nodes(ctx); err != nil || len(nodes) != 1 || nodes[0].Node != "solo" {
		t.Fatalf("nodes %+v, %v", nodes, err)
	}
}

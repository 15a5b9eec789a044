// Package cluster_test checks a relayd cluster end to end: real NATS
// servers with JetStream (in-process, routed on 127.0.0.1), real relayd
// nodes (badger on disk, real websockets) joined through [cluster].
package cluster_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// wait bounds every wait for the cluster to converge.
const wait = 60 * time.Second

// nodeConfig is node i's config on the NATS cluster at urls.
func nodeConfig(urls string, i, replicas int) config.Config {
	cfg := relaydtest.Default("")
	cfg.Cluster = config.Cluster{NATSURL: urls, Node: fmt.Sprintf("node%d", i), Replicas: replicas}
	return cfg
}

// startNodes runs n relayd nodes on the NATS cluster nc, with an R3 (or
// R1 for one server) stream.
func startNodes(t *testing.T, nc *natstest.Cluster, n int) []*relaydtest.Relay {
	t.Helper()
	replicas := min(3, len(nc.Servers))
	nodes := make([]*relaydtest.Relay, n)
	for i := range nodes {
		nodes[i] = relaydtest.Start(t, nodeConfig(nc.URLs(), i+1, replicas))
	}
	return nodes
}

// stored reports whether the relay at url serves the event id (a fresh
// connection per call, so a try leaves nothing behind).
func stored(t *testing.T, url, id string) bool {
	t.Helper()
	c := wsc.Dial(t, url)
	defer c.NC.Close()
	return len(c.Req("q", nostr.Filter{IDs: []string{id}})) == 1
}

// query returns the events the relay at url serves for f (fresh
// connection).
func query(t *testing.T, url string, f nostr.Filter) []*nostr.Event {
	t.Helper()
	c := wsc.Dial(t, url)
	defer c.NC.Close()
	return c.Req("q", f)
}

// eventually polls cond until it holds, failing the test after wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicateLive: an event published on node 1 of three reaches a live
// subscriber on node 3 and is stored on all three; its OK true comes once
// it is stored on node 1 itself (a REQ right after the OK finds it).
func TestReplicateLive(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	nodes := startNodes(t, nc, 3)

	sub := wsc.Dial(t, nodes[2].URL)
	if evs := sub.Req("live", nostr.Filter{Kinds: []int{1}}); len(evs) != 0 {
		t.Fatalf("stored before publishing: %d events", len(evs))
	}
	k := wsc.NewKey()
	ev := k.Sign(t, 1, "hello cluster", nostr.Now())
	pub := wsc.Dial(t, nodes[0].URL)
	if ok := pub.Publish(ev); !ok.Accepted {
		t.Fatalf("publish on node 1: %v", ok)
	}
	if !stored(t, nodes[0].URL, ev.ID) {
		t.Fatal("OK true, but node 1 does not serve the event")
	}
	msg := sub.Read()
	if wsc.Label(msg) != "EVENT" || wsc.Event(t, msg).ID != ev.ID {
		t.Fatalf("node 3's live subscriber got %v, want the event", msg)
	}
	for i, n := range nodes {
		eventually(t, fmt.Sprintf("stored on node %d", i+1), func() bool { return stored(t, n.URL, ev.ID) })
	}
	// Publishing it again on another node: a duplicate, stored once.
	if ok := wsc.Dial(t, nodes[1].URL).Publish(ev); !ok.Accepted || ok.Reason == "" {
		t.Fatalf("republish on node 2: %v, want OK true duplicate:", ok)
	}
}

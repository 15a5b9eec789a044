// Package cluster_test checks a relayd cluster end to end: real NATS
// servers with JetStream (in-process, routed on 127.0.0.1), real relayd
// nodes (badger on disk, real websockets) joined through [cluster].
package cluster_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// wait bounds every wait for the cluster to converge.
const wait = 60 * time.Second

// testPublishTimeout is the nodes' publish_timeout, but in the tests of
// unavailability.
const testPublishTimeout = 30 * time.Second

// nodeConfig is node i's config on the NATS cluster at urls.
func nodeConfig(urls string, i, replicas int) config.Config {
	cfg := relaydtest.Default("")
	cfg.Cluster = config.Cluster{NATSURL: urls, Node: fmt.Sprintf("node%d", i), Replicas: replicas}
	// Generous: a loaded CI machine under -race must not turn a slow
	// acknowledgement into "cluster unavailable".
	cfg.Cluster.PublishTimeout.Duration = testPublishTimeout
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
	local := wsc.Dial(t, nodes[0].URL) // on the publishing node
	local.Req("live", nostr.Filter{Kinds: []int{1}})
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
		t.Fatalf("node 3's live subscriber got %s, want the event", msg)
	}
	for i, n := range nodes {
		eventually(t, fmt.Sprintf("stored on node %d", i+1), func() bool { return stored(t, n.URL, ev.ID) })
	}
	// The publishing node's subscriber gets each event once: the next
	// one it reads is the next event.
	next := k.Sign(t, 1, "second", nostr.Now())
	if ok := pub.Publish(next); !ok.Accepted {
		t.Fatal(ok)
	}
	for _, want := range []string{ev.ID, next.ID} {
		if msg := local.Read(); wsc.Label(msg) != "EVENT" || wsc.Event(t, msg).ID != want {
			t.Fatalf("node 1's subscriber got %s, want EVENT %s", msg, want)
		}
	}
	// Publishing it again on another node: a duplicate, stored once.
	if ok := wsc.Dial(t, nodes[1].URL).Publish(ev); !ok.Accepted || !strings.HasPrefix(ok.Reason, "duplicate:") {
		t.Fatalf("republish on node 2: %v, want OK true duplicate:", ok)
	}
}

// publishAll sends evs pipelined on one connection to url and returns the
// OKs in order.
func publishAll(t *testing.T, url string, evs []*nostr.Event) []wsc.OK {
	t.Helper()
	c := wsc.Dial(t, url)
	defer c.NC.Close()
	for _, ev := range evs {
		c.Send("EVENT", ev)
	}
	oks := make([]wsc.OK, len(evs))
	for i := range evs {
		oks[i] = c.ReadOK()
		if oks[i].ID != evs[i].ID {
			t.Fatalf("OK %d for %s, want %s (OKs out of order)", i, oks[i].ID, evs[i].ID)
		}
	}
	return oks
}

// ids returns the ids of evs, sorted as the relay returns them.
func idsOf(evs []*nostr.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// TestReplicateConverge: conflicting writes made at once on different
// nodes — versions of one replaceable event, of one addressable event,
// and an event with its deletion — leave every node with the same events:
// the newest version, and the deleted event gone and refused.
func TestReplicateConverge(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	nodes := startNodes(t, nc, 3)
	k := wsc.NewKey()
	base := nostr.Now() - 100

	// Each node gets its own versions, in an order that is not
	// created_at order, all at once.
	var lists [3][]*nostr.Event
	for v := range 9 {
		at := base + nostr.Timestamp((v*5)%9) // 0 5 1 6 2 7 3 8 4
		lists[v%3] = append(lists[v%3],
			k.Sign(t, 0, fmt.Sprintf(`{"name":"v%d"}`, v), at),
			k.Sign(t, 30023, fmt.Sprintf("article v%d", v), at, nostr.Tag{"d", "post"}))
	}
	victim := k.Sign(t, 1, "to be deleted", base)
	del := k.Sign(t, 5, "", base+1, nostr.Tag{"e", victim.ID})
	lists[0] = append(lists[0], victim)
	lists[1] = append([]*nostr.Event{del}, lists[1]...)

	done := make(chan []wsc.OK, 3)
	for i := range 3 {
		go func() { done <- publishAll(t, nodes[i].URL, lists[i]) }()
	}
	for range 3 {
		for _, ok := range <-done {
			if ok.Reason != "" && ok.Reason[:6] == "error:" {
				t.Fatalf("publish: %v", ok)
			}
		}
	}

	f := nostr.Filter{Authors: []string{k.PK}}
	want := query(t, nodes[0].URL, f)
	eventually(t, "all nodes hold the same events", func() bool {
		want = query(t, nodes[0].URL, f)
		for _, n := range nodes[1:] {
			if fmt.Sprint(idsOf(query(t, n.URL, f))) != fmt.Sprint(idsOf(want)) {
				return false
			}
		}
		// The newest versions, and the deletion (the victim is gone).
		return len(want) == 3
	})
	for _, ev := range want {
		switch ev.Kind {
		case 0, 30023:
			if ev.CreatedAt != base+8 {
				t.Errorf("kind %d: kept the version of %d, want the newest (%d)", ev.Kind, ev.CreatedAt, base+8)
			}
		case 5:
		default:
			t.Errorf("unexpected event kind %d (%s) left", ev.Kind, ev.Content)
		}
	}
	// The deleted event cannot come back, on any node.
	for i, n := range nodes {
		if ok := wsc.Dial(t, n.URL).Publish(victim); ok.Accepted || !strings.HasPrefix(ok.Reason, "blocked:") {
			t.Errorf("node %d: publishing the deleted event again: %v, want OK false blocked:", i+1, ok)
		}
	}
}

// TestReplicateRestart: a node stopped while the others take events
// resumes from the last sequence it committed and holds every event once
// it is back.
func TestReplicateRestart(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	nodes := startNodes(t, nc, 2)
	cfg3 := nodeConfig(nc.URLs(), 3, 3)
	cfg3.DataDir = t.TempDir()
	n3 := relaydtest.Start(t, cfg3)
	k := wsc.NewKey()
	batch := func(tag string, n int) []*nostr.Event {
		evs := make([]*nostr.Event, n)
		for i := range evs {
			evs[i] = k.Sign(t, 1, fmt.Sprintf("%s %d", tag, i), nostr.Now())
		}
		return evs
	}
	before := batch("before", 50)
	for _, ok := range publishAll(t, nodes[0].URL, before) {
		if !ok.Accepted {
			t.Fatal(ok)
		}
	}
	all := nostr.Filter{Authors: []string{k.PK}, Limit: 1000}
	eventually(t, "node 3 has the first batch", func() bool { return len(query(t, n3.URL, all)) == 50 })
	n3.Stop()

	after := batch("after", 200)
	for i, ok := range publishAll(t, nodes[1].URL, after) {
		if !ok.Accepted {
			t.Fatalf("event %d: %v", i, ok)
		}
	}
	n3 = relaydtest.Start(t, cfg3)
	eventually(t, "node 3 has both batches after its restart", func() bool { return len(query(t, n3.URL, all)) == 250 })
	if !regexpLog(n3.Logs(), `applying the event stream.*from=51`) {
		t.Errorf("node 3 did not resume after sequence 50:\n%s", n3.Logs())
	}
}

// TestReplicateEphemeral: an ephemeral event published on node 1 reaches
// a live subscriber on node 2, and is stored nowhere.
func TestReplicateEphemeral(t *testing.T) {
	nc := natstest.StartCluster(t, 1)
	nodes := startNodes(t, nc, 2)
	sub := wsc.Dial(t, nodes[1].URL)
	sub.Req("eph", nostr.Filter{Kinds: []int{20001}})
	ev := wsc.NewKey().Sign(t, 20001, "now or never", nostr.Now())
	if ok := wsc.Dial(t, nodes[0].URL).Publish(ev); !ok.Accepted {
		t.Fatal(ok)
	}
	msg := sub.Read()
	if wsc.Label(msg) != "EVENT" || wsc.Event(t, msg).ID != ev.ID {
		t.Fatalf("node 2's subscriber got %s", msg)
	}
	for _, n := range nodes {
		if stored(t, n.URL, ev.ID) {
			t.Fatal("an ephemeral event was stored")
		}
	}
}

func regexpLog(logs, pattern string) bool { return regexp.MustCompile(pattern).MatchString(logs) }

// TestReplicateGapCatchUp: a node away for longer than the stream keeps
// events (max_age) finds the stream without what it missed; it catches
// up by negentropy with another node of the nodes bucket and holds
// every event.
func TestReplicateGapCatchUp(t *testing.T) {
	nc := natstest.StartCluster(t, 1)
	short := func(i int) config.Config {
		cfg := nodeConfig(nc.URLs(), i, 1)
		cfg.Cluster.MaxAge.Duration = time.Second
		return cfg
	}
	n1 := relaydtest.Start(t, short(1))
	cfg2 := short(2)
	cfg2.DataDir = t.TempDir()
	n2 := relaydtest.Start(t, cfg2)
	k := wsc.NewKey()
	first := k.Sign(t, 1, "seen by both", nostr.Now())
	if ok := wsc.Dial(t, n1.URL).Publish(first); !ok.Accepted {
		t.Fatal(ok)
	}
	eventually(t, "node 2 stores the first event", func() bool { return stored(t, n2.URL, first.ID) })
	n2.Stop()

	missed := make([]*nostr.Event, 20)
	for i := range missed {
		missed[i] = k.Sign(t, 1, fmt.Sprintf("missed %d", i), nostr.Now())
	}
	for i, ok := range publishAll(t, n1.URL, missed) {
		if !ok.Accepted {
			t.Fatalf("event %d: %v", i, ok)
		}
	}
	// Wait until the stream has let them go.
	js := jetstreamOf(t, nc.Servers[0].URL)
	eventually(t, "the stream drops the events past max_age", func() bool {
		s, err := js.Stream(t.Context(), config.DefaultClusterStream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(t.Context())
		return err == nil && info.State.Msgs == 0
	})

	n2 = relaydtest.Start(t, cfg2)
	all := nostr.Filter{Authors: []string{k.PK}, Limit: 100}
	eventually(t, "node 2 caught up from node 1", func() bool { return len(query(t, n2.URL, all)) == 21 })
	if v := metric(t, n2, "relayd_cluster_stream_gaps_total"); v != 1 {
		t.Errorf("relayd_cluster_stream_gaps_total = %v, want 1", v)
	}
}

// jetstreamOf connects a JetStream client to url for the test.
func jetstreamOf(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// publishTimeout is the nodes' publish_timeout in the tests of
// unavailability: the time an EVENT waits for JetStream before "error:
// cluster unavailable" (below wsclient's 10 s read bound, so that the
// refusal is read; an EVENT that must be stored with NATS up is sent
// again until it is, see accept).
const publishTimeout = 5 * time.Second

// startFailNodes runs n nodes on nc with a short publish timeout.
func startFailNodes(t *testing.T, nc *natstest.Cluster, n int) []*relaydtest.Relay {
	t.Helper()
	nodes := make([]*relaydtest.Relay, n)
	for i := range nodes {
		cfg := nodeConfig(nc.URLs(), i+1, min(3, len(nc.Servers)))
		cfg.Cluster.PublishTimeout.Duration = publishTimeout
		nodes[i] = relaydtest.Start(t, cfg)
	}
	return nodes
}

// httpURL is the relay's HTTP base URL (its /metrics answers local
// clients).
func httpURL(r *relaydtest.Relay) string { return "http" + strings.TrimPrefix(r.URL, "ws") }

// metric reads one metric of the relay.
func metric(t *testing.T, r *relaydtest.Relay, name string) float64 {
	t.Helper()
	v, n := scrape.Get(t, httpURL(r)+"/metrics").Value(name)
	if n != 1 {
		t.Fatalf("%s: %d series", name, n)
	}
	return v
}

// TestFailureOneNATSServer: one NATS server of three is killed while
// EVENTs are in flight on an R3 stream: every EVENT answered OK true is
// stored on every node, and ingest goes on.
func TestFailureOneNATSServer(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	nodes := startFailNodes(t, nc, 3)
	k := wsc.NewKey()
	pub := wsc.Dial(t, nodes[0].URL)
	var acked []string
	const inflight = 100
	evs := make([]*nostr.Event, inflight)
	for i := range evs {
		evs[i] = k.Sign(t, 1, fmt.Sprintf("in flight %d", i), nostr.Now())
		pub.Send("EVENT", evs[i])
	}
	nc.Servers[0].Stop() // while those are being published
	for i := range evs {
		ok := pub.ReadOK()
		switch {
		case ok.ID != evs[i].ID:
			t.Fatalf("OK %d for %s, want %s", i, ok.ID, evs[i].ID)
		case ok.Accepted:
			acked = append(acked, ok.ID)
		case ok.Reason != "error: cluster unavailable":
			t.Fatalf("event %d: %v", i, ok)
		}
	}
	// Ingest continues on the two servers left: 50 more events are
	// stored (some may be refused while JetStream elects new leaders).
	more := 0
	for i := 0; more < 50; i++ {
		if i == 2000 {
			t.Fatalf("only %d of 2000 EVENTs accepted after a NATS server died", more)
		}
		ev := k.Sign(t, 1, fmt.Sprintf("after %d", i), nostr.Now())
		if ok := pub.Publish(ev); ok.Accepted {
			acked = append(acked, ev.ID)
			more++
		} else if ok.Reason != "error: cluster unavailable" {
			t.Fatalf("after the failure: %v", ok)
		}
	}
	all := nostr.Filter{Authors: []string{k.PK}, Limit: 5000}
	for i, n := range nodes {
		eventually(t, fmt.Sprintf("node %d holds every acknowledged event", i+1), func() bool {
			have := map[string]bool{}
			for _, ev := range query(t, n.URL, all) {
				have[ev.ID] = true
			}
			for _, id := range acked {
				if !have[id] {
					return false
				}
			}
			return true
		})
	}
}

// TestFailureAllNATSDown: with every NATS server gone, nodes serve reads
// and the live fan-out of their own (ephemeral) events, and answer EVENT
// with OK false "error: cluster unavailable", never OK true; once NATS is
// back, ingest resumes and replicates.
func TestFailureAllNATSDown(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	nodes := startFailNodes(t, nc, 2)
	k := wsc.NewKey()
	before := k.Sign(t, 1, "before", nostr.Now())
	accept(t, nodes[0].URL, before)
	eventually(t, "node 2 stores the first event", func() bool { return stored(t, nodes[1].URL, before.ID) })

	for _, s := range nc.Servers {
		s.Stop()
	}
	// Reads.
	if !stored(t, nodes[1].URL, before.ID) {
		t.Fatal("node 2 does not serve its stored event with NATS down")
	}
	// Local fan-out of an ephemeral event.
	sub := wsc.Dial(t, nodes[1].URL)
	sub.Req("eph", nostr.Filter{Kinds: []int{20001}})
	eph := k.Sign(t, 20001, "still here", nostr.Now())
	if ok := wsc.Dial(t, nodes[1].URL).Publish(eph); !ok.Accepted {
		t.Fatal(ok)
	}
	if msg := sub.Read(); wsc.Label(msg) != "EVENT" || wsc.Event(t, msg).ID != eph.ID {
		t.Fatalf("local subscriber got %s", msg)
	}
	// Writes are refused, on both nodes.
	for i, n := range nodes {
		ev := k.Sign(t, 1, fmt.Sprintf("during %d", i), nostr.Now())
		if ok := wsc.Dial(t, n.URL).Publish(ev); ok.Accepted || ok.Reason != "error: cluster unavailable" {
			t.Fatalf("node %d with NATS down: %v, want OK false \"error: cluster unavailable\"", i+1, ok)
		}
	}
	if v := metric(t, nodes[0], "relayd_cluster_unavailable_total"); v < 1 {
		t.Errorf("relayd_cluster_unavailable_total = %v after a refusal", v)
	}

	for _, s := range nc.Servers {
		s.Restart()
	}
	nc.WaitReady()
	after := k.Sign(t, 1, "after", nostr.Now())
	accept(t, nodes[0].URL, after)
	eventually(t, "node 2 stores the event taken after the outage", func() bool { return stored(t, nodes[1].URL, after.ID) })
}

// scrapeURL reads a metrics page.
func scrapeURL(t *testing.T, url string) scrape.Page { return scrape.Get(t, url) }

// accept publishes ev on url until it is stored: "error: cluster
// unavailable" (JetStream slow or electing) is followed by another try,
// which is safe (the stream and the store are idempotent by id).
func accept(t *testing.T, url string, ev *nostr.Event) {
	t.Helper()
	eventually(t, "EVENT accepted", func() bool {
		c := wsc.Dial(t, url)
		defer c.NC.Close()
		ok := c.Publish(ev)
		if !ok.Accepted && ok.Reason != "error: cluster unavailable" {
			t.Fatalf("publish: %v", ok)
		}
		return ok.Accepted
	})
}

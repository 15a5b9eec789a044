package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/manage"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// Shared policy state across a cluster (host/cluster/sharedstate): three
// relayd nodes, each on its own server of a real 3-server JetStream
// cluster, with the real ratelimit and lists plugins. Event replication
// is not needed: every check here is of state a node did not make itself.

// stateWait bounds every wait of these tests.
const stateWait = 30 * time.Second

// stateCluster is three relayd nodes sharing state.
type stateCluster struct {
	nats  *natstest.Cluster
	cfgs  []config.Config
	nodes []*relaydtest.Relay
	admin wsclient.Key
}

// ratelimitToml is a per-pubkey budget of 100 kind-1 events per minute.
const ratelimitToml = `
[[config.rules]]
scope = "pubkey"
kinds = [1]
rate = 1.6666666666666667
burst = 100
`

// startStateCluster starts the NATS cluster and 3 nodes with lists and
// ratelimit.
func startStateCluster(t *testing.T) *stateCluster {
	t.Helper()
	lists, ratelimit := wasmbuild.Build(t, "../../plugins/lists"), wasmbuild.Build(t, "../../plugins/ratelimit")
	c := &stateCluster{nats: natstest.StartCluster(t, 3), admin: wsclient.NewKey()}
	cache := t.TempDir() // compiled code, shared by the nodes
	for i, s := range c.nats.Servers {
		dir := t.TempDir()
		relaydtest.CopyPlugin(t, dir, "lists", lists, "")
		relaydtest.CopyPlugin(t, dir, "ratelimit", ratelimit, ratelimitToml)
		cfg := relaydtest.Default(dir)
		cfg.DataDir = t.TempDir()
		if err := os.Symlink(cache, filepath.Join(cfg.DataDir, "wasm-cache")); err != nil {
			t.Fatal(err)
		}
		cfg.AdminPubkeys = []string{c.admin.PK}
		// A loaded test machine must not make a take fall back to the
		// node's own bucket (the test checks the leases): a lease may
		// take up to 10 s, within a plugin call of up to 20 s.
		cfg.PluginTimeout = config.Duration{Duration: 20 * time.Second}
		cfg.Cluster = config.Cluster{NATSURL: s.URL, Node: fmt.Sprint("node", i+1), Replicas: 3,
			StateLeaseWait: config.Duration{Duration: 10 * time.Second}}
		c.cfgs = append(c.cfgs, cfg)
		c.nodes = append(c.nodes, relaydtest.Start(t, cfg))
	}
	return c
}

// call calls a NIP-86 method on node i (0-based) as the admin.
func (c *stateCluster) call(t *testing.T, i int, method string, params ...any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stateWait)
	defer cancel()
	res, err := (&manage.Client{URL: c.nodes[i].URL, SecretKey: c.admin.SK}).Call(ctx, method, params)
	if err != nil {
		t.Fatalf("node %d: %s: %v", i+1, method, err)
	}
	return string(res)
}

// waitFor polls cond (a fresh read each try) until it holds.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(stateWait)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after %v", what, got, stateWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClusterRateLimit: one author's budget of 100 events a minute, spent
// through 3 nodes at once (50 EVENTs on each): the cluster admits what one
// exact bucket would (100, plus what refilled meanwhile) within the
// documented bound of N·L = 3·2 tokens (host/cluster/sharedstate), where
// each node alone would admit its 50.
func TestClusterRateLimit(t *testing.T) {
	c := startStateCluster(t)
	const perNode, burst, rate, bound = 50, 100, 100.0 / 60, 3 * 2
	k := wsclient.NewKey()
	events := make([][]*nostr.Event, len(c.nodes))
	for i := range c.nodes {
		for j := range perNode {
			events[i] = append(events[i], k.Sign(t, 1, fmt.Sprintf("budget %d/%d", i, j), nostr.Now()))
		}
	}
	clients := make([]*wsclient.Client, len(c.nodes))
	for i, r := range c.nodes {
		clients[i] = wsclient.Dial(t, r.URL)
	}
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	start := time.Now()
	for i, cl := range clients {
		wg.Go(func() {
			for _, ev := range events[i] {
				ok := cl.Publish(ev)
				switch {
				case ok.Accepted:
					mu.Lock()
					admitted++
					mu.Unlock()
				case !strings.HasPrefix(ok.Reason, "rate-limited: "):
					t.Errorf("node %d: %v", i+1, ok)
				}
			}
		})
	}
	wg.Wait()
	refilled := int(rate*time.Since(start).Seconds()) + 1 // what an exact bucket gained meanwhile, rounded up
	t.Logf("admitted %d of %d (budget %d, refilled ≤ %d, bound ±%d)", admitted, 3*perNode, burst, refilled, bound)
	if admitted < burst-bound || admitted > burst+refilled+bound {
		t.Fatalf("admitted %d, want %d..%d", admitted, burst-bound, burst+refilled+bound)
	}
}

// TestClusterNIP86: bans, purges and NIP-11 changes made on one node hold
// on the others, and on a node that was down when they were made once it
// is back.
func TestClusterNIP86(t *testing.T) {
	c := startStateCluster(t)
	ctx := context.Background()

	// banpubkey on node 1 (the lists plugin's durable state): node 3's
	// lists holds the ban, then refuses the author's EVENT.
	spammer := wsclient.NewKey()
	cl3 := wsclient.Dial(t, c.nodes[2].URL)
	if ok := cl3.Publish(spammer.Sign(t, 1, "before the ban", nostr.Now())); !ok.Accepted {
		t.Fatalf("before the ban: %v", ok)
	}
	banned := time.Now()
	if got := c.call(t, 0, "banpubkey", spammer.PK, "spam"); got != "true" {
		t.Fatalf("banpubkey: %s", got)
	}
	waitFor(t, "node 3's banned pubkeys", func() (bool, string) {
		res, err := c.nodes[2].Plugins.Manage(ctx, "listbannedpubkeys", json.RawMessage("[]"))
		return err == nil && strings.Contains(string(res), spammer.PK), fmt.Sprint(string(res), err)
	})
	t.Logf("ban on node 1 held on node 3 after %v", time.Since(banned))
	if ok := cl3.Publish(spammer.Sign(t, 1, "after the ban", nostr.Now())); ok.Accepted || ok.Reason != "blocked: this pubkey is blocked" {
		t.Fatalf("node 3 after the ban on node 1: %v", ok)
	}

	// banevent on node 1 of an event stored on node 2 only: node 2
	// deletes it and refuses it from then on.
	author := wsclient.NewKey()
	ev := author.Sign(t, 1, "to be banned", nostr.Now())
	cl2 := wsclient.Dial(t, c.nodes[1].URL)
	if ok := cl2.Publish(ev); !ok.Accepted {
		t.Fatalf("publish on node 2: %v", ok)
	}
	if got := c.call(t, 0, "banevent", ev.ID, "illegal"); got != "true" {
		t.Fatalf("banevent: %s", got)
	}
	waitFor(t, "node 2's banned events", func() (bool, string) {
		got := c.call(t, 1, "listbannedevents")
		return strings.Contains(got, ev.ID), got
	})
	if got := cl2.Req("gone", nostr.Filter{IDs: []string{ev.ID}}); len(got) != 0 {
		t.Fatalf("node 2 still serves the banned event: %v", got)
	}
	if ok := cl2.Publish(ev); ok.Accepted {
		t.Fatalf("node 2 took the banned event again: %v", ok)
	}

	// banpubkey with {"purge": true} on node 1 of an author whose events
	// are on node 2 only: node 2 deletes them.
	purged := wsclient.NewKey()
	if ok := cl2.Publish(purged.Sign(t, 1, "to be purged", nostr.Now())); !ok.Accepted {
		t.Fatalf("publish on node 2: %v", ok)
	}
	c.call(t, 0, "banpubkey", purged.PK, "spam", map[string]bool{"purge": true})
	waitFor(t, "node 2's purge", func() (bool, string) {
		got := wsclient.Dial(t, c.nodes[1].URL).Req("purged", nostr.Filter{Authors: []string{purged.PK}})
		return len(got) == 0, fmt.Sprint(len(got), " events")
	})

	// changerelayname on node 1: node 3's NIP-11.
	c.call(t, 0, "changerelayname", "One relay, three nodes")
	waitFor(t, "node 3's NIP-11 name", func() (bool, string) {
		name := nip11Name(t, c.nodes[2].URL)
		return name == "One relay, three nodes", name
	})

	// Node 3 down; a ban made meanwhile on node 1; node 3 back on its data
	// dir: both bans hold there.
	c.nodes[2].Stop()
	late := wsclient.NewKey()
	c.call(t, 0, "banpubkey", late.PK, "while node 3 was down")
	c.nodes[2] = relaydtest.Start(t, c.cfgs[2])
	res, err := c.nodes[2].Plugins.Manage(ctx, "listbannedpubkeys", json.RawMessage("[]"))
	if err != nil || !strings.Contains(string(res), spammer.PK) || !strings.Contains(string(res), late.PK) {
		t.Fatalf("node 3 after its restart: banned %s, %v", res, err)
	}
	cl3 = wsclient.Dial(t, c.nodes[2].URL)
	for _, k := range []wsclient.Key{spammer, late} {
		if ok := cl3.Publish(k.Sign(t, 1, "after the restart", nostr.Now())); ok.Accepted {
			t.Errorf("node 3 after its restart took a banned author's event: %v", ok)
		}
	}
	if name := nip11Name(t, c.nodes[2].URL); name != "One relay, three nodes" {
		t.Errorf("node 3's NIP-11 name after its restart: %q", name)
	}
}

// nip11Name reads the relay's NIP-11 name.
func nip11Name(t *testing.T, wsURL string) string {
	t.Helper()
	req, err := http.NewRequest("GET", manage.HTTPURL(wsURL), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info.Name
}

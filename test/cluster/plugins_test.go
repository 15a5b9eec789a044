package cluster_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// pluginWait bounds every wait for the nodes to reach a state on their
// own (a pushed plugin loaded everywhere): a guard against a hang, never a
// timing assertion.
const pluginWait = 5 * time.Minute

// wat is the path of a WAT guest of host/wasmhost/testdata/wat: kinds
// refuses kind 4 ("blocked: no DMs"), v1 and v2 refuse every event with
// "v1" and "v2", initfail's relayd_init fails with "bad config". They
// compile in milliseconds; a Go plugin compiled cold by three nodes under
// -race on a loaded 2-core machine took over three minutes.
func wat(name string) string {
	return filepath.Join("..", "..", "host", "wasmhost", "testdata", "wat", name+".wasm")
}

// plugNode is one relayd node of a test cluster.
type plugNode struct {
	name string
	r    *relaydtest.Relay
}

// plugCluster starts n relayd nodes (n1, n2, ...) on a 3-server NATS
// JetStream cluster, each connected to a different server first, with
// local plugin directories pluginDirs[i] ("" for none), and a client
// connection to the cluster for the test to push with.
func plugCluster(t *testing.T, n int, pluginDirs ...string) ([]plugNode, *cluster.Conn) {
	t.Helper()
	nc := natstest.StartCluster(t, 3)
	var nodes []plugNode
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		cfg := relaydtest.Default("")
		if i < len(pluginDirs) {
			cfg.PluginDir = pluginDirs[i]
		}
		first := nc.Servers[i%len(nc.Servers)].URL
		cfg.Cluster = config.Cluster{NATSURL: first + "," + nc.URLs(), Node: name, Replicas: 3}
		nodes = append(nodes, plugNode{name: name, r: relaydtest.Start(t, cfg)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := cluster.Connect(ctx, cluster.Options{Config: config.Cluster{NATSURL: nc.URLs(), Node: "pusher", Replicas: 3}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return nodes, conn
}

// push stores the plugin name (the .wasm at path, settings toml) in the
// cluster as `relayd plugin push` does after its check, and returns its
// sha256.
func push(t *testing.T, conn *cluster.Conn, name, path, toml string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A store just created on a new R3 cluster may have no leader yet
	// ("no responders"): retry until it answers, within ctx.
	sum, err := conn.PushPlugin(ctx, name, b, []byte(toml), "test")
	for err != nil && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		sum, err = conn.PushPlugin(ctx, name, b, []byte(toml), "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(b)
	if sum != hex.EncodeToString(want[:]) {
		t.Fatalf("push returned sha256 %s, want %x", sum, want)
	}
	return sum
}

// metricsURL is the node's /metrics (served on its port to local
// clients).
func (n plugNode) metricsURL() string { return "http" + strings.TrimPrefix(n.r.URL, "ws") + "/metrics" }

// waitAll waits until ok holds for every node's /metrics page and its
// entry in the nodes bucket, each read afresh on every try.
func waitAll(t *testing.T, nodes []plugNode, conn *cluster.Conn, what string, ok func(scrape.Page, cluster.NodeInfo) bool) {
	t.Helper()
	deadline := time.Now().Add(pluginWait)
	for _, n := range nodes {
		for {
			page := scrape.Get(t, n.metricsURL())
			info := nodeInfo(t, conn, n.name)
			if ok(page, info) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s never showed %s: source_info %v, load_failed %v, nodes bucket %+v\n%s", n.name, what,
					page.Labels("relayd_plugin_source_info"), page.Labels("relayd_plugin_load_failed"), info, n.r.Logs())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// nodeInfo reads node's entry in the nodes bucket (zero if absent).
func nodeInfo(t *testing.T, conn *cluster.Conn, node string) cluster.NodeInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nodes, err := conn.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Node == node {
			return n
		}
	}
	return cluster.NodeInfo{}
}

// runs reports whether the node runs plugin name at sha from source, in
// /metrics and in the nodes bucket, with no failed version (failed == "")
// or with failed as the version that failed to load.
func runs(name, sha, source, failed string) func(scrape.Page, cluster.NodeInfo) bool {
	return func(p scrape.Page, info cluster.NodeInfo) bool {
		if v, _ := p.Value("relayd_plugin_source_info", "plugin", name, "sha256", sha, "source", source); v != 1 {
			return false
		}
		if _, n := p.Value("relayd_plugin_load_failed", "plugin", name); (n > 0) != (failed != "") {
			return false
		}
		for _, np := range info.Plugins {
			if np.Name == name {
				return np.SHA256 == sha && np.Source == source && np.Failed == failed && (failed == "") == (np.Error == "")
			}
		}
		return false
	}
}

// gone reports whether the node runs no plugin called name.
func gone(name string) func(scrape.Page, cluster.NodeInfo) bool {
	return func(p scrape.Page, info cluster.NodeInfo) bool {
		if _, n := p.Value("relayd_plugin_source_info", "plugin", name); n != 0 {
			return false
		}
		for _, np := range info.Plugins {
			if np.Name == name {
				return false
			}
		}
		return info.Node != ""
	}
}

// TestPluginPush: a plugin pushed once runs on every node, with the same
// sha256 in /metrics, the status page and the nodes bucket; a new version
// swaps in everywhere under a live connection; a push that fails to load
// keeps the previous version on every node, which says why; removing it
// unloads it everywhere. No node has a local plugin directory.
func TestPluginPush(t *testing.T) {
	nodes, conn := plugCluster(t, 3)
	key := wsc.NewKey()
	third := nodes[2]

	v1 := push(t, conn, "policy", wat("kinds"), "")
	waitAll(t, nodes, conn, "policy v1", runs("policy", v1, "pushed", ""))
	c := wsc.Dial(t, third.r.URL) // stays open across the next swap
	if ok := c.Publish(key.Sign(t, 4, "hello", nostr.Now())); ok.Accepted || !strings.HasPrefix(ok.Reason, "blocked:") {
		t.Fatalf("v1 on %s: kind 4 got %v, want blocked", third.name, ok)
	}
	if ok := c.Publish(key.Sign(t, 1, "casino", nostr.Now())); !ok.Accepted {
		t.Fatalf("v1 on %s: kind 1 got %v", third.name, ok)
	}
	waitStatus(t, third, "policy v1, pushed", func(st statusDoc) bool {
		return len(st.Plugins) == 1 && st.Plugins[0].SHA256 == v1 && st.Plugins[0].Source == "pushed" && st.Plugins[0].LoadFailed == ""
	})

	v2 := push(t, conn, "policy", wat("v2"), "")
	pushed := time.Now()
	if v2 == v1 {
		t.Fatal("the two versions have one sha256")
	}
	waitAll(t, nodes, conn, "policy v2", runs("policy", v2, "pushed", ""))
	t.Logf("v2 ran on every node %v after the push returned (a figure, not a bound)", time.Since(pushed))
	if ok := c.Publish(key.Sign(t, 1, "casino", nostr.Now())); ok.Accepted || !strings.Contains(ok.Reason, "v2") {
		t.Fatalf("v2 on %s, same connection: kind 1 got %v, want v2's refusal", third.name, ok)
	}

	// A version whose relayd_init fails: `relayd plugin push` would refuse
	// it (its check instantiates it); pushed past the check, every node
	// keeps v2 and says why.
	bad := push(t, conn, "policy", wat("initfail"), "")
	waitAll(t, nodes, conn, "policy v2 kept, the broken push failed", runs("policy", v2, "pushed", bad))
	for _, n := range nodes {
		np := nodeInfo(t, conn, n.name).Plugins[0]
		if !strings.Contains(np.Error, "bad config") {
			t.Errorf("node %s says %q for the broken push, want relayd_init's %q", n.name, np.Error, "bad config")
		}
		if !strings.Contains(n.r.Logs(), "wasm plugin failed to load") {
			t.Errorf("node %s did not log the failure", n.name)
		}
	}
	if ok := c.Publish(key.Sign(t, 1, "again", nostr.Now())); ok.Accepted || !strings.Contains(ok.Reason, "v2") {
		t.Fatalf("after the broken push on %s: kind 1 got %v, want v2's refusal", third.name, ok)
	}
	waitStatus(t, third, "policy v2 running, the broken push failed", func(st statusDoc) bool {
		return len(st.Plugins) == 1 && st.Plugins[0].SHA256 == v2 && st.Plugins[0].Source == "pushed" && st.Plugins[0].LoadFailed != ""
	})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := conn.RemovePlugin(ctx, "policy"); err != nil {
		t.Fatal(err)
	}
	waitAll(t, nodes, conn, "policy removed", gone("policy"))
	if ok := c.Publish(key.Sign(t, 4, "after rm", nostr.Now())); !ok.Accepted {
		t.Fatalf("after rm on %s, same connection: kind 4 got %v", third.name, ok)
	}
	for _, n := range nodes {
		if ents, err := os.ReadDir(filepath.Join(n.r.Config.DataDir, "cluster-plugins")); err != nil || len(ents) != 0 {
			t.Errorf("node %s: cluster-plugins holds %v (%v) after rm", n.name, ents, err)
		}
	}
}

// TestPluginPushLocalWins: a node whose plugin directory has a plugin of
// the pushed one's name runs its local one and says the pushed one is
// refused; the other nodes run the pushed one. Removing the local one
// makes the node run the pushed one.
func TestPluginPushLocalWins(t *testing.T) {
	local := t.TempDir()
	relaydtest.CopyPlugin(t, local, "policy", wat("v1"), "")
	localSum := fileSHA(t, wat("v1"))
	nodes, conn := plugCluster(t, 2, local)

	pushed := push(t, conn, "policy", wat("v2"), "")
	waitAll(t, nodes[1:], conn, "the pushed policy on n2", runs("policy", pushed, "pushed", ""))
	waitAll(t, nodes[:1], conn, "the local policy on n1, the pushed one refused", func(p scrape.Page, info cluster.NodeInfo) bool {
		if v, _ := p.Value("relayd_plugin_source_info", "plugin", "policy", "sha256", localSum, "source", "local"); v != 1 {
			return false
		}
		return len(info.Plugins) == 1 && info.Plugins[0].SHA256 == localSum && info.Plugins[0].Source == "local" &&
			info.Plugins[0].Failed == pushed && strings.Contains(info.Plugins[0].Error, "local wins")
	})
	c := wsc.Dial(t, nodes[0].r.URL)
	if ok := c.Publish(wsc.NewKey().Sign(t, 1, "x", nostr.Now())); ok.Accepted || !strings.Contains(ok.Reason, "v1") {
		t.Fatalf("n1 runs the local policy (v1): got %v", ok)
	}

	if err := os.Remove(filepath.Join(local, "policy.wasm")); err != nil {
		t.Fatal(err)
	}
	nodes[0].r.Reload()
	waitAll(t, nodes[:1], conn, "the pushed policy on n1 once the local one is gone", runs("policy", pushed, "pushed", ""))
	if ok := c.Publish(wsc.NewKey().Sign(t, 1, "x", nostr.Now())); ok.Accepted || !strings.Contains(ok.Reason, "v2") {
		t.Fatalf("n1 runs the pushed policy (v2): got %v", ok)
	}
}

// TestPluginPushRestart: a node that starts after a push runs the pushed
// plugin from its first answer (copied before the plugins load), and a
// node restarted after an rm while it was down drops it.
func TestPluginPushRestart(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := cluster.Connect(ctx, cluster.Options{Config: config.Cluster{NATSURL: nc.URLs(), Node: "pusher", Replicas: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sum := push(t, conn, "policy", wat("v1"), "")

	cfg := relaydtest.Default("")
	cfg.DataDir = t.TempDir()
	cfg.Cluster = config.Cluster{NATSURL: nc.URLs(), Node: "late", Replicas: 3}
	r := relaydtest.Start(t, cfg) // returns once Ready: the plugins are loaded
	if ok := wsc.Dial(t, r.URL).Publish(wsc.NewKey().Sign(t, 4, "x", nostr.Now())); ok.Accepted {
		t.Fatalf("a node started after the push accepted what the pushed plugin refuses: %v", ok)
	}
	if v, _ := scrape.Get(t, plugNode{r: r}.metricsURL()).Value("relayd_plugin_source_info", "sha256", sum); v != 1 {
		t.Fatal("the pushed plugin is not in /metrics at Ready")
	}
	r.Stop()
	if err := conn.RemovePlugin(ctx, "policy"); err != nil {
		t.Fatal(err)
	}
	r = relaydtest.Start(t, cfg)
	if ok := wsc.Dial(t, r.URL).Publish(wsc.NewKey().Sign(t, 4, "x", nostr.Now())); !ok.Accepted {
		t.Fatalf("a node restarted after the rm still runs the plugin: %v", ok)
	}
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// statusDoc is the part of /status.json the tests read.
type statusDoc struct {
	Plugins []struct {
		Name       string `json:"name"`
		SHA256     string `json:"sha256"`
		Source     string `json:"source"`
		LoadFailed string `json:"load_failed"`
	} `json:"plugins"`
}

// waitStatus reads the node's /status.json (cached by the relay for a
// second) until ok accepts it.
func waitStatus(t *testing.T, n plugNode, what string, ok func(statusDoc) bool) {
	t.Helper()
	deadline := time.Now().Add(pluginWait)
	for {
		st := status(t, n)
		if ok(st) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status page of %s never showed %s: %+v", n.name, what, st.Plugins)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func status(t *testing.T, n plugNode) statusDoc {
	t.Helper()
	res, err := http.Get("http" + strings.TrimPrefix(n.r.URL, "ws") + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st statusDoc
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

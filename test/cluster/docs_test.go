package cluster_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/deploytest"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// docBlock returns the TOML block of docs/cluster.md shown after
// <!-- name -->.
func docBlock(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deploytest.Root(t), "docs", "cluster.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- " + regexp.QuoteMeta(name) + " -->\n```toml\n(.*?)```\n").FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("docs/cluster.md shows no %s", name)
	}
	return m[1]
}

// writeFile writes body to a new file and returns its path.
func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relayd.toml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// replicated publishes an event on the first node and waits until the
// last one stores it.
func replicated(t *testing.T, first, last string) {
	t.Helper()
	ev := wsc.NewKey().Sign(t, 1, "through the documented cluster", nostr.Now())
	if ok := wsc.Dial(t, first).Publish(ev); !ok.Accepted {
		t.Fatalf("publish on node 1: %v", ok)
	}
	eventually(t, "node 3 stores node 1's event", func() bool { return stored(t, last, ev.ID) })
}

// TestClusterDocNATS runs docs/cluster.md's three node configs for a NATS
// cluster as written, nats_url swapped for three in-process NATS servers.
func TestClusterDocNATS(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	var urls []string
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("nats/node%d.toml", i)
		body := deploytest.Apply(t, name, docBlock(t, name), []deploytest.Edit{
			deploytest.Swap("nats_url", fmt.Sprintf("nats_url = %q", nc.URLs())),
		})
		urls = append(urls, relaydtest.StartFile(t, writeFile(t, body), "").URL)
	}
	replicated(t, urls[0], urls[2])
}

// TestClusterDocEmbedded runs docs/cluster.md's three embedded node
// configs as relayd processes, their addresses swapped for free loopback
// ports (started together: the stream waits for the three servers).
func TestClusterDocEmbedded(t *testing.T) {
	client, route := freePorts(t, 3), freePorts(t, 3)
	var procs []*proc
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("embedded/node%d.toml", i)
		var routes []string
		for j := 1; j <= 3; j++ {
			if j != i {
				routes = append(routes, fmt.Sprintf("%q", fmt.Sprintf("nats://127.0.0.1:%d", route[j-1])))
			}
		}
		body := deploytest.Apply(t, name, docBlock(t, name), []deploytest.Edit{
			deploytest.Swap(`listen = "0.0.0.0:7447"`, `listen = "127.0.0.1:0"`),
			deploytest.Swap(`data =`, fmt.Sprintf("data = %q", t.TempDir())),
			deploytest.Swap(fmt.Sprintf(`listen = "10.0.0.%d:4222"`, i), fmt.Sprintf(`listen = "127.0.0.1:%d"`, client[i-1])),
			deploytest.Swap("cluster_listen", fmt.Sprintf(`cluster_listen = "127.0.0.1:%d"`, route[i-1])),
			deploytest.Swap("routes", "routes = ["+strings.Join(routes, ", ")+"]"),
		})
		procs = append(procs, spawnProc(t, writeFile(t, body)))
	}
	for _, p := range procs {
		p.waitReady(t)
	}
	replicated(t, procs[0].url, procs[2].url)
}

// TestClusterDocMetrics: every metric docs/cluster.md lists is served by
// a cluster node, with its type, and every relayd_cluster_ metric of
// replication is listed.
func TestClusterDocMetrics(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deploytest.Root(t), "docs", "cluster.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(relayd_[a-z_]+)` \\| ([a-z]+) \\|").FindAllStringSubmatch(string(b), -1) {
		doc[m[1]] = m[2]
	}
	nc := natstest.StartCluster(t, 1)
	r := startNodes(t, nc, 1)[0]
	if ok := wsc.Dial(t, r.URL).Publish(wsc.NewKey().Sign(t, 1, "x", nostr.Now())); !ok.Accepted {
		t.Fatal(ok)
	}
	page := scrape.Get(t, httpURL(r)+"/metrics")
	for name, typ := range doc {
		f, ok := page[name]
		if !ok {
			t.Errorf("docs/cluster.md lists %s, which a cluster node does not serve", name)
			continue
		}
		if got := strings.ToLower(f.GetType().String()); got != typ {
			t.Errorf("%s is a %s, docs/cluster.md says %s", name, got, typ)
		}
	}
	for name := range page {
		if strings.HasPrefix(name, "relayd_cluster_") && doc[name] == "" {
			t.Errorf("%s is served but not in docs/cluster.md", name)
		}
	}
}

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

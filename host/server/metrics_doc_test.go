package server_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	dto "github.com/prometheus/client_model/go"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// metricRow is a row of docs/metrics.md's table: | `name` | type | ...
var metricRow = regexp.MustCompile("^\\| `([a-z_*]+)` \\| ([a-z]*) \\|")

// TestMetricsDocumented: docs/metrics.md lists exactly the metrics a
// running relayd serves, with their types. The relay gets everything that
// makes a family appear: a plugin that is called, one that fails to load,
// a sync peer, EVENT, REQ and a store commit.
func TestMetricsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := metricRow.FindStringSubmatch(line); m != nil {
			doc[m[1]] = m[2]
		}
	}

	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "kinds", guest("kinds"), "")
	if err := os.WriteFile(filepath.Join(plugins, "broken.wasm"), []byte("\x00asm not a module"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := relaydtest.Default(plugins)
	// A sync peer nobody answers: its series exist from the start.
	cfg.Sync = []config.SyncPeer{{URL: "ws://127.0.0.1:9", Dir: "down"}}
	r := relaydtest.Start(t, cfg)
	c := wsc.Dial(t, r.URL)
	if ok := c.Publish(wsc.NewKey().Sign(t, 1, "x", nostr.Now())); !ok.Accepted {
		t.Fatal(ok)
	}
	c.Req("s", nostr.Filter{Kinds: []int{1}})
	page := scrape.Get(t, httpURL(r)+"/metrics")

	served := map[string]string{}
	prefixes := map[string]bool{}
	for name, f := range page {
		switch {
		case strings.HasPrefix(name, "go_"), strings.HasPrefix(name, "process_"):
			prefixes[name[:strings.IndexByte(name, '_')+1]+"*"] = true
		default:
			served[name] = strings.ToLower(dto.MetricType_name[int32(f.GetType())])
		}
	}
	for name, typ := range served {
		if d, ok := doc[name]; !ok {
			t.Errorf("%s (%s) is served but not in docs/metrics.md", name, typ)
		} else if d != typ {
			t.Errorf("%s is a %s, docs/metrics.md says %s", name, typ, d)
		}
	}
	var documented []string
	for name := range doc {
		documented = append(documented, name)
	}
	sort.Strings(documented)
	for _, name := range documented {
		if _, ok := served[name]; !ok && !prefixes[name] {
			t.Errorf("docs/metrics.md lists %s, which /metrics does not serve", name)
		}
	}
}

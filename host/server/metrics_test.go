package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// httpURL is the relay's base URL for plain HTTP.
func httpURL(r *relaydtest.Relay) string { return "http" + strings.TrimPrefix(r.URL, "ws") }

// waitMetrics scrapes url until ok accepts the page. It waits for a state
// the relay reaches on its own (a plugin reload after a file change); the
// 60 s bound is a guard against a hang, not a timing assertion.
func waitMetrics(t *testing.T, url, what string, ok func(scrape.Page) bool) scrape.Page {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		p := scrape.Get(t, url)
		if ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed %s; plugin info: %v, verdicts: %v", what,
				p.Labels("relayd_plugin_info"), p.Labels("relayd_plugin_verdicts_total"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rescan asks r's plugin manager to rescan now (SIGHUP) after a change in
// its directory: the directory watcher starts after Ready, so a change
// made right after Start may otherwise wait for the next one.
func rescan(r *relaydtest.Relay) { r.Reload() }

// inChain reports whether the page's chain is exactly the plugins given,
// in order.
func inChain(names ...string) func(scrape.Page) bool {
	return func(p scrape.Page) bool {
		if _, n := p.Value("relayd_plugin_info"); n != len(names) {
			return false
		}
		for i, name := range names {
			if v, _ := p.Value("relayd_plugin_info", "plugin", name, "position", string(rune('0'+i))); v != 1 {
				return false
			}
		}
		return true
	}
}

// rejectCount is the kinds plugin's "reject (blocked)" count on the event
// hook for version ver ("" for all versions).
func rejectCount(p scrape.Page, ver string) float64 {
	labels := []string{"plugin", "kinds", "hook", "event", "verdict", "reject", "prefix", "blocked"}
	if ver != "" {
		labels = append(labels, "version", ver)
	}
	v, _ := p.Value("relayd_plugin_verdicts_total", labels...)
	return v
}

// kindsVersion is the running kinds plugin's version label.
func kindsVersion(t *testing.T, p scrape.Page) string {
	t.Helper()
	f := p["relayd_plugin_info"]
	for _, m := range f.GetMetric() {
		var name, ver string
		for _, l := range m.Label {
			switch l.GetName() {
			case "plugin":
				name = l.GetValue()
			case "version":
				ver = l.GetValue()
			}
		}
		if name == "kinds" {
			return ver
		}
	}
	t.Fatalf("kinds is not in the chain: %v", p.Labels("relayd_plugin_info"))
	return ""
}

// TestPluginVerdictCountersSurviveReloads (issue 9, item 4): a real
// relayd with the kinds WAT plugin (it rejects kind 4 with "blocked:").
// Its reject count goes on when another plugin is hot-loaded beside it
// (before, each reload rebuilt the chain and reset every plugin's
// counters), and when the plugin itself changes the old version keeps
// its count under its own version label while the new one counts anew.
func TestPluginVerdictCountersSurviveReloads(t *testing.T) {
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "kinds", guest("kinds"), "order = 1\n")
	r := relaydtest.Start(t, relaydtest.Default(plugins))
	url := httpURL(r) + "/metrics"
	c := wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	reject := func() {
		t.Helper()
		if ok := c.Publish(k.Sign(t, 4, "dm", nostr.Now())); ok.Accepted || ok.Reason != "blocked: no DMs" {
			t.Fatalf("kind 4: got %v, want OK false blocked: no DMs", ok)
		}
	}
	reject()
	reject()
	p := scrape.Get(t, url)
	v1 := kindsVersion(t, p)
	if n := rejectCount(p, v1); n != 2 {
		t.Fatalf("kinds %s rejects = %v, want 2", v1, n)
	}
	if ok := c.Publish(k.Sign(t, 1, "note", nostr.Now())); !ok.Accepted {
		t.Fatalf("kind 1: %v", ok)
	}

	// Another plugin arrives: a new chain, the kinds plugin unchanged.
	relaydtest.CopyPlugin(t, plugins, "first", guest("accept"), "order = 0\n")
	rescan(r)
	p = waitMetrics(t, url, "first then kinds", inChain("first", "kinds"))
	if n := rejectCount(p, v1); n != 2 {
		t.Fatalf("after loading another plugin, kinds rejects = %v, want still 2", n)
	}
	reject()
	if n := rejectCount(scrape.Get(t, url), v1); n != 3 {
		t.Fatalf("kinds rejects = %v, want 3", n)
	}

	// The kinds plugin itself changes (its settings): a new version.
	relaydtest.CopyPlugin(t, plugins, "kinds", guest("kinds"), "order = 1\ntimeout_ms = 500\n")
	rescan(r)
	p = waitMetrics(t, url, "a new kinds version", func(p scrape.Page) bool {
		return inChain("first", "kinds")(p) && kindsVersion(t, p) != v1
	})
	v2 := kindsVersion(t, p)
	if !strings.HasPrefix(v2, strings.Split(v1, "-")[0]+"-") {
		t.Fatalf("version %q after a settings change does not keep the .wasm hash of %q", v2, v1)
	}
	reject()
	p = scrape.Get(t, url)
	if old, cur := rejectCount(p, v1), rejectCount(p, v2); old != 3 || cur != 1 {
		t.Fatalf("after the kinds plugin changed: old version %v (want 3), new version %v (want 1)", old, cur)
	}
	if n, _ := p.Value("relayd_plugin_verdicts_total", "plugin", "kinds", "verdict", "accept", "version", v1); n != 1 {
		t.Fatalf("kinds %s accepts = %v, want 1", v1, n)
	}
	if n, _ := p.Value("relayd_plugin_hook_seconds", "plugin", "kinds", "hook", "event"); n != 5 {
		t.Fatalf("kinds event hook calls timed = %v, want 5 (over both versions)", n)
	}
}

// TestMetricsListenServesApart: with metrics_listen, /metrics (with the
// runtime and process collectors) and the status page are served on their
// own address, and /metrics is no longer served on the relay's port.
func TestMetricsListenServesApart(t *testing.T) {
	cfg := relaydtest.Default("")
	cfg.MetricsListen = "127.0.0.1:0"
	r := relaydtest.Start(t, cfg)
	if r.MetricsURL == "" || r.MetricsURL == httpURL(r) {
		t.Fatalf("metrics URL %q, relay %q", r.MetricsURL, httpURL(r))
	}
	c := wsc.Dial(t, r.URL)
	if ok := c.Publish(wsc.NewKey().Sign(t, 1, "x", nostr.Now())); !ok.Accepted {
		t.Fatal(ok)
	}
	c.Send("COUNT", "settle", nostr.Filter{}) // the OK latency is observed before the next message
	c.Expect("COUNT")
	p := scrape.Get(t, r.MetricsURL+"/metrics")
	for _, name := range []string{"relayd_ok_latency_seconds", "relayd_store_commit_seconds", "go_goroutines", "process_open_fds"} {
		if v, n := p.Value(name); n == 0 || v == 0 {
			t.Errorf("%s: %v (%d series), want > 0", name, v, n)
		}
	}
	resp, err := http.Get(httpURL(r) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on the relay's port with metrics_listen set: %s, want 404", resp.Status)
	}
	req, _ := http.NewRequest(http.MethodGet, r.MetricsURL+"/", nil)
	if body := get(t, req); !strings.Contains(body, "status/app.js") {
		t.Fatalf("status page on metrics_listen:\n%s", body)
	}
}

// TestMetricsStoreAndLoadFailures: the store's size and commits are
// measured, and a plugin whose new files fail to load is reported with
// the version of those files while the previous version runs on.
func TestMetricsStoreAndLoadFailures(t *testing.T) {
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "kinds", guest("kinds"), "")
	r := relaydtest.Start(t, relaydtest.Default(plugins))
	url := httpURL(r) + "/metrics"
	p := scrape.Get(t, url)
	if v, _ := p.Value("relayd_store_bytes"); v <= 0 {
		t.Errorf("relayd_store_bytes = %v, want > 0", v)
	}
	v1 := kindsVersion(t, p)
	if err := os.WriteFile(filepath.Join(plugins, "kinds.wasm.tmp"), []byte("\x00asm not a module"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(plugins, "kinds.wasm.tmp"), filepath.Join(plugins, "kinds.wasm")); err != nil {
		t.Fatal(err)
	}
	rescan(r)
	p = waitMetrics(t, url, "the failed load", func(p scrape.Page) bool {
		_, n := p.Value("relayd_plugin_load_failed", "plugin", "kinds")
		return n == 1
	})
	if v, _ := p.Value("relayd_plugin_load_failed", "plugin", "kinds", "version", v1); v != 0 {
		t.Fatalf("load failure reported with the running version %s: %v", v1, p.Labels("relayd_plugin_load_failed"))
	}
	if got := kindsVersion(t, p); got != v1 {
		t.Fatalf("running version %s, want the previous %s", got, v1)
	}
	c := wsc.Dial(t, r.URL)
	if ok := c.Publish(wsc.NewKey().Sign(t, 4, "dm", nostr.Now())); ok.Accepted {
		t.Fatalf("the previous version no longer runs: %v", ok)
	}
}

// Package status_test loads relayd's status page in a real browser
// (headless Chromium) against a real relayd and checks what it renders.
package status_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// chromiumPath returns the Chromium binary. It skips the test if Chromium
// is not installed, unless RELAYD_REQUIRE_CHROMIUM=1 (as in CI), which
// makes a missing Chromium a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("RELAYD_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium not found and RELAYD_REQUIRE_CHROMIUM=1: apt-get install chromium")
	}
	t.Skip("chromium not found; apt-get install chromium (RELAYD_REQUIRE_CHROMIUM=1 makes this a failure)")
	return ""
}

// dumpDOM loads url in headless Chromium and returns the DOM once the page
// is idle: its script has fetched status.json and rendered it (virtual
// time does not advance while a fetch is pending). Chromium runs with a
// fresh profile and without its background traffic, so the only requests
// are the page's own.
func dumpDOM(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath(t), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=3000",
		"--dump-dom", url)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String()
}

// TestStatusPageInChromium (issue 9, item 5): a plugin is hot-loaded into
// the plugin directory of a running relayd, it rejects an EVENT, and the
// status page, rendered by a real browser, shows the plugin in the chain
// with its version, hooks and mode, and the rejection in its verdicts.
func TestStatusPageInChromium(t *testing.T) {
	chromiumPath(t)
	plugins := t.TempDir()
	cfg := relaydtest.Default(plugins)
	cfg.Name = "status test relay"
	r := relaydtest.Start(t, cfg)
	base := "http" + strings.TrimPrefix(r.URL, "ws")

	relaydtest.CopyPlugin(t, plugins, "nodm", filepath.Join("..", "..", "host", "wasmhost", "testdata", "wat", "kinds.wasm"), "")
	// The directory watcher starts after Ready: a file copied this soon
	// may be seen only at the next rescan, which SIGHUP makes now.
	r.Reload()
	deadline := time.Now().Add(60 * time.Second) // a guard against a hang
	for {
		if v, _ := scrape.Get(t, base+"/metrics").Value("relayd_plugin_info", "plugin", "nodm"); v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin never loaded:\n%s", r.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := wsc.Dial(t, r.URL)
	if ok := c.Publish(wsc.NewKey().Sign(t, 4, "a DM", nostr.Now())); ok.Accepted || ok.Reason != "blocked: no DMs" {
		t.Fatalf("kind 4: got %v, want OK false blocked: no DMs", ok)
	}

	dom := dumpDOM(t, base+"/")
	if !strings.Contains(dom, `<h1 id="name">status test relay</h1>`) {
		t.Fatalf("the page does not name the relay:\n%s", dom)
	}
	if !regexp.MustCompile(`<body[^>]* data-updated="[0-9.]+"`).MatchString(dom) {
		t.Fatalf("the page's script never rendered status.json:\n%s", dom)
	}
	row := regexp.MustCompile(`(?s)<tr data-plugin="nodm">(.*?)</tr>`).FindStringSubmatch(dom)
	if row == nil {
		t.Fatalf("no row for the plugin loaded a moment before:\n%s", dom)
	}
	for _, want := range []string{
		`<td class="version">` + `[0-9a-f]{12}</td>`,
		`<td class="version sha256" title="[0-9a-f]{64}">[0-9a-f]{12}</td><td class="source">local</td>`,
		`<td>event</td><td>enforce</td><td>open</td>`,
		`<td class="n calls">1</td>`,
		`<li data-verdict="reject" data-prefix="blocked">reject \(blocked\): <span class="count">1</span></li>`,
		`<td class="n errors">0</td>`,
		`<span class="loaded">loaded `,
	} {
		if !regexp.MustCompile(want).MatchString(row[1]) {
			t.Errorf("the plugin's row lacks %s:\n%s", want, row[1])
		}
	}
}

package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// writeFile replaces path's contents atomically, as an editor or a
// config manager does (write a temporary file, rename it over).
func writeFile(t *testing.T, path, body string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// nip11 fetches r's NIP-11 document.
func nip11(t *testing.T, r *relaydtest.Relay) relay.Info {
	t.Helper()
	req, _ := http.NewRequest("GET", httpURL(r), nil)
	req.Header.Set("Accept", "application/nostr+json")
	var info relay.Info
	if err := json.Unmarshal([]byte(get(t, req)), &info); err != nil {
		t.Fatal(err)
	}
	return info
}

// reloads is the count of config reloads with result (success, failure).
func reloads(p scrape.Page, result string) float64 {
	v, _ := p.Value("relayd_config_reloads_total", "result", result)
	return v
}

// reloadAndWait sends r a SIGHUP-equivalent reload and waits until the
// metrics count one more reload with result than before.
func reloadAndWait(t *testing.T, r *relaydtest.Relay, result string) scrape.Page {
	t.Helper()
	before := reloads(scrape.Get(t, httpURL(r)+"/metrics"), result)
	r.Reload()
	return waitMetrics(t, httpURL(r)+"/metrics", "a config reload: "+result, func(p scrape.Page) bool {
		return reloads(p, result) > before
	})
}

// checkLimitation fails unless the NIP-11 limitation shows every key of
// want with its value.
func checkLimitation(t *testing.T, got map[string]any, want limits.Limits) {
	t.Helper()
	for k, v := range want.Limitation() {
		var w any = v
		switch x := v.(type) {
		case int:
			w = float64(x)
		case int64:
			w = float64(x)
		}
		if got[k] != w {
			t.Errorf("limitation %s: got %v, want %v", k, got[k], w)
		}
	}
}

const allLimits = `max_message_bytes = 100000
max_content_bytes = 5000
max_subscriptions = 7
max_filters = 3
max_filter_values = 30
max_limit = 70
default_limit = 20
max_subid_length = 30
max_event_tags = 40
created_at_lower_limit = 86400
created_at_upper_limit = 0
auth_required = true
queue_bytes = 200000
`

// TestConfigNIP11IsTheConfigLimits: the NIP-11 limitation a running
// relayd serves is its config's limits: the defaults, every limit set in
// the file, and after a reload the reloaded ones.
func TestConfigNIP11IsTheConfigLimits(t *testing.T) {
	tests := []struct{ name, body string }{
		{"defaults", ""},
		{"all set", allLimits},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "relayd.toml")
			writeFile(t, path, tc.body)
			r := relaydtest.StartFile(t, path, "")
			checkLimitation(t, nip11(t, r).Limitation, r.Config.Limits)
			if tc.body == "" {
				checkLimitation(t, nip11(t, r).Limitation, config.Default().Limits)
			}
		})
	}
	t.Run("reloaded", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "relayd.toml")
		writeFile(t, path, "max_message_bytes = 100000\n")
		r := relaydtest.StartFile(t, path, "")
		writeFile(t, path, allLimits)
		reloadAndWait(t, r, "success")
		want, err := config.Source{Path: path}.Load()
		if err != nil {
			t.Fatal(err)
		}
		checkLimitation(t, nip11(t, r).Limitation, want.Limits)
	})
}

// TestConfigReloadBadFileKeepsRunning: a file that does not load or does
// not validate changes nothing; the log says why, naming the key, and the
// metrics say the last reload failed, until a good file is reloaded.
func TestConfigReloadBadFileKeepsRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relayd.toml")
	writeFile(t, path, "name = \"good\"\nmax_content_bytes = 1000\n")
	r := relaydtest.StartFile(t, path, "")
	c := wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	tests := []struct {
		name, body string
		why        []string // in the log line (slog escapes its quotes)
	}{
		{"wrong type", "name = \"bad\"\nmax_content_bytes = \"lots\"\n", []string{"max_content_bytes", "incompatible types"}},
		{"invalid value", "name = \"bad\"\nmax_content_bytes = 10\nmax_limit = 5\n", []string{"default_limit 500 is above max_limit 5"}},
		{"unknown key", "name = \"bad\"\nmax_contents_bytes = 10\n", []string{"unknown key", "max_contents_bytes"}},
		{"no file", "", []string{"no such file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.body == "" {
				os.Remove(path)
			} else {
				writeFile(t, path, tc.body)
			}
			p := reloadAndWait(t, r, "failure")
			if v, _ := p.Value("relayd_config_last_reload_successful"); v != 0 {
				t.Fatalf("relayd_config_last_reload_successful = %v after a failed reload", v)
			}
			line := lastLine(r.Logs(), "config reload failed; keeping the running config")
			for _, w := range tc.why {
				if !strings.Contains(line, w) {
					t.Fatalf("the failure's log line %q lacks %q", line, w)
				}
			}
			if name := nip11(t, r).Name; name != "good" {
				t.Fatalf("NIP-11 name %q: a refused file applied", name)
			}
			if ok := c.Publish(k.Sign(t, 1, strings.Repeat("x", 500), nostr.Now())); !ok.Accepted {
				t.Fatalf("the running limits changed: %v", ok)
			}
		})
	}
	writeFile(t, path, "name = \"fixed\"\n")
	p := reloadAndWait(t, r, "success")
	if v, _ := p.Value("relayd_config_last_reload_successful"); v != 1 || nip11(t, r).Name != "fixed" {
		t.Fatalf("after a good file: successful = %v, name %q", v, nip11(t, r).Name)
	}
}

// TestConfigReloadRestartKeys: a key that needs a restart keeps its
// running value and the log says so; the live keys of the same file apply.
func TestConfigReloadRestartKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relayd.toml")
	writeFile(t, path, "name = \"one\"\n")
	r := relaydtest.StartFile(t, path, "")
	writeFile(t, path, "name = \"two\"\nmax_message_bytes = 100000\nexpire_interval = \"5m\"\nlisten = \"127.0.0.1:1\"\n")
	reloadAndWait(t, r, "success")
	for _, line := range []string{
		"max_message_bytes changed: restart relayd to apply",
		"expire_interval changed: restart relayd to apply",
	} {
		mustLog(t, r, line)
	}
	// listen is set by a flag (relaydtest), which stays over the file.
	if strings.Contains(r.Logs(), "listen changed") {
		t.Fatalf("a flag-set listen was reported as changed:\n%s", r.Logs())
	}
	info := nip11(t, r)
	if info.Name != "two" || info.Limitation["max_message_length"] != float64(limits.Default().MaxMessageBytes) {
		t.Fatalf("got name %q, max_message_length %v", info.Name, info.Limitation["max_message_length"])
	}
}

// TestConfigReloadChainOrder: a new chain order reorders the running
// plugins: the first in the new order answers.
func TestConfigReloadChainOrder(t *testing.T) {
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "a", guest("v1"), "")
	relaydtest.CopyPlugin(t, plugins, "b", guest("v2"), "")
	path := filepath.Join(t.TempDir(), "relayd.toml")
	writeFile(t, path, "chain = [\"a\", \"b\"]\n")
	r := relaydtest.StartFile(t, path, plugins)
	c := wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	if ok := c.Publish(k.Sign(t, 1, "x", nostr.Now())); ok.Accepted || !strings.HasSuffix(ok.Reason, "v1") {
		t.Fatalf("chain a, b: got %v, want a's refusal (v1)", ok)
	}
	writeFile(t, path, "chain = [\"b\", \"missing\"]\n")
	reloadAndWait(t, r, "success")
	if ok := c.Publish(k.Sign(t, 1, "y", nostr.Now())); ok.Accepted || !strings.HasSuffix(ok.Reason, "v2") {
		t.Fatalf("chain b, a: got %v, want b's refusal (v2)", ok)
	}
	waitMetrics(t, httpURL(r)+"/metrics", "the chain b, a", inChain("b", "a"))
	mustLog(t, r, `chain lists a plugin that is not loaded; it is skipped" plugin=missing`)
}

// TestConfigReloadOnFileChange: a change of the file reloads it without a
// SIGHUP; the status page shows the new name.
func TestConfigReloadOnFileChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relayd.toml")
	writeFile(t, path, "name = \"before\"\n")
	r := relaydtest.StartFile(t, path, "")
	writeFile(t, path, "name = \"after\"\ndescription = \"changed on disk\"\n")
	waitMetrics(t, httpURL(r)+"/metrics", "a reload on the file change", func(p scrape.Page) bool {
		return reloads(p, "success") == 1
	})
	if info := nip11(t, r); info.Name != "after" || info.Description != "changed on disk" {
		t.Fatalf("NIP-11: %q, %q", info.Name, info.Description)
	}
	var st struct{ Name string }
	req, _ := http.NewRequest("GET", httpURL(r)+"/status.json", nil)
	if err := json.Unmarshal([]byte(get(t, req)), &st); err != nil || st.Name != "after" {
		t.Fatalf("status.json name %q, %v", st.Name, err)
	}
}

// lastLine returns the last line of logs that contains s.
func lastLine(logs, s string) string {
	lines := strings.Split(logs, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			return lines[i]
		}
	}
	return ""
}

// mustLog fails unless r has logged s (the reload logs before its metrics
// count it, so after reloadAndWait there is nothing to wait for).
func mustLog(t *testing.T, r *relaydtest.Relay, s string) {
	t.Helper()
	if !strings.Contains(r.Logs(), s) {
		t.Fatalf("the log lacks %q:\n%s", s, r.Logs())
	}
}

// TestConfigReloadSyncPeers: a reload that adds a [[sync]] peer starts it
// (the peer's events arrive), and one that removes it stops it (the
// peer's metrics series go away).
func TestConfigReloadSyncPeers(t *testing.T) {
	b := relaydtest.Start(t, relaydtest.Default(""))
	cb := wsc.Dial(t, b.URL)
	ev := wsc.NewKey().Sign(t, 1, "from the peer", nostr.Now())
	if ok := cb.Publish(ev); !ok.Accepted {
		t.Fatal(ok)
	}
	path := filepath.Join(t.TempDir(), "relayd.toml")
	writeFile(t, path, "name = \"a\"\n")
	a := relaydtest.StartFile(t, path, "")
	writeFile(t, path, "name = \"a\"\n[[sync]]\nurl = \""+b.URL+"\"\ndir = \"down\"\n")
	reloadAndWait(t, a, "success")
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		// A fresh connection per try: on a reused one the event can arrive
		// live on the previous try's subscription before its CLOSE.
		ca := wsc.Dial(t, a.URL)
		got := ca.Req("q"+strconv.Itoa(i), nostr.Filter{IDs: []string{ev.ID}})
		ca.NC.Close()
		if len(got) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the peer added by a reload never synced:\n%s", a.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustLog(t, a, "[[sync]] peers restarted")
	writeFile(t, path, "name = \"a\"\n")
	reloadAndWait(t, a, "success")
	waitMetrics(t, httpURL(a)+"/metrics", "no sync peer series", func(p scrape.Page) bool {
		_, ok := p["relayd_sync_syncs_total"]
		return !ok
	})
}

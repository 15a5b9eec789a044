package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/status"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestStatusJSON: /status.json on a real relayd after real traffic: the
// numbers, and the chain with each plugin's version, hooks, mode, calls
// and verdicts, read from the same counters /metrics serves.
func TestStatusJSON(t *testing.T) {
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "kinds", guest("kinds"), "order = 1\nmode = \"shadow\"\n")
	relaydtest.CopyPlugin(t, plugins, "accept", guest("accept"), "order = 0\non_error = \"closed\"\n")
	cfg := relaydtest.Default(plugins)
	cfg.Name, cfg.Description = "json relay", "for the test"
	r := relaydtest.Start(t, cfg)
	c := wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	for _, kind := range []int{1, 4, 5} {
		// kinds is in shadow mode: it refuses 4 and 5, nothing is enforced.
		if ok := c.Publish(k.Sign(t, kind, "x", nostr.Now())); !ok.Accepted {
			t.Fatalf("kind %d: %v", kind, ok)
		}
	}
	c.Req("s", nostr.Filter{Kinds: []int{1}})
	c.Send("COUNT", "settle", nostr.Filter{})
	c.Expect("COUNT")

	var st status.Status
	req, _ := http.NewRequest(http.MethodGet, httpURL(r)+"/status.json", nil)
	if err := json.Unmarshal([]byte(get(t, req)), &st); err != nil {
		t.Fatal(err)
	}
	if st.Name != "json relay" || st.Description != "for the test" || st.Version != "test" || st.Starting ||
		st.Connections != 1 || st.Subscriptions != 1 || st.EventsReceived != 3 || st.EventsStored != 3 || st.StoreBytes <= 0 || st.Uptime <= 0 {
		t.Fatalf("numbers: %+v", st)
	}
	if len(st.Plugins) != 2 {
		t.Fatalf("plugins: %+v", st.Plugins)
	}
	acc, kinds := st.Plugins[0], st.Plugins[1]
	m := scrape.Get(t, httpURL(r)+"/metrics")
	if v, _ := m.Value("relayd_plugin_info", "plugin", "kinds", "version", kinds.Version); v != 1 || kinds.Version == "" {
		t.Fatalf("kinds version %q is not the one /metrics shows: %v", kinds.Version, m.Labels("relayd_plugin_info"))
	}
	if acc.Name != "accept" || acc.Position != 0 || acc.OnError != "closed" || acc.Mode != "enforce" || len(acc.Hooks) != 8 || acc.LoadedAt <= 0 {
		t.Fatalf("accept: %+v", acc)
	}
	if kinds.Name != "kinds" || kinds.Position != 1 || kinds.Mode != "shadow" || strings.Join(kinds.Hooks, ",") != "event" ||
		kinds.Calls != 3 || kinds.Errors != 0 || kinds.LoadFailed != "" {
		t.Fatalf("kinds: %+v", kinds)
	}
	want := []status.Verdict{{Verdict: "accept", Count: 1}, {Verdict: "rate_limited", Prefix: "rate-limited", Count: 1},
		{Verdict: "reject", Prefix: "blocked", Count: 1}}
	if len(kinds.Verdicts) != len(want) {
		t.Fatalf("kinds verdicts %+v, want %+v", kinds.Verdicts, want)
	}
	for i := range want {
		if kinds.Verdicts[i] != want[i] {
			t.Fatalf("kinds verdicts %+v, want %+v", kinds.Verdicts, want)
		}
	}
}

// TestStatusPageSetting: status_page decides who gets the page on the
// relay's port; NIP-11 is unchanged whatever it says.
func TestStatusPageSetting(t *testing.T) {
	tests := []struct {
		setting, want string
	}{
		{"public", `<script src="status/app.js"`},
		{"local", `<script src="status/app.js"`}, // the test is on this host
		{"off", "a Nostr relay. Connect with a websocket client."},
	}
	for _, tc := range tests {
		t.Run(tc.setting, func(t *testing.T) {
			cfg := relaydtest.Default("")
			cfg.StatusPage = tc.setting
			r := relaydtest.Start(t, cfg)
			req, _ := http.NewRequest(http.MethodGet, httpURL(r)+"/", nil)
			req.Header.Set("Accept", "text/html")
			if body := get(t, req); !strings.Contains(body, tc.want) {
				t.Fatalf("root for a browser:\n%s", body)
			}
			req.Header.Set("Accept", "application/nostr+json")
			if body := get(t, req); !strings.Contains(body, `"supported_nips"`) {
				t.Fatalf("NIP-11:\n%s", body)
			}
		})
	}
}

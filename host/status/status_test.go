package status_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/metrics"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/status"
)

// versioned is a native policy with a version, as wasmhost plugins have.
type versioned struct {
	policy.Base
	name, version string
	hooks         policy.HookSet
	verdict       func(kind int) policy.Verdict
}

func (p *versioned) Name() string          { return p.name }
func (p *versioned) Version() string       { return p.version }
func (p *versioned) Hooks() policy.HookSet { return p.hooks }

func (p *versioned) Event(_ context.Context, in *policy.EventInput) (policy.Verdict, error) {
	return p.verdict(in.Event.Kind), nil
}

// TestStatusFromMetrics: the status document is read from the metrics: the
// chain in order with each plugin's settings and its running version's
// counts, and plugins whose files failed to load.
func TestStatusFromMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	pm, err := metrics.NewPlugins(reg)
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]string{"lists": "0badc0ffee00", "broken": "123456abcdef"}
	if _, err := metrics.NewLoadFailures(reg, func() (map[string]string, bool) { return failed, true }); err != nil {
		t.Fatal(err)
	}
	var h policy.Holder
	h.Observe(pm)
	noDMs := &versioned{name: "nodm", version: "aaaaaaaaaaaa", hooks: policy.Hooks(policy.HookEvent), verdict: func(k int) policy.Verdict {
		if k == 4 {
			return policy.RejectWith(policy.PrefixBlocked, "no DMs")
		}
		return policy.Verdict{}
	}}
	lists := &versioned{name: "lists", version: "bbbbbbbbbbbb-cccccc", hooks: policy.Hooks(policy.HookEventPre, policy.HookEvent),
		verdict: func(int) policy.Verdict { return policy.Verdict{} }}
	h.Store(policy.NewChain(nil,
		policy.Entry{Policy: lists, Mode: policy.Shadow},
		policy.Entry{Policy: noDMs, OnErr: policy.FailClosed}))
	for _, kind := range []int{1, 4, 4} {
		h.Load().Event(context.Background(), &policy.EventInput{Event: &nostr.Event{Kind: kind}})
	}
	started := time.Unix(1700000000, 0)
	sh, err := status.New(status.Options{Name: "test relay", Description: "d", Version: "v1", Started: started, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sh.Status(started.Add(90 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "test relay" || st.Uptime != 90 || len(st.SyncPeers) != 0 {
		t.Fatalf("status %+v", st)
	}
	type row struct {
		Name, Version string
		Position      int
		Hooks         []string
		Mode, OnError string
		Calls, Errors float64
		Verdicts      []status.Verdict
		LoadFailed    string
	}
	var got []row
	for _, p := range st.Plugins {
		if p.LoadedAt == 0 && p.Position >= 0 {
			t.Errorf("plugin %s has no load time", p.Name)
		}
		got = append(got, row{p.Name, p.Version, p.Position, p.Hooks, p.Mode, p.OnError, p.Calls, p.Errors, p.Verdicts, p.LoadFailed})
	}
	want := []row{
		{"lists", "bbbbbbbbbbbb-cccccc", 0, []string{"event_pre", "event"}, "shadow", "open", 3, 0,
			[]status.Verdict{{Verdict: "accept", Count: 3}}, "0badc0ffee00"},
		{"nodm", "aaaaaaaaaaaa", 1, []string{"event"}, "enforce", "closed", 3, 0,
			[]status.Verdict{{Verdict: "accept", Count: 1}, {Verdict: "reject", Prefix: "blocked", Count: 2}}, ""},
		{"broken", "", -1, []string{}, "", "", 0, 0, []status.Verdict{}, "123456abcdef"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plugins\n got %+v\nwant %+v", got, want)
	}
}

// TestStatusHTTP: the page, its assets and the JSON are served with a
// policy that lets the page load nothing from elsewhere; the name is
// escaped into the page.
func TestStatusHTTP(t *testing.T) {
	sh, err := status.New(status.Options{Name: "<b>relay</b>", Version: "v1", Started: time.Now(), Gatherer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sh)
	defer srv.Close()
	tests := []struct {
		path, typ, contains string
		code                int
	}{
		{"/", "text/html", "&lt;b&gt;relay&lt;/b&gt;", 200},
		{"/status/app.js", "text/javascript", "status.json", 200},
		{"/status/app.css", "text/css", "font", 200},
		{"/status.json", "application/json", `"sync_peers":[]`, 200},
		{"/status/nothing", "text/plain", "not found", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.typ) || !strings.Contains(string(b), tc.contains) {
				t.Fatalf("got %s %q:\n%s", resp.Status, resp.Header.Get("Content-Type"), b)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "http") {
				t.Fatalf("Content-Security-Policy %q", csp)
			}
			if tc.path == "/status.json" {
				var st status.Status
				if err := json.Unmarshal(b, &st); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestStatusAssetsAreSelfContained: nothing in the embedded page names
// another host: no absolute URL, no protocol-relative one.
func TestStatusAssetsAreSelfContained(t *testing.T) {
	external := regexp.MustCompile(`(?i)(https?:|wss?:|ftp:)?//[a-z0-9.-]+\.[a-z]{2,}|(src|href)\s*=\s*["']?(https?:|//)`)
	err := filepath.WalkDir("assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to another site: %q", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

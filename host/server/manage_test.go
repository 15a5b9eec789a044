package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/manage"
	"github.com/relayd/relayd/host/status"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// startManaged runs relayd on data with admin in admin_pubkeys.
func startManaged(t *testing.T, data string, admin wsc.Key) *relaydtest.Relay {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = data
	cfg.Name = "from relayd.toml"
	cfg.AdminPubkeys = []string{admin.PK}
	return relaydtest.Start(t, cfg)
}

// adminCall calls method on r as k and returns the result.
func adminCall(t *testing.T, r *relaydtest.Relay, k wsc.Key, method string, params ...any) string {
	t.Helper()
	res, err := (&manage.Client{URL: r.URL, SecretKey: k.SK}).Call(context.Background(), method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return string(res)
}

// postManage posts body to r with the headers and returns the status and
// body.
func postManage(t *testing.T, r *relaydtest.Relay, body []byte, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", httpURL(r), bytes.NewReader(body))
	req.Header.Set("Content-Type", manage.ContentType)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// nip98 signs a NIP-98 header for body to url as k, changed by edit.
func nip98(t *testing.T, k wsc.Key, url string, body []byte, edit func(*nostr.Event)) string {
	t.Helper()
	h, err := manage.AuthHeader(k.SK, url, "POST", body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return h
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Nostr "))
	var ev nostr.Event
	json.Unmarshal(raw, &ev)
	edit(&ev)
	raw, _ = ev.MarshalJSON()
	return "Nostr " + base64.StdEncoding.EncodeToString(raw)
}

// TestManageHostMethods (issue 9 item 2): every host method, authorised,
// against a real relayd over HTTP with badger on disk; banevent deletes
// and refuses a re-publish with blocked:, through a restart; the NIP-11
// name changes at once and stays over relayd.toml's after a restart.
func TestManageHostMethods(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	admin := wsc.NewKey()
	r := startManaged(t, data, admin)
	c := wsc.Dial(t, r.URL)
	author := wsc.NewKey()
	ev := author.Sign(t, 1, "to be banned", nostr.Now())
	keep := author.Sign(t, 1, "to keep", nostr.Now())
	for _, e := range []*nostr.Event{ev, keep} {
		if ok := c.Publish(e); !ok.Accepted {
			t.Fatalf("publish: %v", ok)
		}
	}

	want := `["allowevent","banevent","changerelaydescription","changerelayicon","changerelayname",` +
		`"listbannedevents","stats","supportedmethods"]`
	if got := adminCall(t, r, admin, "supportedmethods"); got != want {
		t.Errorf("supportedmethods: got %s, want %s", got, want)
	}
	var stats map[string]float64
	json.Unmarshal([]byte(adminCall(t, r, admin, "stats")), &stats)
	if stats["events"] != 2 || stats["connections"] != 1 || stats["store_bytes"] <= 0 {
		t.Errorf("stats: got %v, want 2 events, 1 connection, store bytes", stats)
	}

	if got := adminCall(t, r, admin, "banevent", ev.ID, "illegal"); got != "true" {
		t.Fatalf("banevent: got %s", got)
	}
	if got := c.Req("q", nostr.Filter{IDs: []string{ev.ID, keep.ID}}); len(got) != 1 || got[0].ID != keep.ID {
		t.Errorf("after banevent, REQ: got %d events, want only the other one", len(got))
	}
	if ok := c.Publish(ev); ok.Accepted || !strings.HasPrefix(ok.Reason, "blocked:") {
		t.Errorf("re-publish of a banned event: got %v, want OK false blocked:", ok)
	}
	if got := adminCall(t, r, admin, "listbannedevents"); got != `[{"id":"`+ev.ID+`","reason":"illegal"}]` {
		t.Errorf("listbannedevents: got %s", got)
	}
	adminCall(t, r, admin, "allowevent", ev.ID, "")
	if ok := c.Publish(ev); !ok.Accepted {
		t.Errorf("re-publish after allowevent: %v", ok)
	}
	adminCall(t, r, admin, "banevent", ev.ID, "illegal")

	adminCall(t, r, admin, "changerelayname", "Renamed")
	adminCall(t, r, admin, "changerelaydescription", "A new description")
	adminCall(t, r, admin, "changerelayicon", "https://example.com/icon.png")
	info := nip11(t, r)
	if info.Name != "Renamed" || info.Description != "A new description" || info.Icon != "https://example.com/icon.png" {
		t.Errorf("NIP-11 at once: got %q %q %q", info.Name, info.Description, info.Icon)
	}
	if !slices.Contains(info.SupportedNIPs, 86) {
		t.Errorf("NIP-11 supported_nips %v lacks 86, which this relay serves", info.SupportedNIPs)
	}

	if st := statusJSON(t, r); st.Name != "Renamed" || st.Description != "A new description" {
		t.Errorf("status page at once: got %q %q", st.Name, st.Description)
	}

	c.NC.Close()
	r.Stop()
	r = startManaged(t, data, admin) // relayd.toml still says "from relayd.toml"
	if info := nip11(t, r); info.Name != "Renamed" || info.Icon != "https://example.com/icon.png" {
		t.Errorf("NIP-11 after a restart: got %q %q, want the overrides", info.Name, info.Icon)
	}
	if st := statusJSON(t, r); st.Name != "Renamed" {
		t.Errorf("status page after a restart: got %q", st.Name)
	}
	c = wsc.Dial(t, r.URL)
	if ok := c.Publish(ev); ok.Accepted || !strings.HasPrefix(ok.Reason, "blocked:") {
		t.Errorf("re-publish of a banned event after a restart: got %v, want OK false blocked:", ok)
	}
	if got := adminCall(t, r, admin, "listbannedevents"); got != `[{"id":"`+ev.ID+`","reason":"illegal"}]` {
		t.Errorf("listbannedevents after a restart: got %s", got)
	}
	adminCall(t, r, admin, "changerelayname", "")
	if info := nip11(t, r); info.Name != "from relayd.toml" {
		t.Errorf("NIP-11 after clearing the override: got %q, want relayd.toml's", info.Name)
	}
}

// TestManageUnauthorised (issue 9 item 2): every way to fail NIP-98 gets
// 401 and the same JSON-RPC error, and changes nothing.
func TestManageUnauthorised(t *testing.T) {
	admin, stranger := wsc.NewKey(), wsc.NewKey()
	r := startManaged(t, t.TempDir(), admin)
	u := httpURL(r)
	body := []byte(`{"method":"changerelayname","params":["hijacked"]}`)
	replayed := nip98(t, admin, u, body, nil)
	if code, got := postManage(t, r, body, map[string]string{"Authorization": replayed}); code != 200 {
		t.Fatalf("first use: %d %s", code, got)
	}
	adminCall(t, r, admin, "changerelayname", "kept")
	resign := func(edit func(*nostr.Event)) string {
		return nip98(t, admin, u, body, func(ev *nostr.Event) {
			edit(ev)
			if err := ev.Sign(admin.SK); err != nil {
				t.Fatal(err)
			}
		})
	}
	tests := []struct{ name, auth string }{
		{"missing header", ""},
		{"not an admin", nip98(t, stranger, u, body, nil)},
		{"bad signature", nip98(t, admin, u, body, func(ev *nostr.Event) { ev.Sig = strings.Repeat("0", 128) })},
		{"replayed", replayed},
		{"expired", resign(func(ev *nostr.Event) { ev.CreatedAt -= 300 })},
		{"wrong URL", nip98(t, admin, "https://other.example.com/", body, nil)},
		{"wrong payload hash", nip98(t, admin, u, []byte(`{"method":"stats","params":[]}`), nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			code, got := postManage(t, r, body, h)
			if code != http.StatusUnauthorized || got != `{"error":"unauthorized"}` {
				t.Fatalf("got %d %s, want 401 {\"error\":\"unauthorized\"}", code, got)
			}
			if name := nip11(t, r).Name; name != "kept" {
				t.Fatalf("NIP-11 name %q: an unauthorised call applied", name)
			}
		})
	}
	if _, err := (&manage.Client{URL: r.URL, SecretKey: stranger.SK}).Call(context.Background(), "stats", nil); !errors.Is(err, manage.ErrUnauthorised) {
		t.Errorf("client as a stranger: got %v, want ErrUnauthorised", err)
	}
}

// TestManageBehindProxy: behind a trusted proxy the u tag names the
// public URL the proxy forwarded (X-Forwarded-Proto and -Host); from a
// peer that is not a trusted proxy those headers are ignored.
func TestManageBehindProxy(t *testing.T) {
	admin := wsc.NewKey()
	body := []byte(`{"method":"stats","params":[]}`)
	const public = "https://relay.example.com/"
	fwd := func(auth string) map[string]string {
		return map[string]string{"Authorization": auth, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "relay.example.com"}
	}
	tests := []struct {
		name    string
		proxies []string
		url     func(r *relaydtest.Relay) string
		want    int
	}{
		{"trusted proxy, public URL", []string{"127.0.0.1"}, func(*relaydtest.Relay) string { return public }, 200},
		{"trusted proxy, local URL", []string{"127.0.0.1"}, func(r *relaydtest.Relay) string { return httpURL(r) }, 401},
		{"untrusted peer, public URL", nil, func(*relaydtest.Relay) string { return public }, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := relaydtest.Default("") // a temporary data dir
			cfg.AdminPubkeys = []string{admin.PK}
			for _, p := range tc.proxies {
				cfg.TrustedProxies = append(cfg.TrustedProxies, mustPrefix(t, p))
			}
			r := relaydtest.Start(t, cfg)
			if code, got := postManage(t, r, body, fwd(nip98(t, admin, tc.url(r), body, nil))); code != tc.want {
				t.Fatalf("got %d %s, want %d", code, got, tc.want)
			}
		})
	}
}

// TestManageAdminsLive: admin_pubkeys is read from the live config: a
// reload that removes a key refuses its next call.
func TestManageAdminsLive(t *testing.T) {
	admin := wsc.NewKey()
	path := filepath.Join(t.TempDir(), "relayd.toml")
	writeFile(t, path, "admin_pubkeys = [\""+admin.PK+"\"]\n")
	r := relaydtest.StartFile(t, path, "")
	adminCall(t, r, admin, "stats")
	writeFile(t, path, "admin_pubkeys = []\n")
	reloadAndWait(t, r, "success")
	if _, err := (&manage.Client{URL: r.URL, SecretKey: admin.SK}).Call(context.Background(), "stats", nil); !errors.Is(err, manage.ErrUnauthorised) {
		t.Errorf("after the reload: got %v, want ErrUnauthorised", err)
	}
}

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := config.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestManagePluginMethods: methods a real plugin (the manage WAT guest)
// declares are listed by supportedmethods and served through the relay;
// a plugin's refusal reaches the caller as its own message.
func TestManagePluginMethods(t *testing.T) {
	admin := wsc.NewKey()
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "manage", guest("manage"), "")
	cfg := relaydtest.Default(plugins)
	cfg.AdminPubkeys = []string{admin.PK}
	r := relaydtest.Start(t, cfg)
	want := `["allowevent","badjson","banevent","changerelaydescription","changerelayicon","changerelayname","echo","fail",` +
		`"listbannedevents","spin","stats","supportedmethods","trap","write"]`
	if got := adminCall(t, r, admin, "supportedmethods"); got != want {
		t.Errorf("supportedmethods: got %s, want %s", got, want)
	}
	if got := adminCall(t, r, admin, "echo", "a", 1, map[string]any{"b": true}); got != `["a",1,{"b":true}]` {
		t.Errorf("echo: got %s", got)
	}
	_, err := (&manage.Client{URL: r.URL, SecretKey: admin.SK}).Call(context.Background(), "fail", nil)
	if rpc, ok := errors.AsType[*manage.RPCError](err); !ok || rpc.Message != "nope" {
		t.Errorf("fail: got %v, want the plugin's message nope", err)
	}
}

// statusJSON fetches r's /status.json.
func statusJSON(t *testing.T, r *relaydtest.Relay) status.Status {
	t.Helper()
	var st status.Status
	req, _ := http.NewRequest(http.MethodGet, httpURL(r)+"/status.json", nil)
	if err := json.Unmarshal([]byte(get(t, req)), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

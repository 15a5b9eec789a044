package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// TestListsE2E edits lists.toml under a running relayd and checks that each
// edit takes effect on a connection that stays open, and that a broken
// edit leaves the previous lists in force.
func TestListsE2E(t *testing.T) {
	k1, k2 := wsclient.NewKey(), wsclient.NewKey()
	r := plugintest.Start(t, pluginName, plugintest.Build(t), "[config]\nkind_deny = [4]\npubkey_deny = [\""+k1.PK+"\"]\n")
	c := wsclient.Dial(t, r.URL)
	publish := func(k wsclient.Key, kind int, want string) {
		t.Helper()
		got := c.Publish(k.Sign(t, kind, "hi "+time.Now().String(), nostr.Now()))
		if got.Accepted != (want == "") || got.Reason != want {
			t.Errorf("kind %d: got %v, want reason %q", kind, got, want)
		}
	}
	publish(k1, 1, "blocked: this pubkey is blocked")
	publish(k2, 1, "")
	publish(k2, 4, "blocked: kind 4 is not accepted here")
	if got := c.Auth(k1.SK, r.URL); got.Accepted || got.Reason != "blocked: this pubkey is blocked" {
		t.Errorf("AUTH as a denied key: got %v", got)
	}

	edit(t, r, 2, "[config]\npubkey_deny = [\""+k2.PK+"\"]\n")
	publish(k1, 1, "")
	publish(k2, 1, "blocked: this pubkey is blocked")
	publish(k1, 4, "")

	edit(t, r, 3, "[config]\nip_deny = [\"127.0.0.0/8\"]\n")
	publish(k1, 1, "blocked: your address is blocked")
	c.Send("REQ", "s", nostr.Filter{Kinds: []int{1}})
	if msg := c.Expect("CLOSED"); wsclient.Str(msg, 2) != "blocked: your address is blocked" {
		t.Errorf("REQ: got CLOSED %q", wsclient.Str(msg, 2))
	}
	if status, body := plugintest.UpgradeStatus(t, r.URL); status != http.StatusForbidden || !strings.HasPrefix(body, "blocked: your address is blocked") {
		t.Errorf("new connection: got %d %q, want 403 blocked:", status, body)
	}

	if restricted(t, r.URL) {
		t.Error("NIP-11 restricted_writes is true without an allow list")
	}
	edit(t, r, 4, "[config]\nip_deny = [\"127.0.0.0/8\"]\npubkey_allow = [\""+k1.PK+"\"]\n")
	if !restricted(t, r.URL) {
		t.Error("NIP-11 restricted_writes is false with pubkey_allow set")
	}

	writeFile(t, filepath.Join(r.Config.PluginDir, "lists.toml"), "[config]\nip_deny = [\"127.0.0.0/33\"]\n")
	r.WaitLog(t, "wasm plugin failed to load", 10*time.Second)
	if status, _ := plugintest.UpgradeStatus(t, r.URL); status != http.StatusForbidden {
		t.Errorf("after a broken edit: got %d, want the previous lists (403)", status)
	}
}

// edit replaces lists.toml and waits until the relay has loaded the
// plugin n times in all.
func edit(t *testing.T, r *relaydtest.Relay, n int, settings string) {
	t.Helper()
	writeFile(t, filepath.Join(r.Config.PluginDir, "lists.toml"), settings)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(r.Logs(), "wasm plugin loaded") < n {
		if time.Now().After(deadline) {
			t.Fatalf("the relay did not reload lists.toml:\n%s", r.Logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeFile writes atomically, as the README tells operators to.
func writeFile(t *testing.T, path, s string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// restricted returns NIP-11 limitation.restricted_writes.
func restricted(t *testing.T, wsURL string) bool {
	t.Helper()
	v, present := plugintest.NIP11(t, wsURL).Limitation["restricted_writes"]
	b, ok := v.(bool)
	if present && !ok {
		t.Fatalf("NIP-11 limitation.restricted_writes is %v, not a bool", v)
	}
	return b
}

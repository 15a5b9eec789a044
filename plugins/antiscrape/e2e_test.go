package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) {
	code := m.Run()
	wasmbuild.RemoveAll()
	os.Exit(code)
}

func startRelay(t *testing.T, settings string) *relaydtest.Relay {
	t.Helper()
	wasm := wasmbuild.Build(t, ".")
	dir := t.TempDir()
	relaydtest.CopyPlugin(t, dir, "antiscrape", wasm, settings)
	cfg := relaydtest.Default(dir)
	cfg.DataDir = t.TempDir() // Default's is ./data
	return relaydtest.Start(t, cfg)
}

func wantClosed(t *testing.T, c *wsclient.Client, sub, reason string) {
	t.Helper()
	msg := c.Expect("CLOSED")
	if wsclient.Str(msg, 1) != sub || wsclient.Str(msg, 2) != reason {
		t.Errorf("got CLOSED %q %q, want %q %q", wsclient.Str(msg, 1), wsclient.Str(msg, 2), sub, reason)
	}
}

func count(t *testing.T, c *wsclient.Client, sub string, f nostr.Filter) int {
	t.Helper()
	c.Send("COUNT", sub, f)
	msg := c.Expect("COUNT")
	var n struct{ Count int }
	if len(msg) < 3 || json.Unmarshal(msg[2], &n) != nil {
		t.Fatalf("bad COUNT reply %s", msg)
	}
	return n.Count
}

// TestE2EDefaults: the README's default config refuses dumps over the wire.
func TestE2EDefaults(t *testing.T) {
	r := startRelay(t, readmeExamples(t)["Defaults"].settings)
	c := wsclient.Dial(t, r.URL)
	c.Send("REQ", "all", nostr.Filter{})
	wantClosed(t, c, "all", "blocked: empty filters are not allowed; name kinds, authors, ids or tags")
	c.Send("COUNT", "graph", nostr.Filter{Kinds: []int{3}})
	wantClosed(t, c, "graph", "blocked: filters for kind 3 must name authors, ids or tags")
	k := wsclient.NewKey()
	if got := len(c.Req("mine", nostr.Filter{Kinds: []int{3}, Authors: []string{k.PK}})); got != 0 {
		t.Errorf("selective REQ got %d events", got)
	}
}

// TestE2ELenient: clamped limits over the wire; COUNT is not clamped.
func TestE2ELenient(t *testing.T) {
	r := startRelay(t, readmeExamples(t)["Lenient: clamp instead of refusing"].settings)
	c := wsclient.Dial(t, r.URL)
	k := wsclient.NewKey()
	now := nostr.Now()
	for i := range 3 {
		if ok := c.Publish(k.Sign(t, 1, "note", now+nostr.Timestamp(i))); !ok.Accepted {
			t.Fatal(ok)
		}
	}
	if got := len(c.Req("feed", nostr.Filter{Kinds: []int{1}})); got != 2 {
		t.Errorf("kind-only REQ got %d events, want 2 (clamped)", got)
	}
	if got := len(c.Req("mine", nostr.Filter{Kinds: []int{1}, Authors: []string{k.PK}})); got != 3 {
		t.Errorf("selective REQ got %d events, want 3", got)
	}
	if got := count(t, c, "n", nostr.Filter{Kinds: []int{1}}); got != 3 {
		t.Errorf("COUNT got %d, want 3", got)
	}
}

package main

import (
	"encoding/json"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

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
	ex := plugintest.ReadExamples(t, "README.md").Get(t, "Defaults")
	r := plugintest.Start(t, pluginName, plugintest.Build(t), ex.Settings)
	c := wsclient.Dial(t, r.URL)
	c.Send("REQ", "all", nostr.Filter{})
	plugintest.WantClosed(t, c, "all", "blocked: empty filters are not allowed; name kinds, authors, ids or tags")
	c.Send("COUNT", "graph", nostr.Filter{Kinds: []int{3}})
	plugintest.WantClosed(t, c, "graph", "blocked: filters for kind 3 must name authors, ids or tags")
	k := wsclient.NewKey()
	if got := len(c.Req("mine", nostr.Filter{Kinds: []int{3}, Authors: []string{k.PK}})); got != 0 {
		t.Errorf("selective REQ got %d events", got)
	}
}

// TestE2ELenient: clamped limits over the wire; COUNT is not clamped.
func TestE2ELenient(t *testing.T) {
	ex := plugintest.ReadExamples(t, "README.md").Get(t, "Lenient: clamp instead of refusing")
	r := plugintest.Start(t, pluginName, plugintest.Build(t), ex.Settings)
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

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/scrape"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// TestWotE2E runs the plugin in a real relayd (badger on disk, the
// plugin's durable state in it) over a websocket: the owner's and a
// follow's kind-3 lists, published to the relay, make a key two hops away
// trusted at the next ticks; an outsider is refused; a moderator's report
// hides the reported event from REQ results.
func TestWotE2E(t *testing.T) {
	owner, alice, bob, eve := wsclient.NewKey(), wsclient.NewKey(), wsclient.NewKey(), wsclient.NewKey()
	settings := "tick_ms = 50\ndb_max_keys = 200000\n[config]\nowners = [\"" + owner.PK + "\"]\n"
	r := plugintest.Start(t, pluginName, plugintest.Build(t), settings)
	c := wsclient.Dial(t, r.URL)
	now := nostr.Now()
	r.WaitLog(t, "wot: trust set 1 keys", 20*time.Second) // the first tick: the owner alone

	plugintest.WantOK(t, c.Publish(bob.Sign(t, 1, "too early", now)), false, "blocked: not in this relay's web of trust")
	plugintest.WantOK(t, c.Publish(owner.Sign(t, 3, "", now, nostr.Tag{"p", alice.PK})), true, "")
	r.WaitLog(t, "wot: trust set 2 keys", 20*time.Second)
	plugintest.WantOK(t, c.Publish(alice.Sign(t, 3, "", now, nostr.Tag{"p", bob.PK})), true, "")
	r.WaitLog(t, "wot: trust set 3 keys", 20*time.Second)

	post := bob.Sign(t, 1, "two hops away", now)
	plugintest.WantOK(t, c.Publish(post), true, "")
	plugintest.WantOK(t, c.Publish(eve.Sign(t, 1, "outsider", now)), false, "blocked: not in this relay's web of trust")
	if got := c.Req("before", nostr.Filter{IDs: []string{post.ID}}); len(got) != 1 {
		t.Fatalf("REQ for bob's note: got %d events, want 1", len(got))
	}

	// The owner (a moderator by default) reports the note.
	rep := owner.Sign(t, 1984, "", now, nostr.Tag{"e", post.ID, "spam"}, nostr.Tag{"p", bob.PK, "spam"})
	plugintest.WantOK(t, c.Publish(rep), true, "")
	if got := c.Req("after", nostr.Filter{IDs: []string{post.ID}}); len(got) != 0 {
		t.Errorf("REQ for the reported note: got %d events, want none", len(got))
	}
	// It stays hidden once the ticks have read the report from the store.
	r.WaitLog(t, "hidden 1 events", 20*time.Second)
	if got := c.Req("later", nostr.Filter{IDs: []string{post.ID}}); len(got) != 0 {
		t.Errorf("REQ for the reported note after a tick: got %d events, want none", len(got))
	}
	plugintest.WantOK(t, c.Publish(bob.Sign(t, 1, "still trusted", now)), true, "")

	if doc := plugintest.NIP11(t, r.URL); doc.Limitation["restricted_writes"] != true {
		t.Errorf("NIP-11 limitation %v: want restricted_writes true", doc.Limitation)
	}
	// The ticks and their store reads are in the relay's metrics.
	page := scrape.Get(t, "http"+strings.TrimPrefix(r.URL, "ws")+"/metrics")
	for _, name := range []string{"relayd_plugin_ticks_total", "relayd_plugin_store_queries_total", "relayd_plugin_store_query_events_total"} {
		if v, n := page.Value(name, "plugin=wot"); n != 1 || v < 1 {
			t.Errorf("%s{plugin=wot}: got %v in %d series, want at least 1 in one", name, v, n)
		}
	}
	if logs := r.Logs(); strings.Contains(logs, "plugin tick failed") {
		t.Errorf("a tick failed:\n%s", logs)
	}
}

package server_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestManageListsPlugin (issue 9 item 2, end to end): NIP-86 through a
// real relayd to the real lists plugin, with badger on disk: banpubkey
// refuses the author's next EVENT; the ban survives a restart;
// listbannedpubkeys lists it; banpubkey's purge deletes the author's
// stored events; unbanpubkey lifts it.
func TestManageListsPlugin(t *testing.T) {
	lists := wasmbuild.Build(t, filepath.Join("..", "..", "plugins", "lists"))
	admin, spammer, flooder, other := wsc.NewKey(), wsc.NewKey(), wsc.NewKey(), wsc.NewKey()
	plugins, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
	relaydtest.CopyPlugin(t, plugins, "lists", lists, "")
	start := func() *relaydtest.Relay {
		cfg := relaydtest.Default(plugins)
		cfg.DataDir = data
		cfg.AdminPubkeys = []string{admin.PK}
		return relaydtest.Start(t, cfg)
	}
	publish := func(c *wsc.Client, k wsc.Key, content, want string) {
		t.Helper()
		ok := c.Publish(k.Sign(t, 1, content, nostr.Now()))
		if ok.Accepted != (want == "") || !strings.HasPrefix(ok.Reason, want) {
			t.Errorf("publish %q: got %v, want %q", content, ok, want)
		}
	}

	r := start()
	c := wsc.Dial(t, r.URL)
	for i, k := range []wsc.Key{spammer, flooder, flooder, flooder, other} {
		publish(c, k, "before "+string(rune('a'+i)), "")
	}
	var methods []string
	json.Unmarshal([]byte(adminCall(t, r, admin, "supportedmethods")), &methods)
	for _, m := range []string{"banpubkey", "unbanpubkey", "listbannedpubkeys", "allowkind", "blockip", "banevent"} {
		if !strings.Contains(strings.Join(methods, " "), m) {
			t.Errorf("supportedmethods %v lacks %s", methods, m)
		}
	}

	if got := adminCall(t, r, admin, "banpubkey", spammer.PK, "spam"); got != "true" {
		t.Fatalf("banpubkey: got %s", got)
	}
	publish(c, spammer, "after the ban", "blocked:")
	publish(c, other, "unrelated", "")
	if got := adminCall(t, r, admin, "listbannedpubkeys"); !strings.Contains(got, `"pubkey":"`+spammer.PK+`"`) || !strings.Contains(got, `"reason":"spam"`) {
		t.Errorf("listbannedpubkeys: got %s", got)
	}

	if got := adminCall(t, r, admin, "banpubkey", flooder.PK, "flood", map[string]any{"purge": true}); got != `{"purged":3}` {
		t.Errorf("banpubkey with purge: got %s, want {\"purged\":3}", got)
	}
	if got := c.Req("f", nostr.Filter{Authors: []string{flooder.PK}}); len(got) != 0 {
		t.Errorf("after the purge: %d of the flooder's events served", len(got))
	}
	if got := c.Req("s", nostr.Filter{Authors: []string{spammer.PK}}); len(got) != 1 {
		t.Errorf("a ban without purge deleted events: %d of the spammer's served, want 1", len(got))
	}

	c.NC.Close()
	r.Stop()
	r = start()
	c = wsc.Dial(t, r.URL)
	publish(c, spammer, "after the restart", "blocked:")
	publish(c, flooder, "after the restart", "blocked:")
	if got := adminCall(t, r, admin, "listbannedpubkeys"); !strings.Contains(got, spammer.PK) || !strings.Contains(got, flooder.PK) {
		t.Errorf("listbannedpubkeys after a restart: got %s", got)
	}
	adminCall(t, r, admin, "unbanpubkey", spammer.PK)
	publish(c, spammer, "after the unban", "")
}

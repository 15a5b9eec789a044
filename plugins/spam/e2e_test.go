package main

import (
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// TestE2EDefaults: new-author caps against the real store, and the flood
// rule across connections.
func TestE2EDefaults(t *testing.T) {
	ex := plugintest.ReadExamples(t, "README.md").Get(t, "Defaults")
	r := plugintest.Start(t, pluginName, plugintest.Build(t), ex.Settings)
	c := wsclient.Dial(t, r.URL)
	now := nostr.Now()
	links := "https://a.example https://b.example https://c.example"

	newbie, regular := wsclient.NewKey(), wsclient.NewKey()
	plugintest.WantOK(t, c.Publish(newbie.Sign(t, 1, links, now)), false, "blocked: too many links for a new account (max 2)")
	plugintest.WantOK(t, c.Publish(regular.Sign(t, 1, "hello, I am new here", now)), true, "")
	plugintest.WantOK(t, c.Publish(regular.Sign(t, 1, links, now+1)), true, "")

	flood := "Win a brand new phone, reply with your address!"
	for i := range 6 {
		want, reason := true, ""
		if i == 5 {
			want, reason = false, "blocked: the same content was posted by too many accounts"
		}
		cc := wsclient.Dial(t, r.URL)
		plugintest.WantOK(t, cc.Publish(wsclient.NewKey().Sign(t, 1, flood, now)), want, reason)
	}
}

// TestE2EShadow: a shadow-rejected event is acknowledged but not stored.
func TestE2EShadow(t *testing.T) {
	ex := plugintest.ReadExamples(t, "README.md").Get(t, "Shadow-ban scam words")
	r := plugintest.Start(t, pluginName, plugintest.Build(t), ex.Settings)
	c := wsclient.Dial(t, r.URL)
	k := wsclient.NewKey()
	now := nostr.Now()
	scam := k.Sign(t, 1, "FREE AIRDROP for everyone", now)
	fine := k.Sign(t, 1, "good morning", now)
	plugintest.WantOK(t, c.Publish(scam), true, "")
	plugintest.WantOK(t, c.Publish(fine), true, "")
	got := c.Req("mine", nostr.Filter{Authors: []string{k.PK}})
	if len(got) != 1 || got[0].ID != fine.ID {
		t.Errorf("stored %d events, want only the clean one", len(got))
	}
}

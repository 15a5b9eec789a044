package main

import (
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
	relaydtest.CopyPlugin(t, dir, "spam", wasm, settings)
	cfg := relaydtest.Default(dir)
	cfg.DataDir = t.TempDir() // Default's is ./data
	return relaydtest.Start(t, cfg)
}

func wantOK(t *testing.T, got wsclient.OK, accepted bool, reason string) {
	t.Helper()
	if got.Accepted != accepted || got.Reason != reason {
		t.Errorf("got %v, want accepted=%v reason=%q", got, accepted, reason)
	}
}

// TestE2EDefaults: new-author caps against the real store, and the flood
// rule across connections.
func TestE2EDefaults(t *testing.T) {
	r := startRelay(t, readmeExamples(t)["Defaults"].settings)
	c := wsclient.Dial(t, r.URL)
	now := nostr.Now()
	links := "https://a.example https://b.example https://c.example"

	newbie, regular := wsclient.NewKey(), wsclient.NewKey()
	wantOK(t, c.Publish(newbie.Sign(t, 1, links, now)), false, "blocked: too many links for a new account (max 2)")
	wantOK(t, c.Publish(regular.Sign(t, 1, "hello, I am new here", now)), true, "")
	wantOK(t, c.Publish(regular.Sign(t, 1, links, now+1)), true, "")

	flood := "Win a brand new phone, reply with your address!"
	for i := range 6 {
		want, reason := true, ""
		if i == 5 {
			want, reason = false, "blocked: the same content was posted by too many accounts"
		}
		cc := wsclient.Dial(t, r.URL)
		wantOK(t, cc.Publish(wsclient.NewKey().Sign(t, 1, flood, now)), want, reason)
	}
}

// TestE2EShadow: a shadow-rejected event is acknowledged but not stored.
func TestE2EShadow(t *testing.T) {
	r := startRelay(t, readmeExamples(t)["Shadow-ban scam words"].settings)
	c := wsclient.Dial(t, r.URL)
	k := wsclient.NewKey()
	now := nostr.Now()
	scam := k.Sign(t, 1, "FREE AIRDROP for everyone", now)
	fine := k.Sign(t, 1, "good morning", now)
	wantOK(t, c.Publish(scam), true, "")
	wantOK(t, c.Publish(fine), true, "")
	got := c.Req("mine", nostr.Filter{Authors: []string{k.PK}})
	if len(got) != 1 || got[0].ID != fine.ID {
		t.Errorf("stored %d events, want only the clean one", len(got))
	}
}

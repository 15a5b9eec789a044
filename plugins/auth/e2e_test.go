package main

import (
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// keys whose pubkeys are alice and bob of the README examples.
var (
	aliceKey = key(strings.Repeat("0", 63) + "1")
	bobKey   = key(strings.Repeat("0", 63) + "2")
)

func key(sk string) wsclient.Key {
	pk, err := nostr.GetPublicKey(sk)
	if err != nil {
		panic(err)
	}
	return wsclient.Key{SK: sk, PK: pk}
}

func authed(t *testing.T, r *relaydtest.Relay, k wsclient.Key) *wsclient.Client {
	t.Helper()
	c := wsclient.Dial(t, r.URL)
	if ok := c.Auth(k.SK, r.URL); !ok.Accepted {
		t.Fatalf("AUTH as %s: %v", k.PK[:8], ok)
	}
	return c
}

// TestE2EMembersOnly runs the README's members-only example in a relay.
func TestE2EMembersOnly(t *testing.T) {
	if aliceKey.PK != alice || bobKey.PK != bob {
		t.Fatal("test keys do not match the README pubkeys")
	}
	ex := plugintest.ReadExamples(t, "README.md").Get(t, "Members-only relay")
	r := plugintest.Start(t, pluginName, plugintest.Build(t), ex.Settings)
	carol := wsclient.NewKey()
	now := nostr.Now()

	c := wsclient.Dial(t, r.URL)
	plugintest.WantOK(t, c.Publish(aliceKey.Sign(t, 1, "before auth", now)), false, "auth-required: publishing requires authentication")
	if ok := c.Auth(aliceKey.SK, r.URL); !ok.Accepted {
		t.Fatalf("AUTH: %v", ok)
	}
	plugintest.WantOK(t, c.Publish(aliceKey.Sign(t, 1, "member", now)), true, "")
	plugintest.WantOK(t, c.Publish(carol.Sign(t, 1, "rebroadcast by a member", now)), true, "")

	cc := authed(t, r, carol)
	plugintest.WantOK(t, cc.Publish(carol.Sign(t, 1, "stranger", now+1)), false, "restricted: members only, see https://relay.example/join")

	lim := plugintest.NIP11(t, r.URL).Limitation
	if lim["auth_required"] != true || lim["restricted_writes"] != true {
		t.Errorf("NIP-11 limitation %v, want auth_required and restricted_writes true", lim)
	}
}

// TestE2EPrivateDMs runs the default config: DMs reach only their parties,
// stored and live.
func TestE2EPrivateDMs(t *testing.T) {
	ex := plugintest.ReadExamples(t, "README.md").Get(t, "Private DMs (the default)")
	r := plugintest.Start(t, pluginName, plugintest.Build(t), ex.Settings)
	carol := wsclient.NewKey()
	now := nostr.Now()
	a := authed(t, r, aliceKey)
	dm := aliceKey.Sign(t, 4, "secret", now, nostr.Tag{"p", bobKey.PK})
	note := aliceKey.Sign(t, 1, "public", now)
	plugintest.WantOK(t, a.Publish(dm), true, "")
	plugintest.WantOK(t, a.Publish(note), true, "")

	anon := wsclient.Dial(t, r.URL)
	anon.Send("REQ", "dms", nostr.Filter{Kinds: []int{4}})
	plugintest.WantClosed(t, anon, "dms", "auth-required: reading kind 4 requires authentication")
	if got := ids(anon.Req("all", nostr.Filter{Authors: []string{aliceKey.PK}})); got != note.ID {
		t.Errorf("anonymous REQ by author got %s, want only the note %s", got, note.ID)
	}

	b := authed(t, r, bobKey)
	if got := ids(b.Req("dms", nostr.Filter{Kinds: []int{4}})); got != dm.ID {
		t.Errorf("recipient got %s, want the DM %s", got, dm.ID)
	}
	if got := ids(a.Req("dms", nostr.Filter{Kinds: []int{4}})); got != dm.ID {
		t.Errorf("author got %s, want the DM %s", got, dm.ID)
	}
	a.Send("CLOSE", "dms")
	b.Send("CLOSE", "dms")
	c := authed(t, r, carol)
	if got := ids(c.Req("dms", nostr.Filter{Kinds: []int{4}})); got != "" {
		t.Errorf("third party got %s, want nothing", got)
	}
	c.Send("REQ", "snoop", nostr.Filter{Kinds: []int{4}, Authors: []string{aliceKey.PK}, Tags: nostr.TagMap{"p": {bobKey.PK}}})
	plugintest.WantClosed(t, c, "snoop", "restricted: you may only read your own direct messages")

	// Live: carol follows alice without a kinds filter, bob his DMs. A
	// second DM, then a note: carol's next event must be the note.
	if got := ids(c.Req("live", nostr.Filter{Authors: []string{aliceKey.PK}, Since: &now})); got != note.ID {
		t.Fatalf("carol's stored events %s, want the note", got)
	}
	if got := ids(b.Req("live", nostr.Filter{Kinds: []int{4}, Since: &now})); got != dm.ID {
		t.Fatalf("bob's stored events %s, want the DM", got)
	}
	dm2 := aliceKey.Sign(t, 4, "secret 2", now+1, nostr.Tag{"p", bobKey.PK})
	note2 := aliceKey.Sign(t, 1, "public 2", now+1)
	plugintest.WantOK(t, a.Publish(dm2), true, "")
	plugintest.WantOK(t, a.Publish(note2), true, "")
	if got := wsclient.Event(t, c.Expect("EVENT")); got.ID != note2.ID {
		t.Errorf("carol got live %s (kind %d), want the note %s", got.ID, got.Kind, note2.ID)
	}
	if got := wsclient.Event(t, b.Expect("EVENT")); got.ID != dm2.ID {
		t.Errorf("bob got live %s, want the DM %s", got.ID, dm2.ID)
	}
}

func ids(evs []*nostr.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.ID)
	}
	return strings.Join(s, ",")
}

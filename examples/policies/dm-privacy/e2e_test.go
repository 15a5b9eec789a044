package main

import (
	"encoding/json"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

const authRequired = "auth-required: DMs are only served to their author and recipients; authenticate first"

// TestDMPrivacyE2E loads the plugin with the README's TOML into a real
// relayd. Alice sends Bob a kind 4 DM and a kind 1059 gift wrap, then a
// public note. Live and from the store, only Alice and Bob (authenticated)
// get the DMs; Carol (authenticated) and an anonymous session get the note
// only; REQ and COUNT for DM kinds get the exact CLOSED answers.
func TestDMPrivacyE2E(t *testing.T) {
	r := plugintest.Start(t, "dm-privacy", plugintest.Build(t), plugintest.READMESettings(t, "README.md"))
	alice, bob, carol := wsc.NewKey(), wsc.NewKey(), wsc.NewKey()
	login := func(k wsc.Key) *wsc.Client {
		c := wsc.Dial(t, r.URL)
		if ok := c.Auth(k.SK, r.URL); !ok.Accepted {
			t.Fatalf("auth: %v", ok)
		}
		return c
	}
	ac, bc, cc, anon := login(alice), login(bob), login(carol), wsc.Dial(t, r.URL)
	pub := wsc.Dial(t, r.URL) // publishing needs no AUTH
	dmKinds := nostr.Filter{Kinds: []int{4, 1059}}
	fromAlice := nostr.Filter{Authors: []string{alice.PK}}

	closed(t, anon, "dms", authRequired, dmKinds)
	ac.Req("mine", fromAlice)
	bc.Req("dms", dmKinds)
	cc.Req("dms", dmKinds) // allowed to ask; gets nothing
	cc.Req("alice", fromAlice)
	anon.Req("alice", fromAlice) // no kinds: allowed; DMs filtered out

	dm := alice.Sign(t, 4, "?iv=...", nostr.Now(), nostr.Tag{"p", bob.PK})
	wrap := wsc.NewKey().Sign(t, 1059, "sealed", nostr.Now(), nostr.Tag{"p", bob.PK})
	note := alice.Sign(t, 1, "public", nostr.Now())
	for _, ev := range []*nostr.Event{dm, wrap, note} {
		if ok := pub.Publish(ev); !ok.Accepted {
			t.Fatalf("publish kind %d: %v", ev.Kind, ok)
		}
	}

	t.Run("live", func(t *testing.T) {
		// Deliveries keep publish order, so a leaked DM would come before
		// the note.
		expectLive(t, ac, "mine", dm, note)
		expectLive(t, bc, "dms", dm, wrap)
		expectLive(t, cc, "alice", note)
		expectLive(t, anon, "alice", note)
	})
	t.Run("stored", func(t *testing.T) {
		tests := []struct {
			name string
			c    *wsc.Client
			f    nostr.Filter
			want []*nostr.Event
		}{
			{"author", ac, nostr.Filter{Kinds: []int{4}, Authors: []string{alice.PK}}, []*nostr.Event{dm}},
			{"recipient", bc, nostr.Filter{Kinds: []int{4, 1059}, Tags: nostr.TagMap{"p": {bob.PK}}}, []*nostr.Event{dm, wrap}},
			{"third party", cc, dmKinds, nil},
			{"third party by author", cc, fromAlice, []*nostr.Event{note}},
			{"anonymous by author", anon, fromAlice, []*nostr.Event{note}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := tc.c.Req("stored-"+tc.name, tc.f)
				if !sameIDs(got, tc.want) {
					t.Errorf("got %d events %v, want %v", len(got), ids(got), ids(tc.want))
				}
			})
		}
	})
	t.Run("count", func(t *testing.T) {
		bc.Send("COUNT", "n", nostr.Filter{Kinds: []int{4, 1059}, Tags: nostr.TagMap{"p": {bob.PK}}})
		var n struct{ Count int }
		json.Unmarshal(bc.Expect("COUNT")[2], &n)
		if n.Count != 2 {
			t.Errorf("Bob's DM count %d, want 2", n.Count)
		}
		countClosed(t, cc, `restricted: count DMs with "authors" or "#p" set to your own key only`, dmKinds)
		countClosed(t, anon, authRequired, dmKinds)
	})
}

// closed sends a REQ and expects the exact CLOSED answer.
func closed(t *testing.T, c *wsc.Client, subID, reason string, f nostr.Filter) {
	t.Helper()
	c.Send("REQ", subID, f)
	plugintest.WantClosed(t, c, subID, reason)
}

func countClosed(t *testing.T, c *wsc.Client, reason string, f nostr.Filter) {
	t.Helper()
	c.Send("COUNT", "n", f)
	if msg := c.Expect("CLOSED"); wsc.Str(msg, 2) != reason {
		t.Errorf("COUNT: got CLOSED %q, want %q", wsc.Str(msg, 2), reason)
	}
}

// expectLive reads the next EVENTs on c and checks they are want, in order.
func expectLive(t *testing.T, c *wsc.Client, subID string, want ...*nostr.Event) {
	t.Helper()
	for _, w := range want {
		msg := c.Expect("EVENT")
		if got := wsc.Event(t, msg); wsc.Str(msg, 1) != subID || got.ID != w.ID {
			t.Errorf("got %s kind %d on %q, want kind %d on %q", got.ID, got.Kind, wsc.Str(msg, 1), w.Kind, subID)
		}
	}
}

func ids(evs []*nostr.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.ID[:8])
	}
	return out
}

func sameIDs(got, want []*nostr.Event) bool {
	seen := map[string]bool{}
	for _, ev := range got {
		seen[ev.ID] = true
	}
	for _, ev := range want {
		if !seen[ev.ID] {
			return false
		}
	}
	return len(got) == len(want)
}

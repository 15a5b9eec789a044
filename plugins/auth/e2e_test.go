package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
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

// startRelay runs a real relayd with this plugin built to wasm and
// installed with settings as auth.toml.
func startRelay(t *testing.T, settings string) *relaydtest.Relay {
	t.Helper()
	wasm := wasmbuild.Build(t, ".")
	dir := t.TempDir()
	relaydtest.CopyPlugin(t, dir, "auth", wasm, settings)
	cfg := relaydtest.Default(dir)
	cfg.DataDir = t.TempDir() // Default's is ./data
	return relaydtest.Start(t, cfg)
}

func authed(t *testing.T, r *relaydtest.Relay, k wsclient.Key) *wsclient.Client {
	t.Helper()
	c := wsclient.Dial(t, r.URL)
	if ok := c.Auth(k.SK, r.URL); !ok.Accepted {
		t.Fatalf("AUTH as %s: %v", k.PK[:8], ok)
	}
	return c
}

func wantOK(t *testing.T, got wsclient.OK, accepted bool, reason string) {
	t.Helper()
	if got.Accepted != accepted || got.Reason != reason {
		t.Errorf("got %v, want accepted=%v reason=%q", got, accepted, reason)
	}
}

func wantClosed(t *testing.T, c *wsclient.Client, sub, reason string) {
	t.Helper()
	msg := c.Expect("CLOSED")
	if wsclient.Str(msg, 1) != sub || wsclient.Str(msg, 2) != reason {
		t.Errorf("got CLOSED %q %q, want %q %q", wsclient.Str(msg, 1), wsclient.Str(msg, 2), sub, reason)
	}
}

// TestE2EMembersOnly runs the README's members-only example in a relay.
func TestE2EMembersOnly(t *testing.T) {
	if aliceKey.PK != alice || bobKey.PK != bob {
		t.Fatal("test keys do not match the README pubkeys")
	}
	r := startRelay(t, readmeExamples(t)["Members-only relay"].settings)
	carol := wsclient.NewKey()
	now := nostr.Now()

	c := wsclient.Dial(t, r.URL)
	wantOK(t, c.Publish(aliceKey.Sign(t, 1, "before auth", now)), false, "auth-required: publishing requires authentication")
	if ok := c.Auth(aliceKey.SK, r.URL); !ok.Accepted {
		t.Fatalf("AUTH: %v", ok)
	}
	wantOK(t, c.Publish(aliceKey.Sign(t, 1, "member", now)), true, "")
	wantOK(t, c.Publish(carol.Sign(t, 1, "rebroadcast by a member", now)), true, "")

	cc := authed(t, r, carol)
	wantOK(t, cc.Publish(carol.Sign(t, 1, "stranger", now+1)), false, "restricted: members only, see https://relay.example/join")

	lim := nip11(t, r)
	if lim["auth_required"] != true || lim["restricted_writes"] != true {
		t.Errorf("NIP-11 limitation %v, want auth_required and restricted_writes true", lim)
	}
}

// TestE2EPrivateDMs runs the default config: DMs reach only their parties,
// stored and live.
func TestE2EPrivateDMs(t *testing.T) {
	r := startRelay(t, readmeExamples(t)["Private DMs (the default)"].settings)
	carol := wsclient.NewKey()
	now := nostr.Now()
	a := authed(t, r, aliceKey)
	dm := aliceKey.Sign(t, 4, "secret", now, nostr.Tag{"p", bobKey.PK})
	note := aliceKey.Sign(t, 1, "public", now)
	wantOK(t, a.Publish(dm), true, "")
	wantOK(t, a.Publish(note), true, "")

	anon := wsclient.Dial(t, r.URL)
	anon.Send("REQ", "dms", nostr.Filter{Kinds: []int{4}})
	wantClosed(t, anon, "dms", "auth-required: reading kind 4 requires authentication")
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
	wantClosed(t, c, "snoop", "restricted: you may only read your own direct messages")

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
	wantOK(t, a.Publish(dm2), true, "")
	wantOK(t, a.Publish(note2), true, "")
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

// nip11 fetches the relay's NIP-11 limitation object.
func nip11(t *testing.T, r *relaydtest.Relay) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", "http"+strings.TrimPrefix(r.URL, "ws"), nil)
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Limitation map[string]any `json:"limitation"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info.Limitation
}

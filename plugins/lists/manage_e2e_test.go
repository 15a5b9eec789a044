package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// manageMethods are the NIP-86 methods lists serves.
var manageMethods = []string{"allowkind", "allowpubkey", "banpubkey", "blockip", "disallowkind", "dismissreport",
	"listallowedkinds", "listallowedpubkeys", "listbannedpubkeys", "listblockedips", "listeventsneedingmoderation",
	"unallowpubkey", "unbanpubkey", "unblockip"}

// TestListsManageE2E bans a pubkey through the relay's plugin manager
// (Manager.Manage, what the NIP-86 API calls) under a running relayd: the
// next EVENT on a connection already open is refused, a blocked address
// cannot connect, and the ban holds after a restart on the same data dir.
func TestListsManageE2E(t *testing.T) {
	cfg := plugintest.Config(t, pluginName, plugintest.Build(t), "[config]\nkind_deny = [4]\n")
	ctx := context.Background()
	k, other := wsclient.NewKey(), wsclient.NewKey()
	publish := func(c *wsclient.Client, k wsclient.Key, want string) {
		t.Helper()
		got := c.Publish(k.Sign(t, 1, "hi "+time.Now().String(), nostr.Now()))
		if got.Accepted != (want == "") || got.Reason != want {
			t.Errorf("got %v, want reason %q", got, want)
		}
	}
	call := func(r *relaydtest.Relay, method, params, want string) {
		t.Helper()
		got, err := r.Plugins.Manage(ctx, method, json.RawMessage(params))
		if err != nil || string(got) != want {
			t.Fatalf("%s %s: got %s, %v, want %s", method, params, got, err, want)
		}
	}

	r := plugintest.StartConfig(t, pluginName, cfg)
	if got := r.Plugins.ManageMethods(); !slices.Equal(got, manageMethods) {
		t.Fatalf("ManageMethods = %v, want %v", got, manageMethods)
	}
	c := wsclient.Dial(t, r.URL)
	publish(c, k, "")
	call(r, "banpubkey", `["`+k.PK+`", "spam"]`, "true")
	publish(c, k, "blocked: this pubkey is blocked")
	publish(c, other, "")
	call(r, "blockip", `["127.0.0.1"]`, "true")
	if status, body := plugintest.UpgradeStatus(t, r.URL); status != http.StatusForbidden || !strings.HasPrefix(body, "blocked: your address is blocked") {
		t.Errorf("connect from a blocked address: %d %q", status, body)
	}
	call(r, "unblockip", `["127.0.0.1"]`, "true")
	r.Stop()

	r2 := plugintest.StartConfig(t, pluginName, cfg)
	c2 := wsclient.Dial(t, r2.URL)
	publish(c2, k, "blocked: this pubkey is blocked")
	publish(c2, other, "")
	call(r2, "listbannedpubkeys", "[]", `[{"pubkey":"`+k.PK+`","reason":"spam"}]`)
}

// TestListsManageInstances: a method called on one instance takes effect
// at the next call of another, which had the lists loaded (the gen key,
// runtime.go). The pool hands instances out in turn, so with two
// instances, calls alternate between them.
func TestListsManageInstances(t *testing.T) {
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := plugintest.Manager(t, pluginName, plugintest.Options{Store: st}, "pool = 2\n")
	if err != nil {
		t.Fatal(err)
	}
	ch := m.Holder().Load()
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: pkA, CreatedAt: 1700000000, Kind: 1, Tags: nostr.Tags{}, Sig: strings.Repeat("f", 128)}
	raw, _ := ev.MarshalJSON()
	in := &policy.EventInput{Event: ev, Raw: raw, Source: policy.SourceImport}
	ctx := context.Background()
	// First call: instance A loads the lists (nothing banned).
	if v := ch.EventPre(ctx, in); v.Final() {
		t.Fatalf("before the ban: %s", v.Reason())
	}
	// Instance B serves the ban.
	if _, err := m.Manage(ctx, "banpubkey", json.RawMessage(`["`+pkA+`"]`)); err != nil {
		t.Fatal(err)
	}
	// Instance A again, then B.
	for i := range 2 {
		if v := ch.EventPre(ctx, in); v.Reason() != "blocked: this pubkey is blocked" {
			t.Errorf("call %d after the ban: %q", i, v.Reason())
		}
	}
}

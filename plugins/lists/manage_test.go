package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/sdktest"
)

// step is one management call or one hook call, in order, on one Host.
type step struct {
	name string
	// method and params call a management method; want is its result
	// JSON, or "error: <text>" for a refusal.
	method, params string
	// call is a hook call instead, with its expected result.
	call func(h *sdktest.Host) sdktest.Result
	want string
}

func manage(h *sdktest.Host, method, params string) string {
	res, err := h.Manage(method, params)
	var me *sdktest.MethodError
	switch {
	case errors.As(err, &me):
		return "error: " + me.Message
	case err != nil:
		return "fail: " + err.Error()
	}
	return res
}

func runSteps(t *testing.T, h *sdktest.Host, steps []step) {
	t.Helper()
	for _, s := range steps {
		var got string
		if s.call != nil {
			got = s.call(h).String()
		} else {
			got = manage(h, s.method, s.params)
		}
		if got != s.want {
			t.Errorf("%s: got %s, want %s", s.name, got, s.want)
		}
	}
}

// TestListsManage runs the NIP-86 methods natively: each takes effect on
// the next call, merges with the configured lists and refuses to remove a
// configured entry.
func TestListsManage(t *testing.T) {
	settings := `
[config]
pubkey_deny = ["` + hexB + `"]
ip_deny = ["192.0.2.0/24"]
kind_allow = [1]`
	tests := []struct {
		name  string
		steps []step
	}{
		{"ban and unban", []step{
			{name: "before", call: pre(alice, 1, pkA), want: ok},
			{name: "ban", method: "banpubkey", params: `["` + pkA + `", "spam"]`, want: "true"},
			{name: "banned on event_pre", call: pre(alice, 1, pkA), want: pkBlocked},
			{name: "banned on auth", call: auth(alice, pkA), want: pkBlocked},
			{name: "list", method: "listbannedpubkeys", want: `[{"pubkey":"` + hexB + `","reason":"` + configured + `"},{"pubkey":"` + pkA + `","reason":"spam"}]`},
			{name: "ban an npub", method: "banpubkey", params: `["` + npubA + `"]`, want: "true"},
			{name: "npub banned", call: pre(alice, 1, hexA), want: pkBlocked},
			{name: "unban", method: "unbanpubkey", params: `["` + pkA + `"]`, want: "true"},
			{name: "after unban", call: pre(alice, 1, pkA), want: ok},
			{name: "unban a configured key", method: "unbanpubkey", params: `["` + hexB + `"]`,
				want: "error: " + hexB + " is in pubkey_deny in test.toml or its list file: remove it there"},
			{name: "configured key still banned", call: pre(alice, 1, hexB), want: pkBlocked},
			{name: "bad pubkey", method: "banpubkey", params: `["abc"]`, want: `error: pubkey "abc": want 64 hex characters or an npub`},
			{name: "no params", method: "banpubkey", params: `[]`, want: "error: want a pubkey (64 hex characters or an npub) as the first param"},
			{name: "bad reason", method: "banpubkey", params: `["` + pkA + `", 7]`, want: "error: the reason must be a string"},
		}},
		{"allow pubkeys", []step{
			{name: "no allow list", call: post(alice, 1, pkA), want: ok},
			{name: "allow", method: "allowpubkey", params: `["` + hexA + `"]`, want: "true"},
			{name: "now restricted", call: post(alice, 1, pkA), want: pkNotListed},
			{name: "allowed", call: post(alice, 1, hexA), want: ok},
			{name: "list", method: "listallowedpubkeys", want: `[{"pubkey":"` + hexA + `"}]`},
			{name: "ban wins over allow", method: "banpubkey", params: `["` + hexA + `"]`, want: "true"},
			{name: "banned member", call: post(alice, 1, hexA), want: pkBlocked},
			{name: "unban", method: "unbanpubkey", params: `["` + hexA + `"]`, want: "true"},
			{name: "unallow", method: "unallowpubkey", params: `["` + hexA + `"]`, want: "true"},
			{name: "open again", call: post(alice, 1, pkA), want: ok},
		}},
		{"kinds", []step{
			{name: "configured", call: pre(alice, 1, pkA), want: ok},
			{name: "not allowed", call: pre(alice, 7, pkA), want: kindRefused(7)},
			{name: "allow", method: "allowkind", params: `[7]`, want: "true"},
			{name: "allowed", call: pre(alice, 7, pkA), want: ok},
			{name: "list", method: "listallowedkinds", want: `[1,7]`},
			{name: "disallow", method: "disallowkind", params: `[7]`, want: "true"},
			{name: "refused again", call: pre(alice, 7, pkA), want: kindRefused(7)},
			{name: "disallow a configured kind", method: "disallowkind", params: `[1]`,
				want: "error: kind 1 is in kind_allow in test.toml or its list file: remove it there"},
			{name: "bad kind", method: "allowkind", params: `[70000]`, want: "error: want a kind (0 to 65535) as the first param"},
			{name: "kind as a string", method: "allowkind", params: `["7"]`, want: "error: want a kind (0 to 65535) as the first param"},
		}},
		{"ips", []step{
			{name: "before", call: conn(alice), want: ok},
			{name: "block", method: "blockip", params: `["203.0.113.7", "abuse"]`, want: "true"},
			{name: "connect refused", call: conn(alice), want: ipBlocked},
			{name: "req refused", call: req(alice), want: ipBlocked},
			{name: "block a v6 network", method: "blockip", params: `["2001:db8:bad::1/48"]`, want: "true"},
			{name: "v6 refused", call: conn(bad6), want: ipBlocked},
			{name: "list", method: "listblockedips", want: `[{"ip":"192.0.2.0/24","reason":"` + configured + `"},{"ip":"2001:db8:bad::/48"},{"ip":"203.0.113.7","reason":"abuse"}]`},
			{name: "unblock", method: "unblockip", params: `["203.0.113.7"]`, want: "true"},
			{name: "connect again", call: conn(alice), want: ok},
			{name: "unblock a configured network", method: "unblockip", params: `["192.0.2.0/24"]`,
				want: "error: 192.0.2.0/24 is in ip_deny in test.toml or its list file: remove it there"},
			{name: "bad address", method: "blockip", params: `["nope"]`, want: `error: "nope": want an IP address or a CIDR prefix`},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, plugintest.Native(t, settings, sdktest.Options{}), tc.steps)
		})
	}
}

// TestListsManageDurable: runtime entries survive a restart (a new Host on
// the same durable state, OnInit again) and a change of lists.toml.
func TestListsManageDurable(t *testing.T) {
	d := sdktest.NewDB(sdktest.DBLimits{})
	h := plugintest.Native(t, "", sdktest.Options{DB: d})
	runSteps(t, h, []step{
		{name: "ban", method: "banpubkey", params: `["` + pkA + `"]`, want: "true"},
		{name: "block", method: "blockip", params: `["203.0.113.7"]`, want: "true"},
		{name: "allow kind", method: "allowkind", params: `[1]`, want: "true"},
	})
	h2 := plugintest.Native(t, "[config]\nkind_deny = [4]", sdktest.Options{DB: d})
	runSteps(t, h2, []step{
		{name: "banned after restart", call: pre(imprt, 1, pkA), want: pkBlocked},
		{name: "blocked after restart", call: conn(alice), want: ipBlocked},
		{name: "kind allow list after restart", call: pre(imprt, 7, hexA), want: kindRefused(7)},
		{name: "configured list applies too", call: pre(imprt, 4, hexA), want: kindRefused(4)},
	})
}

// TestListsNoDB: without durable state lists serves no method.
func TestListsNoDB(t *testing.T) {
	h := plugintest.Native(t, "", sdktest.Options{NoDB: true})
	if ms, err := h.ManageMethods(); err != nil || len(ms) != 0 {
		t.Fatalf("methods %v, %v; want none", ms, err)
	}
}

func reportBy(reporter string, tags ...[]string) func(*sdktest.Host) sdktest.Result {
	return func(h *sdktest.Host) sdktest.Result {
		return h.Event(alice, sdktest.Event{Kind: kindReport, PubKey: reporter, Tags: tags})
	}
}

// TestListsReports: kind 1984 reports fill the moderation queue, bounded,
// and dismissreport empties it.
func TestListsReports(t *testing.T) {
	now := time.Unix(1700000000, 0)
	h := plugintest.Native(t, "", sdktest.Options{Now: func() time.Time { return now }})
	id1, id2 := strings.Repeat("1", 64), strings.Repeat("2", 64)
	runSteps(t, h, []step{
		{name: "empty", method: "listeventsneedingmoderation", want: `[]`},
		{name: "report", call: reportBy(hexA, []string{"e", id1, "spam"}, []string{"p", pkA}), want: ok},
		{name: "second reporter, type from p", call: reportBy(hexB, []string{"e", id1}, []string{"p", pkA, "impersonation"}), want: ok},
		{name: "same reporter again", call: reportBy(hexB, []string{"e", id1, "spam"}), want: ok},
		{name: "not an event id", call: reportBy(hexB, []string{"e", "xyz", "spam"}), want: ok},
		{name: "another event", call: reportBy(hexB, []string{"e", id2, "nudity"}), want: ok},
		{name: "a note is no report", call: post(alice, 1, hexA), want: ok},
		{name: "queue", method: "listeventsneedingmoderation",
			want: `[{"id":"` + id1 + `","reason":"spam by ` + hexA + `; impersonation by ` + hexB + `"},{"id":"` + id2 + `","reason":"nudity by ` + hexB + `"}]`},
		{name: "dismiss", method: "dismissreport", params: `["` + id1 + `"]`, want: "true"},
		{name: "after dismiss", method: "listeventsneedingmoderation", want: `[{"id":"` + id2 + `","reason":"nudity by ` + hexB + `"}]`},
		{name: "bad id", method: "dismissreport", params: `["x"]`, want: "error: want an event id (64 hex characters) as the first param"},
	})
	now = now.Add(reportTTL)
	runSteps(t, h, []step{{name: "aged out", method: "listeventsneedingmoderation", want: `[]`}})
}

// TestListsReportsBounded: past maxReports events the one reported first
// leaves the queue.
func TestListsReportsBounded(t *testing.T) {
	now := time.Unix(1700000000, 0)
	h := plugintest.Native(t, "", sdktest.Options{Now: func() time.Time { return now }})
	id := func(i int) string {
		return fmt.Sprintf("%064x", i)
	}
	for i := range maxReports + 1 {
		now = now.Add(time.Second)
		if got := reportBy(hexA, []string{"e", id(i), "spam"})(h).String(); got != ok {
			t.Fatalf("report %d: %s", i, got)
		}
	}
	res, err := h.Manage("listeventsneedingmoderation", "")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ ID string }
	if err := json.Unmarshal([]byte(res), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != maxReports || rows[0].ID != id(1) || rows[len(rows)-1].ID != id(maxReports) {
		t.Fatalf("%d rows from %s to %s, want %d from %s", len(rows), rows[0].ID, rows[len(rows)-1].ID, maxReports, id(1))
	}
}

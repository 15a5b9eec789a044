package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/sdktest"
)

const pluginName = "lists"

var (
	alice  = sdktest.Session{ID: 1, IP: "203.0.113.7"}
	bad4   = sdktest.Session{ID: 2, IP: "192.0.2.55"}
	bad6   = sdktest.Session{ID: 3, IP: "2001:db8:bad:1::9"}
	mapped = sdktest.Session{ID: 4, IP: "::ffff:192.0.2.1"}
	lan    = sdktest.Session{ID: 5, IP: "10.9.8.7"}
	lan6   = sdktest.Session{ID: 6, IP: "fd12::1"}
	local  = sdktest.Session{ID: 7, IP: "127.0.0.1"}
	imprt  = sdktest.Session{}

	pkA = strings.Repeat("a", 64)
	// NIP-19's example npubs and their hex.
	npubA = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
	hexA  = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
	hexB  = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"
	// The members of README's community relay example.
	member1 = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	member2 = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
)

// check is one call and the String() of its expected result.
type check struct {
	name string
	call func(h *sdktest.Host) sdktest.Result
	want string
}

func pre(s sdktest.Session, kind int, pk string) func(*sdktest.Host) sdktest.Result {
	return func(h *sdktest.Host) sdktest.Result { return h.EventPre(s, sdktest.Event{Kind: kind, PubKey: pk}) }
}

func post(s sdktest.Session, kind int, pk string) func(*sdktest.Host) sdktest.Result {
	return func(h *sdktest.Host) sdktest.Result { return h.Event(s, sdktest.Event{Kind: kind, PubKey: pk}) }
}

func conn(s sdktest.Session) func(*sdktest.Host) sdktest.Result {
	return func(h *sdktest.Host) sdktest.Result { return h.Connect(s) }
}

func req(s sdktest.Session) func(*sdktest.Host) sdktest.Result {
	return func(h *sdktest.Host) sdktest.Result { return h.Req(s, "sub", `[{"kinds":[1]}]`) }
}

func count(s sdktest.Session) func(*sdktest.Host) sdktest.Result {
	return func(h *sdktest.Host) sdktest.Result { return h.Count(s, "c", `[{"kinds":[1]}]`) }
}

func auth(s sdktest.Session, pk string) func(*sdktest.Host) sdktest.Result {
	return func(h *sdktest.Host) sdktest.Result {
		return h.Auth(s, sdktest.Event{Kind: 22242, PubKey: pk, Tags: [][]string{{"challenge", "x"}}})
	}
}

const (
	ok          = "accept"
	ipBlocked   = "reject blocked: your address is blocked"
	ipNotListed = "reject restricted: this relay only accepts clients from allowed addresses"
	pkBlocked   = "reject blocked: this pubkey is blocked"
	pkNotListed = "reject restricted: this relay only accepts events from allowed pubkeys"
)

func kindRefused(k int) string {
	return "reject blocked: kind " + strconv.Itoa(k) + " is not accepted here"
}

// runChecks runs checks against the plugin loaded with settings and the
// list files files.
func runChecks(t *testing.T, settings string, files map[string]string, checks []check) {
	t.Helper()
	h := plugintest.Native(t, settings, sdktest.Options{Name: pluginName, Files: files})
	for _, c := range checks {
		if got := c.call(h).String(); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestLists(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		checks   []check
	}{
		{"empty lists accept everything", ``, []check{
			{"connect", conn(bad4), ok},
			{"event", post(alice, 4, pkA), ok},
		}},
		{"deny lists", `
[config]
pubkey_deny = ["` + npubA + `"]
ip_deny = ["192.0.2.0/24", "2001:db8:bad::/48", "198.51.100.1"]
kind_deny = [4, "20000-29999"]`, []check{
			{"connect from a denied network", conn(bad4), ipBlocked},
			{"connect from a denied v6 network", conn(bad6), ipBlocked},
			{"connect as v4-mapped v6", conn(mapped), ipBlocked},
			{"connect from a denied address", conn(sdktest.Session{ID: 8, IP: "198.51.100.1"}), ipBlocked},
			{"connect next to a denied address", conn(sdktest.Session{ID: 8, IP: "198.51.100.2"}), ok},
			{"connect", conn(alice), ok},
			{"req from a denied address", req(bad4), ipBlocked},
			{"count from a denied address", count(bad6), ipBlocked},
			{"req", req(alice), ok},
			{"event from a denied address", pre(bad4, 1, pkA), ipBlocked},
			{"denied kind", pre(alice, 4, pkA), kindRefused(4)},
			{"denied kind range", pre(alice, 20001, pkA), kindRefused(20001)},
			{"kind after the range", pre(alice, 30000, pkA), ok},
			{"denied author", pre(alice, 1, hexA), pkBlocked},
			{"denied author on import", pre(imprt, 1, hexA), pkBlocked},
			{"denied kind on import", pre(imprt, 4, pkA), kindRefused(4)},
			{"author", pre(alice, 1, pkA), ok},
			{"denied author after the signature (a ban since event_pre)", post(alice, 1, hexA), pkBlocked},
			{"auth as a denied key", auth(alice, hexA), pkBlocked},
			{"auth", auth(alice, pkA), ok},
		}},
		{"allow lists", `
[config]
pubkey_allow = ["` + hexA + `", "` + hexB + `"]
ip_allow = ["10.0.0.0/8", "fd00::/8", "127.0.0.1"]
kind_allow = [0, 1, "30000-39999"]`, []check{
			{"connect from outside", conn(alice), ipNotListed},
			{"connect from the lan", conn(lan), ok},
			{"connect from the v6 lan", conn(lan6), ok},
			{"connect from localhost", conn(local), ok},
			{"req from outside", req(alice), ipNotListed},
			{"event from outside", pre(alice, 1, hexA), ipNotListed},
			{"import passes the ip lists", pre(imprt, 1, hexA), ok},
			{"kind not allowed", pre(lan, 7, hexA), kindRefused(7)},
			{"kind in range", pre(lan, 30023, hexA), ok},
			{"pubkey not allowed", post(lan, 1, pkA), pkNotListed},
			{"pubkey allowed", post(lan, 1, hexB), ok},
			{"unlisted pubkey on import", post(imprt, 1, pkA), pkNotListed},
		}},
		{"deny wins", `
[config]
pubkey_allow = ["` + hexA + `", "` + hexB + `"]
pubkey_deny = ["` + hexB + `"]
ip_allow = ["10.0.0.0/8"]
ip_deny = ["10.9.0.0/16"]
kind_allow = ["0-100"]
kind_deny = [4]`, []check{
			{"denied inside an allowed network", conn(lan), ipBlocked},
			{"allowed network", conn(sdktest.Session{ID: 9, IP: "10.1.1.1"}), ok},
			{"denied kind inside the allowed range", pre(imprt, 4, hexA), kindRefused(4)},
			{"denied member", pre(imprt, 1, hexB), pkBlocked},
			{"member", post(imprt, 1, hexA), ok},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runChecks(t, tc.settings, nil, tc.checks) })
	}
}

// TestListsHooks checks that the plugin asks only for the hooks its lists
// need, and what it reports for NIP-11.
func TestListsHooks(t *testing.T) {
	const conn, ev = 1<<abi.HookConnect | 1<<abi.HookReq | 1<<abi.HookCount | 1<<abi.HookEventPre, 1 << abi.HookEventPre
	tests := []struct {
		name       string
		settings   string
		hooks      abi.HookMask
		restricted bool
	}{
		{"nothing", ``, 0, false},
		{"ip_deny", "[config]\nip_deny = [\"192.0.2.1\"]", conn, false},
		{"ip_allow", "[config]\nip_allow = [\"192.0.2.1\"]", conn, true},
		{"kind_deny", "[config]\nkind_deny = [4]", ev, false},
		{"kind_allow", "[config]\nkind_allow = [1]", ev, false},
		{"pubkey_deny", "[config]\npubkey_deny = [\"" + hexA + "\"]", ev | 1<<abi.HookAuth, false},
		{"pubkey_allow", "[config]\npubkey_allow = [\"" + hexA + "\"]", 1 << abi.HookEvent, true},
		{"durable state", ``, conn | 1<<abi.HookEvent | 1<<abi.HookAuth | 1<<abi.HookManage, false},
		{"durable state, manage off", "[config]\nmanage = false", conn | 1<<abi.HookEvent | 1<<abi.HookAuth, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Without durable state the lists cannot change at run time,
			// so only the hooks the configured lists need are asked for.
			h := plugintest.Native(t, tc.settings, sdktest.Options{NoDB: !strings.HasPrefix(tc.name, "durable state")})
			if got := h.Hooks(); got != tc.hooks {
				t.Errorf("hooks: got %b, want %b", got, tc.hooks)
			}
			lim, err := h.Limitation()
			if err != nil {
				t.Fatal(err)
			}
			if got := lim["restricted_writes"] == true; got != tc.restricted {
				t.Errorf("limitation: got %v, want restricted_writes %v", lim, tc.restricted)
			}
		})
	}
}

func TestListsBadConfig(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		want     string
	}{
		{"unknown key", "[config]\npubkey_ban = []", `config: json: unknown field "pubkey_ban"`},
		{"bad pubkey", "[config]\npubkey_allow = [\"abc\"]", `pubkey_allow: pubkey "abc": want 64 hex characters or an npub`},
		{"nsec", "[config]\npubkey_deny = [\"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5\"]",
			`pubkey_deny: pubkey "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5": want 64 hex characters or an npub`},
		{"bad ip", "[config]\nip_deny = [\"192.0.2.300\"]", `ip_deny: "192.0.2.300": want an IP address or a CIDR prefix`},
		{"bad prefix", "[config]\nip_allow = [\"10.0.0.0/40\"]", `ip_allow: "10.0.0.0/40": want an IP address or a CIDR prefix`},
		{"bad kind", "[config]\nkind_deny = [\"four\"]", `config: kind "four": want a kind (7) or a range (30000-39999)`},
		{"negative kind", "[config]\nkind_allow = [-1]", `config: kind "-1": want a kind (7) or a range (30000-39999)`},
		{"not a list", "[config]\nkind_allow = 1", `config: kinds: want a list of kinds and "lo-hi" ranges`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Config: plugintest.ConfigJSON(t, tc.settings)})
			if err := h.Init(); err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestListsReadmeExamples runs checks against each toml example of
// README.md, in order, natively and then through the host's loader.
func TestListsReadmeExamples(t *testing.T) {
	scenarios := [][]check{
		{
			{"npub denied", pre(alice, 1, hexA), pkBlocked},
			{"hex denied", pre(alice, 1, hexB), pkBlocked},
			{"other author", pre(alice, 1, member1), ok},
			{"network denied", conn(bad4), ipBlocked},
			{"v6 network denied", conn(bad6), ipBlocked},
			{"DMs refused", pre(alice, 4, member1), kindRefused(4)},
			{"reactions", pre(alice, 7, member1), ok},
		},
		{
			{"npub in the file", pre(alice, 1, hexA), pkBlocked},
			{"hex in the file", auth(alice, hexB), pkBlocked},
			{"other author", pre(alice, 1, member1), ok},
			{"network in the file", conn(bad6), ipBlocked},
			{"address in the file", req(sdktest.Session{ID: 11, IP: "198.51.100.23"}), ipBlocked},
			{"next address", conn(sdktest.Session{ID: 11, IP: "198.51.100.24"}), ok},
			{"network inline", conn(bad4), ipBlocked},
			{"DMs", pre(alice, 4, member1), ok},
		},
		{
			{"member", post(alice, 1, member1), ok},
			{"suspended member", pre(alice, 1, member2), pkBlocked},
			{"stranger", post(alice, 1, pkA), pkNotListed},
			{"long-form", pre(alice, 30023, member1), ok},
			{"mute list", pre(alice, 10000, member1), ok},
			{"DM", pre(alice, 4, member1), kindRefused(4)},
			{"file metadata", pre(alice, 1063, member1), kindRefused(1063)},
			{"anyone reads", req(bad4), ok},
		},
		{
			{"outside", conn(alice), ipNotListed},
			{"localhost", conn(local), ok},
			{"v6 localhost", conn(sdktest.Session{ID: 10, IP: "::1"}), ok},
			{"lan", req(lan), ok},
			{"v6 lan", pre(lan6, 1, pkA), ok},
			{"outside reads", count(alice), ipNotListed},
		},
	}
	examples, files := plugintest.ReadExamples(t, "README.md").Settings(), readmeFiles(t)
	if len(examples) != len(scenarios) {
		t.Fatalf("README.md has %d toml examples, the test has scenarios for %d", len(examples), len(scenarios))
	}
	for i, ex := range examples {
		t.Run("example"+strconv.Itoa(i+1), func(t *testing.T) { runChecks(t, ex, files, scenarios[i]) })
	}
	t.Run("host", func(t *testing.T) { plugintest.Chain(t, pluginName, plugintest.Options{Files: files}, examples...) })
}

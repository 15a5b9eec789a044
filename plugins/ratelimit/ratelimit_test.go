package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/sdktest"
)

const pluginName = "ratelimit"

var (
	alice  = sdktest.Session{ID: 1, IP: "203.0.113.7"}
	bob    = sdktest.Session{ID: 2, IP: "198.51.100.2"}
	local  = sdktest.Session{ID: 3, IP: "10.1.2.3"}
	v6a    = sdktest.Session{ID: 4, IP: "2001:db8:1:2::1"}
	v6b    = sdktest.Session{ID: 5, IP: "2001:db8:1:2::ffff"} // same /64 as v6a
	v6c    = sdktest.Session{ID: 6, IP: "2001:db8:1:3::1"}    // same /56, other /64
	mapped = sdktest.Session{ID: 7, IP: "::ffff:203.0.113.7"} // alice as IPv4-mapped
	imprt  = sdktest.Session{}                                // no client: an import

	pkA = strings.Repeat("a", 64)
	pkB = strings.Repeat("b", 64)
	// NIP-19's example npub and its hex.
	modNpub = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"
	modHex  = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"
)

// step is one call in a scripted scenario: advance the clock by wait, call
// the hook, compare the result's String().
type step struct {
	wait time.Duration
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

func authed(s sdktest.Session, pk string) sdktest.Session { s.Authed = pk; return s }

const ok = "accept"

// run plays steps against the plugin loaded with settings, on a fake clock.
func run(t *testing.T, settings string, steps []step) {
	t.Helper()
	now := time.Unix(1700000000, 0)
	h := plugintest.Native(t, settings, sdktest.Options{Name: pluginName, Now: func() time.Time { return now }})
	for i, s := range steps {
		now = now.Add(s.wait)
		if got := s.call(h).String(); got != s.want {
			t.Errorf("step %d: got %q, want %q", i, got, s.want)
		}
	}
}

func limited(what, rate, burst, retry string) string {
	return "rateLimited rate-limited: " + what + " over " + rate + "/s (burst " + burst + "), retry in " + retry
}

func TestRatelimit(t *testing.T) {
	ipFull := limited("events from your IP", "1", "2", "1s")
	tests := []struct {
		name     string
		settings string
		steps    []step
	}{
		{"ip bucket refills", `
[[config.rules]]
scope = "ip"
rate = 1
burst = 2`, []step{
			{0, pre(alice, 1, pkA), ok},
			{0, pre(alice, 1, pkB), ok},
			{0, pre(alice, 1, pkA), ipFull},
			{0, pre(bob, 1, pkA), ok},
			{500 * time.Millisecond, pre(alice, 1, pkA), limited("events from your IP", "1", "2", "500ms")},
			{500 * time.Millisecond, pre(alice, 1, pkA), ok},
			{0, pre(alice, 1, pkA), ipFull},
			{0, pre(mapped, 1, pkA), ipFull},
			{0, post(alice, 1, pkA), ok},
			{0, pre(imprt, 1, pkA), ok},
		}},
		{"ip rule narrowed to kinds", `
[[config.rules]]
scope = "ip"
kinds = [1, "30000-39999"]
rate = 1
burst = 1`, []step{
			{0, pre(alice, 1, pkA), ok},
			{0, pre(alice, 30023, pkA), limited("events from your IP", "1", "1", "1s")},
			{0, pre(alice, 7, pkA), ok},
			{0, pre(alice, 40000, pkA), ok},
		}},
		{"pubkey bucket per author", `
[[config.rules]]
scope = "pubkey"
rate = 0.5
burst = 1`, []step{
			{0, post(alice, 1, pkA), ok},
			{0, post(bob, 1, pkA), limited("events from this pubkey", "0.5", "1", "2s")},
			{0, post(alice, 1, pkB), ok},
			{0, pre(alice, 1, pkA), ok},
			{0, post(imprt, 1, pkA), ok},
		}},
		{"authed bucket per authenticated key", `
[[config.rules]]
scope = "authed"
kinds = [1]
rate = 1
burst = 1`, []step{
			{0, pre(authed(alice, pkA), 1, pkB), ok},
			{0, pre(authed(bob, pkA), 1, pkB), limited("events from your authenticated pubkey", "1", "1", "1s")},
			{0, pre(authed(bob, pkB), 1, pkB), ok},
			{0, pre(authed(bob, pkA), 7, pkB), ok},
			{0, pre(alice, 1, pkA), ok},
			{0, pre(alice, 1, pkA), ok},
		}},
		{"kind bucket relay-wide", `
[[config.rules]]
scope = "kind"
kinds = [7]
rate = 10
burst = 2`, []step{
			{0, post(alice, 7, pkA), ok},
			{0, post(bob, 7, pkB), ok},
			{0, post(local, 7, pkA), limited("events of this kind on this relay", "10", "2", "100ms")},
			{0, post(local, 1, pkA), ok},
		}},
		{"connection per IP", `
[[config.rules]]
scope = "connection"
rate = 0.1
burst = 1`, []step{
			{0, conn(alice), ok},
			{0, conn(alice), limited("new connections from your IP", "0.1", "1", "10s")},
			{0, conn(bob), ok},
			{0, pre(alice, 1, pkA), ok},
		}},
		{"req and count share the bucket", `
[[config.rules]]
scope = "req"
rate = 1
burst = 2`, []step{
			{0, req(alice), ok},
			{0, count(alice), ok},
			{0, req(alice), limited("requests from your IP", "1", "2", "1s")},
			{0, count(alice), limited("requests from your IP", "1", "2", "1s")},
			{0, req(bob), ok},
		}},
		{"rules stack in order", `
[[config.rules]]
scope = "ip"
rate = 1
burst = 3
[[config.rules]]
name = "notes"
scope = "ip"
kinds = [1]
rate = 1
burst = 1`, []step{
			{0, pre(alice, 1, pkA), ok},
			{0, pre(alice, 1, pkA), limited("events from your IP", "1", "1", "1s")},
			{0, pre(alice, 7, pkA), ok},
			{0, pre(alice, 7, pkA), limited("events from your IP", "1", "3", "1s")},
		}},
		{"exempt ips and cidrs", `
[config]
exempt_ips = ["10.0.0.0/8", "203.0.113.7"]
[[config.rules]]
scope = "ip"
rate = 1
burst = 1
[[config.rules]]
scope = "pubkey"
rate = 1
burst = 1
[[config.rules]]
scope = "connection"
rate = 1
burst = 1`, []step{
			{0, pre(local, 1, pkA), ok},
			{0, pre(local, 1, pkA), ok},
			{0, post(local, 1, pkA), ok},
			{0, post(local, 1, pkA), ok},
			{0, conn(local), ok},
			{0, conn(local), ok},
			{0, pre(mapped, 1, pkA), ok},
			{0, pre(mapped, 1, pkA), ok},
			{0, pre(bob, 1, pkA), ok},
			{0, pre(bob, 1, pkA), limited("events from your IP", "1", "1", "1s")},
		}},
		{"exempt pubkeys: author after the signature, session before", `
[config]
exempt_pubkeys = ["` + modNpub + `"]
[[config.rules]]
scope = "ip"
rate = 1
burst = 1
[[config.rules]]
scope = "kind"
rate = 1
burst = 1
[[config.rules]]
scope = "req"
rate = 1
burst = 1`, []step{
			{0, post(alice, 1, modHex), ok},
			{0, post(alice, 1, modHex), ok},
			{0, post(alice, 1, pkA), ok},
			{0, post(alice, 1, pkA), limited("events of this kind on this relay", "1", "1", "1s")},
			{0, post(authed(alice, modHex), 1, pkA), ok},
			{0, pre(alice, 1, modHex), ok},
			{0, pre(alice, 1, modHex), limited("events from your IP", "1", "1", "1s")},
			{0, pre(authed(alice, modHex), 1, pkA), ok},
			{0, req(authed(alice, modHex)), ok},
			{0, req(authed(alice, modHex)), ok},
			{0, req(authed(alice, pkA)), ok},
			{0, req(alice), limited("requests from your IP", "1", "1", "1s")},
		}},
		{"ipv6 grouped by /64 by default", `
[[config.rules]]
scope = "ip"
rate = 1
burst = 1`, []step{
			{0, pre(v6a, 1, pkA), ok},
			{0, pre(v6b, 1, pkA), limited("events from your IP", "1", "1", "1s")},
			{0, pre(v6c, 1, pkA), ok},
		}},
		{"ipv6_prefix 56", `
[config]
ipv6_prefix = 56
[[config.rules]]
scope = "ip"
rate = 1
burst = 1`, []step{
			{0, pre(v6a, 1, pkA), ok},
			{0, pre(v6c, 1, pkA), limited("events from your IP", "1", "1", "1s")},
		}},
		{"ipv6_prefix 128", `
[config]
ipv6_prefix = 128
[[config.rules]]
scope = "ip"
rate = 1
burst = 1`, []step{
			{0, pre(v6a, 1, pkA), ok},
			{0, pre(v6b, 1, pkA), ok},
			{0, pre(v6a, 1, pkA), limited("events from your IP", "1", "1", "1s")},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { run(t, tc.settings, tc.steps) })
	}
}

// TestRatelimitHooks checks that the plugin asks only for the hooks its
// rules use.
func TestRatelimitHooks(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		want     abi.HookMask
	}{
		{"no rules", ``, 0},
		{"ip", "[[config.rules]]\nscope = \"ip\"\nrate = 1\nburst = 1", 1 << abi.HookEventPre},
		{"pubkey and kind", "[[config.rules]]\nscope = \"pubkey\"\nrate = 1\nburst = 1\n" +
			"[[config.rules]]\nscope = \"kind\"\nrate = 1\nburst = 1", 1 << abi.HookEvent},
		{"connection", "[[config.rules]]\nscope = \"connection\"\nrate = 1\nburst = 1", 1 << abi.HookConnect},
		{"req", "[[config.rules]]\nscope = \"req\"\nrate = 1\nburst = 1", 1<<abi.HookReq | 1<<abi.HookCount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := plugintest.Native(t, tc.settings, sdktest.Options{})
			if got := h.Hooks(); got != tc.want {
				t.Errorf("got hooks %b, want %b", got, tc.want)
			}
		})
	}
}

func TestRatelimitBadConfig(t *testing.T) {
	rule := func(extra string) string { return "[[config.rules]]\n" + extra }
	tests := []struct {
		name     string
		settings string
		want     string
	}{
		{"unknown key", "[config]\nexempt_ip = []", `config: json: unknown field "exempt_ip"`},
		{"unknown rule key", rule("scope = \"ip\"\nrate = 1\nbrust = 1"), `config: json: unknown field "brust"`},
		{"bad scope", rule("scope = \"user\"\nrate = 1\nburst = 1"), `rules[0]: scope "user": want ip, pubkey, authed, kind, connection or req`},
		{"zero rate", rule("scope = \"ip\"\nrate = 0\nburst = 1"), "rules[0]: rate: want a positive number of tokens per second"},
		{"no burst", rule("scope = \"ip\"\nrate = 1"), "rules[0]: burst: want at least 1"},
		{"kinds on req", rule("scope = \"req\"\nkinds = [1]\nrate = 1\nburst = 1"), "rules[0]: kinds: only for ip, pubkey, authed and kind rules"},
		{"bad kind range", rule("scope = \"ip\"\nkinds = [\"9-3\"]\nrate = 1\nburst = 1"), `config: kind "9-3": want a kind (7) or a range (30000-39999)`},
		{"duplicate names", rule("name = \"x\"\nscope = \"ip\"\nrate = 1\nburst = 1\n") + rule("name = \"x\"\nscope = \"req\"\nrate = 1\nburst = 1"),
			`rules: two rules named "x"`},
		{"default name clash", rule("name = \"ip#2\"\nscope = \"ip\"\nrate = 1\nburst = 1\n") + rule("scope = \"ip\"\nrate = 1\nburst = 1"),
			`rules: two rules named "ip#2"`},
		{"bad exempt ip", "[config]\nexempt_ips = [\"10.0.0.0/33\"]", `exempt_ips: "10.0.0.0/33": want an IP address or a CIDR prefix`},
		{"bad exempt pubkey", "[config]\nexempt_pubkeys = [\"npub1xyz\"]", `exempt_pubkeys: pubkey "npub1xyz": want 64 hex characters or an npub`},
		{"bad npub checksum", "[config]\nexempt_pubkeys = [\"" + modNpub[:len(modNpub)-1] + "7\"]",
			`exempt_pubkeys: pubkey "` + modNpub[:len(modNpub)-1] + `7": want 64 hex characters or an npub`},
		{"ipv6_prefix", "[config]\nipv6_prefix = 129", "ipv6_prefix: want 1 to 128"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Config: plugintest.ConfigJSON(t, tc.settings)})
			err := h.Init()
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestRatelimitLogs checks the log lines the README promises: every
// refusal at debug, the first refusal of a bucket in a minute at info.
func TestRatelimitLogs(t *testing.T) {
	now := time.Unix(1700000000, 0)
	h := plugintest.Native(t, "[[config.rules]]\nscope = \"ip\"\nrate = 0.001\nburst = 1", sdktest.Options{Now: func() time.Time { return now }})
	for range 3 {
		h.EventPre(alice, sdktest.Event{Kind: 1})
	}
	now = now.Add(time.Minute)
	h.EventPre(alice, sdktest.Event{Kind: 1})
	h.EventPre(bob, sdktest.Event{Kind: 1})
	h.EventPre(bob, sdktest.Event{Kind: 1})
	want := []string{
		"DEBUG rate-limited rule=ip#1 key=203.0.113.7",
		"INFO rate limit reached rule=ip#1 key=203.0.113.7 (next report for this key in 1m)",
		"DEBUG rate-limited rule=ip#1 key=203.0.113.7",
		"DEBUG rate-limited rule=ip#1 key=203.0.113.7",
		"INFO rate limit reached rule=ip#1 key=203.0.113.7 (next report for this key in 1m)",
		"DEBUG rate-limited rule=ip#1 key=198.51.100.2",
		"INFO rate limit reached rule=ip#1 key=198.51.100.2 (next report for this key in 1m)",
	}
	if got := h.Logs(); !slices.Equal(got, want) {
		t.Errorf("got logs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

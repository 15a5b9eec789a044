package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/sdktest"
)

var (
	alice = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	bob   = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
	carol = strings.Repeat("c", 64)
)

// host starts an sdktest host with config and runs the plugin's OnInit.
func host(t *testing.T, config string) *sdktest.Host {
	t.Helper()
	h := sdktest.New(sdktest.Options{Name: "auth", Config: config})
	if err := h.Init(); err != nil {
		t.Fatalf("init with %s: %v", config, err)
	}
	return h
}

func anon() sdktest.Session { return sdktest.Session{ID: 1, IP: "203.0.113.7"} }
func as(pubkey string) sdktest.Session {
	return sdktest.Session{ID: 2, IP: "203.0.113.8", Authed: pubkey}
}
func importSession() sdktest.Session { return sdktest.Session{} }
func ev(kind int, pubkey string) sdktest.Event {
	return sdktest.Event{Kind: kind, PubKey: pubkey, Content: "x"}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		config, err string
		hooks       abi.HookMask
	}{
		{`{}`, "", hooksOf(abi.HookReq, abi.HookCount, abi.HookDeliver)},
		{`{"dm_kinds":[]}`, "", 0},
		{`{"dm_kinds":[],"publish_auth":true}`, "", hooksOf(abi.HookEventPre)},
		{`{"dm_kinds":[],"read_auth_kinds":[30078]}`, "", hooksOf(abi.HookReq, abi.HookCount)},
		{`{"publish_auth_kinds":[4],"allow_pubkeys":["` + alice + `"]}`, "",
			hooksOf(abi.HookEventPre, abi.HookReq, abi.HookCount, abi.HookDeliver)},
		{`{"publish_auth":"yes"}`, "cannot unmarshal", 0},
		{`{"publish_auht":true}`, `unknown field "publish_auht"`, 0},
		{`{"dm_kinds":[70000]}`, "dm_kinds: kind 70000 out of range", 0},
		{`{"read_auth_kinds":[-1]}`, "read_auth_kinds: kind -1 out of range", 0},
		{`{"allow_pubkeys":["npub1xyz"]}`, `"npub1xyz" is not a 64-character lowercase hex pubkey`, 0},
		{`{"allow_pubkeys":["` + strings.ToUpper(alice) + `"]}`, "is not a 64-character lowercase hex pubkey", 0},
		{`{"allow_authed":true}`, "allow_authed needs allow_pubkeys", 0},
	}
	for _, tc := range tests {
		t.Run(tc.config, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Config: tc.config})
			err := h.Init()
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("got %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("got error %v, want %q", err, tc.err)
			case tc.err == "" && h.Hooks() != tc.hooks:
				t.Errorf("hooks %b, want %b", h.Hooks(), tc.hooks)
			}
		})
	}
}

func hooksOf(hs ...abi.Hook) abi.HookMask {
	var m abi.HookMask
	for _, h := range hs {
		m = m.With(h)
	}
	return m
}

func TestPublish(t *testing.T) {
	members := `"allow_pubkeys":["` + alice + `","` + bob + `"]`
	tests := []struct {
		name, config string
		s            sdktest.Session
		ev           sdktest.Event
		want         string
	}{
		{"open relay", `{}`, anon(), ev(1, carol), "accept"},
		{"publish_auth anon", `{"publish_auth":true}`, anon(), ev(1, carol),
			"reject auth-required: publishing requires authentication"},
		{"publish_auth authed", `{"publish_auth":true}`, as(carol), ev(1, carol), "accept"},
		{"publish_auth authed as someone else", `{"publish_auth":true}`, as(bob), ev(1, carol), "accept"},
		{"publish_auth import", `{"publish_auth":true}`, importSession(), ev(1, carol), "accept"},
		{"kinds gated", `{"publish_auth_kinds":[4,1059]}`, anon(), ev(1059, carol),
			"reject auth-required: publishing kind 1059 requires authentication"},
		{"kinds other", `{"publish_auth_kinds":[4,1059]}`, anon(), ev(1, carol), "accept"},
		{"kinds authed", `{"publish_auth_kinds":[4,1059]}`, as(carol), ev(4, carol), "accept"},
		{"member", `{` + members + `}`, anon(), ev(1, alice), "accept"},
		{"stranger", `{` + members + `}`, anon(), ev(1, carol),
			"reject restricted: this relay only accepts events from its members"},
		{"stranger authed as member without allow_authed", `{` + members + `}`, as(bob), ev(1, carol),
			"reject restricted: this relay only accepts events from its members"},
		{"stranger sent by member", `{"allow_authed":true,` + members + `}`, as(bob), ev(1, carol), "accept"},
		{"stranger sent by stranger", `{"allow_authed":true,` + members + `}`, as(carol), ev(1, carol),
			"reject restricted: this relay only accepts events from its members"},
		{"allowlist applies to imports", `{` + members + `}`, importSession(), ev(1, carol),
			"reject restricted: this relay only accepts events from its members"},
		{"custom message", `{"restricted_message":"members only",` + members + `}`, anon(), ev(1, carol),
			"reject restricted: members only"},
		{"auth before allowlist", `{"publish_auth":true,` + members + `}`, anon(), ev(1, alice),
			"reject auth-required: publishing requires authentication"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := host(t, tc.config)
			if got := h.EventPre(tc.s, tc.ev).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	tests := []struct {
		name, config string
		s            sdktest.Session
		filters      string
		want         string
	}{
		{"no kinds", `{}`, anon(), `[{"authors":["` + alice + `"]}]`, "accept"},
		{"other kinds", `{}`, anon(), `[{"kinds":[1,7]}]`, "accept"},
		{"dm anon", `{}`, anon(), `[{"kinds":[1]},{"kinds":[4]}]`,
			"reject auth-required: reading kind 4 requires authentication"},
		{"dm authed", `{}`, as(alice), `[{"kinds":[4],"limit":10}]`,
			`rewrite [{"kinds":[4],"limit":10,"authors":["` + alice + `"]},{"kinds":[4],"limit":10,"#p":["` + alice + `"]}]`},
		{"dm and notes split", `{}`, as(alice), `[{"kinds":[1,1059],"since":5}]`,
			`rewrite [{"kinds":[1],"since":5},{"kinds":[1059],"since":5,"authors":["` + alice + `"]},{"kinds":[1059],"since":5,"#p":["` + alice + `"]}]`},
		{"own sent", `{}`, as(alice), `[{"kinds":[4],"authors":["` + alice + `"]}]`, "accept"},
		{"own received", `{}`, as(alice), `[{"kinds":[4],"#p":["` + alice + `"]}]`, "accept"},
		{"own received plus notes", `{}`, as(alice), `[{"kinds":[1,4],"#p":["` + alice + `"]}]`,
			`rewrite [{"kinds":[1],"#p":["` + alice + `"]},{"kinds":[4],"#p":["` + alice + `"]}]`},
		{"conversation with bob", `{}`, as(alice), `[{"kinds":[4],"authors":["` + alice + `","` + bob + `"],"#p":["` + alice + `","` + bob + `"]}]`,
			`rewrite [{"kinds":[4],"authors":["` + alice + `"],"#p":["` + alice + `","` + bob + `"]},{"kinds":[4],"authors":["` + alice + `","` + bob + `"],"#p":["` + alice + `"]}]`},
		{"snooping", `{}`, as(carol), `[{"kinds":[4],"authors":["` + alice + `"],"#p":["` + bob + `"]}]`,
			"reject restricted: you may only read your own direct messages"},
		{"snooping drops only its filter", `{}`, as(carol), `[{"kinds":[4],"authors":["` + alice + `"],"#p":["` + bob + `"]},{"kinds":[1]}]`,
			`rewrite [{"kinds":[1]}]`},
		{"search kept", `{}`, as(alice), `[{"kinds":[14],"search":"hi"}]`,
			`rewrite [{"kinds":[14],"search":"hi","authors":["` + alice + `"]},{"kinds":[14],"search":"hi","#p":["` + alice + `"]}]`},
		{"dm off", `{"dm_kinds":[],"read_auth_kinds":[1]}`, anon(), `[{"kinds":[4]}]`, "accept"},
		{"read kinds anon", `{"read_auth_kinds":[30078]}`, anon(), `[{"kinds":[30078],"authors":["` + alice + `"]}]`,
			"reject auth-required: reading kind 30078 requires authentication"},
		{"read kinds authed", `{"read_auth_kinds":[30078]}`, as(bob), `[{"kinds":[30078]}]`, "accept"},
		{"read_auth anon", `{"read_auth":true}`, anon(), `[{"ids":["` + alice + `"]}]`,
			"reject auth-required: reading requires authentication"},
		{"read_auth authed", `{"read_auth":true}`, as(bob), `[{"ids":["` + alice + `"]}]`, "accept"},
		{"bad kinds", `{}`, as(bob), `[{"kinds":["4"]}]`, "reject invalid: bad kinds"},
		// The scan that accepts without parsing (noGatedKinds) must not
		// accept what the parse refuses.
		{"scan: dm in a later filter", `{}`, anon(), `[{"kinds":[1,7]},{"limit":5,"kinds":[7,1059]}]`,
			"reject auth-required: reading kind 1059 requires authentication"},
		{"scan: spaces", `{}`, anon(), `[{"kinds" : [1, 4]}]`,
			"reject auth-required: reading kind 4 requires authentication"},
		{"scan: kinds in a tag value", `{}`, anon(), `[{"kinds":[1],"#t":["\"kinds\":[4]"]}]`, "accept"},
		{"scan: leading zero", `{}`, anon(), `[{"kinds":[04]}]`,
			"reject auth-required: reading kind 4 requires authentication"},
		{"scan: empty list", `{}`, anon(), `[{"kinds":[]}]`, "accept"},
		{"scan: seven digits", `{}`, anon(), `[{"kinds":[1000004]}]`, "accept"},
		{"scan: read kind", `{"read_auth_kinds":[7]}`, anon(), `[{"kinds":[1,7]}]`,
			"reject auth-required: reading kind 7 requires authentication"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := host(t, tc.config)
			if got := h.Req(tc.s, "sub", tc.filters).String(); got != tc.want {
				t.Errorf("REQ:   got %s\n                 want %s", got, tc.want)
			}
			if got := h.Count(tc.s, "sub", tc.filters).String(); got != tc.want {
				t.Errorf("COUNT: got %s\n                 want %s", got, tc.want)
			}
		})
	}
}

func TestDeliver(t *testing.T) {
	dm := func(kind int, from, to string) sdktest.Event {
		e := ev(kind, from)
		e.Tags = [][]string{{"e", strings.Repeat("1", 64)}, {"p", to, "wss://r.example"}}
		return e
	}
	tests := []struct {
		name, config string
		s            sdktest.Session
		ev           sdktest.Event
		want         string
	}{
		{"note to anyone", `{}`, anon(), ev(1, alice), "accept"},
		{"dm to anon", `{}`, anon(), dm(4, alice, bob), "reject blocked: "},
		{"dm to author", `{}`, as(alice), dm(4, alice, bob), "accept"},
		{"dm to recipient", `{}`, as(bob), dm(4, alice, bob), "accept"},
		{"dm to third party", `{}`, as(carol), dm(4, alice, bob), "reject blocked: "},
		{"gift wrap to recipient", `{}`, as(bob), dm(1059, carol, bob), "accept"},
		{"gift wrap to other", `{}`, as(alice), dm(1059, carol, bob), "reject blocked: "},
		{"kind 14 without p", `{}`, as(bob), ev(14, alice), "reject blocked: "},
		{"custom kinds", `{"dm_kinds":[7]}`, as(carol), dm(7, alice, bob), "reject blocked: "},
		{"custom kinds leave 4 alone", `{"dm_kinds":[7]}`, as(carol), dm(4, alice, bob), "accept"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := host(t, tc.config)
			got := h.Deliver(tc.s, "sub", tc.ev)
			s := got.String()
			if got.Action == abi.ActionReject {
				s = "reject blocked: " // a dropped delivery has no text
			}
			if s != tc.want {
				t.Errorf("got %q, want %q", got.String(), tc.want)
			}
		})
	}
}

func TestLimitation(t *testing.T) {
	tests := []struct {
		config string
		want   string
	}{
		{`{}`, "map[]"},
		{`{"publish_auth_kinds":[4]}`, "map[]"},
		{`{"publish_auth":true}`, "map[auth_required:true]"},
		{`{"read_auth":true}`, "map[auth_required:true]"},
		{`{"allow_pubkeys":["` + alice + `"]}`, "map[restricted_writes:true]"},
	}
	for _, tc := range tests {
		h := host(t, tc.config)
		lim, err := h.Limitation()
		if err != nil {
			t.Fatal(err)
		}
		if got := fmtMap(lim); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.config, got, tc.want)
		}
	}
}

func TestLogsSummary(t *testing.T) {
	h := host(t, `{"read_auth_kinds":[30078]}`)
	logs := h.Logs()
	if len(logs) != 1 || !strings.HasPrefix(logs[0], "INFO auth: publish_auth=false") || !strings.Contains(logs[0], "read_auth_kinds=[30078]") {
		t.Errorf("logs %q", logs)
	}
}

// TestReadmeExamples runs every config of the README's Examples section.
func TestReadmeExamples(t *testing.T) {
	ex := plugintest.ReadExamples(t, "README.md")
	type check struct {
		hook    string // "pre", "req", "deliver"
		s       sdktest.Session
		ev      sdktest.Event
		filters string
		want    string
	}
	dmTo := func(from, to string) sdktest.Event {
		e := ev(4, from)
		e.Tags = [][]string{{"p", to}}
		return e
	}
	tests := map[string][]check{
		"Private DMs (the default)": {
			{hook: "pre", s: anon(), ev: ev(4, carol), want: "accept"},
			{hook: "req", s: anon(), filters: `[{"kinds":[1059]}]`, want: "reject auth-required: reading kind 1059 requires authentication"},
			{hook: "deliver", s: as(carol), ev: dmTo(alice, bob), want: "reject"},
			{hook: "deliver", s: as(bob), ev: dmTo(alice, bob), want: "accept"},
		},
		"Members-only relay": {
			{hook: "pre", s: anon(), ev: ev(1, alice), want: "reject auth-required: publishing requires authentication"},
			{hook: "pre", s: as(alice), ev: ev(1, alice), want: "accept"},
			{hook: "pre", s: as(alice), ev: ev(1, carol), want: "accept"},
			{hook: "pre", s: as(carol), ev: ev(1, carol), want: "reject restricted: members only, see https://relay.example/join"},
			{hook: "limitation", want: "map[auth_required:true restricted_writes:true]"},
		},
		"Authenticate for DMs and app data": {
			{hook: "pre", s: anon(), ev: ev(4, carol), want: "reject auth-required: publishing kind 4 requires authentication"},
			{hook: "pre", s: anon(), ev: ev(1, carol), want: "accept"},
			{hook: "req", s: anon(), filters: `[{"kinds":[30078],"authors":["` + carol + `"]}]`, want: "reject auth-required: reading kind 30078 requires authentication"},
			{hook: "req", s: as(carol), filters: `[{"kinds":[30078],"authors":["` + carol + `"]}]`, want: "accept"},
		},
		"Everything behind AUTH, no DM rules": {
			{hook: "pre", s: anon(), ev: ev(1, carol), want: "reject auth-required: publishing requires authentication"},
			{hook: "req", s: anon(), filters: `[{"kinds":[1]}]`, want: "reject auth-required: reading requires authentication"},
			{hook: "req", s: as(carol), filters: `[{"kinds":[4]}]`, want: "accept"},
			{hook: "limitation", want: "map[auth_required:true]"},
		},
	}
	plugintest.RunExamples(t, ex, tests, func(t *testing.T, e plugintest.Example, checks []check) {
		h := host(t, e.Config)
		for i, c := range checks {
			var got string
			switch c.hook {
			case "pre":
				got = h.EventPre(c.s, c.ev).String()
			case "req":
				got = h.Req(c.s, "sub", c.filters).String()
			case "deliver":
				got = "accept"
				if h.Deliver(c.s, "sub", c.ev).Action != abi.ActionAccept {
					got = "reject"
				}
			case "limitation":
				lim, err := h.Limitation()
				if err != nil {
					t.Fatal(err)
				}
				got = fmtMap(lim)
			}
			if got != c.want {
				t.Errorf("check %d (%s): got %q, want %q", i, c.hook, got, c.want)
			}
		}
	})
}

func fmtMap(m map[string]any) string { return fmt.Sprint(m) }

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/sdktest"
)

const now = 1700000000

var (
	anon   = sdktest.Session{ID: 1, IP: "203.0.113.7"}
	mirror = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
	pk     = strings.Repeat("a", 64)
)

func host(t *testing.T, config string) *sdktest.Host {
	t.Helper()
	h := sdktest.New(sdktest.Options{Name: "antiscrape", Config: config, Now: func() time.Time { return time.Unix(now, 0) }})
	if err := h.Init(); err != nil {
		t.Fatalf("init with %s: %v", config, err)
	}
	return h
}

func TestSettings(t *testing.T) {
	tests := []struct{ config, err string }{
		{`{}`, ""},
		{`{"empty":{"action":"off","limit":0}}`, ""},
		{`{"old_since":{"max_age":"36h"}}`, ""},
		{`{"empty":{"action":"drop"}}`, `empty.action "drop": want "reject", "clamp" or "off"`},
		{`{"limit":{"max":0}}`, "limit: limit/max must be at least 1"},
		{`{"kind_only":{"kinds":[65536]}}`, "kind_only.kinds: kind 65536 out of range"},
		{`{"old_since":{"max_age":"a month"}}`, `old_since.max_age: "a month": want a duration`},
		{`{"old_since":{"max_age":"0d"}}`, `old_since.max_age: "0d"`},
		{`{"empty":{"kinds":[1]}}`, `unknown field "kinds"`},
		{`{"emtpy":{}}`, `unknown field "emtpy"`},
		{`{"exempt_pubkeys":["npub1"]}`, `exempt_pubkeys: "npub1" is not a 64-character lowercase hex pubkey`},
	}
	for _, tc := range tests {
		t.Run(tc.config, func(t *testing.T) {
			err := sdktest.New(sdktest.Options{Config: tc.config}).Init()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}

// TestRules checks each rule with the defaults, and with its action
// changed, for REQ and COUNT.
func TestRules(t *testing.T) {
	old := `"since":1600000000`
	tests := []struct {
		name, config, filters string
		req, count            string
	}{
		{"selective", `{}`, `[{"kinds":[1],"authors":["` + pk + `"],"limit":20}]`, "accept", "accept"},
		{"tag is selective", `{}`, `[{"kinds":[3],"#p":["` + pk + `"]}]`, "accept", "accept"},
		{"ids", `{}`, `[{"ids":["` + pk + `"]}]`, "accept", "accept"},
		{"empty", `{}`, `[{}]`,
			"reject blocked: empty filters are not allowed; name kinds, authors, ids or tags",
			"reject blocked: empty filters are not allowed; name kinds, authors, ids or tags"},
		{"empty with since and limit", `{}`, `[{"since":1699999000,"limit":5}]`,
			"reject blocked: empty filters are not allowed; name kinds, authors, ids or tags",
			"reject blocked: empty filters are not allowed; name kinds, authors, ids or tags"},
		{"empty clamp", `{"empty":{"action":"clamp","limit":10}}`, `[{}]`, `rewrite [{"limit":10}]`, "accept"},
		{"empty off", `{"empty":{"action":"off"}}`, `[{}]`, "accept", "accept"},
		{"search only", `{}`, `[{"search":"nostr"}]`, "accept", "accept"},
		{"global feed", `{}`, `[{"kinds":[1],"limit":1000}]`, `rewrite [{"kinds":[1],"limit":100}]`, "accept"},
		{"global feed without limit", `{}`, `[{"kinds":[1,6]}]`, `rewrite [{"kinds":[1,6],"limit":100}]`, "accept"},
		{"global feed small limit", `{}`, `[{"kinds":[1],"limit":50}]`, "accept", "accept"},
		{"quiet kind", `{}`, `[{"kinds":[30023]}]`, "accept", "accept"},
		{"kind only with search", `{}`, `[{"kinds":[1],"search":"gm"}]`, "accept", "accept"},
		{"kind only reject", `{"kind_only":{"action":"reject"}}`, `[{"kinds":[30023]},{"kinds":[7]}]`,
			"reject blocked: kind-only filters for kind 7 are not allowed; add authors, ids or tags",
			"reject blocked: kind-only filters for kind 7 are not allowed; add authors, ids or tags"},
		{"follow list dump", `{}`, `[{"kinds":[3],"limit":10}]`,
			"reject blocked: filters for kind 3 must name authors, ids or tags",
			"reject blocked: filters for kind 3 must name authors, ids or tags"},
		{"follow list dump with search", `{}`, `[{"kinds":[10000],"search":"x"}]`,
			"reject blocked: filters for kind 10000 must name authors, ids or tags",
			"reject blocked: filters for kind 10000 must name authors, ids or tags"},
		{"unselective clamp", `{"unselective":{"action":"clamp"}}`, `[{"kinds":[3]}]`, `rewrite [{"kinds":[3],"limit":20}]`, "accept"},
		{"huge limit", `{}`, `[{"authors":["` + pk + `"],"limit":5000}]`,
			`rewrite [{"authors":["` + pk + `"],"limit":500}]`, "accept"},
		{"huge limit reject", `{"limit":{"action":"reject","max":200}}`, `[{"authors":["` + pk + `"],"limit":201}]`,
			"reject blocked: limit 201 is over 200", "reject blocked: limit 201 is over 200"},
		{"limit zero", `{}`, `[{"kinds":[1],"limit":0}]`, "accept", "accept"},
		{"too many filters", `{"filters":{"max":2}}`, `[{"ids":["` + pk + `"]},{"ids":["` + pk + `"]},{"ids":["` + pk + `"]}]`,
			"reject blocked: 3 filters, at most 2", "reject blocked: 3 filters, at most 2"},
		{"too many filters clamp", `{"filters":{"action":"clamp","max":1}}`, `[{"ids":["` + pk + `"]},{"kinds":[1]}]`,
			`rewrite [{"ids":["` + pk + `"]}]`, "accept"},
		{"old since", `{}`, `[{"kinds":[30023],` + old + `}]`, `rewrite [{"kinds":[30023],` + old + `,"limit":50}]`, "accept"},
		{"old since and kind only: smallest wins", `{"kind_only":{"limit":80},"old_since":{"limit":90}}`, `[{"kinds":[1],` + old + `}]`,
			`rewrite [{"kinds":[1],` + old + `,"limit":80}]`, "accept"},
		{"recent since", `{}`, `[{"kinds":[30023],"since":1699000000}]`, "accept", "accept"},
		{"old since with author", `{}`, `[{"authors":["` + pk + `"],` + old + `}]`, "accept", "accept"},
		{"old since reject", `{"old_since":{"action":"reject","max_age":"7d"}}`, `[{"kinds":[30023],"since":1699000000}]`,
			"reject blocked: since is more than 7d ago; add authors, ids or tags",
			"reject blocked: since is more than 7d ago; add authors, ids or tags"},
		{"unknown fields survive", `{}`, `[{"kinds":[1],"future":{"x":[1,2]}}]`, `rewrite [{"kinds":[1],"future":{"x":[1,2]},"limit":100}]`, "accept"},
		{"bad filters", `{}`, `{"kinds":[1]}`, "reject invalid: bad filters", "reject invalid: bad filters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := host(t, tc.config)
			if got := h.Req(anon, "s", tc.filters).String(); got != tc.req {
				t.Errorf("REQ:   got %s\n                 want %s", got, tc.req)
			}
			if got := h.Count(anon, "s", tc.filters).String(); got != tc.count {
				t.Errorf("COUNT: got %s\n                 want %s", got, tc.count)
			}
		})
	}
}

func TestExempt(t *testing.T) {
	h := host(t, `{"exempt_pubkeys":["`+mirror+`"]}`)
	tests := []struct {
		s    sdktest.Session
		want string
	}{
		{anon, "reject blocked: empty filters are not allowed; name kinds, authors, ids or tags"},
		{sdktest.Session{ID: 2, IP: "203.0.113.8", Authed: pk}, "reject blocked: empty filters are not allowed; name kinds, authors, ids or tags"},
		{sdktest.Session{ID: 3, IP: "203.0.113.9", Authed: mirror}, "accept"},
	}
	for _, tc := range tests {
		if got := h.Req(tc.s, "s", `[{}]`).String(); got != tc.want {
			t.Errorf("authed %q: got %s, want %s", tc.s.Authed, got, tc.want)
		}
	}
}

func TestReadmeExamples(t *testing.T) {
	ex := plugintest.ReadExamples(t, "README.md")
	type check struct {
		count   bool
		s       sdktest.Session
		filters string
		want    string
	}
	authedMirror := sdktest.Session{ID: 3, IP: "203.0.113.9", Authed: mirror}
	tests := map[string][]check{
		"Defaults": {
			{filters: `[{"kinds":[1]}]`, want: `rewrite [{"kinds":[1],"limit":100}]`},
			{filters: `[{}]`, want: "reject blocked: empty filters are not allowed; name kinds, authors, ids or tags"},
			{filters: `[{"kinds":[3]}]`, want: "reject blocked: filters for kind 3 must name authors, ids or tags"},
			{filters: `[{"authors":["` + pk + `"],"limit":501}]`, want: `rewrite [{"authors":["` + pk + `"],"limit":500}]`},
		},
		"Strict: no global feed, no crawling": {
			{filters: `[{"kinds":[1],"limit":20}]`, want: "reject blocked: kind-only filters for kind 1 are not allowed; add authors, ids or tags"},
			{filters: `[{"authors":["` + pk + `"],"limit":300}]`, want: "reject blocked: limit 300 is over 200"},
			{filters: `[{"kinds":[30023],"since":1699000000}]`, want: "reject blocked: since is more than 7d ago; add authors, ids or tags"},
			{filters: `[{"kinds":[1],"#t":["nostr"],"limit":20}]`, want: "accept"},
		},
		"Lenient: clamp instead of refusing": {
			{filters: `[{}]`, want: `rewrite [{"limit":10}]`},
			{filters: `[{"kinds":[1]}]`, want: `rewrite [{"kinds":[1],"limit":2}]`},
			{filters: `[{"kinds":[3]}]`, want: `rewrite [{"kinds":[3],"limit":20}]`},
			{filters: `[{"ids":["` + pk + `"]},{"ids":["` + pk + `"]},{"ids":["` + pk + `"]},{"kinds":[30023]}]`,
				want: `rewrite [{"ids":["` + pk + `"]},{"ids":["` + pk + `"]},{"ids":["` + pk + `"]}]`},
			{count: true, filters: `[{"kinds":[1]}]`, want: "accept"},
		},
		"Let our own mirror through": {
			{s: authedMirror, filters: `[{}]`, want: "accept"},
			{s: authedMirror, count: true, filters: `[{"kinds":[3]}]`, want: "accept"},
			{filters: `[{"kinds":[3]}]`, want: "reject blocked: filters for kind 3 must name authors, ids or tags"},
		},
	}
	plugintest.RunExamples(t, ex, tests, func(t *testing.T, e plugintest.Example, checks []check) {
		h := host(t, e.Config)
		for i, c := range checks {
			if c.s.ID == 0 {
				c.s = anon
			}
			got := h.Req(c.s, "s", c.filters)
			if c.count {
				got = h.Count(c.s, "s", c.filters)
			}
			if got.String() != c.want {
				t.Errorf("check %d: got %s, want %s", i, got, c.want)
			}
		}
	})
}

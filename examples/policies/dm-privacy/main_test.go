package main

import (
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk/sdktest"
)

var (
	alice = strings.Repeat("a", 64)
	bob   = strings.Repeat("b", 64)
	carol = strings.Repeat("c", 64)
)

func TestDMPrivacyDeliver(t *testing.T) {
	h := sdktest.New(sdktest.Options{})
	dm := sdktest.Event{Kind: 4, PubKey: alice, Tags: [][]string{{"p", bob}}}
	wrap := sdktest.Event{Kind: 1059, PubKey: strings.Repeat("9", 64), Tags: [][]string{{"p", bob}}}
	note := sdktest.Event{Kind: 1, PubKey: alice, Tags: [][]string{{"p", bob}}}
	const drop = "reject restricted: not a party to this DM"
	tests := []struct {
		name   string
		authed string
		ev     sdktest.Event
		want   string
	}{
		{"dm to author", alice, dm, "accept"},
		{"dm to recipient", bob, dm, "accept"},
		{"dm to third party", carol, dm, drop},
		{"dm to unauthenticated", "", dm, drop},
		{"gift wrap to recipient", bob, wrap, "accept"},
		{"gift wrap to third party", carol, wrap, drop},
		{"gift wrap to unauthenticated", "", wrap, drop},
		{"note to anyone", "", note, "accept"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sdktest.Session{ID: 1, IP: "203.0.113.7", Authed: tc.authed}
			if got := h.Deliver(s, "sub", tc.ev).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDMPrivacyRequest(t *testing.T) {
	h := sdktest.New(sdktest.Options{})
	const authRequired = "reject auth-required: DMs are only served to their author and recipients; authenticate first"
	const notOwn = `reject restricted: count DMs with "authors" or "#p" set to your own key only`
	tests := []struct {
		name    string
		count   bool
		authed  string
		filters string
		want    string
	}{
		{"req dms unauthenticated", false, "", `[{"kinds":[4]}]`, authRequired},
		{"req gift wraps unauthenticated", false, "", `[{"kinds":[1,1059]}]`, authRequired},
		{"req dms in second filter", false, "", `[{"kinds":[1]},{"kinds":[4],"#p":["` + bob + `"]}]`, authRequired},
		{"req notes unauthenticated", false, "", `[{"kinds":[1]}]`, "accept"},
		{"req without kinds", false, "", `[{"authors":["` + alice + `"]}]`, "accept"},
		{"req dms authenticated", false, carol, `[{"kinds":[4]}]`, "accept"},
		{"count dms unauthenticated", true, "", `[{"kinds":[4]}]`, authRequired},
		{"count own dms by #p", true, bob, `[{"kinds":[4],"#p":["` + bob + `"]}]`, "accept"},
		{"count own dms by author", true, bob, `[{"kinds":[1059],"authors":["` + bob + `"]}]`, "accept"},
		{"count all dms", true, bob, `[{"kinds":[4]}]`, notOwn},
		{"count someone else's dms", true, carol, `[{"kinds":[4],"#p":["` + bob + `"]}]`, notOwn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sdktest.Session{ID: 1, IP: "203.0.113.7", Authed: tc.authed}
			run := h.Req
			if tc.count {
				run = h.Count
			}
			if got := run(s, "sub", tc.filters).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

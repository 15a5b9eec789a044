package main

import (
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/sdktest"
)

var (
	friend  = "003ba9b2c5bd8afeed41a4ce362a8b7fc3ab59c25b6a1359cae9093f296dac01"
	spammer = strings.Repeat("5", 64)
)

func TestStrfryCompat(t *testing.T) {
	h := sdktest.New(sdktest.Options{Config: `{"whitelist":["` + strings.ToUpper(friend) + `"],"shadow":["` + spammer + `"]}`})
	if err := h.Init(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		pubkey string
		authed string
		want   string
	}{
		{"whitelisted", friend, "", "accept"},
		{"not whitelisted", strings.Repeat("a", 64), "", "reject blocked: not on white-list"},
		{"authed does not matter", strings.Repeat("a", 64), friend, "reject blocked: not on white-list"},
		{"shadow", spammer, "", "shadowReject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sdktest.Session{ID: 1, IP: "203.0.113.7", Authed: tc.authed}
			if got := h.Event(s, sdktest.Event{Kind: 1, PubKey: tc.pubkey}).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestStrfryVerdict checks the glue: every strfry output maps to the
// verdict strfry would answer with.
func TestStrfryVerdict(t *testing.T) {
	req := input{Type: "new"}
	req.Event.ID = "e1"
	tests := []struct {
		name string
		res  output
		want sdk.Verdict
	}{
		{"accept", output{ID: "e1", Action: "accept"}, sdk.Accept()},
		{"shadowReject", output{ID: "e1", Action: "shadowReject"}, sdk.ShadowReject()},
		{"reject blocked", output{ID: "e1", Action: "reject", Msg: "blocked: not on white-list"}, sdk.Reject(sdk.Blocked, "not on white-list")},
		{"reject rate-limited", output{ID: "e1", Action: "reject", Msg: "rate-limited: slow down"}, sdk.Reject(sdk.RateLimit, "slow down")},
		{"reject pow", output{ID: "e1", Action: "reject", Msg: "pow: difficulty 20 needed"}, sdk.Reject(sdk.PoW, "difficulty 20 needed")},
		{"reject without prefix", output{ID: "e1", Action: "reject", Msg: "go away"}, sdk.Reject(sdk.Blocked, "go away")},
		{"reject unknown prefix", output{ID: "e1", Action: "reject", Msg: "nope: go away"}, sdk.Reject(sdk.Blocked, "nope: go away")},
		{"reject silently", output{ID: "e1", Action: "reject"}, sdk.Reject(sdk.Blocked, "")},
		{"wrong id", output{ID: "e2", Action: "accept"}, sdk.Reject(sdk.ErrorPrefix, "internal error")},
		{"unknown action", output{ID: "e1", Action: "maybe"}, sdk.Reject(sdk.ErrorPrefix, "internal error")},
		{"no answer", output{}, sdk.Reject(sdk.ErrorPrefix, "internal error")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := verdict(req, tc.res)
			if got.Action() != tc.want.Action() || got.Prefix() != tc.want.Prefix() || got.Message() != tc.want.Message() {
				t.Errorf("got %v %v %q, want %v %v %q", got.Action(), got.Prefix(), got.Message(),
					tc.want.Action(), tc.want.Prefix(), tc.want.Message())
			}
		})
	}
}

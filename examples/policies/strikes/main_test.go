package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/sdktest"
)

const config = `{"words":["Casino"],"max_strikes":3}`

var (
	spammer = strings.Repeat("b", 64)
	other   = strings.Repeat("c", 64)
	s       = sdktest.Session{ID: 1, IP: "203.0.113.7"}
)

// TestStrikes counts strikes, bans at the third, and keeps the ban across
// a restart of the relay (a new Host on the same durable state).
func TestStrikes(t *testing.T) {
	store := sdktest.NewDB(sdktest.DBLimits{})
	h := sdktest.New(sdktest.Options{Config: config, DB: store})
	steps := []struct {
		name    string
		author  string
		content string
		want    string
	}{
		{"clean", spammer, "gm", "accept"},
		{"first strike", spammer, "best CASINO", "reject blocked: strike 1 of 3: content contains a blocked word"},
		{"other author", other, "casino", "reject blocked: strike 1 of 3: content contains a blocked word"},
		{"second strike", spammer, "casino", "reject blocked: strike 2 of 3: content contains a blocked word"},
		{"third strike bans", spammer, "casino", "reject blocked: banned after 3 strikes"},
		{"clean after the ban", spammer, "gm", "reject blocked: banned after 3 strikes"},
		{"other author unaffected", other, "gm", "accept"},
	}
	for _, st := range steps {
		if got := h.Event(s, sdktest.Event{Kind: 1, PubKey: st.author, Content: st.content}).String(); got != st.want {
			t.Errorf("%s: got %q, want %q", st.name, got, st.want)
		}
	}
	if got := store.Snapshot(); len(got) != 2 || got["ban/"+spammer] != "3" || got["strike/"+other] != "1" {
		t.Errorf("durable state %v", got)
	}
	h = sdktest.New(sdktest.Options{Config: config, DB: store})
	if got := h.Event(s, sdktest.Event{Kind: 1, PubKey: spammer, Content: "gm"}).String(); got != "reject blocked: banned after 3 strikes" {
		t.Errorf("after a restart: %q", got)
	}
}

// TestStrikesStoreReadOnly: while the relay's store takes no writes, the
// word is still refused but no strike is counted.
func TestStrikesStoreReadOnly(t *testing.T) {
	store := sdktest.NewDB(sdktest.DBLimits{})
	h := sdktest.New(sdktest.Options{Config: config, DB: store})
	store.SetReadOnly(true)
	if got := h.Event(s, sdktest.Event{Kind: 1, PubKey: spammer, Content: "casino"}).String(); got != "reject blocked: content contains a blocked word" {
		t.Errorf("got %q", got)
	}
	if len(store.Snapshot()) != 0 {
		t.Errorf("state %v", store.Snapshot())
	}
	if logs := h.Logs(); len(logs) != 1 || !strings.Contains(logs[0], "store read-only") {
		t.Errorf("logs %q", logs)
	}
	if _, err := strike(spammer); !errors.Is(err, sdk.ErrReadOnly) {
		t.Errorf("strike: %v", err)
	}
}

func TestStrikesConfig(t *testing.T) {
	tests := []struct {
		name, config, wantErr string
	}{
		{"words", `{"words":["x"]}`, ""},
		{"no words", `{}`, `config: words is empty; list the words that earn a strike, e.g. words = ["casino"]`},
		{"zero strikes", `{"words":["x"],"max_strikes":0}`, "config: max_strikes 0: want 1 or more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sdktest.New(sdktest.Options{Config: tc.config}).Init()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("got %q, want %q", got, tc.wantErr)
			}
		})
	}
}

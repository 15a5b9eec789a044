package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestClampLimitE2E stores 60 events in a real relayd whose clamp-limit
// has max = 50 (the README's TOML), then checks that REQs get at most 50
// stored events per filter, the newest, while smaller limits, COUNT and
// live delivery are untouched, and that NIP-11 reports the cap.
func TestClampLimitE2E(t *testing.T) {
	const stored, max = 60, 50
	r := plugintest.Start(t, "clamp-limit", plugintest.Build(t), plugintest.READMESettings(t, "README.md"))
	c := wsc.Dial(t, r.URL)
	k := wsc.NewKey()
	base := nostr.Now() - 1000
	for i := range stored { // pipelined: all EVENTs, then all OKs
		c.Send("EVENT", k.Sign(t, 1, "note", base+nostr.Timestamp(i)))
	}
	for range stored {
		if ok := c.ReadOK(); !ok.Accepted {
			t.Fatalf("publish: %v", ok)
		}
	}
	mine := nostr.Filter{Authors: []string{k.PK}}
	tests := []struct {
		name    string
		filters []nostr.Filter
		want    int // events before EOSE
	}{
		{"limit 1000", []nostr.Filter{withLimit(mine, 1000)}, max},
		{"no limit", []nostr.Filter{mine}, max},
		{"limit 3 kept", []nostr.Filter{withLimit(mine, 3)}, 3},
		{"each filter capped", []nostr.Filter{withLimit(mine, 1000), withLimit(nostr.Filter{Kinds: []int{1}, Authors: []string{k.PK}}, 1000)}, max},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			evs := c.Req(id, tc.filters...)
			c.Send("CLOSE", id)
			if len(evs) != tc.want {
				t.Fatalf("got %d events, want %d", len(evs), tc.want)
			}
			for i, ev := range evs { // newest first
				if want := base + nostr.Timestamp(stored-1-i); ev.CreatedAt != want {
					t.Errorf("event %d: created_at %d, want %d", i, ev.CreatedAt, want)
				}
			}
		})
	}
	t.Run("live after clamped REQ", func(t *testing.T) {
		c.Req("live", withLimit(mine, 1000))
		ev := k.Sign(t, 1, "live", nostr.Now())
		if ok := wsc.Dial(t, r.URL).Publish(ev); !ok.Accepted {
			t.Fatalf("publish: %v", ok)
		}
		if got := wsc.Event(t, c.Expect("EVENT")); got.ID != ev.ID {
			t.Errorf("live event %s, want %s", got.ID, ev.ID)
		}
		c.Send("CLOSE", "live")
	})
	t.Run("count not clamped", func(t *testing.T) {
		c.Send("COUNT", "n", withLimit(mine, 1))
		msg := c.Expect("COUNT")
		var got struct{ Count int }
		json.Unmarshal(msg[2], &got)
		if got.Count != stored+1 {
			t.Errorf("count %d, want %d", got.Count, stored+1)
		}
	})
	t.Run("nip11", func(t *testing.T) {
		lim := plugintest.NIP11(t, r.URL).Limitation
		if lim["max_limit"] != float64(max) || lim["default_limit"] != float64(max) {
			t.Errorf("limitation max_limit=%v default_limit=%v, want %d", lim["max_limit"], lim["default_limit"], max)
		}
	})
}

func withLimit(f nostr.Filter, n int) nostr.Filter {
	f.Limit = n
	return f
}

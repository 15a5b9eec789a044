package store_test

import (
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

var pk = strings.Repeat("ab", 32)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want store.Address
		ok   bool
	}{
		{"addressable", "30023:" + pk + ":post", store.Address{Kind: 30023, PubKey: pk, D: "post"}, true},
		{"d with colons", "30023:" + pk + ":a:b", store.Address{Kind: 30023, PubKey: pk, D: "a:b"}, true},
		{"replaceable empty d", "0:" + pk + ":", store.Address{Kind: 0, PubKey: pk}, true},
		{"regular kind", "1:" + pk + ":", store.Address{}, false},
		{"no d separator", "30023:" + pk, store.Address{}, false},
		{"short pubkey", "30023:abcd:x", store.Address{}, false},
		{"upper hex", "30023:" + strings.ToUpper(pk) + ":x", store.Address{}, false},
		{"bad kind", "x:" + pk + ":x", store.Address{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := store.ParseAddress(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, tc.want, tc.ok)
			}
			if ok && got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestExpiration(t *testing.T) {
	tests := []struct {
		name string
		tags nostr.Tags
		want int64
	}{
		{"none", nil, 0},
		{"valid", nostr.Tags{{"expiration", "1700000000"}}, 1700000000},
		{"first wins", nostr.Tags{{"expiration", "5"}, {"expiration", "6"}}, 5},
		{"garbage", nostr.Tags{{"expiration", "soon"}}, 0},
		{"no value", nostr.Tags{{"expiration"}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.Expiration(&nostr.Event{Tags: tc.tags}); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCheckStorable(t *testing.T) {
	tests := []struct {
		name string
		ev   nostr.Event
		want error
	}{
		{"regular", nostr.Event{Kind: 1}, nil},
		{"ephemeral", nostr.Event{Kind: 20001}, store.ErrEphemeral},
		{"expired", nostr.Event{Kind: 1, Tags: nostr.Tags{{"expiration", "100"}}}, store.ErrExpired},
		{"expires now", nostr.Event{Kind: 1, Tags: nostr.Tags{{"expiration", "1000"}}}, store.ErrExpired},
		{"expires later", nostr.Event{Kind: 1, Tags: nostr.Tags{{"expiration", "1001"}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.CheckStorable(&tc.ev, 1000); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBefore(t *testing.T) {
	tests := []struct {
		name     string
		aT, bT   nostr.Timestamp
		aID, bID string
		want     bool
	}{
		{"newer first", 2, 1, "b", "a", true},
		{"older after", 1, 2, "a", "b", false},
		{"tie lower id first", 1, 1, "a", "b", true},
		{"tie higher id after", 1, 1, "b", "a", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.Before(tc.aT, tc.aID, tc.bT, tc.bID); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

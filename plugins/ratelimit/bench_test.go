package main

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/internal/testing/plugintest"
)

// BenchmarkRatelimit is the plugin's cost per message through the real
// host (wasmhost, one instance) with the rules of the default settings
// (buckets too big to run dry): an event through event_pre (ip rule) and
// event (pubkey rule), a REQ, and a connection, all accepted, so each call
// takes a token from the shared state.
func BenchmarkRatelimit(b *testing.B) {
	ch := plugintest.Chain(b, pluginName, plugintest.Options{}, `
pool = 1
[[config.rules]]
scope = "ip"
rate = 1e12
burst = 1000000000
[[config.rules]]
scope = "pubkey"
rate = 1e12
burst = 1000000000
[[config.rules]]
scope = "req"
rate = 1e12
burst = 1000000000
[[config.rules]]
scope = "connection"
rate = 1e12
burst = 1000000000
`)
	ctx := context.Background()
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7"), ConnectedAt: 1700000000}
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), CreatedAt: 1700000000, Kind: 1,
		Tags: nostr.Tags{{"t", "nostr"}}, Content: "hello", Sig: strings.Repeat("f", 128)}
	raw, _ := ev.MarshalJSON()
	in := &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: 1700000001, Source: s.Source()}
	b.Run("event", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v := ch.EventPre(ctx, in); v.Final() {
				b.Fatal(v.Reason())
			}
			if v := ch.Event(ctx, in); v.Final() {
				b.Fatal(v.Reason())
			}
		}
	})
	b.Run("req", func(b *testing.B) {
		fin := &policy.FilterInput{Session: s, Hook: policy.HookReq, SubID: "s", Filters: nostr.Filters{{Kinds: []int{1}}}}
		b.ReportAllocs()
		for b.Loop() {
			if v := ch.Filter(ctx, fin); v.Final() {
				b.Fatal(v.Reason())
			}
		}
	})
	b.Run("connect", func(b *testing.B) {
		cin := &policy.ConnInput{Session: s}
		b.ReportAllocs()
		for b.Loop() {
			if v := ch.Connect(ctx, cin); v.Final() {
				b.Fatal(v.Reason())
			}
		}
	})
}

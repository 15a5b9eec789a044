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

// BenchmarkPow is the plugin's cost per event through the real host
// (wasmhost, one instance): "accept" has the work and a committed target
// in its last tag; "refuse" has no work and is refused after reading the
// id.
func BenchmarkPow(b *testing.B) {
	ch := plugintest.Chain(b, pluginName, plugintest.Options{}, "pool = 1\n[config]\nmin_difficulty = 16\n")
	p := ch.Entries()[0].Policy
	ctx := context.Background()
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7"), ConnectedAt: 1700000000}
	for _, bc := range []struct {
		name, id string
		want     bool
	}{
		{"accept", "0000" + strings.Repeat("e", 60), false},
		{"refuse", strings.Repeat("e", 64), true},
	} {
		ev := &nostr.Event{ID: bc.id, PubKey: strings.Repeat("a", 64), CreatedAt: 1700000000, Kind: 1,
			Tags: nostr.Tags{{"p", strings.Repeat("2", 64)}, {"t", "nostr"}, {"nonce", "776797", "16"}}, Content: "hello", Sig: strings.Repeat("f", 128)}
		raw, _ := ev.MarshalJSON()
		in := &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: 1700000001, Source: s.Source()}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if v, err := p.EventPre(ctx, in); err != nil || v.Final() != bc.want {
					b.Fatal(v.Reason(), err)
				}
			}
		})
	}
}

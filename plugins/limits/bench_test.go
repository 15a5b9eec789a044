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

// BenchmarkLimits is the plugin's cost per accepted event through the real
// host (wasmhost, one instance), for a note of 500 bytes with 5 tags:
// "sizes" checks only the fields that come with the call; "public" is the
// README's public relay, which also reads the tags and scans the content.
func BenchmarkLimits(b *testing.B) {
	ch := plugintest.Chain(b, pluginName, plugintest.Options{},
		"pool = 1\n[config]\nmax_content = 65536\nmax_tags = 100\nmax_future = 900\n",
		"pool = 1\n"+plugintest.ReadExamples(b, "README.md")[0].Settings)
	ctx := context.Background()
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7"), ConnectedAt: 1700000000}
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), CreatedAt: 1700000000, Kind: 1,
		Tags: nostr.Tags{{"e", strings.Repeat("1", 64), "wss://r.example", "root"}, {"p", strings.Repeat("2", 64)},
			{"t", "nostr"}, {"t", "relayd"}, {"client", "bench"}},
		Content: strings.Repeat("hello nostr: https://example.com/x.png ", 13), Sig: strings.Repeat("f", 128)}
	raw, _ := ev.MarshalJSON()
	in := &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: 1700000001, Source: s.Source()}
	for i, name := range []string{"sizes", "public"} {
		p := ch.Entries()[i].Policy
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if v, err := p.EventPre(ctx, in); err != nil || v.Final() {
					b.Fatal(v.Reason(), err)
				}
			}
		})
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/internal/testing/plugintest"
)

// BenchmarkLists is the plugin's cost per accepted event through the real
// host (wasmhost, one instance), with every list in use: 1000 denied and
// 1000 allowed pubkeys, 100 denied prefixes, a kind allow and deny list.
// event_pre checks the address, the kind and the deny list; event the
// allow list.
func BenchmarkLists(b *testing.B) {
	var deny, allow, nets []string
	for i := range 1000 {
		deny = append(deny, fmt.Sprintf("%q", fmt.Sprintf("d%063x", i)))
		allow = append(allow, fmt.Sprintf("%q", fmt.Sprintf("%063xa", i)))
	}
	for i := range 100 {
		nets = append(nets, fmt.Sprintf("%q", fmt.Sprintf("198.%d.0.0/16", i)))
	}
	ch := plugintest.Chain(b, pluginName, plugintest.Options{}, "pool = 1\n[config]\npubkey_deny = ["+strings.Join(deny, ",")+"]\npubkey_allow = ["+
		strings.Join(allow, ",")+"]\nip_deny = ["+strings.Join(nets, ",")+"]\nkind_allow = [\"0-40000\"]\nkind_deny = [4]\n")
	ctx := context.Background()
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7"), ConnectedAt: 1700000000}
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("0", 63) + "a", CreatedAt: 1700000000, Kind: 1,
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

// BenchmarkListsRuntime is the plugin's cost per accepted event and per
// connection on a relay that keeps plugin state, with every list empty:
// what the NIP-86 methods cost a relay that never calls them (each hook
// reads the lists' generation key), and with 1000 runtime bans.
func BenchmarkListsRuntime(b *testing.B) {
	st, err := badgerstore.Open(b.TempDir(), badgerstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	m, err := plugintest.Manager(b, pluginName, plugintest.Options{Store: st}, "pool = 1\n")
	if err != nil {
		b.Fatal(err)
	}
	ch := m.Holder().Load()
	ctx := context.Background()
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7"), ConnectedAt: 1700000000}
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("0", 63) + "a", CreatedAt: 1700000000, Kind: 1,
		Tags: nostr.Tags{{"t", "nostr"}}, Content: "hello", Sig: strings.Repeat("f", 128)}
	raw, _ := ev.MarshalJSON()
	in := &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: 1700000001, Source: s.Source()}
	run := func(b *testing.B) {
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
	b.Run("empty", run)
	for i := range 1000 {
		if _, err := m.Manage(ctx, "banpubkey", json.RawMessage(fmt.Sprintf(`["d%063x"]`, i))); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("1000bans", run)
}

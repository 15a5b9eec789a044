package ckindblock_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/examples/policies/internal/policytest"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/rustbuild"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// guests are the same policy from outside in C, Go and Rust: kind 1 is
// accepted and kind 4 refused with "kind 4 is not accepted here" (the Rust
// example without words: its event hook is not called).
func guests(b *testing.B) []struct{ name, wasm, toml string } {
	return []struct{ name, wasm, toml string }{
		{"c", policytest.BuildC(b, "../main.c"), "pool = 1\n[config]\nkinds = [4]\n"},
		{"go", wasmbuild.Build(b, "../../kind-allowlist"), "pool = 1\n[config]\nkinds = [0, 1, 3, 7]\n"},
		{"rust", rustbuild.Build(b, "../../rust-kind-keyword"), "pool = 1\n[config]\nkinds = [0, 1, 3, 7]\n"},
	}
}

// load starts a plugin manager on one guest and returns its policy.
func load(b *testing.B, name, wasm, toml string) policy.Policy {
	b.Helper()
	dir := b.TempDir()
	relaydtest.CopyPlugin(b, dir, name, wasm, toml)
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	if err := m.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	return m.Holder().Load().Entries()[0].Policy
}

// BenchmarkKindBlock compares the C plugin with the Go kind-allowlist on
// the event_pre hook, one goroutine, pool of one: the module size
// (wasm-bytes) and the cost of one call, accepted and refused.
func BenchmarkKindBlock(b *testing.B) {
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7"), ConnectedAt: 1700000000}
	for _, g := range guests(b) {
		fi, err := os.Stat(g.wasm)
		if err != nil {
			b.Fatal(err)
		}
		p := load(b, g.name, g.wasm, g.toml)
		for _, kind := range []int{1, 4} {
			ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), CreatedAt: 1700000000,
				Kind: kind, Tags: nostr.Tags{}, Content: "hello", Sig: strings.Repeat("f", 128)}
			raw, _ := ev.MarshalJSON()
			in := &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: 1700000001, Source: s.Source()}
			want := policy.Accept
			if kind == 4 {
				want = policy.Reject
			}
			b.Run(g.name+"/kind"+string(rune('0'+kind)), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					v, err := p.EventPre(context.Background(), in)
					if err != nil || v.Action != want {
						b.Fatalf("got %v, %v, want %v", v, err, want)
					}
				}
				b.ReportMetric(float64(fi.Size()), "wasm-bytes")
			})
		}
	}
}

// BenchmarkKindBlockLoad is the cost of loading each plugin: compile (no
// cache) and one instance.
func BenchmarkKindBlockLoad(b *testing.B) {
	for _, g := range guests(b) {
		b.Run(g.name, func(b *testing.B) {
			for b.Loop() {
				load(b, g.name, g.wasm, g.toml)
			}
		})
	}
}

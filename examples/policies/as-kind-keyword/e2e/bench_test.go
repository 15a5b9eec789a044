package askindkeyword_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/asbuild"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

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

// BenchmarkASKindKeyword compares the AssemblyScript plugin with the Go
// examples of the same policy, kind-allowlist (event_pre) and keyword-block
// (event), configured alike: the cost of one call through the host, one
// goroutine, pool of one, accepted and refused, and the module size
// (wasm-bytes).
func BenchmarkASKindKeyword(b *testing.B) {
	const cfg = "pool = 1\n[config]\nkinds = [0, 1, 3, 7]\nwords = [\"casino\", \"free money\"]\n"
	as := load(b, "as-kind-keyword", asbuild.Build(b, ".."), cfg)
	goKind := load(b, "kind-allowlist", wasmbuild.Build(b, "../../kind-allowlist"), "pool = 1\n[config]\nkinds = [0, 1, 3, 7]\n")
	goWord := load(b, "keyword-block", wasmbuild.Build(b, "../../keyword-block"), "pool = 1\n[config]\nwords = [\"casino\", \"free money\"]\n")
	sizes := map[policy.Policy]string{as: asbuild.Build(b, ".."), goKind: wasmbuild.Build(b, "../../kind-allowlist"),
		goWord: wasmbuild.Build(b, "../../keyword-block")}
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7"), ConnectedAt: 1700000000}
	input := func(kind int, content string) *policy.EventInput {
		ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), CreatedAt: 1700000000,
			Kind: kind, Tags: nostr.Tags{}, Content: content, Sig: strings.Repeat("f", 128)}
		raw, _ := ev.MarshalJSON()
		return &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: 1700000001, Source: s.Source()}
	}
	note := "gm, a short note about nothing in particular"
	tests := []struct {
		name   string
		hook   string
		in     *policy.EventInput
		want   policy.Action
		guests map[string]policy.Policy
	}{
		{"event_pre/accept", "event_pre", input(1, note), policy.Accept, map[string]policy.Policy{"as": as, "go": goKind}},
		{"event_pre/refuse", "event_pre", input(4, note), policy.Reject, map[string]policy.Policy{"as": as, "go": goKind}},
		{"event/accept", "event", input(1, note), policy.Accept, map[string]policy.Policy{"as": as, "go": goWord}},
		{"event/refuse", "event", input(1, "Best CASINO bonus in town"), policy.Reject, map[string]policy.Policy{"as": as, "go": goWord}},
	}
	ctx := context.Background()
	for _, tc := range tests {
		for _, lang := range []string{"as", "go"} {
			p := tc.guests[lang]
			fi, err := os.Stat(sizes[p])
			if err != nil {
				b.Fatal(err)
			}
			call := p.Event
			if tc.hook == "event_pre" {
				call = p.EventPre
			}
			b.Run(tc.name+"/"+lang, func(b *testing.B) {
				for b.Loop() {
					v, err := call(ctx, tc.in)
					if err != nil || v.Action != tc.want {
						b.Fatalf("got %v, %v, want %v", v, err, tc.want)
					}
				}
				b.ReportMetric(float64(fi.Size()), "wasm-bytes")
			})
		}
	}
}

package main

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// loadPlugin loads this plugin, built to wasm, through the real host with
// the given NAME.toml and a pool of one instance.
func loadPlugin(b *testing.B, settings string) policy.Policy {
	b.Helper()
	wasm := wasmbuild.Build(b, ".")
	dir := b.TempDir()
	bin, err := os.ReadFile(wasm)
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "antiscrape.wasm"), bin, 0o644)
	os.WriteFile(filepath.Join(dir, "antiscrape.toml"), []byte(settings), 0o644)
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: dir, Defaults: wasmhost.Settings{Pool: 1}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	if err := m.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	return m.Holder().Load().Entries()[0].Policy
}

func session(authed string) *policy.Session {
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7")}
	if authed != "" {
		s.SetAuthed(authed)
	}
	return s
}

// BenchmarkAntiscrapeReq is the req hook with the default rules.
func BenchmarkAntiscrapeReq(b *testing.B) {
	p := loadPlugin(b, "[config]\n")
	cases := []struct {
		name    string
		filters nostr.Filters
		want    policy.Action
	}{
		{"selective", nostr.Filters{{Kinds: []int{1, 6}, Authors: []string{pk, mirror}, Limit: 50}}, policy.Accept},
		{"three_filters", nostr.Filters{{Kinds: []int{1}, Authors: []string{pk}}, {Kinds: []int{7}, Tags: nostr.TagMap{"e": {pk}}}, {IDs: []string{pk}}}, policy.Accept},
		{"global_feed_clamped", nostr.Filters{{Kinds: []int{1}, Limit: 1000}}, policy.Rewrite},
		{"empty_rejected", nostr.Filters{{Limit: 10}}, policy.Reject},
	}
	for _, c := range cases {
		in := &policy.FilterInput{Session: session(""), Hook: policy.HookReq, SubID: "s", Filters: c.filters}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				v, err := p.Filter(context.Background(), in)
				if err != nil || v.Action != c.want {
					b.Fatalf("%v %v", v, err)
				}
			}
		})
	}
}

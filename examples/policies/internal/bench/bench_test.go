// Package bench measures the per-call cost of each example policy through
// the real WebAssembly host, one instance, one goroutine:
//
//	go test -tags libsecp256k1 -run '^$' -bench . ./examples/policies/internal/bench
package bench

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// load builds the example in dir and loads it with its README's settings
// and a pool of one.
func load(b *testing.B, name string) policy.Policy {
	b.Helper()
	dir := "../../" + name
	settings := "pool = 1\n" + plugintest.READMESettings(b, dir+"/README.md")
	pdir := b.TempDir()
	relaydtest.CopyPlugin(b, pdir, name, wasmbuild.Build(b, dir), settings)
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: pdir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	if err := m.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	return m.Holder().Load().Entries()[0].Policy
}

func event(kind int, content string, tags ...nostr.Tag) (*nostr.Event, []byte) {
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), CreatedAt: 1700000000,
		Kind: kind, Tags: nostr.Tags(tags), Content: content, Sig: strings.Repeat("f", 128)}
	if ev.Tags == nil {
		ev.Tags = nostr.Tags{}
	}
	raw, _ := ev.MarshalJSON()
	return ev, raw
}

// BenchmarkExamples calls each example's main hook on a typical input and
// checks its verdict on every call.
func BenchmarkExamples(b *testing.B) {
	ctx := context.Background()
	s := plugintest.Session("")
	other := plugintest.Session(strings.Repeat("c", 64))
	note, noteRaw := event(1, "gm, a short note about nothing in particular", nostr.Tag{"t", "gm"})
	dm, dmRaw := event(4, "secret", nostr.Tag{"p", strings.Repeat("b", 64)})
	evIn := &policy.EventInput{Session: s, Event: note, Raw: noteRaw, ReceivedAt: 1700000001, Source: s.Source()}
	tests := []struct {
		example string
		name    string
		call    func(p policy.Policy) (policy.Verdict, error)
		want    policy.Action
	}{
		{"kind-allowlist", "event_pre note", func(p policy.Policy) (policy.Verdict, error) { return p.EventPre(ctx, evIn) }, policy.Accept},
		{"keyword-block", "event note", func(p policy.Policy) (policy.Verdict, error) { return p.Event(ctx, evIn) }, policy.Accept},
		{"strfry-compat", "event note, not whitelisted", func(p policy.Policy) (policy.Verdict, error) { return p.Event(ctx, evIn) }, policy.Reject},
		{"clamp-limit", "req limit 1000", func(p policy.Policy) (policy.Verdict, error) {
			return p.Filter(ctx, &policy.FilterInput{Session: s, Hook: policy.HookReq, SubID: "s",
				Filters: nostr.Filters{{Kinds: []int{1}, Limit: 1000}}})
		}, policy.Rewrite},
		{"dm-privacy", "deliver note", func(p policy.Policy) (policy.Verdict, error) {
			return p.Deliver(ctx, &policy.DeliverInput{Session: other, SubID: "s", Event: note, Raw: noteRaw})
		}, policy.Accept},
		{"dm-privacy", "deliver DM to a third party", func(p policy.Policy) (policy.Verdict, error) {
			return p.Deliver(ctx, &policy.DeliverInput{Session: other, SubID: "s", Event: dm, Raw: dmRaw})
		}, policy.Reject},
	}
	loaded := map[string]policy.Policy{}
	for _, tc := range tests {
		p := loaded[tc.example]
		if p == nil {
			p = load(b, tc.example)
			loaded[tc.example] = p
		}
		b.Run(tc.example+"/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := tc.call(p)
				if err != nil || v.Action != tc.want {
					b.Fatalf("got %v, %v, want %v", v.Action, err, tc.want)
				}
			}
		})
	}
}

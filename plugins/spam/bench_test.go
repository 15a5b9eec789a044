package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store/memstore"
	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// memStore is an in-memory event store for store_count, closed when the
// benchmark ends.
func memStore(b *testing.B) *memstore.Store {
	st := memstore.New()
	b.Cleanup(func() { st.Close() })
	return st
}

// cpuPerOp reports the process's CPU time per op as cpu-ns/op when the
// returned function runs: on a shared machine it moves less than wall time.
func cpuPerOp(b *testing.B) func() {
	cpu0 := cpuNanos()
	return func() { b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op") }
}

func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func benchInput(i int, content string) *policy.EventInput {
	pk := fmt.Sprintf("%064x", i)
	ev := &nostr.Event{ID: pk, PubKey: pk, Kind: 1, CreatedAt: 1700000000, Content: content, Tags: nostr.Tags{},
		Sig: pk + pk}
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7")}
	return &policy.EventInput{Session: s, Event: ev, Raw: []byte(ev.String()), Source: policy.SourceIP4}
}

// BenchmarkSpamEvent is the event hook (flood and new-author rules) with
// the default config. Each iteration is a different pubkey posting a
// different 280-byte note, so every call does the flood bookkeeping
// (kv_cas + counter_add) on fresh keys.
func BenchmarkSpamEvent(b *testing.B) {
	p := plugintest.Policy(b, pluginName, plugintest.Options{Store: memStore(b)}, "[config]\n")
	note := strings.Repeat("a reasonably long note about nostr relays ", 7)[:270]
	b.Run("short_note", func(b *testing.B) {
		in := benchInput(1, "gm")
		for b.Loop() {
			if v, err := p.Event(context.Background(), in); err != nil || v.Action != policy.Accept {
				b.Fatalf("%v %v", v, err)
			}
		}
	})
	// The inputs are made before the timer starts: 4096 of them, then
	// reused (a reused pubkey and note finds its flood key taken and reads
	// the counter instead of adding, which costs the same).
	inputs := make([]*policy.EventInput, 4096)
	for i := range inputs {
		inputs[i] = benchInput(i+1, fmt.Sprintf("%s %09d", note, i+1))
	}
	b.Run("note_280", func(b *testing.B) {
		i := 0
		defer cpuPerOp(b)()
		for b.Loop() {
			i++
			if v, err := p.Event(context.Background(), inputs[i%len(inputs)]); err != nil || v.Action != policy.Accept {
				b.Fatalf("%v %v", v, err)
			}
		}
	})
	off := plugintest.Policy(b, pluginName, plugintest.Options{Store: memStore(b)}, "[config.flood]\npubkeys = 0\n")
	b.Run("note_280_flood_off", func(b *testing.B) {
		i := 0
		defer cpuPerOp(b)()
		for b.Loop() {
			i++
			if v, err := off.Event(context.Background(), inputs[i%len(inputs)]); err != nil || v.Action != policy.Accept {
				b.Fatalf("%v %v", v, err)
			}
		}
	})
	b.Run("new_author_links", func(b *testing.B) {
		// Over the link cap: the first call asks the store, the rest hit
		// the kv cache.
		in := benchInput(1, "https://a.example https://b.example https://c.example")
		for b.Loop() {
			if v, err := p.Event(context.Background(), in); err != nil || v.Action != policy.Reject {
				b.Fatalf("%v %v", v, err)
			}
		}
	})
}

// BenchmarkSpamEventPre is the word lists: 20 keywords and 3 regexps on a
// 280-byte note that matches none.
func BenchmarkSpamEventPre(b *testing.B) {
	var kw []string
	for i := range 20 {
		kw = append(kw, fmt.Sprintf("%q", fmt.Sprintf("keyword number %d", i)))
	}
	p := plugintest.Policy(b, pluginName, plugintest.Options{Store: memStore(b)}, "[config]\nkeywords = ["+strings.Join(kw, ",")+"]\n"+
		`regexps = ['(?i)t\.me/[a-z0-9_]+', '(?i)whats\s*app\s*\+?\d{6,}', '(?i)\bfree\s+(btc|bitcoin|sats)\b']`+"\n")
	in := benchInput(1, strings.Repeat("a reasonably long note about nostr relays ", 7)[:280])
	for b.Loop() {
		if v, err := p.EventPre(context.Background(), in); err != nil || v.Action != policy.Accept {
			b.Fatalf("%v %v", v, err)
		}
	}
}

// BenchmarkSpamEventCold measures the event hook (note_280's inputs) with
// the CPU caches partly flushed before each call, as they are in a relay,
// where every call of a plugin comes after the signature check, badger and
// the other plugins: each iteration first writes one byte per 64-byte line
// of a buffer of the given size, and the touch_only runs give what that
// costs alone, to subtract (BENCHMARKS.md "Policy cost").
func BenchmarkSpamEventCold(b *testing.B) {
	p := plugintest.Policy(b, pluginName, plugintest.Options{Store: memStore(b)}, "[config]\n")
	note := strings.Repeat("a reasonably long note about nostr relays ", 7)[:270]
	inputs := make([]*policy.EventInput, 4096)
	for i := range inputs {
		inputs[i] = benchInput(i+1, fmt.Sprintf("%s %09d", note, i+1))
	}
	for _, kib := range []int{0, 256, 1024, 4096, 16384} {
		buf := make([]byte, kib<<10)
		touch := func() {
			for j := 0; j < len(buf); j += 64 {
				buf[j]++
			}
		}
		b.Run(fmt.Sprintf("evict_KiB=%d/touch_only", kib), func(b *testing.B) {
			for b.Loop() {
				touch()
			}
		})
		b.Run(fmt.Sprintf("evict_KiB=%d/touch_and_call", kib), func(b *testing.B) {
			i := 0
			for b.Loop() {
				touch()
				i++
				if v, err := p.Event(context.Background(), inputs[i%len(inputs)]); err != nil || v.Action != policy.Accept {
					b.Fatalf("%v %v", v, err)
				}
			}
		})
	}
}

// BenchmarkSpamEventInChain measures the event hook alone and after the
// hooks an EVENT runs first in the default set (limits' event_pre,
// ratelimit's event_pre and event, each its own Go module): in_chain
// minus others_only is what the spam call costs when other guests' code
// ran just before it, as in a relay (BENCHMARKS.md "Policy cost").
func BenchmarkSpamEventInChain(b *testing.B) {
	spam := plugintest.Policy(b, pluginName, plugintest.Options{Store: memStore(b)}, "[config]\n")
	limits := plugintest.Policy(b, "limits", plugintest.Options{Wasm: wasmbuild.Build(b, "../limits")}, defaultSettings(b, "limits"))
	rl := strings.NewReplacer("rate = 0.5", "rate = 1e9", "rate = 0.2", "rate = 1e9", "rate = 1.0", "rate = 1e9").
		Replace(defaultSettings(b, "ratelimit"))
	ratelimit := plugintest.Policy(b, "ratelimit", plugintest.Options{Wasm: wasmbuild.Build(b, "../ratelimit")}, rl)
	note := strings.Repeat("a reasonably long note about nostr relays ", 7)[:270]
	inputs := make([]*policy.EventInput, 4096)
	for i := range inputs {
		inputs[i] = benchInput(i+1, fmt.Sprintf("%s %09d", note, i+1))
		inputs[i].Event.Tags = nostr.Tags{{"e", inputs[i].Event.ID, "", "root"}, {"p", inputs[i].Event.PubKey}, {"t", "relayload"}}
	}
	ctx := context.Background()
	accept := func(b *testing.B, v policy.Verdict, err error) {
		if err != nil || v.Action != policy.Accept {
			b.Fatalf("%v %v", v, err)
		}
	}
	others := func(b *testing.B, in *policy.EventInput) {
		v, err := limits.EventPre(ctx, in)
		accept(b, v, err)
		v, err = ratelimit.EventPre(ctx, in)
		accept(b, v, err)
		v, err = ratelimit.Event(ctx, in)
		accept(b, v, err)
	}
	b.Run("spam_only", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			v, err := spam.Event(ctx, inputs[i%len(inputs)])
			accept(b, v, err)
		}
	})
	b.Run("others_only", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			others(b, inputs[i%len(inputs)])
		}
	})
	b.Run("in_chain", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			in := inputs[i%len(inputs)]
			others(b, in)
			v, err := spam.Event(ctx, in)
			accept(b, v, err)
		}
	})
}

// defaultSettings returns plugins/defaults/NAME.toml.
func defaultSettings(b *testing.B, name string) string {
	s, err := os.ReadFile("../defaults/" + name + ".toml")
	if err != nil {
		b.Fatal(err)
	}
	return string(s)
}

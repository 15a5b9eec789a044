package relay_test

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"

	"github.com/gobwas/ws"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// signedFrames pre-signs n kind-1 events as masked EVENT frames.
func signedFrames(b *testing.B, n int) ([][]byte, []*nostr.Event) {
	k := wsc.NewKey()
	frames := make([][]byte, n)
	evs := make([]*nostr.Event, n)
	for i := range frames {
		evs[i] = k.Sign(b, 1, fmt.Sprintf("benchmark note %d with some text in it", i), now(),
			nostr.Tag{"t", "bench"}, nostr.Tag{"p", k.PK})
		m, _ := json.Marshal([]any{"EVENT", evs[i]})
		frames[i] = wsc.Frame(m)
	}
	return frames, evs
}

// BenchmarkRelayIngest: pipelined EVENTs on one connection through parse,
// signature check and an in-memory store, until every OK is back.
func BenchmarkRelayIngest(b *testing.B) {
	tr := start(b, relay.Options{})
	c := wsc.Dial(b, tr.url)
	frames, _ := signedFrames(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	go func() {
		for _, f := range frames {
			c.NC.Write(f)
		}
	}()
	for i := 0; i < b.N; i++ {
		if ok := c.ReadOK(); !ok.Accepted {
			b.Fatal(ok)
		}
	}
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/event")
}

// BenchmarkRelayBroadcast: one event delivered to 100 live subscriptions
// on 100 connections; ns/op is per event (100 deliveries).
func BenchmarkRelayBroadcast(b *testing.B) {
	benchBroadcast(b)
}

// BenchmarkRelayBroadcastDeliverHook is BenchmarkRelayBroadcast with a
// native deliver hook that accepts everything: the cost of the per-session
// delivery queue and the hook call.
func BenchmarkRelayBroadcastDeliverHook(b *testing.B) {
	benchBroadcast(b, enforce(&fnPolicy{name: "pass", deliver: func(*policy.DeliverInput) policy.Verdict {
		return policy.Verdict{}
	}}))
}

func benchBroadcast(b *testing.B, policies ...policy.Entry) {
	tr := start(b, relay.Options{Limits: lim(func(l *limits.Limits) { l.QueueBytes = 256 << 20 })}, policies...)
	const subs = 100
	clients := make([]*wsc.Client, subs)
	for i := range clients {
		clients[i] = wsc.Dial(b, tr.url)
		clients[i].Req("s", nostr.Filter{Kinds: []int{1}})
	}
	pub := wsc.Dial(b, tr.url)
	frames, _ := signedFrames(b, b.N)
	done := make(chan int, subs)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	for _, c := range clients {
		go func() {
			n := 0
			for n < b.N {
				f, err := c.Frame()
				if err != nil || f.Header.OpCode != ws.OpText {
					break
				}
				n++
			}
			done <- n
		}()
	}
	go func() {
		for _, f := range frames {
			pub.NC.Write(f)
		}
	}()
	for range clients {
		if n := <-done; n != b.N {
			b.Fatalf("a subscriber got %d of %d", n, b.N)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*subs), "ns/delivery")
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N*subs), "cpu-ns/delivery")
}

// cpuNanos is the process's user+system CPU time (relay and clients: the
// clients' share is the same before and after a relay change).
func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkRelayQuery: REQ for 50 stored events by author, then EOSE.
func BenchmarkRelayQuery(b *testing.B) {
	tr := start(b, relay.Options{})
	c := wsc.Dial(b, tr.url)
	k := wsc.NewKey()
	for i := 0; i < 200; i++ {
		c.Publish(k.Sign(b, 1, fmt.Sprint(i), now()-nostr.Timestamp(i)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := c.Req("q", nostr.Filter{Authors: []string{k.PK}, Limit: 50}); len(got) != 50 {
			b.Fatalf("got %d", len(got))
		}
	}
}

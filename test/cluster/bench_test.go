package cluster_test

import (
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// Cluster benchmarks (BENCHMARKS.md, "Cluster"). Everything runs in this
// process — the NATS servers, the relayd nodes, the clients — so the CPU
// per event is the whole cluster's: three nodes applying each event, the
// R3 stream, and the publishing node's checks.

// cpuNow is the process's user + system CPU time.
func cpuNow(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// signEvents signs n kind-1 events by 64 authors.
func signEvents(b *testing.B, n int) []*nostr.Event {
	keys := make([]wsc.Key, 64)
	for i := range keys {
		keys[i] = wsc.NewKey()
	}
	evs := make([]*nostr.Event, n)
	for i := range evs {
		evs[i] = keys[i%len(keys)].Sign(b, 1, fmt.Sprintf("benchmark note %d with some words in it", i), nostr.Now())
	}
	return evs
}

// benchNodes starts a single relayd (n = 1, no cluster) or n nodes on a
// 3-server NATS cluster with an R3 stream.
func benchNodes(b *testing.B, n int) []*relaydtest.Relay {
	if n == 1 {
		return []*relaydtest.Relay{relaydtest.Start(b, relaydtest.Default(""))}
	}
	nc := natstest.StartCluster(b, 3)
	nodes := make([]*relaydtest.Relay, n)
	for i := range nodes {
		nodes[i] = relaydtest.Start(b, nodeConfig(nc.URLs(), i+1, 3))
	}
	return nodes
}

// BenchmarkClusterIngest: b.N EVENTs pipelined over 4 connections (spread
// over the nodes), each answered OK true, on one relayd and on a
// 3-node cluster. Reports events/s and the process's CPU per event.
func BenchmarkClusterIngest(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			nodes := benchNodes(b, n)
			evs := signEvents(b, b.N)
			const conns = 4
			clients := make([]*wsc.Client, conns)
			for i := range clients {
				clients[i] = wsc.Dial(b, nodes[i%len(nodes)].URL)
			}
			b.ResetTimer()
			cpu0, t0 := cpuNow(b), time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, conns)
			for c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []*nostr.Event
					for i := c; i < len(evs); i += conns {
						mine = append(mine, evs[i])
					}
					// A window of 200 EVENTs in flight per connection.
					sent := 0
					for got := 0; got < len(mine); got++ {
						for sent < len(mine) && sent-got < 200 {
							clients[c].Send("EVENT", mine[sent])
							sent++
						}
						msg := clients[c].Read()
						if wsc.Label(msg) != "OK" || wsc.Str(msg, 3) != "" {
							errs <- fmt.Errorf("got %s", msg)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed, cpu := time.Since(t0), cpuNow(b)-cpu0
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
		})
	}
}

// BenchmarkClusterDelivery: the time from sending an EVENT on node 1 to
// its arrival at a live subscriber on node 1 (same) or node 3 (cross) of
// a 3-node cluster, or on a single relayd (single), one event at a time.
// Reports p50 and p99.
func BenchmarkClusterDelivery(b *testing.B) {
	var cluster, single []*relaydtest.Relay
	for _, tc := range []struct {
		name  string
		nodes *[]*relaydtest.Relay
		n     int
		sub   int
	}{{"single", &single, 1, 0}, {"same", &cluster, 3, 0}, {"cross", &cluster, 3, 2}} {
		if *tc.nodes == nil {
			*tc.nodes = benchNodes(b, tc.n)
		}
		nodes := *tc.nodes
		b.Run(tc.name, func(b *testing.B) {
			evs := signEvents(b, b.N)
			sub := wsc.Dial(b, nodes[tc.sub].URL)
			sub.Req("lat", nostr.Filter{Kinds: []int{1}, Since: ptr(nostr.Now()), Limit: 1})
			pub := wsc.Dial(b, nodes[0].URL)
			lat := make([]time.Duration, b.N)
			b.ResetTimer()
			for i, ev := range evs {
				t0 := time.Now()
				pub.Send("EVENT", ev)
				for {
					msg := sub.Read()
					if wsc.Label(msg) == "EVENT" && wsc.Event(b, msg).ID == ev.ID {
						break
					}
				}
				lat[i] = time.Since(t0)
				if ok := pub.ReadOK(); !ok.Accepted {
					b.Fatal(ok)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkClusterCatchUp: a node stopped while b.N events are stored by
// the others applies them after its restart. Reports the events applied
// per second, from the restart's start to the last event applied.
func BenchmarkClusterCatchUp(b *testing.B) {
	nc := natstest.StartCluster(b, 3)
	n1 := relaydtest.Start(b, nodeConfig(nc.URLs(), 1, 3))
	cfg := nodeConfig(nc.URLs(), 2, 3)
	cfg.DataDir = b.TempDir()
	relaydtest.Start(b, cfg).Stop()
	evs := signEvents(b, b.N)
	c := wsc.Dial(b, n1.URL)
	sent := 0
	for got := 0; got < len(evs); got++ {
		for sent < len(evs) && sent-got < 200 {
			c.Send("EVENT", evs[sent])
			sent++
		}
		if ok := c.ReadOK(); !ok.Accepted {
			b.Fatal(ok)
		}
	}
	page := scrape.Get(b, "http"+n1.URL[2:]+"/metrics")
	want, _ := page.Value("relayd_cluster_applied_sequence")
	b.ResetTimer()
	t0 := time.Now()
	n2 := relaydtest.Start(b, cfg)
	for deadline := time.Now().Add(10 * time.Minute); ; {
		seq, _ := scrape.Get(b, "http"+n2.URL[2:]+"/metrics").Value("relayd_cluster_applied_sequence")
		if seq >= want {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("node 2 applied %v of %v", seq, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "events/s")
}

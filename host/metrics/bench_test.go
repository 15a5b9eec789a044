package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/metrics"
	"github.com/relayd/relayd/host/policy"
)

type passPolicy struct{ policy.Base }

func (passPolicy) Name() string          { return "pass" }
func (passPolicy) Version() string       { return "0123456789ab" }
func (passPolicy) Hooks() policy.HookSet { return policy.Hooks(policy.HookDeliver) }

// recorder returns the recorder Plugins gives one plugin.
func recorder(b *testing.B) policy.Recorder {
	pm, err := metrics.NewPlugins(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	return pm.Observe([]policy.Entry{{Policy: passPolicy{}}})[0]
}

// BenchmarkRecord is what measuring costs per plugin hook call: a
// histogram observation and a cached counter's increment.
func BenchmarkRecord(b *testing.B) {
	r := recorder(b)
	b.ReportAllocs()
	for b.Loop() {
		r.Record(policy.HookDeliver, policy.Reject, policy.PrefixBlocked, nil, 3*time.Microsecond)
	}
}

// BenchmarkRecordParallel is BenchmarkRecord from every core at once, as
// deliveries to many sessions are (the counters' cache lines are shared).
func BenchmarkRecordParallel(b *testing.B) {
	r := recorder(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Record(policy.HookDeliver, policy.Accept, 0, nil, 3*time.Microsecond)
		}
	})
}

// BenchmarkChainDeliver is one deliver hook call through the chain, with
// and without the plugin metrics: the difference is the whole cost of the
// metrics per call (two clock reads and Record).
func BenchmarkChainDeliver(b *testing.B) {
	for _, tc := range []struct {
		name     string
		observed bool
	}{{"bare", false}, {"observed", true}} {
		b.Run(tc.name, func(b *testing.B) {
			var h policy.Holder
			if tc.observed {
				pm, err := metrics.NewPlugins(prometheus.NewRegistry())
				if err != nil {
					b.Fatal(err)
				}
				h.Observe(pm)
			}
			h.Store(policy.NewChain(nil, policy.Entry{Policy: passPolicy{}}))
			ch := h.Load()
			in := &policy.DeliverInput{Event: &nostr.Event{Kind: 1}}
			b.ReportAllocs()
			for b.Loop() {
				ch.Deliver(context.Background(), in)
			}
		})
	}
}

// BenchmarkLatencyObservation is what the relay adds per EVENT (and per
// REQ): a clock read when the message is read, and one when its OK (or
// EOSE) is queued, into a histogram.
func BenchmarkLatencyObservation(b *testing.B) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "x", Buckets: metrics.LatencyBuckets()})
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		h.Observe(time.Since(start).Seconds())
	}
}

package relay

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/metrics"
	"github.com/relayd/relayd/host/store"
)

// relayMetrics are the relay core's instruments that are observed as
// things happen: the two latency histograms. Everything else is read from
// Stats, the subscription index and the connections when scraped
// (registerMetrics), which costs the hot paths nothing.
type relayMetrics struct {
	okLatency prometheus.Histogram // EVENT read to its OK queued
	reqEOSE   prometheus.Histogram // REQ read to its EOSE queued
}

// registerMetrics makes the relay's metrics and registers them in reg
// (docs/metrics.md lists them). To add one read from the relay's state,
// add a row to funcs.
func (r *Relay) registerMetrics(reg prometheus.Registerer) error {
	r.m = relayMetrics{
		okLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "relayd_ok_latency_seconds",
			Help:    "Time from reading an EVENT to queueing its OK (after the store's commit for stored events).",
			Buckets: metrics.LatencyBuckets(),
		}),
		reqEOSE: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "relayd_req_eose_seconds",
			Help:    "Time from reading a REQ to queueing its EOSE (every stored event queued before it).",
			Buckets: metrics.LatencyBuckets(),
		}),
	}
	st := &r.stats
	funcs := []struct {
		counter    bool
		name, help string
		value      func() float64
	}{
		{false, "relayd_connections", "Open websocket connections.", func() float64 { return float64(st.Connections.Load()) }},
		{false, "relayd_subscriptions", "Live subscriptions in the index.", func() float64 { return float64(r.subs.Len()) }},
		{false, "relayd_queued_bytes", "Bytes queued to be written to clients, over all connections.", func() float64 { return float64(r.ws.QueuedBytes()) }},
		{false, "relayd_starting", "1 while the policies load and messages are refused with error: starting.", func() float64 { return bit(r.starting.Load()) }},
		{false, "relayd_negentropy_sessions", "Open NIP-77 negentropy sessions.", func() float64 { return float64(st.NegSessions.Load()) }},
		{false, "relayd_negentropy_items", "(created_at, id) pairs held by open negentropy sessions, 40 bytes each.", func() float64 { return float64(st.NegItems.Load()) }},
		{true, "relayd_events_stored_total", "Events stored.", func() float64 { return float64(st.EventsStored.Load()) }},
		{true, "relayd_events_failed_total", "Events the store failed to write.", func() float64 { return float64(st.EventsFailed.Load()) }},
		{true, "relayd_deliveries_total", "Live EVENT frames enqueued to subscribers.", func() float64 { return float64(st.Deliveries.Load()) }},
		{true, "relayd_queries_total", "REQ queries run against the store.", func() float64 { return float64(st.Queries.Load()) }},
		{true, "relayd_slow_readers_cut_total", "Connections closed because the client read too slowly (its queue went over queue_bytes).", func() float64 { return float64(st.SlowReadersCut.Load()) }},
	}
	if hr, ok := r.store.(store.HealthReporter); ok {
		h := func() store.Health { return hr.Health() }
		funcs = append(funcs, []struct {
			counter    bool
			name, help string
			value      func() float64
		}{
			{false, "relayd_store_disk_full", "1 while the free disk space is below the store's reserve: EVENTs get \"error: disk full\".", func() float64 { return bit(h().DiskFull) }},
			{false, "relayd_store_free_bytes", "Free space last measured on the store's filesystem.", func() float64 { return float64(h().FreeBytes) }},
			{false, "relayd_store_reserve_bytes", "Free space below which the store takes no writes.", func() float64 { return float64(h().ReserveBytes) }},
			{true, "relayd_store_disk_full_refusals_total", "EVENTs refused because the disk was below the reserve.", func() float64 { return float64(h().DiskFullRefusals) }},
			{true, "relayd_store_read_errors_total", "Store reads that failed: damaged data or I/O errors.", func() float64 { return float64(h().ReadErrors) }},
		}...)
	}
	cs := []prometheus.Collector{r.m.okLatency, r.m.reqEOSE}
	for _, f := range funcs {
		if f.counter {
			cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: f.name, Help: f.help}, f.value))
		} else {
			cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: f.name, Help: f.help}, f.value))
		}
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("relay: metrics: %w", err)
		}
	}
	return nil
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// okQueued observes the OK latency of the EVENT the reader just handled,
// unless its OK waits for the store (then complete observes it).
func (s *session) okQueued() {
	if s.okLater {
		s.okLater = false
		return
	}
	s.r.m.okLatency.Observe(time.Since(s.recvAt).Seconds())
}

// eoseQueued observes the latency of the REQ the reader is handling.
func (s *session) eoseQueued() {
	s.r.m.reqEOSE.Observe(time.Since(s.recvAt).Seconds())
}

package relay

import (
	"fmt"
	"io"
	"net/http"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
)

type policyStats = policy.Stats

// serveMetrics writes the relay's counters and each policy's counters in
// the Prometheus text format (GET /metrics).
func (r *Relay) serveMetrics(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	st := &r.stats
	gauge(w, "relayd_connections", "Open websocket connections.", st.Connections.Load())
	counter(w, "relayd_events_stored_total", "Events stored.", st.EventsStored.Load())
	counter(w, "relayd_events_failed_total", "Events the store failed to write.", st.EventsFailed.Load())
	counter(w, "relayd_deliveries_total", "Live EVENT frames enqueued to subscribers.", st.Deliveries.Load())
	counter(w, "relayd_queries_total", "REQ queries run against the store.", st.Queries.Load())
	gauge(w, "relayd_subscriptions", "Live subscriptions in the index.", int64(r.subs.Len()))
	var starting int64
	if r.starting.Load() {
		starting = 1
	}
	gauge(w, "relayd_starting", "1 while the policies load and messages are refused with error: starting.", starting)
	gauge(w, "relayd_negentropy_sessions", "Open NIP-77 negentropy sessions.", st.NegSessions.Load())
	gauge(w, "relayd_negentropy_items", "(created_at, id) pairs held by open negentropy sessions, 40 bytes each.", st.NegItems.Load())
	if hr, ok := r.store.(store.HealthReporter); ok {
		storeMetrics(w, hr.Health())
	}
	if r.opts.ExtraMetrics != nil {
		r.opts.ExtraMetrics(w)
	}
	ch := r.chain.Load()
	if ch.Empty() {
		return
	}
	metrics := []struct {
		name, help string
		get        func(*policyStats) uint64
	}{
		{"relayd_policy_calls_total", "Calls into each policy.", func(s *policyStats) uint64 { return s.Calls.Load() }},
		{"relayd_policy_rejects_total", "Final verdicts each policy enforced.", func(s *policyStats) uint64 { return s.Rejects.Load() }},
		{"relayd_policy_shadowed_total", "Refusals a shadow-mode policy would have given.", func(s *policyStats) uint64 { return s.Shadowed.Load() }},
		{"relayd_policy_rewrites_total", "Rewrites each policy made.", func(s *policyStats) uint64 { return s.Rewrites.Load() }},
		{"relayd_policy_errors_total", "Failed calls (trap, timeout, tripped).", func(s *policyStats) uint64 { return s.Errors.Load() }},
		{"relayd_policy_seconds_total", "Time spent in each policy.", nil},
	}
	for _, m := range metrics {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", m.name, m.help, m.name)
		for _, e := range ch.Entries() {
			name := e.Policy.Name()
			s := ch.StatsOf(name)
			if m.get == nil {
				fmt.Fprintf(w, "%s{policy=%q} %g\n", m.name, name, float64(s.Nanos.Load())/1e9)
				continue
			}
			fmt.Fprintf(w, "%s{policy=%q} %d\n", m.name, name, m.get(s))
		}
	}
}

// storeMetrics writes what the store reports about its disk and reads.
func storeMetrics(w io.Writer, h store.Health) {
	var full int64
	if h.DiskFull {
		full = 1
	}
	gauge(w, "relayd_store_disk_full", "1 while the free disk space is below the store's reserve: EVENTs get \"error: disk full\".", full)
	gauge(w, "relayd_store_free_bytes", "Free space last measured on the store's filesystem.", int64(h.FreeBytes))
	gauge(w, "relayd_store_reserve_bytes", "Free space below which the store takes no writes.", int64(h.ReserveBytes))
	counter(w, "relayd_store_disk_full_refusals_total", "EVENTs refused because the disk was below the reserve.", h.DiskFullRefusals)
	counter(w, "relayd_store_read_errors_total", "Store reads that failed: damaged data or I/O errors.", h.ReadErrors)
}

func counter(w io.Writer, name, help string, v uint64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
}

func gauge(w io.Writer, name, help string, v int64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
}

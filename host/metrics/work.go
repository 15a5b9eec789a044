package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// PluginWork is what a plugin did besides its hooks, since the relay
// started: its store reads (store_query) and its ticks (relayd_on_tick).
// host/server fills it from wasmhost's Manager.QueryStats.
type PluginWork struct {
	// Queries counts store_query calls answered; Events and Bytes what
	// they returned; Truncated those the plugin's bounds cut short;
	// Timeouts those past their time bound; Errors the other failures.
	Queries, Events, Bytes, Truncated, Timeouts, Errors int64
	// Ticks counts ticks, TickFailures the failed ones, TickSeconds the
	// time they took.
	Ticks, TickFailures int64
	TickSeconds         float64
}

// Work reports each plugin's PluginWork as counters, read when scraped.
type Work struct {
	descs [9]*prometheus.Desc
	read  func() map[string]PluginWork
}

var _ prometheus.Collector = (*Work)(nil)

// NewWork registers a Work reading read in reg.
func NewWork(reg prometheus.Registerer, read func() map[string]PluginWork) (*Work, error) {
	w := &Work{read: read}
	for i, d := range [...][2]string{
		{"relayd_plugin_store_queries_total", "store_query calls answered, per plugin."},
		{"relayd_plugin_store_query_events_total", "Events store_query returned, per plugin."},
		{"relayd_plugin_store_query_bytes_total", "Bytes of store_query results, per plugin."},
		{"relayd_plugin_store_query_truncated_total", "store_query results cut short by query_max_events or query_max_bytes, per plugin."},
		{"relayd_plugin_store_query_timeouts_total", "store_query calls past their time bound, per plugin."},
		{"relayd_plugin_store_query_errors_total", "store_query calls that failed otherwise (bad filter, store error), per plugin."},
		{"relayd_plugin_ticks_total", "relayd_on_tick calls, per plugin."},
		{"relayd_plugin_tick_failures_total", "relayd_on_tick calls that failed (error, trap, deadline), per plugin."},
		{"relayd_plugin_tick_seconds_total", "Time spent in relayd_on_tick, per plugin."},
	} {
		w.descs[i] = prometheus.NewDesc(d[0], d[1], []string{"plugin"}, nil)
	}
	if err := reg.Register(w); err != nil {
		return nil, fmt.Errorf("metrics: plugin work: %w", err)
	}
	return w, nil
}

// Describe implements prometheus.Collector.
func (w *Work) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range w.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (w *Work) Collect(ch chan<- prometheus.Metric) {
	for name, pw := range w.read() {
		for i, v := range [...]float64{float64(pw.Queries), float64(pw.Events), float64(pw.Bytes), float64(pw.Truncated),
			float64(pw.Timeouts), float64(pw.Errors), float64(pw.Ticks), float64(pw.TickFailures), pw.TickSeconds} {
			ch <- prometheus.MustNewConstMetric(w.descs[i], prometheus.CounterValue, v, name)
		}
	}
}

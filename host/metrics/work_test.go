package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/metrics"
)

// TestWork checks that each plugin's store reads and ticks are served as
// counters under their names.
func TestWork(t *testing.T) {
	reg := prometheus.NewRegistry()
	work := map[string]metrics.PluginWork{"wot": {Queries: 3, Events: 40, Bytes: 5000, Truncated: 1, Timeouts: 2,
		Errors: 4, Ticks: 7, TickFailures: 1, TickSeconds: 1.5}}
	if _, err := metrics.NewWork(reg, func() map[string]metrics.PluginWork { return work }); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want float64
	}{
		{"relayd_plugin_store_queries_total", 3},
		{"relayd_plugin_store_query_events_total", 40},
		{"relayd_plugin_store_query_bytes_total", 5000},
		{"relayd_plugin_store_query_truncated_total", 1},
		{"relayd_plugin_store_query_timeouts_total", 2},
		{"relayd_plugin_store_query_errors_total", 4},
		{"relayd_plugin_ticks_total", 7},
		{"relayd_plugin_tick_failures_total", 1},
		{"relayd_plugin_tick_seconds_total", 1.5},
	}
	for _, tc := range tests {
		if got := series(t, reg, tc.name); got["plugin=wot"] != tc.want || len(got) != 1 {
			t.Errorf("%s: got %v, want plugin=wot %v", tc.name, got, tc.want)
		}
	}
}

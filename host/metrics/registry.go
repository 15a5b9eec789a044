package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// LatencyBuckets returns the bucket bounds, in seconds, of relayd's request
// latency histograms (OK latency, REQ to EOSE, store commit): 100 µs to
// 10 s, about 2.5 apart.
func LatencyBuckets() []float64 {
	return []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// HookBuckets returns the bucket bounds, in seconds, of the plugin hook
// call histogram: 1 µs (a cheap guest call) to 1 s (past any sane timeout).
func HookBuckets() []float64 {
	return []float64{.000001, .0000025, .000005, .00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}
}

// NewRuntimeRegistry returns a registry holding the Go runtime collector
// (go_*) and the process collector (process_*). It is kept apart from the
// relay's registry because the process collector reads /proc/self/fd, one
// entry per open connection: fine for a scrape, not for every poll of the
// status page, which gathers only the relay's registry.
func NewRuntimeRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the metrics of gs in the Prometheus text format (or
// OpenMetrics, if the scraper asks for it). A collector that fails is
// reported in the response and does not hide the others.
func Handler(gs ...prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(prometheus.Gatherers(gs), promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// LoadFailures reports the plugins whose files on disk failed to load, as
// relayd_plugin_load_failed{plugin,version} 1 (the version of the files
// that failed; the plugin runs its previous version, if it had one). It
// reads them when scraped from failed, wasmhost's Manager.Failed, which
// does not wait for a reload in progress: the last answer is served
// meanwhile.
type LoadFailures struct {
	desc   *prometheus.Desc
	failed func() (map[string]string, bool)

	mu   sync.Mutex
	last map[string]string
}

var _ prometheus.Collector = (*LoadFailures)(nil)

// NewLoadFailures registers a LoadFailures reading failed in reg.
func NewLoadFailures(reg prometheus.Registerer, failed func() (map[string]string, bool)) (*LoadFailures, error) {
	l := &LoadFailures{
		desc: prometheus.NewDesc("relayd_plugin_load_failed",
			"1 for each plugin whose files on disk failed to load (version: of those files); the plugin runs its previous version, if any. See the log for why.",
			[]string{"plugin", "version"}, nil),
		failed: failed,
	}
	if err := reg.Register(l); err != nil {
		return nil, err
	}
	return l, nil
}

// Describe implements prometheus.Collector.
func (l *LoadFailures) Describe(ch chan<- *prometheus.Desc) { ch <- l.desc }

// Collect implements prometheus.Collector.
func (l *LoadFailures) Collect(ch chan<- prometheus.Metric) {
	failed, ok := l.failed()
	l.mu.Lock()
	if ok {
		l.last = failed
	} else {
		failed = l.last
	}
	l.mu.Unlock()
	for name, ver := range failed {
		ch <- prometheus.MustNewConstMetric(l.desc, prometheus.GaugeValue, 1, name, ver)
	}
}

package metrics

import "github.com/prometheus/client_golang/prometheus"

// PluginSource is a plugin the relay runs: its name, the hex sha256 of
// its .wasm and where it came from ("local" or "pushed").
type PluginSource struct {
	Name, SHA256, Source string
}

// Sources reports the plugins the relay runs as
// relayd_plugin_source_info{plugin,sha256,source} 1: the full sha256 of
// each running .wasm (what `sha256sum NAME.wasm` prints, the same on
// every node of a cluster that runs the same push) and whether it comes
// from the node's plugin directory or was pushed to the cluster. It reads
// them when scraped from running, which must not block (wasmhost's
// Manager.Running).
type Sources struct {
	desc    *prometheus.Desc
	running func() []PluginSource
}

var _ prometheus.Collector = (*Sources)(nil)

// NewSources registers a Sources reading running in reg.
func NewSources(reg prometheus.Registerer, running func() []PluginSource) (*Sources, error) {
	s := &Sources{
		desc: prometheus.NewDesc("relayd_plugin_source_info",
			"1 for each running plugin, with the sha256 of its .wasm and its source: local (the plugin directory) or pushed (the cluster's object store).",
			[]string{"plugin", "sha256", "source"}, nil),
		running: running,
	}
	if err := reg.Register(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Describe implements prometheus.Collector.
func (s *Sources) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

// Collect implements prometheus.Collector.
func (s *Sources) Collect(ch chan<- prometheus.Metric) {
	for _, p := range s.running() {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, 1, p.Name, p.SHA256, p.Source)
	}
}

package status

import (
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// Status is the document /status.json serves.
type Status struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version"`
	// Now is the server's clock (unix seconds) when the numbers were read;
	// the page divides differences of counters by differences of Now.
	Now       float64 `json:"now"`
	StartedAt float64 `json:"started_at"`
	Uptime    float64 `json:"uptime_seconds"`
	// Starting is true while the plugins load (relayd_starting).
	Starting      bool    `json:"starting"`
	Connections   float64 `json:"connections"`
	Subscriptions float64 `json:"subscriptions"`
	// EventsReceived counts the EVENTs answered with an OK
	// (relayd_ok_latency_seconds_count); the page shows its rate.
	EventsReceived float64 `json:"events_received"`
	EventsStored   float64 `json:"events_stored"`
	StoreBytes     float64 `json:"store_bytes"`
	// Plugins is the chain in order, then the plugins whose files failed
	// to load and that run no version (Position -1).
	Plugins   []Plugin `json:"plugins"`
	SyncPeers []Peer   `json:"sync_peers"`
}

// Plugin is one plugin of the chain. Its counts are those of the running
// version, since it was loaded.
type Plugin struct {
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Position int      `json:"position"` // in the chain, from 0; -1: not loaded
	Hooks    []string `json:"hooks"`
	Mode     string   `json:"mode"`     // enforce or shadow
	OnError  string   `json:"on_error"` // open or closed
	LoadedAt float64  `json:"loaded_at"`
	Calls    float64  `json:"calls"`
	Errors   float64  `json:"errors"`
	// Verdicts are the non-zero verdict counts, by verdict and prefix,
	// over all hooks.
	Verdicts []Verdict `json:"verdicts"`
	// SHA256 is the full sha256 of the running .wasm and Source where it
	// came from: "local" (the plugin directory) or "pushed" (the
	// cluster's object store); from relayd_plugin_source_info.
	SHA256 string `json:"sha256,omitempty"`
	Source string `json:"source,omitempty"`
	// LoadFailed is the version of the plugin's files on disk when they
	// failed to load at the last reload (the log says why); empty when
	// the last load of the plugin succeeded.
	LoadFailed string `json:"load_failed,omitempty"`
}

// Verdict is a count of one verdict (accept, reject, shadow_reject,
// rewrite, rate_limited) with its NIP-01 prefix, if a refusal.
type Verdict struct {
	Verdict string  `json:"verdict"`
	Prefix  string  `json:"prefix,omitempty"`
	Count   float64 `json:"count"`
}

// Peer is a sync peer and the state of the sync with it. Nothing fills it
// yet: see Options.Peers.
type Peer struct {
	URL   string `json:"url"`
	State string `json:"state"`
}

// families are gathered metric families by name.
type families map[string]*dto.MetricFamily

func index(fs []*dto.MetricFamily) families {
	m := make(families, len(fs))
	for _, f := range fs {
		m[f.GetName()] = f
	}
	return m
}

// value sums the series of name whose labels match (name, value pairs);
// a histogram counts its observations.
func (fs families) value(name string, match ...string) float64 {
	var v float64
	for _, m := range fs.series(name, match...) {
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Histogram != nil:
			v += float64(m.Histogram.GetSampleCount())
		}
	}
	return v
}

func (fs families) series(name string, match ...string) []*dto.Metric {
	f := fs[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.Metric {
		ok := true
		for i := 0; i+1 < len(match) && ok; i += 2 {
			ok = label(m, match[i]) == match[i+1]
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// plugins reads the chain from relayd_plugin_info and each plugin's counts
// from relayd_plugin_verdicts_total and relayd_plugin_loaded_timestamp_seconds,
// its sha256 and source from relayd_plugin_source_info, then adds the load
// failures (relayd_plugin_load_failed).
func (fs families) plugins() []Plugin {
	var out []Plugin
	byName := map[string]int{}
	for _, m := range fs.series("relayd_plugin_info") {
		p := Plugin{Name: label(m, "plugin"), Version: label(m, "version"), Mode: label(m, "mode"), OnError: label(m, "on_error"),
			Hooks: []string{}, Verdicts: []Verdict{}}
		p.Position, _ = strconv.Atoi(label(m, "position"))
		if h := label(m, "hooks"); h != "" {
			p.Hooks = strings.Split(h, ",")
		}
		p.LoadedAt = fs.value("relayd_plugin_loaded_timestamp_seconds", "plugin", p.Name, "version", p.Version)
		p.verdicts(fs)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	for i, p := range out {
		byName[p.Name] = i
	}
	for _, m := range fs.series("relayd_plugin_source_info") {
		if i, ok := byName[label(m, "plugin")]; ok {
			out[i].SHA256, out[i].Source = label(m, "sha256"), label(m, "source")
		}
	}
	for _, m := range fs.series("relayd_plugin_load_failed") {
		name, ver := label(m, "plugin"), label(m, "version")
		if i, ok := byName[name]; ok {
			out[i].LoadFailed = ver
			continue
		}
		out = append(out, Plugin{Name: name, Position: -1, Hooks: []string{}, Verdicts: []Verdict{}, LoadFailed: ver})
	}
	return out
}

// verdicts fills p's counts from its version's verdict series.
func (p *Plugin) verdicts(fs families) {
	sum := map[[2]string]float64{}
	for _, m := range fs.series("relayd_plugin_verdicts_total", "plugin", p.Name, "version", p.Version) {
		n := m.GetCounter().GetValue()
		p.Calls += n
		v := label(m, "verdict")
		if v == "error" {
			p.Errors += n
			continue
		}
		sum[[2]string{v, label(m, "prefix")}] += n
	}
	for k, n := range sum {
		if n > 0 {
			p.Verdicts = append(p.Verdicts, Verdict{Verdict: k[0], Prefix: k[1], Count: n})
		}
	}
	sort.Slice(p.Verdicts, func(i, j int) bool {
		a, b := p.Verdicts[i], p.Verdicts[j]
		return a.Verdict < b.Verdict || a.Verdict == b.Verdict && a.Prefix < b.Prefix
	})
}

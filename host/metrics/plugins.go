package metrics

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/policy"
)

// keptVersions is how many versions of one plugin keep their verdict
// series: the running one and the three before it. Each hot reload of a
// changed plugin makes a new version; without a bound, a day of editing a
// plugin would leave thousands of series behind.
const keptVersions = 4

// Label values of relayd_plugin_verdicts_total{verdict}, by index.
var verdictNames = [...]string{"accept", "reject", "shadow_reject", "rewrite", "rate_limited", "error"}

const (
	verdictError = 5
	numVerdicts  = len(verdictNames)
	numHooks     = int(policy.HookManage) + 1
	numPrefixes  = int(policy.PrefixMute) + 1
)

// Plugins measures the policy chain per plugin. It is the policy.Observer
// host/server sets on the chain's Holder, so every chain the plugin manager
// installs reports here. Its methods are safe for concurrent use.
//
// What a plugin did is kept per plugin name and version (the plugin's
// Version method, host/wasmhost: a hash of its files), not per chain: a
// reload that leaves a plugin unchanged hands it the recorder it had, so
// its counters go on, and a changed plugin starts series of its own while
// the old version's stay as they were (the last keptVersions versions of
// each plugin are kept).
type Plugins struct {
	seconds  *prometheus.HistogramVec // plugin, hook
	verdicts *prometheus.CounterVec   // plugin, version, hook, verdict, prefix
	info     *prometheus.GaugeVec     // plugin, version, position, mode, on_error, hooks
	loadedAt *prometheus.GaugeVec     // plugin, version
	now      func() time.Time

	mu      sync.Mutex
	recs    map[pluginKey]*recorder
	history map[string][]string // each plugin's versions, least recently installed first
	current map[string]string   // plugin → version in the chain last installed
	infos   []prometheus.Labels // info label sets set by the last install
}

type pluginKey struct{ name, version string }

var _ policy.Observer = (*Plugins)(nil)

// NewPlugins registers the plugin metrics in reg.
func NewPlugins(reg prometheus.Registerer) (*Plugins, error) {
	m := &Plugins{
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "relayd_plugin_hook_seconds",
			Help:    "Time each plugin spent per hook call.",
			Buckets: HookBuckets(),
		}, []string{"plugin", "hook"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relayd_plugin_verdicts_total",
			Help: "Hook calls per plugin version by the verdict the plugin gave (before shadow mode or on_error applied) and its NIP-01 prefix; verdict=\"error\" counts failed calls.",
		}, []string{"plugin", "version", "hook", "verdict", "prefix"}),
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "relayd_plugin_info",
			Help: "1 for each plugin in the running chain, at its position (0 first), with its mode, on_error and hooks.",
		}, []string{"plugin", "version", "position", "mode", "on_error", "hooks"}),
		loadedAt: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "relayd_plugin_loaded_timestamp_seconds",
			Help: "When each plugin version entered the running chain (unix seconds).",
		}, []string{"plugin", "version"}),
		now:     time.Now,
		recs:    map[pluginKey]*recorder{},
		history: map[string][]string{},
		current: map[string]string{},
	}
	for _, c := range []prometheus.Collector{m.seconds, m.verdicts, m.info, m.loadedAt} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: plugins: %w", err)
		}
	}
	return m, nil
}

// Observe implements policy.Observer: it returns each entry's recorder and
// makes the info and load-time series describe the new chain.
func (m *Plugins) Observe(entries []policy.Entry) []policy.Recorder {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := float64(m.now().UnixNano()) / 1e9
	recs := make([]policy.Recorder, len(entries))
	next := make(map[string]string, len(entries))
	infos := make([]prometheus.Labels, len(entries))
	for i, e := range entries {
		name, ver := e.Policy.Name(), versionOf(e.Policy)
		recs[i] = m.recorder(name, ver, e.Policy.Hooks())
		if old, ok := m.current[name]; !ok || old != ver {
			m.loadedAt.WithLabelValues(name, ver).Set(now)
			m.installed(name, ver)
		}
		next[name] = ver
		infos[i] = prometheus.Labels{"plugin": name, "version": ver, "position": strconv.Itoa(i),
			"mode": modeName(e.Mode), "on_error": failName(e.OnErr), "hooks": hookNames(e.Policy.Hooks())}
	}
	for _, l := range m.infos {
		m.info.Delete(l)
	}
	for _, l := range infos {
		m.info.With(l).Set(1)
	}
	m.current, m.infos = next, infos
	return recs
}

// recorder returns the recorder of one plugin version, made on first use.
// Lock should be held.
func (m *Plugins) recorder(name, ver string, hooks policy.HookSet) *recorder {
	k := pluginKey{name, ver}
	if r := m.recs[k]; r != nil {
		return r
	}
	r := &recorder{vec: m.verdicts, plugin: name, version: ver}
	for _, h := range hooks.List() {
		if int(h) >= numHooks {
			continue
		}
		r.seconds[h] = m.seconds.WithLabelValues(name, h.String())
		// Made now, so that rate() sees them from zero.
		r.counter(h, 0, 0)
		r.counter(h, verdictError, 0)
	}
	m.recs[k] = r
	return r
}

// installed moves ver to the end of name's history and forgets the series
// of the versions beyond keptVersions. Lock should be held.
func (m *Plugins) installed(name, ver string) {
	h := m.history[name]
	for i, v := range h {
		if v == ver {
			h = append(h[:i], h[i+1:]...)
			break
		}
	}
	h = append(h, ver)
	for len(h) > keptVersions {
		old := h[0]
		h = h[1:]
		m.verdicts.DeletePartialMatch(prometheus.Labels{"plugin": name, "version": old})
		m.loadedAt.DeleteLabelValues(name, old)
		delete(m.recs, pluginKey{name, old})
	}
	m.history[name] = h
}

// versionOf returns p's version, if it has one (wasmhost plugins do).
func versionOf(p policy.Policy) string {
	if v, ok := p.(interface{ Version() string }); ok {
		return v.Version()
	}
	return ""
}

// recorder is one plugin version's policy.Recorder. Its label children are
// made once each and kept in atomic slots, so a call costs a histogram
// observation and a counter increment, never a label lookup.
type recorder struct {
	vec             *prometheus.CounterVec
	plugin, version string
	seconds         [numHooks]prometheus.Observer
	counts          [numHooks * numVerdicts * numPrefixes]atomic.Pointer[counterRef]
}

type counterRef struct{ c prometheus.Counter }

// Record implements policy.Recorder.
func (r *recorder) Record(h policy.Hook, a policy.Action, p policy.Prefix, err error, took time.Duration) {
	if int(h) >= numHooks {
		return
	}
	if o := r.seconds[h]; o != nil {
		o.Observe(took.Seconds())
	}
	v, pf := verdictIndex(a, p, err)
	if c := r.counts[(int(h)*numVerdicts+v)*numPrefixes+pf].Load(); c != nil {
		c.c.Inc()
		return
	}
	r.counter(h, v, pf).Inc()
}

// counter returns the child for (h, verdict v, prefix pf), making it on
// first use.
func (r *recorder) counter(h policy.Hook, v, pf int) prometheus.Counter {
	slot := &r.counts[(int(h)*numVerdicts+v)*numPrefixes+pf]
	if c := slot.Load(); c != nil {
		return c.c
	}
	c := r.vec.WithLabelValues(r.plugin, r.version, h.String(), verdictNames[v], prefixName(pf))
	slot.Store(&counterRef{c})
	return c
}

// verdictIndex maps a call's outcome to its verdict and prefix indexes. A
// prefix is kept only for refusals, as the relay would send it: the
// default prefix is "blocked", or "rate-limited" for RateLimited.
func verdictIndex(a policy.Action, p policy.Prefix, err error) (v, pf int) {
	switch {
	case err != nil:
		return verdictError, 0
	case a == policy.Reject:
		v = 1
	case a == policy.ShadowReject:
		v = 2
	case a == policy.RateLimited:
		v = 4
	case a == policy.Rewrite:
		return 3, 0
	default:
		return 0, 0 // Accept, or an action this build does not know
	}
	switch {
	case p == policy.PrefixDefault && a == policy.RateLimited:
		p = policy.PrefixRateLimited
	case p == policy.PrefixDefault || int(p) >= numPrefixes:
		p = policy.PrefixBlocked
	}
	return v, int(p)
}

func prefixName(pf int) string {
	if pf == 0 {
		return ""
	}
	return policy.Prefix(pf).String()
}

func modeName(m policy.Mode) string {
	if m == policy.Shadow {
		return "shadow"
	}
	return "enforce"
}

func failName(f policy.FailMode) string {
	if f == policy.FailClosed {
		return "closed"
	}
	return "open"
}

func hookNames(hs policy.HookSet) string {
	var names []string
	for _, h := range hs.List() {
		names = append(names, h.String())
	}
	return strings.Join(names, ",")
}

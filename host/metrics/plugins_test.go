package metrics_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/relayd/relayd/host/metrics"
	"github.com/relayd/relayd/host/policy"
)

// plugin is a policy with a name, a version and the event hook.
type plugin struct {
	policy.Base
	name, version string
}

func (p plugin) Name() string          { return p.name }
func (p plugin) Version() string       { return p.version }
func (p plugin) Hooks() policy.HookSet { return policy.Hooks(policy.HookEvent) }

// series returns name's series as "label=value,..." -> value, labels
// sorted, for the series whose labels contain every filter string.
func series(t *testing.T, reg *prometheus.Registry, name string, filter ...string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range mfs {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.Metric {
			var kv []string
			for _, l := range m.Label {
				kv = append(kv, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(kv)
			key := strings.Join(kv, ",")
			keep := true
			for _, s := range filter {
				keep = keep && strings.Contains(key, s)
			}
			if keep {
				out[key] = value(m)
			}
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// TestRecordLabels: each outcome of a call lands in the verdict and
// prefix the relay would answer with.
func TestRecordLabels(t *testing.T) {
	tests := []struct {
		name          string
		a             policy.Action
		p             policy.Prefix
		err           error
		verdict, pref string
	}{
		{"accept", policy.Accept, 0, nil, "accept", ""},
		{"accept ignores a prefix", policy.Accept, policy.PrefixPow, nil, "accept", ""},
		{"reject, default prefix", policy.Reject, 0, nil, "reject", "blocked"},
		{"reject with a prefix", policy.Reject, policy.PrefixPow, nil, "reject", "pow"},
		{"shadow reject", policy.ShadowReject, policy.PrefixInvalid, nil, "shadow_reject", "invalid"},
		{"rate limited, default prefix", policy.RateLimited, 0, nil, "rate_limited", "rate-limited"},
		{"rate limited with a prefix", policy.RateLimited, policy.PrefixRestricted, nil, "rate_limited", "restricted"},
		{"rewrite", policy.Rewrite, 0, nil, "rewrite", ""},
		{"unknown prefix", policy.Reject, 200, nil, "reject", "blocked"},
		{"unknown action", 77, 0, nil, "accept", ""},
		{"error", policy.Reject, policy.PrefixPow, errors.New("trap"), "error", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			pm, err := metrics.NewPlugins(reg)
			if err != nil {
				t.Fatal(err)
			}
			rec := pm.Observe([]policy.Entry{{Policy: plugin{name: "p", version: "v"}}})[0]
			rec.Record(policy.HookEvent, tc.a, tc.p, tc.err, time.Millisecond)
			key := fmt.Sprintf("hook=event,plugin=p,prefix=%s,verdict=%s,version=v", tc.pref, tc.verdict)
			got := series(t, reg, "relayd_plugin_verdicts_total")
			if got[key] != 1 {
				t.Fatalf("got %v, want %s = 1", got, key)
			}
			if h := series(t, reg, "relayd_plugin_hook_seconds"); h["hook=event,plugin=p"] != 1 {
				t.Fatalf("hook seconds %v", h)
			}
		})
	}
}

// TestPluginsKeepCountersAcrossChains: a plugin that keeps its version
// keeps its counters when a new chain is installed; info and load time
// follow the chain; only the last four versions of a plugin keep series.
func TestPluginsKeepCountersAcrossChains(t *testing.T) {
	reg := prometheus.NewRegistry()
	pm, err := metrics.NewPlugins(reg)
	if err != nil {
		t.Fatal(err)
	}
	var h policy.Holder
	h.Observe(pm)
	install := func(ps ...plugin) []policy.Recorder {
		var es []policy.Entry
		for _, p := range ps {
			es = append(es, policy.Entry{Policy: p})
		}
		return pm.Observe(es)
	}
	reject := func(r policy.Recorder) { r.Record(policy.HookEvent, policy.Reject, 0, nil, time.Microsecond) }
	rejects := func(ver string) float64 {
		return series(t, reg, "relayd_plugin_verdicts_total", "plugin=a,", "verdict=reject", "version="+ver)["hook=event,plugin=a,prefix=blocked,verdict=reject,version="+ver]
	}

	reject(install(plugin{name: "a", version: "v1"})[0])
	reject(install(plugin{name: "b", version: "w1"}, plugin{name: "a", version: "v1"})[1])
	if n := rejects("v1"); n != 2 {
		t.Fatalf("a v1 rejects %v after another chain, want 2", n)
	}
	if info := series(t, reg, "relayd_plugin_info"); len(info) != 2 ||
		info["hooks=event,mode=enforce,on_error=open,plugin=a,position=1,version=v1"] != 1 {
		t.Fatalf("info %v", info)
	}
	for i := 2; i <= 6; i++ {
		reject(install(plugin{name: "a", version: fmt.Sprint("v", i)})[0])
	}
	var kept []string
	for k := range series(t, reg, "relayd_plugin_loaded_timestamp_seconds", "plugin=a,") {
		kept = append(kept, strings.TrimPrefix(k, "plugin=a,version="))
	}
	sort.Strings(kept)
	if strings.Join(kept, " ") != "v3 v4 v5 v6" {
		t.Fatalf("versions kept %v, want the last four", kept)
	}
	if rejects("v1") != 0 || rejects("v2") != 0 || rejects("v6") != 1 {
		t.Fatalf("verdicts %v", series(t, reg, "relayd_plugin_verdicts_total", "verdict=reject"))
	}
	if info := series(t, reg, "relayd_plugin_info"); len(info) != 1 {
		t.Fatalf("info %v, want only a v6", info)
	}
	// The hook time is per plugin, over its versions.
	if n := series(t, reg, "relayd_plugin_hook_seconds")["hook=event,plugin=a"]; n != 7 {
		t.Fatalf("a's hook calls timed %v, want 7", n)
	}
}

// TestLoadFailuresWhileBusy: while the manager is busy (a reload), the
// last answer is served rather than none.
func TestLoadFailuresWhileBusy(t *testing.T) {
	reg := prometheus.NewRegistry()
	answer, ok := map[string]string{"x": "abc"}, true
	if _, err := metrics.NewLoadFailures(reg, func() (map[string]string, bool) {
		if !ok {
			return nil, false
		}
		return answer, true
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"plugin=x,version=abc": 1}
	for _, busy := range []bool{false, true} {
		ok = !busy
		if got := series(t, reg, "relayd_plugin_load_failed"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("busy=%v: got %v, want %v", busy, got, want)
		}
	}
}

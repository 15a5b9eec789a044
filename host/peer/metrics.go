package peer

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/relay"
)

// Collector returns a prometheus.Collector for every peer's counters,
// labelled peer (its index in the config) and url; the server registers
// it in relayd's registry (docs/metrics.md lists the metrics). It reads
// the peers' atomics when scraped, which costs the sync paths nothing.
func (g *Group) Collector() prometheus.Collector {
	return NewCollector(func() *Group { return g })
}

// NewCollector is Collector for whichever Group current returns when
// scraped (nil: none), for a relay whose peers a config reload replaces.
func NewCollector(current func() *Group) prometheus.Collector {
	return &collector{current: current,
		in: prometheus.NewDesc("relayd_sync_events_in_total",
			"Events received from each sync peer, by what the relay made of them.", []string{"peer", "url", "outcome"}, nil),
		out: prometheus.NewDesc("relayd_sync_events_out_total",
			"Events sent to each sync peer, by its answer.", []string{"peer", "url", "result"}, nil),
		dropped: prometheus.NewDesc("relayd_sync_dropped_total",
			"Events a sync peer sent that were not asked for or did not match the filter.", []string{"peer", "url"}, nil),
		errors: prometheus.NewDesc("relayd_sync_errors_total",
			"Failed syncs and lost live subscriptions of each sync peer.", []string{"peer", "url"}, nil),
		syncs: prometheus.NewDesc("relayd_sync_syncs_total",
			"Completed syncs with each sync peer.", []string{"peer", "url"}, nil),
		last: prometheus.NewDesc("relayd_sync_last_success_timestamp_seconds",
			"When the last sync with each peer completed (unix time; 0: never).", []string{"peer", "url"}, nil),
		live: prometheus.NewDesc("relayd_sync_live",
			"1 while the live subscription to the peer is open.", []string{"peer", "url"}, nil),
	}
}

// collector reads the peers' counters when scraped.
type collector struct {
	current                                     func() *Group
	in, out, dropped, errors, syncs, last, live *prometheus.Desc
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.in, c.out, c.dropped, c.errors, c.syncs, c.last, c.live} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	g := c.current()
	if g == nil {
		return
	}
	for i, p := range g.peers {
		id, url, s := strconv.Itoa(i), p.cfg.URL, &p.stats
		for o := relay.OutcomeStored; o <= relay.OutcomeFailed; o++ {
			ch <- prometheus.MustNewConstMetric(c.in, prometheus.CounterValue, float64(s.In[o].Load()), id, url, o.String())
		}
		for u := UploadAccepted; u <= UploadRefused; u++ {
			ch <- prometheus.MustNewConstMetric(c.out, prometheus.CounterValue, float64(s.Out[u].Load()), id, url, u.String())
		}
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(s.Dropped.Load()), id, url)
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(s.Errors.Load()), id, url)
		ch <- prometheus.MustNewConstMetric(c.syncs, prometheus.CounterValue, float64(s.Syncs.Load()), id, url)
		ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, float64(s.LastSync.Load()), id, url)
		ch <- prometheus.MustNewConstMetric(c.live, prometheus.GaugeValue, float64(s.Live.Load()), id, url)
	}
}

package peer

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/relayd/relayd/host/relay"
)

// WriteMetrics writes every peer's counters in the Prometheus text format,
// labelled peer (its index in the config) and url; relay.Options'
// ExtraMetrics takes it.
func (g *Group) WriteMetrics(w io.Writer) {
	if len(g.peers) == 0 {
		return
	}
	type metric struct {
		name, help, typ string
		each            func(w io.Writer, name, labels string, s *Stats)
	}
	plain := func(get func(*Stats) int64) func(io.Writer, string, string, *Stats) {
		return func(w io.Writer, name, labels string, s *Stats) {
			fmt.Fprintf(w, "%s{%s} %d\n", name, labels, get(s))
		}
	}
	metrics := []metric{
		{"relayd_sync_events_in_total", "Events received from each sync peer, by what the relay made of them.", "counter",
			func(w io.Writer, name, labels string, s *Stats) {
				for o := relay.OutcomeStored; o <= relay.OutcomeFailed; o++ {
					fmt.Fprintf(w, "%s{%s,outcome=%q} %d\n", name, labels, o.String(), s.In[o].Load())
				}
			}},
		{"relayd_sync_events_out_total", "Events sent to each sync peer, by its answer.", "counter",
			func(w io.Writer, name, labels string, s *Stats) {
				for u := UploadAccepted; u <= UploadRefused; u++ {
					fmt.Fprintf(w, "%s{%s,result=%q} %d\n", name, labels, u.String(), s.Out[u].Load())
				}
			}},
		{"relayd_sync_dropped_total", "Events a sync peer sent that were not asked for or did not match the filter.", "counter",
			plain(func(s *Stats) int64 { return int64(s.Dropped.Load()) })},
		{"relayd_sync_errors_total", "Failed syncs and lost live subscriptions of each sync peer.", "counter",
			plain(func(s *Stats) int64 { return int64(s.Errors.Load()) })},
		{"relayd_sync_syncs_total", "Completed syncs with each sync peer.", "counter",
			plain(func(s *Stats) int64 { return int64(s.Syncs.Load()) })},
		{"relayd_sync_last_success_timestamp_seconds", "When the last sync with each peer completed (unix time; 0: never).", "gauge",
			plain(func(s *Stats) int64 { return s.LastSync.Load() })},
		{"relayd_sync_live", "1 while the live subscription to the peer is open.", "gauge",
			plain(func(s *Stats) int64 { return s.Live.Load() })},
	}
	for _, m := range metrics {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		for i, p := range g.peers {
			m.each(w, m.name, `peer="`+strconv.Itoa(i)+`",url="`+labelValue(p.cfg.URL)+`"`, &p.stats)
		}
	}
}

// labelValue escapes a Prometheus label value.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// Package peers_test checks [[sync]] peers end to end: two real relayd
// servers (badger on disk, WASM plugins, real websockets), one syncing
// with the other as its config says.
package peers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// signed makes n events of kind by k, a second apart from base.
func signed(t *testing.T, k wsc.Key, kind, n int, tag string, base nostr.Timestamp) []*nostr.Event {
	t.Helper()
	out := make([]*nostr.Event, n)
	for i := range out {
		out[i] = k.Sign(t, kind, fmt.Sprintf("%s %d", tag, i), base+nostr.Timestamp(i))
	}
	return out
}

// publish sends the events pipelined and fails unless each is stored.
func publish(t *testing.T, url string, lists ...[]*nostr.Event) {
	t.Helper()
	c := wsc.Dial(t, url)
	n := 0
	for _, evs := range lists {
		for _, ev := range evs {
			b, _ := json.Marshal([]any{"EVENT", ev})
			if _, err := c.NC.Write(wsc.Frame(b)); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	for range n {
		if ok := c.ReadOK(); !ok.Accepted {
			t.Fatalf("publish: %v", ok)
		}
	}
}

// ids returns the ids of every event the relay serves.
func ids(t *testing.T, url string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, ev := range wsc.Dial(t, url).Req("all", nostr.Filter{Limit: 5000}) {
		out[ev.ID] = true
	}
	return out
}

func idSet(lists ...[]*nostr.Event) map[string]bool {
	out := map[string]bool{}
	for _, evs := range lists {
		for _, ev := range evs {
			out[ev.ID] = true
		}
	}
	return out
}

// sameSet compares two id sets, naming the first difference.
func sameSet(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	for id := range want {
		if !got[id] {
			t.Errorf("%s: %d ids, want %d; %s missing", what, len(got), len(want), id)
			return
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("%s: %d ids, want %d; %s extra", what, len(got), len(want), id)
			return
		}
	}
}

// Prometheus writes label pairs sorted by name: outcome comes before peer,
// result between peer and url.
var metricRE = regexp.MustCompile(`(?m)^(relayd_sync_[a-z_]+)\{(?:outcome="([a-z]+)",)?peer="0",(?:result="([a-z]+)",)?url="[^"]*"\} (\S+)$`)

// peerMetrics reads the relay's /metrics and returns peer 0's values, by
// name, or name/label for the labelled ones.
func peerMetrics(t *testing.T, url string) map[string]int64 {
	t.Helper()
	resp, err := http.Get("http" + strings.TrimPrefix(url, "ws") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]int64{}
	for _, m := range metricRE.FindAllStringSubmatch(string(b), -1) {
		name := m[1]
		if label := m[2] + m[3]; label != "" {
			name += "/" + label
		}
		v, _ := strconv.ParseFloat(m[4], 64)
		out[name] = int64(v)
	}
	return out
}

// waitMetric polls peer 0's metric name until ok accepts it.
func waitMetric(t *testing.T, r *relaydtest.Relay, name string, ok func(int64) bool) map[string]int64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		m := peerMetrics(t, r.URL)
		if ok(m[name]) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed %d; metrics %v\n%s", name, m[name], m, r.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncsrc copies the syncsrc WAT policy into a new plugin directory: it
// refuses kind 7 and kind 9 events that come with source Sync.
func syncsrc(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	relaydtest.CopyPlugin(t, dir, "syncsrc", "../../host/wasmhost/testdata/wat/syncsrc.wasm", "")
	return dir
}

// TestPeersConverge: relay A has a [[sync]] peer B, dir both, and a WASM
// policy that refuses B's reactions and chats (source Sync); each relay
// has events the other lacks. After A's first sync both hold every event,
// except that A lacks exactly the refused ones; A's /metrics counts them.
func TestPeersConverge(t *testing.T) {
	b := relaydtest.Start(t, relaydtest.Default(""))
	k := wsc.NewKey()
	base := nostr.Now() - 10000
	shared, onB, onA := signed(t, k, 1, 300, "shared", base), signed(t, k, 1, 700, "on b", base+1000), signed(t, k, 1, 500, "on a", base+2000)
	likes, chats := signed(t, k, 7, 40, "+", base+3000), signed(t, k, 9, 10, "chat", base+3100)
	publish(t, b.URL, shared, onB, likes, chats)

	cfg := relaydtest.Default(syncsrc(t))
	cfg.DataDir = t.TempDir()
	first := relaydtest.Start(t, cfg)
	publish(t, first.URL, shared, onA)
	first.Stop()

	cfg.Sync = []config.SyncPeer{{URL: b.URL, Dir: "both"}}
	started := time.Now().Unix()
	a := relaydtest.Start(t, cfg)
	m := waitMetric(t, a, "relayd_sync_syncs_total", func(v int64) bool { return v >= 1 })
	sameSet(t, "A", ids(t, a.URL), idSet(shared, onB, onA))
	sameSet(t, "B", ids(t, b.URL), idSet(shared, onB, onA, likes, chats))
	want := map[string]int64{"relayd_sync_events_in_total/stored": 700, "relayd_sync_events_in_total/refused": 50,
		"relayd_sync_events_out_total/accepted": 500, "relayd_sync_errors_total": 0}
	for name, v := range want {
		if m[name] != v {
			t.Errorf("%s = %d, want %d", name, m[name], v)
		}
	}
	if last := m["relayd_sync_last_success_timestamp_seconds"]; last < started {
		t.Errorf("last success %d, want at least %d (when A started)", last, started)
	}
}

// TestPeerLive: with live = true, an event published on the peer after
// the first sync reaches a client subscribed to the local relay, through
// the policy chain (a refused one does not).
func TestPeerLive(t *testing.T) {
	b := relaydtest.Start(t, relaydtest.Default(""))
	cfg := relaydtest.Default(syncsrc(t))
	cfg.Sync = []config.SyncPeer{{URL: b.URL, Live: true, Filter: `{"kinds":[1,7]}`}}
	a := relaydtest.Start(t, cfg)
	waitMetric(t, a, "relayd_sync_live", func(v int64) bool { return v == 1 })

	sub := wsc.Dial(t, a.URL)
	sub.Send("REQ", "feed", nostr.Filter{Kinds: []int{1, 7}})
	if msg := sub.Read(); wsc.Label(msg) != "EOSE" {
		t.Fatalf("got %s, want EOSE", msg)
	}
	k := wsc.NewKey()
	like, note := k.Sign(t, 7, "+", nostr.Now()), k.Sign(t, 1, "live from b", nostr.Now())
	publish(t, b.URL, []*nostr.Event{like, note})
	msg := sub.Read()
	if got := wsc.Event(t, msg); wsc.Label(msg) != "EVENT" || got.ID != note.ID {
		t.Fatalf("subscriber got %s, want the note %s (the like is refused)", msg, note.ID)
	}
	m := waitMetric(t, a, "relayd_sync_events_in_total/refused", func(v int64) bool { return v == 1 })
	if m["relayd_sync_events_in_total/stored"] != 1 {
		t.Errorf("events in: %v, want 1 stored and 1 refused", m)
	}
}

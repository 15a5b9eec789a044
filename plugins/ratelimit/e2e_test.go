package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/scrape"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// TestRatelimitE2E checks the answers of a real relayd over websockets:
// OK false for events, CLOSED for REQs, HTTP 429 for connections.
func TestRatelimitE2E(t *testing.T) {
	r := plugintest.Start(t, pluginName, plugintest.Build(t), `
pool = 2
[[config.rules]]
scope = "ip"
kinds = [1]
rate = 0.000001
burst = 3
[[config.rules]]
scope = "req"
rate = 0.000001
burst = 2
[[config.rules]]
scope = "connection"
rate = 0.000001
burst = 3
`)
	k := wsclient.NewKey()
	c := wsclient.Dial(t, r.URL) // connection 1 of 3
	for i := range 4 {
		got := c.Publish(k.Sign(t, 1, "note "+strconv.Itoa(i), nostr.Now()))
		if want := i < 3; got.Accepted != want {
			t.Fatalf("note %d: got %v, want accepted %v", i, got, want)
		}
		if i == 3 && !strings.HasPrefix(got.Reason, "rate-limited: events from your IP over 1e-06/s (burst 3), retry in ") {
			t.Errorf("note 3: got reason %q", got.Reason)
		}
	}
	if got := c.Publish(k.Sign(t, 7, "+", nostr.Now())); !got.Accepted {
		t.Errorf("kind 7 is not in the rule: got %v", got)
	}

	for i := range 2 {
		if evs := c.Req("s"+strconv.Itoa(i), nostr.Filter{Kinds: []int{1}}); len(evs) != 3 {
			t.Errorf("REQ %d: got %d events, want 3", i, len(evs))
		}
	}
	c.Send("REQ", "s2", nostr.Filter{Kinds: []int{1}})
	msg := c.Expect("CLOSED")
	if sub, reason := wsclient.Str(msg, 1), wsclient.Str(msg, 2); sub != "s2" ||
		!strings.HasPrefix(reason, "rate-limited: requests from your IP over 1e-06/s (burst 2), retry in ") {
		t.Errorf("REQ 3: got CLOSED %q %q", sub, reason)
	}

	wsclient.Dial(t, r.URL) // 2
	wsclient.Dial(t, r.URL) // 3
	status, body := plugintest.UpgradeStatus(t, r.URL)
	if status != http.StatusTooManyRequests || !strings.HasPrefix(body, "rate-limited: new connections from your IP") {
		t.Errorf("connection 4: got %d %q, want 429 rate-limited:", status, body)
	}

	// The README's metrics: three refusals (an event, a REQ, a connection).
	m := scrape.Get(t, "http://"+strings.TrimPrefix(r.URL, "ws://")+"/metrics")
	if n, _ := m.Value("relayd_plugin_verdicts_total", "plugin", "ratelimit", "verdict", "rate_limited", "prefix", "rate-limited"); n != 3 {
		t.Errorf("GET /metrics: %v rate_limited verdicts, want 3: %v", n, m.Labels("relayd_plugin_verdicts_total"))
	}
}

// TestRatelimitHammer races 20 connections of 20 events each against
// buckets of 50 that barely refill: exactly 50 events must get in, however
// the relay's plugin instances interleave.
func TestRatelimitHammer(t *testing.T) {
	const conns, perConn, burst = 20, 20, 50
	r := plugintest.Start(t, pluginName, plugintest.Build(t), `
pool = 4
[[config.rules]]
scope = "ip"
kinds = [1]
rate = 0.000001
burst = 50
[[config.rules]]
scope = "pubkey"
kinds = [7]
rate = 0.000001
burst = 50
`)
	tests := []struct {
		name string
		kind int
		key  func(i int) wsclient.Key
	}{
		{"ip in event_pre", 1, func(int) wsclient.Key { return wsclient.NewKey() }},
		{"pubkey in event", 7, func() func(int) wsclient.Key { k := wsclient.NewKey(); return func(int) wsclient.Key { return k } }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clients := make([]*wsclient.Client, conns)
			batches := make([][]byte, conns)
			for i := range clients {
				clients[i] = wsclient.Dial(t, r.URL)
				k := tc.key(i)
				for j := range perConn {
					ev := k.Sign(t, tc.kind, "hammer "+strconv.Itoa(i)+"/"+strconv.Itoa(j), nostr.Now())
					b, _ := json.Marshal([]any{"EVENT", ev})
					batches[i] = append(batches[i], wsclient.Frame(b)...)
				}
			}
			var mu sync.Mutex
			accepted := 0
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, c := range clients {
				wg.Go(func() {
					<-start
					n, err := hammer(c, batches[i], perConn)
					if err != nil {
						t.Errorf("connection %d: %v", i, err)
					}
					mu.Lock()
					accepted += n
					mu.Unlock()
				})
			}
			close(start)
			wg.Wait()
			if accepted != burst {
				t.Errorf("accepted %d events, want exactly %d", accepted, burst)
			}
			c := wsclient.Dial(t, r.URL)
			if got := c.Req("count", nostr.Filter{Kinds: []int{tc.kind}, Limit: 1000}); len(got) != burst {
				t.Errorf("relay stored %d events, want %d", len(got), burst)
			}
		})
	}
}

// hammer writes a batch of EVENT frames at once and reads their OKs. It
// returns how many were accepted, and an error for any refusal that is not
// a rate limit.
func hammer(c *wsclient.Client, batch []byte, n int) (int, error) {
	if _, err := c.NC.Write(batch); err != nil {
		return 0, err
	}
	accepted := 0
	for range n {
		f, err := c.Frame()
		if err != nil {
			return accepted, err
		}
		var msg []any
		if err := json.Unmarshal(f.Payload, &msg); err != nil || len(msg) != 4 || msg[0] != "OK" {
			return accepted, &unexpected{string(f.Payload)}
		}
		switch reason, _ := msg[3].(string); {
		case msg[2] == true && reason == "":
			accepted++
		case msg[2] == false && strings.HasPrefix(reason, "rate-limited: "):
		default:
			return accepted, &unexpected{string(f.Payload)}
		}
	}
	return accepted, nil
}

type unexpected struct{ msg string }

func (u *unexpected) Error() string { return "unexpected answer " + u.msg }

package relay_test

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// settle makes one COUNT round trip on c: the relay handles a
// connection's messages in order and observes each one's latency before
// it reads the next, so once the COUNT is answered every earlier message
// is in the metrics. (COUNT itself is not timed.)
func settle(t *testing.T, c *wsc.Client) {
	t.Helper()
	c.Send("COUNT", "settle", nostr.Filter{Kinds: []int{1}})
	c.Expect("COUNT")
}

// TestRelayMetricsAfterTraffic: after real traffic, /metrics counts one
// OK latency per EVENT sent, whatever its fate (stored, duplicate, refused
// by a policy, invalid, ephemeral), one REQ→EOSE latency per REQ answered
// with EOSE, and the policy's calls by verdict and prefix.
func TestRelayMetricsAfterTraffic(t *testing.T) {
	nope := &fnPolicy{name: "nope", event: func(in *policy.EventInput) policy.Verdict {
		if in.Event.Kind == 7 {
			return policy.RejectWith(policy.PrefixBlocked, "no reactions")
		}
		return policy.Verdict{}
	}}
	tr := start(t, relay.Options{}, enforce(nope))
	c := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	first := k.Sign(t, 1, "one", now())
	badSig := k.Sign(t, 1, "forged", now())
	badSig.Sig = strings.Repeat("0", 128)
	events := []struct {
		ev     *nostr.Event
		accept bool
	}{
		{first, true},
		{k.Sign(t, 1, "two", now()), true},
		{first, true}, // duplicate
		{k.Sign(t, 7, "+", now()), false},
		{badSig, false},
		{k.Sign(t, 20001, "ephemeral", now()), true},
	}
	for i, e := range events {
		if ok := c.Publish(e.ev); ok.Accepted != e.accept {
			t.Fatalf("EVENT %d: got %v, want accepted=%v", i, ok, e.accept)
		}
	}
	c.Req("a", nostr.Filter{Authors: []string{k.PK}})
	c.Req("b", nostr.Filter{Kinds: []int{7}})
	c.Send("REQ", "search", nostr.Filter{Search: "x"}) // refused: no EOSE
	c.Expect("CLOSED")
	settle(t, c)

	m := tr.metrics(t)
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"relayd_ok_latency_seconds", nil, float64(len(events))},
		{"relayd_req_eose_seconds", nil, 2},
		{"relayd_connections", nil, 1},
		{"relayd_subscriptions", nil, 2},
		{"relayd_events_stored_total", nil, 2},
		{"relayd_starting", nil, 0},
		{"relayd_plugin_verdicts_total", []string{"plugin", "nope", "hook", "event", "verdict", "reject", "prefix", "blocked"}, 1},
		// The policy sees the stored, duplicate and ephemeral events;
		// the forged one fails the signature check before it.
		{"relayd_plugin_verdicts_total", []string{"plugin", "nope", "hook", "event", "verdict", "accept", "prefix", ""}, 4},
		{"relayd_plugin_verdicts_total", []string{"plugin", "nope", "verdict", "error"}, 0},
		{"relayd_plugin_hook_seconds", []string{"plugin", "nope", "hook", "event"}, 5},
		{"relayd_plugin_info", []string{"plugin", "nope", "position", "0", "mode", "enforce", "on_error", "open", "hooks", "event"}, 1},
	}
	for _, tc := range tests {
		got, n := m.Value(tc.name, tc.labels...)
		if n == 0 {
			t.Errorf("%s%v: no such series; have %v", tc.name, tc.labels, m.Labels(tc.name))
			continue
		}
		if got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

// TestRelayMetricsOnlyForLocalClients: /metrics on the relay's port
// answers clients on this host, judged by the client IP that
// trusted_proxies yields, not by the TCP peer alone.
func TestRelayMetricsOnlyForLocalClients(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		header  map[string]string
		want    int
	}{
		{"loopback, no proxy", nil, nil, http.StatusOK},
		{"loopback peer with X-Forwarded-For, proxy not trusted", nil, map[string]string{"X-Forwarded-For": "127.0.0.1"}, http.StatusForbidden},
		{"loopback peer with X-Real-IP, proxy not trusted", nil, map[string]string{"X-Real-IP": "127.0.0.1"}, http.StatusForbidden},
		{"loopback peer with Forwarded, proxy not trusted", nil, map[string]string{"Forwarded": "for=127.0.0.1"}, http.StatusForbidden},
		{"trusted proxy, no X-Forwarded-For", loopback, nil, http.StatusOK},
		{"trusted proxy for a local client", loopback, map[string]string{"X-Forwarded-For": "127.0.0.1"}, http.StatusOK},
		{"trusted proxy for a remote client", loopback, map[string]string{"X-Forwarded-For": "203.0.113.9"}, http.StatusForbidden},
		{"remote client claiming loopback", loopback, map[string]string{"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := start(t, relay.Options{TrustedProxies: tc.trusted})
			req, _ := http.NewRequest(http.MethodGet, "http"+strings.TrimPrefix(tr.url, "ws")+"/metrics", nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if got, body := status(t, req); got != tc.want {
				t.Fatalf("got %d, want %d: %s", got, tc.want, body)
			}
		})
	}
}

// TestRelayMetricsRefuseNonLoopbackPeer: a client connecting from another
// address (this host's own non-loopback address: a real TCP peer that is
// not loopback) gets 403 for /metrics, and NIP-11 as before.
func TestRelayMetricsRefuseNonLoopbackPeer(t *testing.T) {
	ip := nonLoopbackIP(t)
	tr := start(t, relay.Options{})
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go tr.r.Serve(ln)
	base := "http://" + ln.Addr().String()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if got, body := status(t, req); got != http.StatusForbidden {
		t.Fatalf("/metrics from %s: got %d, want 403: %s", ip, got, body)
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/", nil)
	req.Header.Set("Accept", "application/nostr+json")
	if got, body := status(t, req); got != http.StatusOK || !strings.Contains(body, "supported_nips") {
		t.Fatalf("NIP-11 from %s: %d %s", ip, got, body)
	}
}

// TestRelayMetricsNotServedWithoutHandler: with metrics served elsewhere
// (metrics_listen), /metrics on the relay's port is 404.
func TestRelayMetricsNotServedWithoutHandler(t *testing.T) {
	tr := start(t, relay.Options{Registry: prometheus.NewRegistry()})
	req, _ := http.NewRequest(http.MethodGet, "http"+strings.TrimPrefix(tr.url, "ws")+"/metrics", nil)
	if got, body := status(t, req); got != http.StatusNotFound {
		t.Fatalf("got %d, want 404: %s", got, body)
	}
}

// TestRelayRoutesStatusPage: browsers get the status handler at the root,
// NIP-11 clients the NIP-11 document, websocket clients a websocket; with
// StatusLocal a remote client gets 403 for it.
func TestRelayRoutesStatusPage(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "status page "+r.URL.Path) })
	tests := []struct {
		name, path, accept string
		header             map[string]string
		local              bool
		want               string
	}{
		{"browser at the root", "/", "text/html,application/xhtml+xml,*/*;q=0.8", nil, false, "status page /"},
		{"json", "/status.json", "", nil, false, "status page /status.json"},
		{"asset", "/status/app.js", "", nil, false, "status page /status/app.js"},
		{"nip-11", "/", "application/nostr+json", nil, false, `"supported_nips"`},
		{"nip-11 wins over html", "/", "application/nostr+json, text/html", nil, false, `"supported_nips"`},
		{"curl at the root", "/", "*/*", nil, false, "a Nostr relay"},
		{"local only, from here", "/status.json", "", nil, true, "status page /status.json"},
		{"local only, forwarded", "/status.json", "", map[string]string{"X-Forwarded-For": "203.0.113.9"}, true, "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := start(t, relay.Options{Name: "test relay", Status: page, StatusLocal: tc.local})
			req, _ := http.NewRequest(http.MethodGet, "http"+strings.TrimPrefix(tr.url, "ws")+tc.path, nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if _, body := status(t, req); !strings.Contains(body, tc.want) {
				t.Fatalf("got %q, want it to contain %q", body, tc.want)
			}
			wsc.Dial(t, tr.url) // upgrades still work
		})
	}
}

func status(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// nonLoopbackIP returns an address of this host that is not loopback, or
// skips the test on a host that has none.
func nonLoopbackIP(t *testing.T) netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() {
			return p.Addr()
		}
	}
	t.Skip("this host has no non-loopback IPv4 address to connect from")
	return netip.Addr{}
}

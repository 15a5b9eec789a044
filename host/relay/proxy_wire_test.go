package relay_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// ipRecorder is a connect policy that reports each session's IP.
func ipRecorder(ips chan<- netip.Addr) policy.Entry {
	return enforce(&fnPolicy{name: "ip", connect: func(in *policy.ConnInput) policy.Verdict {
		ips <- in.Session.IP
		return policy.Verdict{}
	}})
}

// upgradeWith sends a websocket handshake with extra header lines (sent
// as written, so a name may repeat) to addr and returns the HTTP status.
func upgradeWith(t *testing.T, addr string, lines []string) int {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, l := range lines {
		req += l + "\r\n"
	}
	if _, err := nc.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRelayProxyClientIP: behind a trusted proxy the client IP is the
// rightmost X-Forwarded-For hop that is not a trusted proxy, whatever the
// client wrote to its left, on both handshake paths (wsconn's own reader
// and net/http); from an untrusted peer the headers are ignored.
func TestRelayProxyClientIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted bool
		lines   []string
		want    string
	}{
		{"no header", true, nil, "127.0.0.1"},
		{"one hop", true, []string{"X-Forwarded-For: 203.0.113.7"}, "203.0.113.7"},
		{"spoofed entry before the real one", true, []string{"X-Forwarded-For: 6.6.6.6, 203.0.113.7"}, "203.0.113.7"},
		{"spoof naming the proxy", true, []string{"X-Forwarded-For: 127.0.0.1, 203.0.113.7"}, "203.0.113.7"},
		{"the proxy adds its own line", true, []string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 203.0.113.7"}, "203.0.113.7"},
		{"IPv6 with port", true, []string{"X-Forwarded-For: [2001:db8::7]:4711"}, "2001:db8::7"},
		{"malformed: the proxy", true, []string{"X-Forwarded-For: 6.6.6.6, unknown"}, "127.0.0.1"},
		{"X-Real-IP is not read", true, []string{"X-Real-IP: 6.6.6.6"}, "127.0.0.1"},
		{"untrusted peer", false, []string{"X-Forwarded-For: 203.0.113.7"}, "127.0.0.1"},
	}
	ips := make(chan netip.Addr, 1)
	trusted := start(t, relay.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, ipRecorder(ips))
	untrusted := start(t, relay.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, ipRecorder(ips))
	httpTrusted := httptest.NewServer(trusted.r)
	t.Cleanup(httpTrusted.Close)
	for _, tc := range tests {
		paths := map[string]string{"wsconn": strings.TrimPrefix(trusted.url, "ws://"), "net/http": httpTrusted.Listener.Addr().String()}
		if !tc.trusted {
			paths = map[string]string{"wsconn": strings.TrimPrefix(untrusted.url, "ws://")}
		}
		for path, addr := range paths {
			t.Run(tc.name+"/"+path, func(t *testing.T) {
				if status := upgradeWith(t, addr, tc.lines); status != http.StatusSwitchingProtocols {
					t.Fatalf("handshake: HTTP %d", status)
				}
				if got := <-ips; got != netip.MustParseAddr(tc.want) {
					t.Fatalf("got %v, want %s", got, tc.want)
				}
			})
		}
	}
}

// TestRelayProxyAuthForwardedHost: NIP-42 AUTH behind a proxy that sends
// the upstream address as Host takes the relay's URL from the trusted
// proxy's X-Forwarded-Host and X-Forwarded-Proto; the same headers from an
// untrusted peer change nothing.
func TestRelayProxyAuthForwardedHost(t *testing.T) {
	fwd := ws.HandshakeHeaderHTTP{"X-Forwarded-Host": {"relay.example.com"}, "X-Forwarded-Proto": {"https"}}
	tests := []struct {
		name    string
		trusted bool
		tag     string // "" is the URL dialed
		want    bool
	}{
		{"forwarded host and proto", true, "wss://relay.example.com", true},
		{"forwarded host, default port", true, "wss://relay.example.com:443/", true},
		{"forwarded proto is https", true, "ws://relay.example.com", false},
		{"the upstream Host no longer names the relay", true, "", false},
		{"untrusted: forwarded host ignored", false, "wss://relay.example.com", false},
		{"untrusted: Host header", false, "", true},
	}
	trusted := start(t, relay.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	untrusted := start(t, relay.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := untrusted.url
			if tc.trusted {
				url = trusted.url
			}
			tag := tc.tag
			if tag == "" {
				tag = url
			}
			c := wsc.DialDialer(t, url, ws.Dialer{Header: fwd})
			if ok := c.Auth(wsc.NewKey().SK, tag); ok.Accepted != tc.want {
				t.Fatalf("AUTH for %s: got %v, want accepted=%v", tag, ok, tc.want)
			}
		})
	}
}

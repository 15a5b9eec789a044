package relay

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func testProxies() trustedProxies {
	return newTrustedProxies([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.0.2.1/32"),
		netip.MustParsePrefix("2001:db8:cafe::/48"),
		netip.MustParsePrefix("::ffff:172.16.0.0/108"), // mapped: becomes 172.16.0.0/12
	})
}

func Test_clientIP(t *testing.T) {
	tests := []struct {
		name string
		peer string
		xff  []string // header lines, in order
		want string
	}{
		{"untrusted peer: header ignored", "203.0.113.9", []string{"198.51.100.1"}, "203.0.113.9"},
		{"untrusted peer claiming a trusted hop", "203.0.113.9", []string{"10.0.0.1"}, "203.0.113.9"},
		{"trusted peer without header", "10.0.0.2", nil, "10.0.0.2"},
		{"one proxy", "10.0.0.2", []string{"203.0.113.7"}, "203.0.113.7"},
		{"spoofed entry before the real one (nginx appends)", "10.0.0.2", []string{"6.6.6.6, 203.0.113.7"}, "203.0.113.7"},
		{"spoof naming a trusted proxy", "10.0.0.2", []string{"10.0.0.5, 203.0.113.7"}, "203.0.113.7"},
		{"two trusted hops", "10.0.0.2", []string{"203.0.113.7, 10.0.0.9"}, "203.0.113.7"},
		{"spoof behind two hops", "10.0.0.2", []string{"1.1.1.1, 203.0.113.7, 10.0.0.9"}, "203.0.113.7"},
		{"single-address entry trusted", "192.0.2.1", []string{"203.0.113.7, 192.0.2.1"}, "203.0.113.7"},
		{"next address is not trusted", "192.0.2.2", []string{"203.0.113.7"}, "192.0.2.2"},
		{"every hop trusted: leftmost", "10.0.0.2", []string{"10.0.0.7, 10.0.0.9"}, "10.0.0.7"},
		{"IPv4 with port", "10.0.0.2", []string{"203.0.113.7:4711"}, "203.0.113.7"},
		{"IPv6", "10.0.0.2", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv6 in brackets with port", "10.0.0.2", []string{"[2001:db8::7]:4711"}, "2001:db8::7"},
		{"IPv6 in brackets", "10.0.0.2", []string{"[2001:db8::7]"}, "2001:db8::7"},
		{"IPv4-mapped IPv6 entry", "10.0.0.2", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"IPv6 proxies", "2001:db8:cafe::1", []string{"2001:db8::7, 2001:db8:cafe::2"}, "2001:db8::7"},
		{"IPv6 spoof behind IPv6 proxy", "2001:db8:cafe::1", []string{"2001:db8:cafe::9, 2001:db8::7"}, "2001:db8::7"},
		{"mapped trusted prefix matches IPv4", "172.16.3.4", []string{"203.0.113.7"}, "203.0.113.7"},
		{"whitespace and tabs", "10.0.0.2", []string{" 6.6.6.6 ,\t203.0.113.7\t"}, "203.0.113.7"},
		{"malformed rightmost: the proxy", "10.0.0.2", []string{"203.0.113.7, garbage"}, "10.0.0.2"},
		{"malformed behind a trusted hop: that hop", "10.0.0.2", []string{"garbage, 10.0.0.9"}, "10.0.0.9"},
		{"unknown", "10.0.0.2", []string{"unknown"}, "10.0.0.2"},
		{"trailing comma", "10.0.0.2", []string{"203.0.113.7,"}, "10.0.0.2"},
		{"empty entry behind a trusted hop", "10.0.0.2", []string{"203.0.113.7,, 10.0.0.9"}, "10.0.0.9"},
		{"empty header", "10.0.0.2", []string{""}, "10.0.0.2"},
		{"zone", "10.0.0.2", []string{"fe80::1%eth0"}, "10.0.0.2"},
		{"IPv4 in brackets", "10.0.0.2", []string{"[203.0.113.7]:80"}, "10.0.0.2"},
		{"port out of range", "10.0.0.2", []string{"203.0.113.7:99999"}, "10.0.0.2"},
		{"host name", "10.0.0.2", []string{"client.example.com"}, "10.0.0.2"},
		{"quoted", "10.0.0.2", []string{`"203.0.113.7"`}, "10.0.0.2"},
		{"CIDR", "10.0.0.2", []string{"203.0.113.0/24"}, "10.0.0.2"},
		{"two lines: the proxy's line is last", "10.0.0.2", []string{"6.6.6.6", "203.0.113.7"}, "203.0.113.7"},
		{"two lines: walk into the earlier line", "10.0.0.2", []string{"203.0.113.7", "10.0.0.9"}, "203.0.113.7"},
		{"two lines: spoof in the earlier line", "10.0.0.2", []string{"6.6.6.6, 10.0.0.5", "203.0.113.7"}, "203.0.113.7"},
		{"two lines: empty last line", "10.0.0.2", []string{"203.0.113.7", ""}, "10.0.0.2"},
	}
	tp := testProxies()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tp.clientIP(netip.MustParseAddr(tc.peer), tc.xff)
			if got != netip.MustParseAddr(tc.want) {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}

func Test_clientIPNoProxies(t *testing.T) {
	var tp trustedProxies
	if got := tp.clientIP(netip.MustParseAddr("10.0.0.2"), []string{"203.0.113.7"}); got != netip.MustParseAddr("10.0.0.2") {
		t.Fatalf("got %v, want the peer", got)
	}
}

func Test_originOf(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		header string // "Name: value" lines
		want   origin
	}{
		{"direct", "203.0.113.9:5000", "X-Forwarded-For: 6.6.6.6\nX-Forwarded-Host: evil.example\nX-Forwarded-Proto: https",
			origin{ip: netip.MustParseAddr("203.0.113.9"), host: "relay.internal:7447"}},
		{"trusted proxy", "10.0.0.2:5000", "X-Forwarded-For: 6.6.6.6, 203.0.113.7\nX-Forwarded-Host: relay.example.com\nX-Forwarded-Proto: https",
			origin{ip: netip.MustParseAddr("203.0.113.7"), host: "relay.example.com", scheme: "wss"}},
		{"mapped peer address", "[::ffff:10.0.0.2]:5000", "X-Forwarded-For: 203.0.113.7",
			origin{ip: netip.MustParseAddr("203.0.113.7"), host: "relay.internal:7447"}},
		{"IPv6 peer", "[2001:db8:cafe::1]:5000", "X-Forwarded-For: 2001:db8::7\nX-Forwarded-Proto: http",
			origin{ip: netip.MustParseAddr("2001:db8::7"), host: "relay.internal:7447", scheme: "ws"}},
		{"rightmost forwarded host and proto", "10.0.0.2:5000", "X-Forwarded-Host: evil.example, relay.example.com\nX-Forwarded-Proto: https, http",
			origin{ip: netip.MustParseAddr("10.0.0.2"), host: "relay.example.com", scheme: "ws"}},
		{"forwarded lines: the last one", "10.0.0.2:5000", "X-Forwarded-Host: evil.example\nX-Forwarded-Host: relay.example.com",
			origin{ip: netip.MustParseAddr("10.0.0.2"), host: "relay.example.com"}},
		{"unknown proto", "10.0.0.2:5000", "X-Forwarded-Proto: gopher",
			origin{ip: netip.MustParseAddr("10.0.0.2"), host: "relay.internal:7447"}},
		{"upper-case proto", "10.0.0.2:5000", "X-Forwarded-Proto: HTTPS",
			origin{ip: netip.MustParseAddr("10.0.0.2"), host: "relay.internal:7447", scheme: "wss"}},
		{"X-Real-IP and Forwarded are not read", "10.0.0.2:5000", "X-Real-IP: 6.6.6.6\nForwarded: for=6.6.6.6;host=evil.example;proto=https",
			origin{ip: netip.MustParseAddr("10.0.0.2"), host: "relay.internal:7447"}},
	}
	r := &Relay{}
	r.live.Store(&settings{proxies: testProxies()})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range strings.Split(tc.header, "\n") {
				k, v, _ := strings.Cut(l, ": ")
				h.Add(k, v)
			}
			if got := r.originOf(tc.remote, "relay.internal:7447", h); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func Test_sameRelay(t *testing.T) {
	tests := []struct {
		name     string
		relayURL string // Options.RelayURL
		host     string // public host of the connection
		scheme   string // public scheme, "" when unknown
		tag      string // the AUTH event's relay tag
		want     bool
	}{
		{"host, scheme unknown, wss", "", "relay.example.com", "", "wss://relay.example.com", true},
		{"host, scheme unknown, ws", "", "relay.example.com", "", "ws://relay.example.com", true},
		{"case, trailing slash", "", "relay.example.com", "", "WSS://Relay.Example.com/", true},
		{"path ignored without relay_url", "", "relay.example.com", "", "wss://relay.example.com/nostr", true},
		{"default port in tag", "", "relay.example.com", "", "wss://relay.example.com:443", true},
		{"default port in host", "", "relay.example.com:443", "wss", "wss://relay.example.com", true},
		{"ws default port", "", "relay.example.com:80", "", "ws://relay.example.com", true},
		{"other port", "", "relay.example.com:8443", "", "wss://relay.example.com:8443", true},
		{"port missing in tag", "", "relay.example.com:8443", "", "wss://relay.example.com", false},
		{"other host", "", "relay.example.com", "", "wss://elsewhere.example", false},
		{"not a websocket URL", "", "relay.example.com", "", "https://relay.example.com", false},
		{"garbage", "", "relay.example.com", "", "::", false},
		{"scheme known: wss", "", "relay.example.com", "wss", "wss://relay.example.com", true},
		{"scheme known: ws refused", "", "relay.example.com", "wss", "ws://relay.example.com", false},
		{"scheme known: ws", "", "relay.example.com", "ws", "ws://relay.example.com", true},
		{"relay_url", "wss://relay.example.com", "127.0.0.1:7447", "", "wss://relay.example.com", true},
		{"relay_url, slash and default port", "wss://relay.example.com", "127.0.0.1:7447", "", "wss://relay.example.com:443/", true},
		{"relay_url, other scheme", "wss://relay.example.com", "127.0.0.1:7447", "", "ws://relay.example.com", false},
		{"relay_url wins over the host", "wss://relay.example.com", "127.0.0.1:7447", "", "ws://127.0.0.1:7447", false},
		{"relay_url with a path", "wss://example.com/relay", "127.0.0.1:7447", "", "wss://example.com/relay", true},
		{"relay_url, other path", "wss://example.com/relay", "127.0.0.1:7447", "", "wss://example.com/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := newSettings(&Options{RelayURL: tc.relayURL})
			if err != nil {
				t.Fatal(err)
			}
			r := &Relay{}
			r.live.Store(st)
			if got := r.sameRelay(tc.tag, tc.host, tc.scheme); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

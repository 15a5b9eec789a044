package relay

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Behind reverse proxies.
//
// A connection's forwarding headers are read only when its TCP peer is a
// trusted proxy (Options.TrustedProxies); from anyone else they are
// ignored, whatever they say. From a trusted peer:
//
//   - The client IP comes from X-Forwarded-For, walked from the right.
//     Each entry was written by the hop to its right, so an entry is
//     believed only while every hop to its right is a trusted proxy: the
//     client is the first entry, from the right, that is not one. Entries
//     to its left were written by the client and are never read. A
//     malformed entry ends the walk at the trusted hop that sent it. If
//     every entry is trusted, the leftmost is the client (a client inside
//     the proxies' network).
//   - X-Real-IP and Forwarded (RFC 7239) are not read: nginx passes them
//     through from the client unless told to overwrite them, while every
//     common proxy appends to X-Forwarded-For.
//   - For NIP-42, the relay's public host is the rightmost X-Forwarded-Host
//     entry (else the Host header) and its scheme the rightmost
//     X-Forwarded-Proto entry (https or wss is wss, http or ws is ws).
//
// Several header lines of one name count as one comma-separated list, in
// order (RFC 9110 5.3): a proxy that adds its own X-Forwarded-For line
// must not be read as the client's.

// trustedProxies is the set of proxy addresses whose forwarding headers
// are believed. Few entries are expected; the lookup is a linear scan.
type trustedProxies []netip.Prefix

// newTrustedProxies keeps the valid prefixes, masked and with IPv4-mapped
// ones made IPv4, as peers are compared unmapped.
func newTrustedProxies(ps []netip.Prefix) trustedProxies {
	var out trustedProxies
	for _, p := range ps {
		if !p.IsValid() {
			continue
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out
}

func (tp trustedProxies) contains(a netip.Addr) bool {
	for _, p := range tp {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP returns the client's address: peer, or, when peer is a trusted
// proxy, the rightmost X-Forwarded-For hop that is not one. xff holds the
// header's lines in order.
func (tp trustedProxies) clientIP(peer netip.Addr, xff []string) netip.Addr {
	if !tp.contains(peer) {
		return peer
	}
	ip := peer
	for i := len(xff) - 1; i >= 0; i-- {
		rest := xff[i]
		for {
			j := strings.LastIndexByte(rest, ',')
			hop, ok := parseHop(rest[j+1:])
			if !ok {
				return ip // the trusted hop ip wrote something unreadable
			}
			ip = hop
			if !tp.contains(hop) {
				return hop
			}
			if j < 0 {
				break
			}
			rest = rest[:j]
		}
	}
	return ip
}

// parseHop reads one X-Forwarded-For entry: an IPv4 or IPv6 address,
// optionally with a port ("192.0.2.7:4711", "[2001:db8::7]:4711") or, for
// IPv6, in brackets without one. Zones, names, "unknown" and empty entries
// are malformed.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		switch {
		case perr == nil:
			a = ap.Addr()
		case len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']':
			if a, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil || !a.Is6() {
				return netip.Addr{}, false
			}
		default:
			return netip.Addr{}, false
		}
	}
	if a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// peerAddr parses a net.Conn remote address ("ip:port").
func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// origin is what the relay believes about where a connection comes from
// and which URL it was opened to.
type origin struct {
	ip     netip.Addr
	host   string // host[:port] the client connected to
	scheme string // "ws", "wss", or "" when unknown (either is accepted)
}

// originOf reads a handshake: remote is the TCP peer, host the Host
// header.
func (r *Relay) originOf(remote, host string, h http.Header) origin {
	peer := peerAddr(remote)
	proxies := r.cur().proxies
	if !proxies.contains(peer) {
		return origin{ip: peer, host: host}
	}
	o := origin{ip: proxies.clientIP(peer, h.Values("X-Forwarded-For")), host: host}
	if fh := lastEntry(h.Values("X-Forwarded-Host")); fh != "" {
		o.host = fh
	}
	switch strings.ToLower(lastEntry(h.Values("X-Forwarded-Proto"))) {
	case "https", "wss":
		o.scheme = "wss"
	case "http", "ws":
		o.scheme = "ws"
	}
	return o
}

// lastEntry returns the rightmost comma-separated entry of a header's
// lines, trimmed.
func lastEntry(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	v := lines[len(lines)-1]
	return strings.TrimSpace(v[strings.LastIndexByte(v, ',')+1:])
}

package relay

import (
	"net/http"
	"strings"
)

// Metrics and the status page on the relay's port.
//
// GET /metrics and the status page are answered before the CORS headers
// are set: they are for the operator's tools and browser, not for other
// sites' scripts. /metrics, and the status page when Options.StatusLocal
// is set, answer local clients only (localClient) and refuse others with
// 403. With no Options.Metrics handler (metrics_listen is set), /metrics
// is 404 here.

// servePage serves /metrics and the status page, and reports whether req
// was for one of them.
func (r *Relay) servePage(w http.ResponseWriter, req *http.Request) bool {
	if (req.Method != http.MethodGet && req.Method != http.MethodHead) || isUpgrade(req) {
		return false
	}
	var h http.Handler
	local := true
	switch {
	case req.URL.Path == "/metrics":
		if h = r.opts.Metrics; h == nil {
			http.NotFound(w, req)
			return true
		}
	case r.opts.Status != nil && isStatusPage(req):
		h, local = r.opts.Status, r.opts.StatusLocal
	default:
		return false
	}
	if local && !r.localClient(req) {
		http.Error(w, "forbidden: only served to clients on this host", http.StatusForbidden)
		return true
	}
	h.ServeHTTP(w, req)
	return true
}

// isStatusPage reports a request for the status page: its JSON, its
// assets, or the root from a browser. NIP-11 (Accept:
// application/nostr+json) wins over text/html.
func isStatusPage(req *http.Request) bool {
	p := req.URL.Path
	if p == "/status.json" || strings.HasPrefix(p, "/status/") {
		return true
	}
	accept := req.Header.Get("Accept")
	return p == "/" && strings.Contains(accept, "text/html") && !strings.Contains(accept, "application/nostr+json")
}

// localClient reports whether req comes from this host: its client IP is
// a loopback address. Behind a trusted proxy that is the client IP the
// proxy forwarded (proxy.go), not the proxy's: a proxy on this host does
// not make its clients local. From a peer that is not a trusted proxy, a
// request carrying a forwarding header (X-Forwarded-For, X-Real-IP,
// Forwarded) is not local even from loopback: it came through a proxy
// relayd was not told about, on behalf of a client it cannot see.
func (r *Relay) localClient(req *http.Request) bool {
	peer, proxies := peerAddr(req.RemoteAddr), r.cur().proxies
	if !proxies.contains(peer) {
		h := req.Header
		if h.Get("X-Forwarded-For") != "" || h.Get("X-Real-IP") != "" || h.Get("Forwarded") != "" {
			return false
		}
		return peer.IsLoopback()
	}
	return proxies.clientIP(peer, req.Header.Values("X-Forwarded-For")).IsLoopback()
}

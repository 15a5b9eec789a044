package relay

import (
	"net/http"
	"strings"
)

// The management API (NIP-86) at the relay's URL.
//
// A POST with Content-Type application/nostr+json+rpc goes to
// Options.Manage (host/manage) with the absolute URLs it may have been
// sent to, which the NIP-98 event's u tag must name: the relay_url if
// set; else the Host header's host (behind a trusted proxy, its
// X-Forwarded-Host) and scheme (X-Forwarded-Proto; from anyone else
// unknown, so both http and https), with the request's path. The manage
// handler reads ws as http and wss as https.

// Manager serves NIP-86 requests (host/manage's Handler).
type Manager interface {
	ServeManage(w http.ResponseWriter, req *http.Request, urls []string)
}

// isManage reports a NIP-86 request.
func isManage(req *http.Request) bool {
	if req.Method != http.MethodPost {
		return false
	}
	ct, _, _ := strings.Cut(req.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/nostr+json+rpc")
}

// requestURLs are the absolute URLs req may have been sent to.
func (r *Relay) requestURLs(req *http.Request) []string {
	st := r.cur()
	if st.hasURL {
		u := st.relayURL
		return []string{u.scheme + "://" + u.host + u.path}
	}
	o := r.originOf(req.RemoteAddr, req.Host, req.Header)
	path := req.URL.EscapedPath()
	switch o.scheme {
	case "wss":
		return []string{"https://" + o.host + path}
	case "ws":
		return []string{"http://" + o.host + path}
	}
	return []string{"http://" + o.host + path, "https://" + o.host + path}
}

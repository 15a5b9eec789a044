package relay

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
)

// authWindow is how far an AUTH event's created_at may be from now.
const authWindow = 10 * 60

// onAuth handles a NIP-42 AUTH: kind 22242, valid id and signature, the
// session's challenge, this relay's URL, created_at within ten minutes;
// then the auth policies. On success the session is authenticated as the
// event's pubkey.
func (s *session) onAuth(m envelope.Message) {
	ev := m.Event
	if reason := s.checkAuth(ev); reason != "" {
		s.ok(ev.ID, false, reason)
		return
	}
	if ch := s.r.chain.Load(); ch.Has(policy.HookAuth) {
		if v := ch.Auth(context.Background(), &policy.AuthInput{Session: s.ps, Event: ev}); v.Final() {
			s.ok(ev.ID, false, v.Reason())
			return
		}
	}
	s.ps.SetAuthed(ev.PubKey)
	s.ok(ev.ID, true, "")
}

func (s *session) checkAuth(ev *nostr.Event) string {
	switch {
	case ev.Kind != nostr.KindClientAuthentication:
		return "invalid: AUTH event must be kind 22242"
	case !ev.CheckID():
		return "invalid: event id does not match its content"
	}
	if ok, err := ev.CheckSignature(); !ok || err != nil {
		return "invalid: bad signature"
	}
	now := time.Now().Unix()
	if d := int64(ev.CreatedAt) - now; d > authWindow || d < -authWindow {
		return "invalid: AUTH event created_at is more than 10 minutes from now"
	}
	if t := ev.Tags.Find("challenge"); t == nil || t[1] != s.challenge {
		return "invalid: wrong or missing challenge"
	}
	t := ev.Tags.Find("relay")
	if t == nil || !s.r.sameRelay(t[1], s.host, s.scheme) {
		return "invalid: AUTH event is for another relay"
	}
	return ""
}

// sameRelay reports whether u names this relay: the configured RelayURL,
// or, when none is set, a ws/wss URL whose host is the connection's public
// host (see proxy.go) and whose scheme is its public scheme, if known.
// Default ports are implied: wss://h and wss://h:443 are the same relay.
func (r *Relay) sameRelay(u, host, scheme string) bool {
	got, ok := parseRelayURL(u)
	if !ok {
		return false
	}
	if st := r.cur(); st.hasURL {
		return got == st.relayURL
	}
	if scheme != "" && got.scheme != scheme {
		return false
	}
	return got.host == normHost(got.scheme, host)
}

// relayURL is a ws/wss URL reduced to what names a relay.
type relayURL struct {
	scheme, host, path string
}

// parseRelayURL lower-cases scheme and host, drops a default port, a
// trailing slash, the query and the fragment.
func parseRelayURL(s string) (relayURL, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return relayURL{}, false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "ws" && scheme != "wss" {
		return relayURL{}, false
	}
	return relayURL{scheme: scheme, host: normHost(scheme, u.Host), path: strings.TrimSuffix(u.Path, "/")}, true
}

// normHost lower-cases host[:port] and drops the scheme's default port.
func normHost(scheme, host string) string {
	host = strings.ToLower(host)
	def := ":80"
	if scheme == "wss" {
		def = ":443"
	}
	return strings.TrimSuffix(host, def)
}

package manage

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/nbd-wtf/go-nostr"
)

// KindHTTPAuth is the kind of NIP-98 HTTP auth events.
const KindHTTPAuth = 27235

// authError says which NIP-98 check failed: for the log, never the client.
type authError string

func (e authError) Error() string { return "nip98: " + string(e) }

// authorise checks req's NIP-98 Authorization header against body, the
// request's acceptable absolute URLs and the admins, and remembers the
// event's id. It returns the admin's pubkey.
func (h *Handler) authorise(req *http.Request, body []byte, urls []string) (string, error) {
	ev, err := authEvent(req.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	now := h.opts.Now().Unix()
	win := int64(h.opts.Window.Seconds())
	switch {
	case ev.Kind != KindHTTPAuth:
		return "", authError("kind is not 27235")
	case int64(ev.CreatedAt) < now-win || int64(ev.CreatedAt) > now+win:
		return "", authError("created_at is outside the window")
	case !urlMatches(tagValue(ev, "u"), urls):
		return "", authError("u tag is not this request's URL " + strings.Join(urls, " or "))
	case !strings.EqualFold(tagValue(ev, "method"), req.Method):
		return "", authError("method tag is not " + req.Method)
	case tagValue(ev, "payload") != payloadHash(body):
		return "", authError("payload tag is not the body's sha256")
	case !slices.Contains(h.opts.Admins(), ev.PubKey):
		return "", authError("pubkey " + ev.PubKey + " is not in admin_pubkeys")
	case !ev.CheckID():
		return "", authError("bad id")
	}
	if ok, err := ev.CheckSignature(); !ok || err != nil {
		return "", authError("bad signature")
	}
	// By signature, not id: one request signed twice (BIP-340 signing with
	// fresh randomness, as libsecp256k1 and most clients do) has one id and
	// two signatures, and is two requests; a replay is the same bytes.
	// BIP-340 signatures are not malleable, so a replayer cannot make a
	// second signature without the key.
	if !h.seen.add(ev.Sig, int64(ev.CreatedAt)+win, now) {
		return "", authError("replayed (or too many live auth events)")
	}
	return ev.PubKey, nil
}

// authEvent decodes an Authorization header "Nostr <base64 event>".
func authEvent(header string) (*nostr.Event, error) {
	scheme, b64, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Nostr") {
		return nil, authError("no Authorization: Nostr header")
	}
	b64 = strings.TrimSpace(b64)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(b64, "=")); err != nil {
			return nil, authError("Authorization is not base64")
		}
	}
	var ev nostr.Event
	if err := ev.UnmarshalJSON(raw); err != nil {
		return nil, authError("Authorization is not an event")
	}
	return &ev, nil
}

// tagValue returns the first value of ev's tag name, or "".
func tagValue(ev *nostr.Event, name string) string {
	for _, t := range ev.Tags {
		if len(t) >= 2 && t[0] == name {
			return t[1]
		}
	}
	return ""
}

// payloadHash is the lowercase hex sha256 of body (the NIP-98 payload tag).
func payloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// urlMatches reports whether u names one of urls: same scheme (ws as
// http, wss as https), host (case and default port aside), path (a
// trailing slash aside) and query.
func urlMatches(u string, urls []string) bool {
	nu, ok := normalURL(u)
	if !ok {
		return false
	}
	for _, c := range urls {
		if nc, ok := normalURL(c); ok && nc == nu {
			return true
		}
	}
	return false
}

// normalURL is u in the form urlMatches compares.
func normalURL(u string) (string, bool) {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil || p.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(p.Scheme)
	switch scheme {
	case "ws":
		scheme = "http"
	case "wss":
		scheme = "https"
	case "http", "https":
	default:
		return "", false
	}
	host := strings.ToLower(p.Host)
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	path := strings.TrimRight(p.EscapedPath(), "/")
	q := ""
	if p.RawQuery != "" {
		q = "?" + p.RawQuery
	}
	return scheme + "://" + host + path + q, true
}

// seenIDs remembers the signatures of accepted NIP-98 events until they
// expire, so that none is accepted twice. It holds at most max: when that many
// are live, add refuses. It is safe for concurrent use.
type seenIDs struct {
	mu    sync.Mutex
	until map[string]int64 // id -> last second it is valid
	max   int
}

func newSeenIDs(max int) *seenIDs { return &seenIDs{until: map[string]int64{}, max: max} }

// add remembers id until the unix second until and reports whether it is
// new. Expired ids are dropped when the set is full.
func (s *seenIDs) add(id string, until, now int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.until[id]; ok {
		return false
	}
	if len(s.until) >= s.max {
		for k, u := range s.until {
			if u < now {
				delete(s.until, k)
			}
		}
		if len(s.until) >= s.max {
			return false
		}
	}
	s.until[id] = until
	return true
}

// errUnauthorised is the one answer to every failed authorisation.
var errUnauthorised = errors.New("unauthorized")

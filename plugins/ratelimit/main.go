// Command ratelimit is a relayd policy plugin: token buckets per client IP,
// per pubkey, per kind, per REQ and per new connection, each with its own
// rate and burst.
//
// Every bucket lives in the relay's shared state (sdk.Take), not in guest
// memory: the relay runs several instances of the plugin at once, and they
// all draw from the same buckets, so a budget is exact under concurrency
// and survives reloads.
package main

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
)

// lim is this instance's checked config, set by setup.
var lim *limiter

func init() { sdk.OnInit(setup) }

func main() {}

// setup reads the config and registers a handler only for the hooks some
// rule uses, so a hook without rules costs nothing.
func setup() error {
	var c Config
	if err := config.DecodeStrict(&c); err != nil { // a typo refuses the load
		return errors.New("config: " + err.Error())
	}
	l, err := compile(c)
	if err != nil {
		return err
	}
	lim = l
	sdk.OnEventPre(when(len(l.pre) > 0, onEventPre))
	sdk.OnEvent(when(len(l.event) > 0, onEvent))
	sdk.OnConnect(when(len(l.connect) > 0, onConnect))
	sdk.OnReq(when(len(l.req) > 0, onReq))
	sdk.OnCount(when(len(l.req) > 0, onReq))
	return nil
}

// when returns fn if on, else nil (no handler).
func when[F any](on bool, fn F) F {
	if on {
		return fn
	}
	var none F
	return none
}

// onEventPre applies the ip and authed rules before the signature check,
// so a flood of events from one address or one authenticated key is shed
// before the relay verifies them. (The authenticated key was verified by
// AUTH; the event's own pubkey is not trusted here.)
func onEventPre(e sdk.Event) sdk.Verdict {
	s := e.Session()
	ip, exempt, ok := lim.client(s)
	if exempt || lim.exemptSession(s) {
		return sdk.Accept()
	}
	authed := ""
	for i := range lim.pre {
		r := &lim.pre[i]
		if len(r.kinds) > 0 && !r.kinds.Has(e.Kind()) {
			continue
		}
		subject := ip
		if r.scope == scopeAuthed {
			if !s.IsAuthed() {
				continue // unauthenticated sessions fall under the ip rules
			}
			if authed == "" {
				authed = s.Authed()
			}
			subject = authed
		} else if !ok {
			continue // no client IP: an import
		}
		if v, refused := take(r, subject); refused {
			return v
		}
	}
	return sdk.Accept()
}

// onEvent applies the pubkey and kind rules to events with a valid
// signature, so the pubkey is the author's.
func onEvent(e sdk.Event) sdk.Verdict {
	if e.Source() != sdk.SourceIP4 && e.Source() != sdk.SourceIP6 {
		return sdk.Accept() // imports and syncs are the operator's
	}
	s := e.Session()
	if len(lim.exemptIPs) > 0 {
		if _, exempt, _ := lim.client(s); exempt {
			return sdk.Accept()
		}
	}
	if lim.exemptSession(s) {
		return sdk.Accept()
	}
	pk := e.Pubkey()
	if lim.exemptKeys[pk] {
		return sdk.Accept()
	}
	for i := range lim.event {
		r := &lim.event[i]
		if len(r.kinds) > 0 && !r.kinds.Has(e.Kind()) {
			continue
		}
		subject := pk
		if r.scope == scopeKind {
			subject = "*"
		}
		if v, refused := take(r, subject); refused {
			return v
		}
	}
	return sdk.Accept()
}

// onConnect applies the connection rules before the websocket upgrade; a
// refusal is answered with HTTP 429.
func onConnect(s sdk.Session) sdk.Verdict {
	subject, exempt, ok := lim.client(s)
	if !ok || exempt {
		return sdk.Accept()
	}
	return lim.takeAll(lim.connect, -1, subject)
}

// onReq applies the req rules to REQ and COUNT; a refusal is a CLOSED.
func onReq(r sdk.Req) sdk.Verdict {
	s := r.Session()
	subject, exempt, ok := lim.client(s)
	if !ok || exempt || lim.exemptSession(s) {
		return sdk.Accept()
	}
	return lim.takeAll(lim.req, -1, subject)
}

// takeAll draws from each rule's bucket for subject in order and stops at
// the first empty one. kind -1 matches every rule.
func (l *limiter) takeAll(rules []rule, kind int, subject string) sdk.Verdict {
	for i := range rules {
		r := &rules[i]
		if kind >= 0 && len(r.kinds) > 0 && !r.kinds.Has(kind) {
			continue
		}
		if v, refused := take(r, subject); refused {
			return v
		}
	}
	return sdk.Accept()
}

// take draws one token from r's bucket for subject. A failing host call
// fails open: a broken limiter must not take the relay down with it.
func take(r *rule, subject string) (sdk.Verdict, bool) {
	key := r.name + "|" + subject
	ok, retry, err := sdk.Take(key, 1, r.rate, r.burst)
	if err != nil {
		sdk.Log(sdk.LevelWarn, "take "+key+": "+err.Error())
		return sdk.Accept(), false
	}
	if ok {
		return sdk.Accept(), false
	}
	noteLimited(r, key, subject)
	msg := r.what + " over " + strconv.FormatFloat(r.rate, 'g', -1, 64) + "/s (burst " +
		strconv.FormatInt(r.burst, 10) + "), retry in " + retry.String()
	return sdk.RateLimited(msg), true
}

// noteLimited logs a limited key at info once a minute, and every refusal
// at debug.
func noteLimited(r *rule, key, subject string) {
	if sdk.LogEnabled(sdk.LevelDebug) {
		sdk.Log(sdk.LevelDebug, "rate-limited rule="+r.name+" key="+subject)
	}
	if !sdk.LogEnabled(sdk.LevelInfo) {
		return
	}
	if first, err := sdk.KVCAS("logged|"+key, nil, []byte{1}, time.Minute); err == nil && first {
		sdk.Log(sdk.LevelInfo, "rate limit reached rule="+r.name+" key="+subject+" (next report for this key in 1m)")
	}
}

// client returns the bucket subject for the session's address and whether
// the address is exempt; ok is false for calls without a client (imports).
func (l *limiter) client(s sdk.Session) (subject string, exempt, ok bool) {
	ip := s.IP()
	if ip == "" {
		return "", false, false
	}
	if len(l.exemptIPs) == 0 && strings.IndexByte(ip, ':') < 0 {
		return ip, false, true // IPv4, already in canonical form: skip the parse
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", false, false
	}
	a = a.Unmap()
	return l.ipKey(a), l.exemptIP(a), true
}

// ipKey is the bucket subject for a client: the address, or its IPv6
// prefix, since one IPv6 host usually holds a whole /64.
func (l *limiter) ipKey(a netip.Addr) string {
	if a.Is6() && l.v6Bits < 128 {
		p, _ := a.Prefix(l.v6Bits)
		return p.String()
	}
	return a.String()
}

func (l *limiter) exemptIP(a netip.Addr) bool {
	for _, p := range l.exemptIPs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// exemptSession reports whether the session authenticated (NIP-42) as an
// exempt pubkey. The event's own pubkey is not trusted before the
// signature check, so event_pre exempts by session only.
func (l *limiter) exemptSession(s sdk.Session) bool {
	return len(l.exemptKeys) > 0 && s.IsAuthed() && l.exemptKeys[s.Authed()]
}

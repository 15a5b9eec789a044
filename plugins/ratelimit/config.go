package main

import (
	"errors"
	"math"
	"net/netip"
	"strconv"

	"github.com/relayd/relayd/sdk/kinds"
	"github.com/relayd/relayd/sdk/nip19"
)

// Config is the plugin's [config] table.
type Config struct {
	// Rules are the token buckets, checked in order.
	Rules []Rule `json:"rules"`
	// ExemptPubkeys skip every rule: as the author of an event (pubkey and
	// kind rules) or as the NIP-42 authenticated key of the session.
	ExemptPubkeys []string `json:"exempt_pubkeys"`
	// ExemptIPs skip every rule; addresses or CIDR prefixes.
	ExemptIPs []string `json:"exempt_ips"`
	// IPv6Prefix groups IPv6 clients by this prefix length for ip,
	// connection and req buckets; 0 means 64.
	IPv6Prefix int `json:"ipv6_prefix"`
}

// Rule is one token bucket.
type Rule struct {
	// Name names the rule in logs and keys its buckets; default
	// "SCOPE#N" (N counts from 1 in the rules list).
	Name string `json:"name"`
	// Scope is what a bucket is kept per: ip, pubkey, authed, kind,
	// connection or req.
	Scope string `json:"scope"`
	// Kinds restricts an ip, pubkey, authed or kind rule to these kinds and
	// ranges; empty means every kind.
	Kinds kinds.Set `json:"kinds"`
	// Rate is the refill in tokens per second.
	Rate float64 `json:"rate"`
	// Burst is the bucket size, and how much a new bucket starts with.
	Burst int64 `json:"burst"`
}

// scope says which hook a rule runs in and what keys its buckets.
type scope uint8

const (
	scopeIP         scope = iota // event_pre, per client IP
	scopePubkey                  // event, per author
	scopeKind                    // event, one bucket relay-wide
	scopeConnection              // connect, per client IP
	scopeReq                     // req and count, per client IP
	scopeAuthed                  // event_pre, per NIP-42 authenticated pubkey
)

var scopeNames = map[string]scope{
	"ip": scopeIP, "pubkey": scopePubkey, "kind": scopeKind, "connection": scopeConnection, "req": scopeReq,
	"authed": scopeAuthed,
}

// rule is a checked Rule.
type rule struct {
	name  string
	scope scope
	kinds kinds.Set
	rate  float64
	burst int64
	what  string // "events from this IP", for messages
}

// limiter is the checked config: rules grouped by hook.
type limiter struct {
	pre, event, connect, req []rule
	exemptKeys               map[string]bool
	exemptIPs                []netip.Prefix
	v6Bits                   int
}

// compile checks c and builds the limiter.
func compile(c Config) (*limiter, error) {
	l := &limiter{exemptKeys: map[string]bool{}, v6Bits: c.IPv6Prefix}
	if l.v6Bits == 0 {
		l.v6Bits = 64
	}
	if l.v6Bits < 1 || l.v6Bits > 128 {
		return nil, errors.New("ipv6_prefix: want 1 to 128")
	}
	for _, s := range c.ExemptPubkeys {
		pk, err := nip19.Pubkey(s)
		if err != nil {
			return nil, errors.New("exempt_pubkeys: " + err.Error())
		}
		l.exemptKeys[pk] = true
	}
	for _, s := range c.ExemptIPs {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, errors.New("exempt_ips: " + err.Error())
		}
		l.exemptIPs = append(l.exemptIPs, p)
	}
	names := map[string]bool{}
	for i, cr := range c.Rules {
		r, err := checkRule(i, cr)
		if err != nil {
			return nil, err
		}
		if names[r.name] {
			return nil, errors.New("rules: two rules named " + strconv.Quote(r.name))
		}
		names[r.name] = true
		l.add(r)
	}
	return l, nil
}

func (l *limiter) add(r rule) {
	switch r.scope {
	case scopeIP, scopeAuthed:
		l.pre = append(l.pre, r)
	case scopePubkey, scopeKind:
		l.event = append(l.event, r)
	case scopeConnection:
		l.connect = append(l.connect, r)
	case scopeReq:
		l.req = append(l.req, r)
	}
}

func checkRule(i int, cr Rule) (rule, error) {
	where := "rules[" + strconv.Itoa(i) + "]: "
	sc, ok := scopeNames[cr.Scope]
	if !ok {
		return rule{}, errors.New(where + "scope " + strconv.Quote(cr.Scope) + ": want ip, pubkey, authed, kind, connection or req")
	}
	if !(cr.Rate > 0) || math.IsInf(cr.Rate, 0) {
		return rule{}, errors.New(where + "rate: want a positive number of tokens per second")
	}
	if cr.Burst < 1 {
		return rule{}, errors.New(where + "burst: want at least 1")
	}
	if len(cr.Kinds) > 0 && (sc == scopeConnection || sc == scopeReq) {
		return rule{}, errors.New(where + "kinds: only for ip, pubkey, authed and kind rules")
	}
	r := rule{name: cr.Name, scope: sc, kinds: cr.Kinds, rate: cr.Rate, burst: cr.Burst}
	if r.name == "" {
		r.name = cr.Scope + "#" + strconv.Itoa(i+1)
	}
	if len(r.name) > 64 {
		return rule{}, errors.New(where + "name: at most 64 bytes")
	}
	r.what = describe(sc)
	return r, nil
}

func describe(sc scope) string {
	switch sc {
	case scopeIP:
		return "events from your IP"
	case scopePubkey:
		return "events from this pubkey"
	case scopeAuthed:
		return "events from your authenticated pubkey"
	case scopeKind:
		return "events of this kind on this relay"
	case scopeConnection:
		return "new connections from your IP"
	}
	return "requests from your IP"
}

// parsePrefix reads "203.0.113.7" or "10.0.0.0/8".
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, errors.New(strconv.Quote(s) + ": want an IP address or a CIDR prefix")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

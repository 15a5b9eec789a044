package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strconv"

	"github.com/relayd/relayd/sdk"
)

// Config is the plugin's [config] table. Empty lists are off.
type Config struct {
	// PubkeyAllow, if not empty, are the only authors accepted.
	PubkeyAllow []string `json:"pubkey_allow"`
	// PubkeyDeny are authors refused, and keys that may not AUTH.
	PubkeyDeny []string `json:"pubkey_deny"`
	// IPAllow, if not empty, are the only client addresses and prefixes
	// let in.
	IPAllow []string `json:"ip_allow"`
	// IPDeny are client addresses and prefixes refused.
	IPDeny []string `json:"ip_deny"`
	// KindAllow, if not empty, are the only kinds accepted.
	KindAllow kindSet `json:"kind_allow"`
	// KindDeny are kinds refused.
	KindDeny kindSet `json:"kind_deny"`
}

// lists is the checked config.
type lists struct {
	pkAllow, pkDeny     map[string]bool
	ipAllow, ipDeny     ipSet
	kindAllow, kindDeny kindSet
}

// decodeConfig decodes the [config] JSON strictly: an unknown key (a typo)
// refuses the load instead of being ignored.
func decodeConfig(v any) error {
	d := json.NewDecoder(bytes.NewReader(sdk.Config()))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errors.New("config: " + err.Error())
	}
	return nil
}

func compile(c Config) (*lists, error) {
	l := &lists{kindAllow: c.KindAllow, kindDeny: c.KindDeny}
	var err error
	if l.pkAllow, err = pubkeySet("pubkey_allow", c.PubkeyAllow); err != nil {
		return nil, err
	}
	if l.pkDeny, err = pubkeySet("pubkey_deny", c.PubkeyDeny); err != nil {
		return nil, err
	}
	if l.ipAllow, err = newIPSet("ip_allow", c.IPAllow); err != nil {
		return nil, err
	}
	if l.ipDeny, err = newIPSet("ip_deny", c.IPDeny); err != nil {
		return nil, err
	}
	return l, nil
}

func pubkeySet(key string, in []string) (map[string]bool, error) {
	set := make(map[string]bool, len(in))
	for _, s := range in {
		pk, err := parsePubkey(s)
		if err != nil {
			return nil, errors.New(key + ": " + err.Error())
		}
		set[pk] = true
	}
	return set, nil
}

// ipSet is a set of addresses and prefixes: a lookup costs one map probe
// per distinct prefix length, however long the list.
type ipSet struct {
	addrs    map[netip.Addr]bool
	prefixes map[netip.Prefix]bool
	lengths  []int // distinct prefix lengths in prefixes
}

func newIPSet(key string, in []string) (ipSet, error) {
	s := ipSet{addrs: map[netip.Addr]bool{}, prefixes: map[netip.Prefix]bool{}}
	for _, v := range in {
		if a, err := netip.ParseAddr(v); err == nil {
			s.addrs[a.Unmap()] = true
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return s, errors.New(key + ": " + strconv.Quote(v) + ": want an IP address or a CIDR prefix")
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		s.prefixes[p] = true
		if !slices.Contains(s.lengths, p.Bits()) {
			s.lengths = append(s.lengths, p.Bits())
		}
	}
	return s, nil
}

func (s ipSet) empty() bool { return len(s.addrs) == 0 && len(s.prefixes) == 0 }

func (s ipSet) has(a netip.Addr) bool {
	if s.addrs[a] {
		return true
	}
	for _, n := range s.lengths {
		if p, err := a.Prefix(n); err == nil && s.prefixes[p] {
			return true
		}
	}
	return false
}

package main

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"

	"github.com/relayd/relayd/sdk/kinds"
	"github.com/relayd/relayd/sdk/nip19"
)

// Config is the plugin's [config] table. Empty lists are off. Each
// ..._file key names a list file, one of the host setting "files", whose
// entries are added to the list of the same name.
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
	KindAllow kinds.Set `json:"kind_allow"`
	// KindDeny are kinds refused.
	KindDeny kinds.Set `json:"kind_deny"`

	// PubkeyAllowFile names a file of more PubkeyAllow entries.
	PubkeyAllowFile string `json:"pubkey_allow_file"`
	// PubkeyDenyFile names a file of more PubkeyDeny entries.
	PubkeyDenyFile string `json:"pubkey_deny_file"`
	// IPAllowFile names a file of more IPAllow entries.
	IPAllowFile string `json:"ip_allow_file"`
	// IPDenyFile names a file of more IPDeny entries.
	IPDenyFile string `json:"ip_deny_file"`
	// KindAllowFile names a file of more KindAllow entries.
	KindAllowFile string `json:"kind_allow_file"`
	// KindDenyFile names a file of more KindDeny entries.
	KindDenyFile string `json:"kind_deny_file"`

	// Manage false stops this copy of the plugin serving the NIP-86
	// management methods (default true), for a relay that runs two copies
	// of lists: one method is served by one plugin.
	Manage *bool `json:"manage"`
}

// lists is the checked config, with the list files merged in.
type lists struct {
	pkAllow, pkDeny     pubkeySet
	ipAllow, ipDeny     ipSet
	kindAllow, kindDeny kinds.Set
}

// compile checks the config and merges the list files into the lists.
func compile(c Config) (*lists, error) {
	l := &lists{kindAllow: c.KindAllow, kindDeny: c.KindDeny}
	var err error
	if l.pkAllow, err = newPubkeySet("pubkey_allow", c.PubkeyAllow); err != nil {
		return nil, err
	}
	if l.pkDeny, err = newPubkeySet("pubkey_deny", c.PubkeyDeny); err != nil {
		return nil, err
	}
	if l.ipAllow, err = newIPSet("ip_allow", c.IPAllow); err != nil {
		return nil, err
	}
	if l.ipDeny, err = newIPSet("ip_deny", c.IPDeny); err != nil {
		return nil, err
	}
	files := []struct {
		key, name string
		add       func(string) error
	}{
		{"pubkey_allow_file", c.PubkeyAllowFile, l.pkAllow.add},
		{"pubkey_deny_file", c.PubkeyDenyFile, l.pkDeny.add},
		{"ip_allow_file", c.IPAllowFile, l.ipAllow.add},
		{"ip_deny_file", c.IPDenyFile, l.ipDeny.add},
		{"kind_allow_file", c.KindAllowFile, l.kindAllow.Add},
		{"kind_deny_file", c.KindDenyFile, l.kindDeny.Add},
	}
	for _, f := range files {
		if err := readList(f.key, f.name, f.add); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// pubkeySet is a set of hex pubkeys.
type pubkeySet map[string]bool

func newPubkeySet(key string, in []string) (pubkeySet, error) {
	set := make(pubkeySet, len(in))
	for _, s := range in {
		if err := set.add(s); err != nil {
			return nil, errors.New(key + ": " + err.Error())
		}
	}
	return set, nil
}

// add adds a pubkey written as hex or as an npub.
func (set pubkeySet) add(s string) error {
	pk, err := nip19.Pubkey(s)
	if err != nil {
		return err
	}
	set[pk] = true
	return nil
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
		if err := s.add(v); err != nil {
			return s, errors.New(key + ": " + err.Error())
		}
	}
	return s, nil
}

// add adds an address or a CIDR prefix.
func (s *ipSet) add(v string) error {
	a, p, isAddr, err := parseIP(v)
	if err != nil {
		return err
	}
	if isAddr {
		s.addrs[a] = true
		return nil
	}
	s.prefixes[p] = true
	if !slices.Contains(s.lengths, p.Bits()) {
		s.lengths = append(s.lengths, p.Bits())
	}
	return nil
}

// parseIP reads an address (unmapped) or a CIDR prefix (masked, an
// IPv4-mapped one as IPv4).
func parseIP(v string) (netip.Addr, netip.Prefix, bool, error) {
	if a, err := netip.ParseAddr(v); err == nil {
		return a.Unmap(), netip.Prefix{}, true, nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Addr{}, p, false, errors.New(strconv.Quote(v) + ": want an IP address or a CIDR prefix")
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return netip.Addr{}, p.Masked(), false, nil
}

// canonIP is the canonical text of an address or CIDR prefix.
func canonIP(v string) (string, error) {
	a, p, isAddr, err := parseIP(v)
	if err != nil {
		return "", err
	}
	if isAddr {
		return a.String(), nil
	}
	return p.String(), nil
}

// hasEntry reports whether canonical entry e (canonIP) is in the set as
// written, not merely covered by a prefix.
func (s ipSet) hasEntry(e string) bool {
	a, p, isAddr, err := parseIP(e)
	switch {
	case err != nil:
		return false
	case isAddr:
		return s.addrs[a]
	}
	return s.prefixes[p]
}

// entries returns the set's entries as canonical text.
func (s ipSet) entries() []string {
	var out []string
	for a := range s.addrs {
		out = append(out, a.String())
	}
	for p := range s.prefixes {
		out = append(out, p.String())
	}
	return out
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

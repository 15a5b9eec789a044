package config

import (
	"fmt"
	"net/netip"
)

// Prefixes is a list of IP prefixes read from a TOML list of strings. Each
// entry is a CIDR prefix ("10.0.0.0/8", "2001:db8::/32") or a plain
// address, which stands for itself alone (/32 or /128). IPv4-mapped IPv6
// entries are stored as IPv4, as client addresses are compared unmapped.
type Prefixes []netip.Prefix

// UnmarshalTOML reads a list of strings, naming the first bad entry.
func (ps *Prefixes) UnmarshalTOML(v any) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("want a list of addresses and CIDR prefixes, e.g. [\"127.0.0.1\"], got %v", v)
	}
	out := make(Prefixes, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return fmt.Errorf("entry %d (%v) is not a string", i, e)
		}
		p, err := ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, p)
	}
	*ps = out
	return nil
}

// ParsePrefix parses an IP address or CIDR prefix. A prefix with host bits
// set is masked ("10.1.2.3/8" is 10.0.0.0/8); an IPv4-mapped IPv6 prefix
// of /96 or longer becomes the IPv4 prefix it covers; zones are refused.
func ParsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return netip.Prefix{}, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", s)
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q: an address with a zone cannot be a proxy address", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

package main

import (
	"errors"
	"strconv"

	"github.com/relayd/relayd/sdk/nip19"
)

// Config is the plugin's [config] table.
type Config struct {
	// Owners are the relay's own keys (hex or npub): the roots of the web
	// of trust, always trusted. At least one.
	Owners []string `json:"owners"`
	// Hops is how far from the owners trust reaches: 1 is the keys the
	// owners follow, 2 (the default) also the keys those follow.
	Hops *int `json:"hops"`
	// MaxKeys bounds the trust set; nearer keys come first.
	MaxKeys int `json:"max_keys"`
	// Reads also gates REQ and COUNT: only sessions authenticated (NIP-42)
	// as a trusted key may read.
	Reads bool `json:"reads"`
	// Moderators are the keys whose kind-1984 reports the relay acts on;
	// nil means the owners, [] none.
	Moderators *[]string `json:"moderators"`
	// MaxReports bounds the reports one tick reads, and so the hidden
	// events and removed authors.
	MaxReports int `json:"max_reports"`
}

// Defaults and bounds of the config.
const (
	defaultHops       = 2
	maxHops           = 4
	defaultMaxKeys    = 100000
	maxMaxKeys        = 5000000
	defaultMaxReports = 10000
	maxMaxReports     = 1000000
)

// rules is the checked config.
type rules struct {
	owners     []string
	moderators []string
	trusted    map[string]bool // owners and moderators: trusted whatever the store says
	isMod      map[string]bool
	hops       int
	maxKeys    int
	maxReports int
	reads      bool
}

// compile checks c and fills the defaults.
func compile(c Config) (*rules, error) {
	p := &rules{hops: defaultHops, maxKeys: c.MaxKeys, maxReports: c.MaxReports, reads: c.Reads,
		trusted: map[string]bool{}, isMod: map[string]bool{}}
	if len(c.Owners) == 0 {
		return nil, errors.New("owners: want at least one pubkey, the roots of the web of trust")
	}
	var err error
	if p.owners, err = pubkeys("owners", c.Owners); err != nil {
		return nil, err
	}
	p.moderators = p.owners
	if c.Moderators != nil {
		if p.moderators, err = pubkeys("moderators", *c.Moderators); err != nil {
			return nil, err
		}
	}
	if c.Hops != nil {
		p.hops = *c.Hops
	}
	if p.hops < 0 || p.hops > maxHops {
		return nil, errors.New("hops " + strconv.Itoa(p.hops) + ": want 0 to " + strconv.Itoa(maxHops))
	}
	if p.maxKeys, err = bounded("max_keys", c.MaxKeys, defaultMaxKeys, maxMaxKeys); err != nil {
		return nil, err
	}
	if p.maxReports, err = bounded("max_reports", c.MaxReports, defaultMaxReports, maxMaxReports); err != nil {
		return nil, err
	}
	for _, k := range p.owners {
		p.trusted[k] = true
	}
	for _, k := range p.moderators {
		p.trusted[k], p.isMod[k] = true, true
	}
	return p, nil
}

func pubkeys(key string, in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, s := range in {
		pk, err := nip19.Pubkey(s)
		if err != nil {
			return nil, errors.New(key + ": " + err.Error())
		}
		out = append(out, pk)
	}
	return out, nil
}

func bounded(key string, v, def, most int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 0 || v > most:
		return 0, errors.New(key + " " + strconv.Itoa(v) + ": want 1 to " + strconv.Itoa(most))
	}
	return v, nil
}

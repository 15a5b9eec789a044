package main

import (
	"errors"
	"strconv"

	"github.com/relayd/relayd/sdk/kinds"
)

// Config is the plugin's [config] table.
type Config struct {
	// MinDifficulty is the NIP-13 difficulty every event needs; 0 is off.
	MinDifficulty int `json:"min_difficulty"`
	// Kinds override MinDifficulty for a kind ("1") or a range
	// ("30000-39999").
	Kinds map[string]int `json:"kinds"`
	// RequireCommitment refuses events without a committed target (the
	// third element of the nonce tag) when a minimum applies; default true.
	RequireCommitment *bool `json:"require_commitment"`
}

// maxDifficulty is the most an event id (256 bits) can show.
const maxDifficulty = 256

// minimums is the checked config.
type minimums struct {
	global  int
	kinds   kinds.Map[int]
	commit  bool
	anyWork bool // some kind needs work
}

func compile(c Config) (*minimums, error) {
	p := &minimums{global: c.MinDifficulty, commit: true}
	if c.RequireCommitment != nil {
		p.commit = *c.RequireCommitment
	}
	if err := checkMin("min_difficulty", c.MinDifficulty); err != nil {
		return nil, err
	}
	p.anyWork = p.global > 0
	for key, m := range c.Kinds {
		kr, err := kinds.ParseRange(key)
		if err != nil {
			return nil, errors.New("kinds: " + err.Error())
		}
		if err := checkMin("kinds."+key, m); err != nil {
			return nil, err
		}
		p.anyWork = p.anyWork || m > 0
		p.kinds.Put(kr, m)
	}
	return p, nil
}

func checkMin(key string, m int) error {
	if m < 0 || m > maxDifficulty {
		return errors.New(key + ": want a difficulty from 0 (off) to 256, got " + strconv.Itoa(m))
	}
	return nil
}

// forKind returns the minimum difficulty for kind: its own entry, else the
// narrowest range that holds it, else the global minimum.
func (p *minimums) forKind(kind int) int {
	if m, ok := p.kinds.Get(kind); ok {
		return m
	}
	return p.global
}

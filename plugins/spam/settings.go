package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/relayd/relayd/sdk/config"
)

// settings is the plugin's [config] table.
type settings struct {
	// Action is "reject" (OK false "blocked: ...") or "shadow" (OK true,
	// but the event is dropped).
	Action string `json:"action"`
	// Kinds are the kinds checked; empty means every kind.
	Kinds         []int      `json:"kinds"`
	ExemptPubkeys []string   `json:"exempt_pubkeys"`
	Flood         flood      `json:"flood"`
	NewAuthors    newAuthors `json:"new_authors"`
	Keywords      []string   `json:"keywords"`
	Regexps       []string   `json:"regexps"`

	shadow   bool
	kinds    map[int]bool
	exempt   map[string]bool
	keywords []string // lower case
	regexps  []pattern
}

// flood is the same-content-from-many-pubkeys rule.
type flood struct {
	// Pubkeys is how many distinct pubkeys may post the same content in a
	// window; 0 turns the rule off.
	Pubkeys   int    `json:"pubkeys"`
	Window    string `json:"window"`
	MinLength int    `json:"min_length"`
	window    time.Duration
}

// newAuthors are the caps for pubkeys the relay has no events of.
type newAuthors struct {
	// MaxLinks and MaxMentions are the caps; -1 turns one off.
	MaxLinks    int    `json:"max_links"`
	MaxMentions int    `json:"max_mentions"`
	MinEvents   int64  `json:"min_events"`
	CacheTTL    string `json:"cache_ttl"`
	cacheTTL    time.Duration
}

// unknownTTL is how long "this pubkey is new" is cached: short, so that a
// newcomer whose first events were stored is soon treated as known.
const unknownTTL = time.Minute

func defaults() *settings {
	return &settings{
		Action:     "reject",
		Kinds:      []int{1, 42, 1111},
		Flood:      flood{Pubkeys: 5, Window: "10m", MinLength: 20},
		NewAuthors: newAuthors{MaxLinks: 2, MaxMentions: 5, MinEvents: 1, CacheTTL: "24h"},
	}
}

// loadSettings decodes the [config] JSON over the defaults, checks it and
// compiles the regexps. Unknown keys are an error.
func loadSettings() (*settings, error) {
	s := defaults()
	if err := config.DecodeStrict(s); err != nil {
		return nil, fmt.Errorf("spam: config: %w", err)
	}
	switch s.Action {
	case "reject", "shadow":
		s.shadow = s.Action == "shadow"
	default:
		return nil, fmt.Errorf("spam: config: action %q: want \"reject\" or \"shadow\"", s.Action)
	}
	var err error
	if s.Flood.window, err = parseDuration("flood.window", s.Flood.Window); err != nil {
		return nil, err
	}
	if s.NewAuthors.cacheTTL, err = parseDuration("new_authors.cache_ttl", s.NewAuthors.CacheTTL); err != nil {
		return nil, err
	}
	switch {
	case s.Flood.Pubkeys < 0:
		return nil, fmt.Errorf("spam: config: flood.pubkeys %d: want 0 (off) or more", s.Flood.Pubkeys)
	case s.NewAuthors.MaxLinks < -1 || s.NewAuthors.MaxMentions < -1:
		return nil, fmt.Errorf("spam: config: new_authors: max_links and max_mentions must be -1 (off) or more")
	case s.NewAuthors.MinEvents < 1:
		return nil, fmt.Errorf("spam: config: new_authors.min_events must be at least 1")
	}
	s.kinds = map[int]bool{}
	for _, k := range s.Kinds {
		if k < 0 || k > 65535 {
			return nil, fmt.Errorf("spam: config: kinds: kind %d out of range", k)
		}
		s.kinds[k] = true
	}
	s.exempt = map[string]bool{}
	for _, pk := range s.ExemptPubkeys {
		if len(pk) != 64 || strings.Trim(pk, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("spam: config: exempt_pubkeys: %q is not a 64-character lowercase hex pubkey", pk)
		}
		s.exempt[pk] = true
	}
	for _, k := range s.Keywords {
		if k = strings.ToLower(strings.TrimSpace(k)); k == "" {
			return nil, fmt.Errorf("spam: config: keywords: empty keyword")
		}
		s.keywords = append(s.keywords, strings.ToLower(k))
	}
	for i, p := range s.Regexps {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("spam: config: regexps[%d]: %w", i, err)
		}
		s.regexps = append(s.regexps, newPattern(re))
	}
	return s, nil
}

// parseDuration reads days ("7d") or a Go duration ("10m").
func parseDuration(key, v string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d >= time.Second {
		return d, nil
	}
	return 0, fmt.Errorf("spam: config: %s %q: want a duration such as \"10m\" or \"1d\"", key, v)
}

// checks reports whether e's kind is checked.
func (s *settings) checks(kind int) bool { return len(s.kinds) == 0 || s.kinds[kind] }

func (s *settings) summary() string {
	return fmt.Sprintf("action=%s kinds=%v flood=%d pubkeys/%s new_authors=links<=%d mentions<=%d keywords=%d regexps=%d exempt=%d",
		s.Action, s.Kinds, s.Flood.Pubkeys, s.Flood.Window, s.NewAuthors.MaxLinks, s.NewAuthors.MaxMentions,
		len(s.keywords), len(s.regexps), len(s.exempt))
}

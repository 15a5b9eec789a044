package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/relayd/relayd/sdk/config"
)

// action is what a rule does to a filter that trips it.
type action string

const (
	actReject action = "reject" // CLOSED "blocked: ..."
	actClamp  action = "clamp"  // rewrite: lower the filter's limit
	actOff    action = "off"    // the rule is not checked
)

// settings is the plugin's [config] table: one table per rule.
type settings struct {
	Empty         limitRule `json:"empty"`
	KindOnly      kindsRule `json:"kind_only"`
	Unselective   kindsRule `json:"unselective"`
	Limit         maxRule   `json:"limit"`
	Filters       maxRule   `json:"filters"`
	OldSince      sinceRule `json:"old_since"`
	ExemptPubkeys []string  `json:"exempt_pubkeys"`
	exempt        map[string]bool
}

// limitRule trips on a kind of filter; clamp lowers its limit to Limit.
type limitRule struct {
	Action action `json:"action"`
	Limit  int    `json:"limit"`
}

// kindsRule is a limitRule for filters asking for some Kinds.
type kindsRule struct {
	Action action `json:"action"`
	Limit  int    `json:"limit"`
	Kinds  []int  `json:"kinds"`
	set    map[int]bool
}

// maxRule trips above Max; clamp lowers to Max.
type maxRule struct {
	Action action `json:"action"`
	Max    int    `json:"max"`
}

// sinceRule trips on a since older than MaxAge; clamp lowers the limit.
type sinceRule struct {
	Action action `json:"action"`
	MaxAge string `json:"max_age"`
	Limit  int    `json:"limit"`
	age    int64  // seconds
}

func defaults() *settings {
	return &settings{
		Empty:       limitRule{Action: actReject, Limit: 20},
		KindOnly:    kindsRule{Action: actClamp, Limit: 100, Kinds: []int{0, 1, 6, 7, 16, 1111, 9735}},
		Unselective: kindsRule{Action: actReject, Limit: 20, Kinds: []int{3, 10000}},
		Limit:       maxRule{Action: actClamp, Max: 500},
		Filters:     maxRule{Action: actReject, Max: 10},
		OldSince:    sinceRule{Action: actClamp, MaxAge: "30d", Limit: 50},
	}
}

// loadSettings decodes the [config] JSON over the defaults and checks it.
// Unknown keys are an error.
func loadSettings() (*settings, error) {
	s := defaults()
	if err := config.DecodeStrict(s); err != nil {
		return nil, fmt.Errorf("antiscrape: config: %w", err)
	}
	checks := []struct {
		name  string
		a     action
		limit int
	}{
		{"empty", s.Empty.Action, s.Empty.Limit},
		{"kind_only", s.KindOnly.Action, s.KindOnly.Limit},
		{"unselective", s.Unselective.Action, s.Unselective.Limit},
		{"limit", s.Limit.Action, s.Limit.Max},
		{"filters", s.Filters.Action, s.Filters.Max},
		{"old_since", s.OldSince.Action, s.OldSince.Limit},
	}
	for _, c := range checks {
		switch c.a {
		case actReject, actClamp, actOff:
		default:
			return nil, fmt.Errorf("antiscrape: config: %s.action %q: want \"reject\", \"clamp\" or \"off\"", c.name, c.a)
		}
		if c.limit < 1 && c.a != actOff {
			return nil, fmt.Errorf("antiscrape: config: %s: limit/max must be at least 1", c.name)
		}
	}
	var err error
	if s.KindOnly.set, err = kindSet("kind_only", s.KindOnly.Kinds); err != nil {
		return nil, err
	}
	if s.Unselective.set, err = kindSet("unselective", s.Unselective.Kinds); err != nil {
		return nil, err
	}
	if s.OldSince.age, err = parseAge(s.OldSince.MaxAge); err != nil {
		return nil, fmt.Errorf("antiscrape: config: old_since.max_age: %w", err)
	}
	s.exempt = map[string]bool{}
	for _, pk := range s.ExemptPubkeys {
		if len(pk) != 64 || strings.Trim(pk, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("antiscrape: config: exempt_pubkeys: %q is not a 64-character lowercase hex pubkey", pk)
		}
		s.exempt[pk] = true
	}
	return s, nil
}

func kindSet(rule string, kinds []int) (map[int]bool, error) {
	m := make(map[int]bool, len(kinds))
	for _, k := range kinds {
		if k < 0 || k > 65535 {
			return nil, fmt.Errorf("antiscrape: config: %s.kinds: kind %d out of range", rule, k)
		}
		m[k] = true
	}
	return m, nil
}

// parseAge reads a duration: Go's syntax ("36h", "90m") or days ("30d").
func parseAge(s string) (int64, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q: want a duration such as \"30d\" or \"12h\"", s)
		}
		return int64(n) * 86400, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("%q: want a duration such as \"30d\" or \"12h\"", s)
	}
	return int64(d / time.Second), nil
}

// summary describes the rules for the log.
func (s *settings) summary() string {
	return fmt.Sprintf("empty=%s kind_only=%s(%d kinds, limit %d) unselective=%s(%d kinds) limit=%s(%d) filters=%s(%d) old_since=%s(%s, limit %d) exempt=%d",
		s.Empty.Action, s.KindOnly.Action, len(s.KindOnly.Kinds), s.KindOnly.Limit, s.Unselective.Action,
		len(s.Unselective.Kinds), s.Limit.Action, s.Limit.Max, s.Filters.Action, s.Filters.Max,
		s.OldSince.Action, s.OldSince.MaxAge, s.OldSince.Limit, len(s.exempt))
}

package main

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// kindSet is a list of kinds and kind ranges, written in config as
// [1, 7, "30000-39999"].
type kindSet []kindRange

type kindRange struct{ lo, hi int }

// UnmarshalJSON reads numbers and "lo-hi" strings.
func (k *kindSet) UnmarshalJSON(b []byte) error {
	var raw []any
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("kinds: want a list of kinds and \"lo-hi\" ranges")
	}
	out := make(kindSet, 0, len(raw))
	for _, v := range raw {
		var r kindRange
		var err error
		switch v := v.(type) {
		case float64:
			r, err = parseKindRange(strconv.FormatFloat(v, 'f', -1, 64))
		case string:
			r, err = parseKindRange(v)
		default:
			err = errors.New("kinds: want numbers and \"lo-hi\" strings")
		}
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	*k = out
	return nil
}

// parseKindRange parses "7" or "30000-39999".
func parseKindRange(s string) (kindRange, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	if !isRange {
		hi = lo
	}
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || a < 0 || b < a {
		return kindRange{}, errors.New("kind " + strconv.Quote(s) + ": want a kind (7) or a range (30000-39999)")
	}
	return kindRange{a, b}, nil
}

// add adds a kind or a "lo-hi" range.
func (k *kindSet) add(s string) error {
	r, err := parseKindRange(s)
	if err != nil {
		return err
	}
	*k = append(*k, r)
	return nil
}

// has reports whether kind is in the set.
func (k kindSet) has(kind int) bool {
	for _, r := range k {
		if r.lo <= kind && kind <= r.hi {
			return true
		}
	}
	return false
}

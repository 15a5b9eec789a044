// Package kinds reads sets of event kinds as plugin configs write them: a
// list of kinds and "lo-hi" ranges, such as [1, 7, "30000-39999"].
//
// A Set decodes from that JSON (the [config] table arrives as JSON), so it
// can be the type of a config field:
//
//	type Config struct {
//		Kinds kinds.Set `json:"kinds"`
//	}
package kinds

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Range is the kinds from Lo to Hi, both included.
type Range struct{ Lo, Hi int }

// ParseRange parses a kind ("7") or a range ("30000-39999"). Spaces around
// the numbers are allowed; a range must not run backwards.
func ParseRange(s string) (Range, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	if !isRange {
		hi = lo
	}
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || a < 0 || b < a {
		return Range{}, errors.New("kind " + strconv.Quote(s) + ": want a kind (7) or a range (30000-39999)")
	}
	return Range{a, b}, nil
}

// Has reports whether kind is in r.
func (r Range) Has(kind int) bool { return r.Lo <= kind && kind <= r.Hi }

// Set is a list of kinds and kind ranges; the zero value is empty. A
// lookup walks the list, which suits the few entries a config names.
type Set []Range

// UnmarshalJSON reads a JSON list of numbers and "lo-hi" strings.
func (s *Set) UnmarshalJSON(b []byte) error {
	var raw []any
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("kinds: want a list of kinds and \"lo-hi\" ranges")
	}
	out := make(Set, 0, len(raw))
	for _, v := range raw {
		var r Range
		var err error
		switch v := v.(type) {
		case float64:
			r, err = ParseRange(strconv.FormatFloat(v, 'f', -1, 64))
		case string:
			r, err = ParseRange(v)
		default:
			err = errors.New("kinds: want numbers and \"lo-hi\" strings")
		}
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	*s = out
	return nil
}

// Add adds a kind or a "lo-hi" range, as ParseRange reads it.
func (s *Set) Add(spec string) error {
	r, err := ParseRange(spec)
	if err != nil {
		return err
	}
	*s = append(*s, r)
	return nil
}

// Has reports whether kind is in s.
func (s Set) Has(kind int) bool {
	for _, r := range s {
		if r.Has(kind) {
			return true
		}
	}
	return false
}

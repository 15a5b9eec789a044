package main

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// pattern is a compiled regexp with a literal that every match contains.
// Go's regexp engine costs tens of microseconds per note in wasm; the
// literal check (strings.Contains) rules out most content first, as
// ripgrep does.
type pattern struct {
	re *regexp.Regexp
	// lit is a required literal ("" if none was found); fold says it is
	// matched case-insensitively, against the lower-cased content.
	lit  string
	fold bool
}

func newPattern(re *regexp.Regexp) pattern {
	p := pattern{re: re}
	if tree, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		p.lit, p.fold = required(tree.Simplify())
		if p.fold {
			p.lit = strings.ToLower(p.lit)
		}
	}
	if len(p.lit) < 2 {
		p.lit = ""
	}
	return p
}

// match reports whether content matches; lower is content lower-cased.
func (p pattern) match(content, lower string) bool {
	switch {
	case p.lit == "":
	case p.fold && !strings.Contains(lower, p.lit):
		return false
	case !p.fold && !strings.Contains(content, p.lit):
		return false
	}
	return p.re.MatchString(content)
}

// required returns the longest literal every match of re contains. A
// case-folded literal is limited to ASCII without k and s: those are the
// only ASCII letters with non-ASCII case partners (K, ſ), which
// lower-casing the content would not map to them.
func required(re *syntax.Regexp) (lit string, fold bool) {
	switch re.Op {
	case syntax.OpLiteral:
		fold = re.Flags&syntax.FoldCase != 0
		if !fold {
			return string(re.Rune), false
		}
		return longestFoldSafe(re.Rune), true
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if l, f := required(sub); len(l) > len(lit) {
				lit, fold = l, f
			}
		}
	}
	return lit, fold
}

// longestFoldSafe returns the longest run of runes that lower-casing maps
// exactly: ASCII other than k and s.
func longestFoldSafe(rs []rune) string {
	best, cur := "", []rune{}
	for _, r := range append(rs, 0) {
		l := r | 0x20
		if r != 0 && r < 0x80 && l != 'k' && l != 's' {
			cur = append(cur, r)
			continue
		}
		if len(cur) > len(best) {
			best = string(cur)
		}
		cur = cur[:0]
	}
	return best
}

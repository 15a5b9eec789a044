package main

import (
	"regexp"
	"strings"
	"testing"
)

var testPatterns = []string{
	`(?i)t\.me/[a-z0-9_]+`, `(?i)whats\s*app\s*\+?\d{6,}`, `(?i)\bfree\s+(btc|bitcoin|sats)\b`,
	`airdrop`, `(?i)SKS`, `(ab)+cd`, `x{2,}yz`, `(?i)colou?r`, `a|b`, `.*`, `(?i)Ünïcode`,
}

func TestPatternLiteral(t *testing.T) {
	tests := []struct {
		re, lit string
		fold    bool
	}{
		{`(?i)t\.me/[a-z0-9_]+`, "t.me/", true},
		{`(?i)whats\s*app\s*\+?\d{6,}`, "what", true}, // "whats" without its s
		{`(?i)\bfree\s+(btc|bitcoin|sats)\b`, "free", true},
		{`airdrop`, "airdrop", false},
		{`(?i)SKS`, "", true}, // only k and s: nothing safe to look for
		{`(?i)ask me`, " me", true},
		{`(ab)+cd`, "ab", false},
		{`x{2,}yz`, "yz", false},
		{`a|b`, "", false},
		{`(?i)Ünïcode`, "code", true},
	}
	for _, tc := range tests {
		p := newPattern(regexp.MustCompile(tc.re))
		if p.lit != tc.lit || p.lit != "" && p.fold != tc.fold {
			t.Errorf("%s: literal %q fold %v, want %q %v", tc.re, p.lit, p.fold, tc.lit, tc.fold)
		}
	}
}

// TestPatternMatchesLikeRegexp: the literal check never changes the answer.
func TestPatternMatchesLikeRegexp(t *testing.T) {
	contents := []string{
		"", "join T.ME/scam", "join t.me/", "WhatsApp +1234567", "whats app 1234567", "FREE   Bitcoin!", "free sats",
		"airdrop", "AIRDROP", "sks", "SKS", "\u212aS\u017f", "\u017fk\u212a", "ababcd", "xxyz", "xyz", "COLOR", "colour",
		"ÜNÏCODE", "ünïcode", "\xff\xfe t.me/a",
	}
	for _, src := range testPatterns {
		re := regexp.MustCompile(src)
		p := newPattern(re)
		for _, c := range contents {
			if got, want := p.match(c, strings.ToLower(c)), re.MatchString(c); got != want {
				t.Errorf("%s on %q: got %v, regexp says %v", src, c, got, want)
			}
		}
	}
}

func FuzzPattern(f *testing.F) {
	f.Add("join t.me/x now")
	f.Add("\u212a\u017f")
	f.Fuzz(func(t *testing.T, c string) {
		for _, src := range testPatterns {
			re := regexp.MustCompile(src)
			if got, want := newPattern(re).match(c, strings.ToLower(c)), re.MatchString(c); got != want {
				t.Fatalf("%s on %q: got %v, regexp says %v", src, c, got, want)
			}
		}
	})
}

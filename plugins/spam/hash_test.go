package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMurmur3 checks the hash against MurmurHash3_x64_128's published
// values (seed 0) as two big-endian halves (the digest as bytes, little
// endian, reads 6c1b07bc… for the fox), covering a tail shorter and longer
// than 8 bytes.
func TestMurmur3(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "00000000000000000000000000000000"},
		{"hello", "cbd8a7b341bd9b025b1e906a48ae1d19"},
		{"The quick brown fox jumps over the lazy dog", "e34bbc7bbc071b6c7a433ca9c49a9347"},
	} {
		h1, h2 := murmur3([]byte(tc.in))
		if got := fmt.Sprintf("%016x%016x", h1, h2); got != tc.want {
			t.Errorf("murmur3(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if got := contentHash([]byte(tc.in)); got != tc.want {
			t.Errorf("contentHash(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestCountLinksMatchesLowerCount checks the byte scan against the
// definition it replaced, strings.Count on the lower-cased content, on
// mixed-case, overlapping, non-ASCII and invalid UTF-8 inputs.
func TestCountLinksMatchesLowerCount(t *testing.T) {
	old := func(s string) int {
		l := strings.ToLower(s)
		return strings.Count(l, "http://") + strings.Count(l, "https://")
	}
	cases := []string{"", "http://", "HTTPS://x", "hTtP://a hTTps://b", "httphttp://", "https:/http://x",
		"http:// https://", "ＨTTP://", "\u212aHTTP://", "\xffhttp://\xfe", "httpss://", "http:///",
		"xhttps://http://", "nothing here", "http:", "https:"}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"h", "H", "t", "T", "p", "P", "s", "S", ":", "/", "x", "é", "\u212a", "\xff"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(24) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, c := range cases {
		if got, want := countLinks(c), old(c); got != want {
			t.Fatalf("countLinks(%q) = %d, want %d", c, got, want)
		}
	}
}

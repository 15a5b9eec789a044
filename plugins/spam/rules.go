package main

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/relayd/relayd/sdk"
)

// matchKeyword returns the index of the first keyword in the lower-cased
// content, or -1.
func matchKeyword(lower string) int {
	for i, k := range cfg.keywords {
		if strings.Contains(lower, k) {
			return i
		}
	}
	return -1
}

// checkNewAuthor applies the link and mention caps. The store is asked
// whether the author is known only when an event is over a cap.
func checkNewAuthor(e sdk.Event, content string) (sdk.Verdict, bool) {
	na := &cfg.NewAuthors
	links := -1
	if na.MaxLinks >= 0 {
		if links = countLinks(content); links <= na.MaxLinks {
			links = -1
		}
	}
	mentions := -1
	if na.MaxMentions >= 0 {
		if mentions = countMentions(e, content); mentions <= na.MaxMentions {
			mentions = -1
		}
	}
	if links < 0 && mentions < 0 || known(e.Pubkey()) {
		return sdk.Verdict{}, false
	}
	if links >= 0 {
		return refuse("rule=new_links links="+strconv.Itoa(links), "too many links for a new account (max "+strconv.Itoa(na.MaxLinks)+")"), true
	}
	return refuse("rule=new_mentions mentions="+strconv.Itoa(mentions), "too many mentions for a new account (max "+strconv.Itoa(na.MaxMentions)+")"), true
}

// countLinks counts http:// and https:// URLs, in any case. It scans the
// bytes, as strings.Count on strings.ToLower(content) would count them,
// without the copy: no non-ASCII rune lower-cases to h, t, p, s, : or /
// (the only one that lower-cases to ASCII is the Kelvin sign, to k), and
// none of those bytes occurs inside a multi-byte UTF-8 sequence.
func countLinks(content string) int {
	// Each "://" (found with strings.Index, whose search for the first byte
	// runs a word at a time in Go's wasm runtime) ends a link when "http" or
	// "https" comes right before it.
	n := 0
	for i := 0; ; {
		j := strings.Index(content[i:], "://")
		if j < 0 {
			return n
		}
		j += i
		if j >= 4 && hasFoldPrefix(content[j-4:], "http") || j >= 5 && hasFoldPrefix(content[j-5:], "https") {
			n++
		}
		i = j + 3
	}
}

// hasFoldPrefix reports whether s starts with lower, a lower-case ASCII
// word of letters, in any case.
func hasFoldPrefix(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := range len(lower) {
		if s[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// countMentions is the larger of the number of p tags and of nostr:npub /
// nostr:nprofile references in the content. Tags are read only if there
// are more than the cap.
func countMentions(e sdk.Event, content string) int {
	refs := strings.Count(content, "nostr:npub1") + strings.Count(content, "nostr:nprofile1")
	ps := 0
	if e.TagCount() > cfg.NewAuthors.MaxMentions {
		for i := range e.TagCount() {
			if t := e.Tag(i); len(t) >= 2 && t[0] == "p" {
				ps++
			}
		}
	}
	return max(refs, ps)
}

// known reports whether the relay holds at least min_events events by
// pubkey. Answers are cached in the shared kv: "known" for cache_ttl, "new"
// for a minute. Without a store (or if it fails) every author counts as
// known: the caps fail open.
func known(pubkey string) bool {
	key := "known:" + pubkey
	if v, ok, err := sdk.KVGet(key); err == nil && ok {
		return len(v) == 1 && v[0] == '1'
	}
	n, err := sdk.StoreCount(`{"authors":["` + pubkey + `"]}`)
	if err != nil {
		if errors.Is(err, sdk.ErrUnavailable) {
			warnOnce("spam: the relay has no event store: new_authors caps are off")
		} else if sdk.LogEnabled(sdk.LevelWarn) {
			sdk.Log(sdk.LevelWarn, "spam: store_count failed, treating the author as known: "+err.Error())
		}
		return true
	}
	if n >= cfg.NewAuthors.MinEvents {
		sdk.KVSet(key, []byte{'1'}, cfg.NewAuthors.cacheTTL)
		return true
	}
	sdk.KVSet(key, []byte{'0'}, unknownTTL)
	return false
}

var warned bool

func warnOnce(msg string) {
	if !warned {
		warned = true
		sdk.Log(sdk.LevelWarn, msg)
	}
}

// floodCount records that pubkey posted content and returns how many
// distinct pubkeys posted the same (normalised) content in the current
// window, or 0 for content too short to track. The window starts when the
// content is first seen; counters live in the host and are shared by all
// instances.
func floodCount(pubkey, content string) int64 {
	norm := appendNormalized(normBuf[:0], content)
	normBuf = norm
	if len(norm) < cfg.Flood.MinLength {
		return 0
	}
	h := contentHash(norm)
	stored, err := sdk.KVCAS("seen:"+h+":"+pubkey, nil, []byte{1}, cfg.Flood.window)
	if err != nil {
		return 0
	}
	var n int64
	if stored {
		n, err = sdk.CounterAdd("flood:"+h, 1, cfg.Flood.window)
	} else {
		n, err = sdk.CounterGet("flood:" + h)
	}
	if err != nil {
		return 0
	}
	return n
}

// normalize lowers content and keeps only its letters and digits, after
// dropping nostr: references (spam often varies only in whom it mentions).
// Its length is in bytes of the result; min_length counts those. ASCII
// takes a fast path: this runs on every checked event.
func normalize(content string) string {
	return string(appendNormalized(nil, content))
}

// normBuf is floodCount's buffer for the normalised content, reused from
// call to call (an instance runs one call at a time).
var normBuf []byte

// appendNormalized appends the normalised content to b (see normalize).
func appendNormalized(b []byte, content string) []byte {
	b = slices.Grow(b, len(content))
	for i := 0; i < len(content); {
		c := content[i]
		if c < utf8.RuneSelf {
			if c == 'n' && strings.HasPrefix(content[i:], "nostr:") {
				j := i + len("nostr:")
				for j < len(content) && isBech32(content[j]) {
					j++
				}
				i = j
				continue
			}
			if l := asciiNorm[c]; l != 0 {
				b = append(b, l)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(content[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
		i += size
	}
	return b
}

// asciiNorm maps an ASCII letter or digit to itself lower-cased and every
// other ASCII byte to 0 (dropped): one load per byte instead of a chain of
// comparisons.
var asciiNorm = func() (t [utf8.RuneSelf]byte) {
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for c := byte('a'); c <= 'z'; c++ {
		t[c] = c
		t[c-'a'+'A'] = c
	}
	return t
}()

func isBech32(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

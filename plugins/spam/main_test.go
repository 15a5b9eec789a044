package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/sdktest"
)

var client = sdktest.Session{ID: 1, IP: "203.0.113.7"}

func pubkey(i int) string { return fmt.Sprintf("%064x", i+1) }

// store is a fake event store: stored events per author, and the number
// of store_count calls.
type store struct {
	events map[string]int64
	calls  int
}

func (s *store) count(filter string) (int64, error) {
	s.calls++
	for pk, n := range s.events {
		if strings.Contains(filter, pk) {
			return n, nil
		}
	}
	return 0, nil
}

type env struct {
	h   *sdktest.Host
	st  *store
	now time.Time
}

func newEnv(t *testing.T, config string) *env {
	t.Helper()
	e := &env{st: &store{events: map[string]int64{}}, now: time.Unix(1700000000, 0)}
	e.h = sdktest.New(sdktest.Options{Name: "spam", Config: config, Now: func() time.Time { return e.now }, Count: e.st.count})
	if err := e.h.Init(); err != nil {
		t.Fatalf("init with %s: %v", config, err)
	}
	return e
}

// publish runs event_pre then event, as the relay does.
func (e *env) publish(ev sdktest.Event) string {
	if r := e.h.EventPre(client, ev); r.String() != "accept" {
		return r.String()
	}
	return e.h.Event(client, ev).String()
}

func note(pk, content string, tags ...[]string) sdktest.Event {
	return sdktest.Event{Kind: 1, PubKey: pk, Content: content, Tags: tags}
}

func TestSettings(t *testing.T) {
	tests := []struct{ config, err string }{
		{`{}`, ""},
		{`{"kinds":[],"flood":{"window":"1d"}}`, ""},
		{`{"action":"drop"}`, `action "drop": want "reject" or "shadow"`},
		{`{"flood":{"window":"soon"}}`, `flood.window "soon": want a duration`},
		{`{"flood":{"pubkeys":-1}}`, "flood.pubkeys -1"},
		{`{"new_authors":{"cache_ttl":"0s"}}`, `new_authors.cache_ttl "0s"`},
		{`{"new_authors":{"max_links":-2}}`, "max_links and max_mentions must be -1 (off) or more"},
		{`{"new_authors":{"min_events":0}}`, "min_events must be at least 1"},
		{`{"kinds":[70000]}`, "kinds: kind 70000 out of range"},
		{`{"keywords":[" "]}`, "keywords: empty keyword"},
		{`{"regexps":["ok","(unclosed"]}`, "regexps[1]: error parsing regexp: missing closing )"},
		{`{"exempt_pubkeys":["xyz"]}`, `exempt_pubkeys: "xyz" is not`},
		{`{"flood":{"pubkey":3}}`, `unknown field "pubkey"`},
	}
	for _, tc := range tests {
		t.Run(tc.config, func(t *testing.T) {
			err := sdktest.New(sdktest.Options{Config: tc.config}).Init()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello, World!", "helloworld"},
		{"  BUY\tnow!!! 100% ", "buynow100"},
		{"hi nostr:npub1abc0xyz and nostr:nevent1qq, bye", "hiandbye"},
		{"Ünïcödé ÄÖÜ 日本語", "ünïcödéäöü日本語"},
		{"emoji 🎉🎉 only", "emojionly"},
		{"bad \xff utf8", "badutf8"},
	}
	for _, tc := range tests {
		if got := normalize(tc.in); got != tc.want {
			t.Errorf("normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestNormalizeMatchesReference checks the table-driven normalisation
// against the definition it replaced, on random mixes of the cases it
// treats apart (ASCII classes, nostr: references, non-ASCII letters, digits
// and symbols, invalid UTF-8).
func TestNormalizeMatchesReference(t *testing.T) {
	ref := func(content string) string {
		var b []byte
		for i := 0; i < len(content); {
			c := content[i]
			switch {
			case c == 'n' && strings.HasPrefix(content[i:], "nostr:"):
				j := i + len("nostr:")
				for j < len(content) && isBech32(content[j]) {
					j++
				}
				i = j
				continue
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
				b = append(b, c)
			case c >= 'A' && c <= 'Z':
				b = append(b, c+'a'-'A')
			case c >= 0x80:
				r, size := utf8.DecodeRuneInString(content[i:])
				if unicode.IsLetter(r) || unicode.IsDigit(r) {
					b = utf8.AppendRune(b, unicode.ToLower(r))
				}
				i += size
				continue
			}
			i++
		}
		return string(b)
	}
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", "n", "nostr:", "npub1", "0", "9", " ", "!", "@", "[", "`", "{", "\x7f", "É", "ß", "日", "٣", "🎉", "\xff", "\xc3"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(30) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		in := b.String()
		if got, want := normalize(in), ref(in); got != want {
			t.Fatalf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
	for c := range 256 { // every byte alone
		if got, want := normalize(string([]byte{byte(c)})), ref(string([]byte{byte(c)})); got != want {
			t.Fatalf("normalize(%#x) = %q, want %q", c, got, want)
		}
	}
}

func TestWordLists(t *testing.T) {
	config := `{"keywords":["Free Airdrop"],"regexps":["(?i)t\\.me/\\w+"]}`
	tests := []struct {
		name string
		ev   sdktest.Event
		want string
	}{
		{"clean", note(pubkey(0), "good morning"), "accept"},
		{"keyword any case", note(pubkey(0), "Claim your FREE AIRDROP now"), "reject blocked: content matches a blocked word"},
		{"regexp", note(pubkey(0), "join T.ME/scamchannel"), "reject blocked: content matches a blocked pattern"},
		{"other kind", sdktest.Event{Kind: 0, PubKey: pubkey(0), Content: "free airdrop"}, "accept"},
	}
	e := newEnv(t, config)
	for _, tc := range tests {
		if got := e.h.EventPre(client, tc.ev).String(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if e2 := newEnv(t, `{}`); e2.h.Hooks().Has(2) {
		t.Error("event_pre registered without word lists")
	}
}

func TestNewAuthors(t *testing.T) {
	known, newbie := pubkey(0), pubkey(1)
	links3 := "see https://a.example http://b.example HTTPS://c.example"
	mentions := func(n int) [][]string {
		var tags [][]string
		for i := range n {
			tags = append(tags, []string{"p", pubkey(100 + i)})
		}
		return tags
	}
	tests := []struct {
		name  string
		ev    sdktest.Event
		want  string
		calls int // store_count calls so far
	}{
		{"few links", note(newbie, "https://a.example https://b.example"), "accept", 0},
		{"known author, many links", note(known, links3), "accept", 1},
		{"known is cached", note(known, links3), "accept", 1},
		{"new author, many links", note(newbie, links3), "reject blocked: too many links for a new account (max 2)", 2},
		{"new is cached", note(newbie, links3), "reject blocked: too many links for a new account (max 2)", 2},
		{"new author, p tags", note(newbie, "hello", mentions(6)...), "reject blocked: too many mentions for a new account (max 5)", 2},
		{"new author, 5 p tags", note(newbie, "hello", mentions(5)...), "accept", 2},
		{"new author, npub references", note(newbie, strings.Repeat("nostr:npub1qqq ", 3)+strings.Repeat("nostr:nprofile1qqq ", 3)),
			"reject blocked: too many mentions for a new account (max 5)", 2},
		{"known author, p tags", note(known, "hello", mentions(50)...), "accept", 2},
	}
	e := newEnv(t, `{}`)
	e.st.events[known] = 3
	for _, tc := range tests {
		if got := e.publish(tc.ev); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		if e.st.calls != tc.calls {
			t.Errorf("%s: %d store calls, want %d", tc.name, e.st.calls, tc.calls)
		}
	}
	// "new" is cached for a minute only: once the newbie has stored
	// events, it becomes known.
	e.st.events[newbie] = 1
	e.now = e.now.Add(61 * time.Second)
	if got := e.publish(note(newbie, links3)); got != "accept" {
		t.Errorf("newbie with a stored event: got %q", got)
	}
}

func TestNewAuthorsMinEvents(t *testing.T) {
	e := newEnv(t, `{"new_authors":{"max_links":0,"min_events":3}}`)
	pk := pubkey(0)
	for n, want := range []string{"reject blocked: too many links for a new account (max 0)", "accept"} {
		e.st.events[pk] = int64(2 + n)
		e.now = e.now.Add(time.Hour)
		if got := e.publish(note(pk, "https://x.example")); got != want {
			t.Errorf("%d stored events: got %q, want %q", 2+n, got, want)
		}
	}
}

func TestNoStore(t *testing.T) {
	h := sdktest.New(sdktest.Options{Config: `{}`})
	for range 2 {
		if got := h.Event(client, note(pubkey(0), "https://a https://b https://c")).String(); got != "accept" {
			t.Errorf("without a store: got %q, want accept", got)
		}
	}
	var warns int
	for _, l := range h.Logs() {
		if strings.HasPrefix(l, "WARN spam: the relay has no event store") {
			warns++
		}
	}
	if warns != 1 {
		t.Errorf("%d store warnings, want 1: %q", warns, h.Logs())
	}
}

func TestFlood(t *testing.T) {
	e := newEnv(t, `{"new_authors":{"max_links":-1,"max_mentions":-1}}`)
	msg := "Check out this AMAZING offer right now!!!"
	variant := "check out this amazing offer, right now nostr:npub1xyz"
	want := []string{"accept", "accept", "accept", "accept", "accept", "reject blocked: the same content was posted by too many accounts"}
	for i, w := range want {
		content := msg
		if i%2 == 1 {
			content = variant
		}
		if got := e.publish(note(pubkey(i), content)); got != w {
			t.Errorf("pubkey %d: got %q, want %q", i, got, w)
		}
	}
	if got := e.publish(note(pubkey(0), msg)); got != want[5] {
		t.Errorf("first poster again, after the flood: got %q", got)
	}
	if got := e.publish(note(pubkey(0), "gm gm gm")); got != "accept" {
		t.Errorf("short content: got %q", got)
	}
	for i := range 10 {
		if got := e.publish(note(pubkey(i), "gm")); got != "accept" {
			t.Fatalf("short content from pubkey %d: got %q", i, got)
		}
	}
	// One pubkey repeating itself is not a flood.
	for range 10 {
		if got := e.publish(note(pubkey(50), "the same long text from the same key")); got != "accept" {
			t.Fatalf("repeat from one key: got %q", got)
		}
	}
	e.now = e.now.Add(11 * time.Minute)
	if got := e.publish(note(pubkey(20), msg)); got != "accept" {
		t.Errorf("after the window: got %q", got)
	}
}

func TestShadowAndExempt(t *testing.T) {
	e := newEnv(t, `{"action":"shadow","keywords":["spam"],"exempt_pubkeys":["`+pubkey(9)+`"]}`)
	if got := e.publish(note(pubkey(0), "this is spam")); got != "shadowReject" {
		t.Errorf("got %q, want shadowReject", got)
	}
	if got := e.publish(note(pubkey(9), "this is spam")); got != "accept" {
		t.Errorf("exempt: got %q, want accept", got)
	}
}

func TestReadmeExamples(t *testing.T) {
	ex := plugintest.ReadExamples(t, "README.md")
	type check struct {
		ev     sdktest.Event
		stored int64 // events the store holds by the author
		want   string
	}
	nl := "https://x.example"
	tests := map[string][]check{
		"Defaults": {
			{ev: note(pubkey(0), nl+" "+nl+" "+nl), want: "reject blocked: too many links for a new account (max 2)"},
			{ev: note(pubkey(1), nl+" "+nl+" "+nl), stored: 1, want: "accept"},
		},
		"Shadow-ban scam words": {
			{ev: note(pubkey(0), "Get your FREE AIRDROP"), want: "shadowReject"},
			{ev: note(pubkey(0), "dm me on t.me/scam_bot"), want: "shadowReject"},
			{ev: note(pubkey(0), "WhatsApp +1234567890"), want: "shadowReject"},
			{ev: note(pubkey(0), "what's up"), want: "accept"},
		},
		"Strict with newcomers": {
			{ev: note(pubkey(0), "my site "+nl), stored: 2, want: "reject blocked: too many links for a new account (max 0)"},
			{ev: note(pubkey(1), "my site "+nl), stored: 3, want: "accept"},
			{ev: note(pubkey(2), "hi", []string{"p", pubkey(7)}, []string{"p", pubkey(8)}, []string{"p", pubkey(9)}),
				want: "reject blocked: too many mentions for a new account (max 2)"},
		},
		"Tight flood rule on every kind": {
			{ev: sdktest.Event{Kind: 7, PubKey: pubkey(0), Content: "identical reaction text"}, want: "accept"},
			{ev: sdktest.Event{Kind: 7, PubKey: pubkey(1), Content: "Identical reaction text!"}, want: "accept"},
			{ev: sdktest.Event{Kind: 7, PubKey: pubkey(2), Content: "identical reaction text"}, want: "reject blocked: the same content was posted by too many accounts"},
			{ev: note(pubkey(3), nl+nl+nl+nl), want: "accept"},
		},
	}
	plugintest.RunExamples(t, ex, tests, func(t *testing.T, example plugintest.Example, checks []check) {
		e := newEnv(t, example.Config)
		for i, c := range checks {
			e.st.events[c.ev.PubKey] = c.stored
			if got := e.publish(c.ev); got != c.want {
				t.Errorf("check %d: got %q, want %q", i, got, c.want)
			}
		}
	})
}

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// The data tests import a generated JSONL dump of real-shaped signed
// events: notes with tags and awkward content, duplicates (verbatim and
// reformatted), replaceable and addressable versions in and out of order,
// NIP-09 deletions by id and by address arriving before and after their
// targets, expired and expiring events, ephemeral events and invalid lines
// of every sort. Each scenario is a list of lines in order with the outcome
// each must get; the lists are interleaved at random (seeded), which keeps
// every scenario's order, so the expected counts and the set of events
// stored at the end are known exactly.

// fixtureLimits is the config the fixture's limit cases are made for.
const fixtureLimits = `max_message_bytes = 8192
max_content_bytes = 2000
max_limit = 20000
default_limit = 20000
`

// fixtureItem is one line and what importing it does.
type fixtureItem struct {
	line    string
	outcome string   // summary row: stored, duplicate, replaced, ...
	reason  string   // for invalid and refused: the reason as the summary counts it
	keep    string   // id stored by this line
	drop    []string // ids this line removes from the store
	blank   bool     // a blank line, not counted
}

// fixture is a generated dump and what importing it must give.
type fixture struct {
	path     string
	lines    []fixtureItem
	counts   map[string]int64 // summary rows
	reasons  map[string]int64 // invalid and refused reasons
	badLines map[int]bool     // line numbers reported as invalid
	kept     map[string]*nostr.Event
}

// fixtureGen builds scenarios.
type fixtureGen struct {
	t     testing.TB
	rnd   *rand.Rand
	keys  []string // secret keys
	pubs  []string
	now   int64
	lists [][]fixtureItem
}

func newFixtureGen(t testing.TB, seed uint64, authors int) *fixtureGen {
	g := &fixtureGen{t: t, rnd: rand.New(rand.NewPCG(seed, 7)), now: time.Now().Unix()}
	for i := range authors {
		h := sha256.Sum256(fmt.Appendf(nil, "relayd fixture key %d", i))
		sk := hex.EncodeToString(h[:])
		pk, err := nostr.GetPublicKey(sk)
		if err != nil {
			t.Fatal(err)
		}
		g.keys, g.pubs = append(g.keys, sk), append(g.pubs, pk)
	}
	return g
}

// sign builds and signs an event by author a.
func (g *fixtureGen) sign(a, kind int, createdAt int64, content string, tags ...nostr.Tag) *nostr.Event {
	ev := &nostr.Event{Kind: kind, CreatedAt: nostr.Timestamp(createdAt), Content: content, Tags: nostr.Tags(tags)}
	if ev.Tags == nil {
		ev.Tags = nostr.Tags{}
	}
	if err := ev.Sign(g.keys[a]); err != nil {
		g.t.Fatal(err)
	}
	return ev
}

func line(ev *nostr.Event) string {
	b, err := ev.MarshalJSON()
	if err != nil {
		panic(err)
	}
	return string(b)
}

// stored is a line whose event is stored.
func stored(ev *nostr.Event, drop ...string) fixtureItem {
	return fixtureItem{line: line(ev), outcome: "stored", keep: ev.ID, drop: drop}
}

func outcome(ev *nostr.Event, o string) fixtureItem {
	return fixtureItem{line: line(ev), outcome: o}
}

func invalid(l, reason string) fixtureItem {
	return fixtureItem{line: l, outcome: "invalid", reason: reason}
}

func (g *fixtureGen) add(items ...fixtureItem) { g.lists = append(g.lists, items) }

// contents are awkward but valid note contents.
var contents = []string{
	"gm nostr", "Ünïcödé ✨ and emoji 🤙🏽", `quotes "inside" and \backslashes\`, "line\nbreaks\r\nand\ttabs",
	"<script>alert('html')</script> & ampersands", "\u2028 line separator \u2029", "zero\u0000byte", "",
	strings.Repeat("long note ", 150),
}

// notes adds n notes (and returns them), one scenario each so they
// interleave with everything.
func (g *fixtureGen) notes(n int) []*nostr.Event {
	var out []*nostr.Event
	var items []fixtureItem
	for i := range n {
		a := g.rnd.IntN(len(g.keys))
		tags := []nostr.Tag{{"t", fmt.Sprint("topic", i%17)}}
		if i%3 == 0 {
			tags = append(tags, nostr.Tag{"p", g.pubs[(a+1)%len(g.pubs)]})
		}
		if i%5 == 0 && len(out) > 0 {
			tags = append(tags, nostr.Tag{"e", out[len(out)-1].ID, "wss://relay.example.com", "reply"})
		}
		ev := g.sign(a, 1, g.now-int64(g.rnd.IntN(400*86400)), fmt.Sprint(contents[i%len(contents)], " #", i), tags...)
		out = append(out, ev)
		items = append(items, stored(ev))
	}
	g.add(items...)
	return out
}

// duplicates adds a second copy of each event: verbatim, or reformatted
// (spaces, another field order, an unknown field), which is the same event.
func (g *fixtureGen) duplicates(evs []*nostr.Event) {
	var items []fixtureItem
	for i, ev := range evs {
		l := line(ev)
		if i%3 == 0 {
			l = reformat(ev)
		}
		items = append(items, fixtureItem{line: l, outcome: "duplicate"})
	}
	g.add(items...)
}

func reformat(ev *nostr.Event) string {
	tags, _ := json.Marshal(ev.Tags)
	content, _ := json.Marshal(ev.Content)
	return fmt.Sprintf(`{ "sig": %q, "content": %s, "tags": %s, "created_at": %d, "kind": %d, "pubkey": %q, "id": %q, "seen_on": ["wss://x"] }`,
		ev.Sig, content, tags, ev.CreatedAt, ev.Kind, ev.PubKey, ev.ID)
}

// replaceables adds, per author, versions of kinds 0, 3 and 10002 in and
// out of order, and a created_at tie (the lower id wins).
func (g *fixtureGen) replaceables() {
	base := g.now - 10*86400
	for a := range g.keys {
		v1, v2, v0 := g.sign(a, 0, base+100, `{"name":"v1"}`), g.sign(a, 0, base+200, `{"name":"v2"}`), g.sign(a, 0, base+50, `{"name":"v0"}`)
		g.add(stored(v1), stored(v2, v1.ID), outcome(v0, "replaced"))
		c2, c1 := g.sign(a, 3, base+300, "", nostr.Tag{"p", g.pubs[0]}), g.sign(a, 3, base+10, "")
		g.add(stored(c2), outcome(c1, "replaced"))
		x, y := g.sign(a, 10002, base, "", nostr.Tag{"r", "wss://a"}), g.sign(a, 10002, base, "", nostr.Tag{"r", "wss://b"})
		if y.ID < x.ID {
			g.add(stored(x), stored(y, x.ID))
		} else {
			g.add(stored(x), outcome(y, "replaced"))
		}
	}
}

// addressables adds kind 30023 versions per d tag, and one without a d tag.
func (g *fixtureGen) addressables() {
	base := g.now - 5*86400
	for a := range g.keys {
		v1 := g.sign(a, 30023, base, "draft", nostr.Tag{"d", "post-a"}, nostr.Tag{"title", "A"})
		v2 := g.sign(a, 30023, base+60, "final", nostr.Tag{"d", "post-a"}, nostr.Tag{"title", "A"})
		old := g.sign(a, 30023, base-60, "older", nostr.Tag{"d", "post-a"})
		b := g.sign(a, 30023, base, "other", nostr.Tag{"d", "post-b"})
		nod := g.sign(a, 30023, base, "no d tag")
		g.add(stored(v1), outcome(old, "replaced"), stored(v2, v1.ID), stored(b), stored(nod))
	}
}

// deletions adds NIP-09 cases: by id before and after the target, by a
// stranger (no effect), and by address.
func (g *fixtureGen) deletions() {
	base := g.now - 3*86400
	for a := range min(4, len(g.keys)) {
		x := g.sign(a, 1, base, fmt.Sprint("delete me later ", a))
		delX := g.sign(a, 5, base+10, "oops", nostr.Tag{"e", x.ID})
		g.add(stored(x), stored(delX, x.ID), outcome(x, "deleted"))

		y := g.sign(a, 1, base, fmt.Sprint("deleted before it came ", a))
		delY := g.sign(a, 5, base+10, "", nostr.Tag{"e", y.ID})
		g.add(stored(delY), outcome(y, "deleted"))

		z := g.sign(a, 1, base, fmt.Sprint("a stranger cannot delete this ", a))
		other := (a + 1) % len(g.keys)
		delZ := g.sign(other, 5, base+10, "", nostr.Tag{"e", z.ID})
		g.add(stored(z), stored(delZ))

		addr := fmt.Sprintf("30023:%s:doomed", g.pubs[a])
		v := g.sign(a, 30023, base+100, "doomed", nostr.Tag{"d", "doomed"})
		delA := g.sign(a, 5, base+150, "", nostr.Tag{"a", addr})
		late := g.sign(a, 30023, base+120, "too late", nostr.Tag{"d", "doomed"})
		newer := g.sign(a, 30023, base+200, "new life", nostr.Tag{"d", "doomed"})
		g.add(stored(v), stored(delA, v.ID), outcome(late, "deleted"), stored(newer))
	}
}

// expiring adds expired events (not stored) and events that expire later.
func (g *fixtureGen) expiring(expired, later int) {
	var items []fixtureItem
	for i := range expired {
		ev := g.sign(i%len(g.keys), 1, g.now-7200, fmt.Sprint("expired ", i), nostr.Tag{"expiration", fmt.Sprint(g.now - 3600)})
		items = append(items, outcome(ev, "expired"))
	}
	for i := range later {
		ev := g.sign(i%len(g.keys), 1, g.now-7200, fmt.Sprint("expires later ", i), nostr.Tag{"expiration", fmt.Sprint(g.now + 30*86400)})
		items = append(items, stored(ev))
	}
	g.add(items...)
}

// invalids adds n lines of each sort of invalid line, and blank lines.
func (g *fixtureGen) invalids(n int) {
	var items []fixtureItem
	for i := range n {
		ok := g.sign(i%len(g.keys), 1, g.now-600, fmt.Sprint("valid until changed ", i))
		l := line(ok)
		badID := *ok
		badID.Content += "!"
		badSig := *ok
		badSig.Sig = g.sign(i%len(g.keys), 1, g.now-600, "another").Sig
		items = append(items,
			invalid(l[:len(l)/2], "invalid: malformed JSON"),
			invalid(`["EVENT",`+l+`]`, "invalid: event must be an object"),
			invalid(strings.Replace(l, `,"sig":"`+ok.Sig+`"`, "", 1), `invalid: missing field "sig"`),
			invalid(line(&badID), "invalid: event id does not match its content"),
			invalid(line(&badSig), "invalid: bad signature"),
			invalid(line(g.sign(i%len(g.keys), 1, g.now, strings.Repeat("x", 2001))), "invalid: content is longer than 2000 bytes"),
			invalid(line(g.sign(i%len(g.keys), 22242, g.now, "", nostr.Tag{"challenge", "x"})), "invalid: AUTH events are sent with AUTH, not EVENT"),
			invalid(line(g.sign(i%len(g.keys), 1, g.now+86400, "from the future")), "invalid: created_at is too far in the future"),
			invalid(line(g.sign(i%len(g.keys), 1, g.now, strings.Repeat("y", 9000))), "invalid: line longer than 8192 bytes (max_message_bytes)"),
			outcome(g.sign(i%len(g.keys), 20001, g.now, "typing"), "ephemeral"),
			fixtureItem{line: "   ", blank: true},
			fixtureItem{blank: true},
		)
	}
	// One scenario per line, so they scatter through the file.
	for _, it := range items {
		g.add(it)
	}
}

// write interleaves the scenarios, writes the file and computes what
// importing it must give.
func (g *fixtureGen) write(dir string) *fixture {
	f := &fixture{path: filepath.Join(dir, "events.jsonl"), counts: map[string]int64{}, reasons: map[string]int64{},
		badLines: map[int]bool{}, kept: map[string]*nostr.Event{}}
	lists := g.lists
	for len(lists) > 0 {
		i := g.rnd.IntN(len(lists))
		f.lines = append(f.lines, lists[i][0])
		if lists[i] = lists[i][1:]; len(lists[i]) == 0 {
			lists = append(lists[:i], lists[i+1:]...)
		}
	}
	var b strings.Builder
	for n, it := range f.lines {
		b.WriteString(it.line + "\n")
		if it.blank {
			continue
		}
		f.counts["read"]++
		f.counts[it.outcome]++
		if it.reason != "" {
			f.reasons[it.reason]++
		}
		if it.outcome == "invalid" {
			f.badLines[n+1] = true
		}
		for _, id := range it.drop {
			delete(f.kept, id)
		}
		if it.keep != "" {
			var ev nostr.Event
			if err := json.Unmarshal([]byte(it.line), &ev); err != nil {
				g.t.Fatal(err)
			}
			f.kept[it.keep] = &ev
		}
	}
	if err := os.WriteFile(f.path, []byte(b.String()), 0o644); err != nil {
		g.t.Fatal(err)
	}
	return f
}

// standardFixture is the dump most data tests import: about 4000 lines.
func standardFixture(t testing.TB, dir string) *fixture {
	g := newFixtureGen(t, 8, 12)
	notes := g.notes(3300)
	g.duplicates(notes[:150])
	g.replaceables()
	g.addressables()
	g.deletions()
	g.expiring(30, 20)
	g.invalids(12)
	return g.write(dir)
}

package main

import (
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk/sdktest"
)

// The plugin natively (package sdktest): the tick reads the fake store of
// fixture events and fills the durable state the hooks read.

const pluginName = "wot"

var client = sdktest.Session{ID: 1, IP: "203.0.113.7"}

// hexOf returns a distinct 64-hex pubkey or id for a name.
func hexOf(name string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range []byte(name) {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return (b.String() + strings.Repeat("0", 64))[:64]
}

// follows is a kind-3 list of author following names.
func follows(author string, names ...string) sdktest.Event {
	ev := sdktest.Event{ID: hexOf("k3" + author), PubKey: hexOf(author), Kind: 3, CreatedAt: 1700000000}
	for _, n := range names {
		ev.Tags = append(ev.Tags, []string{"p", hexOf(n), "wss://relay.example"})
	}
	return ev
}

// report is a kind-1984 report by author of an event (id != "") by a
// person, or of the person alone.
func report(author, id, person string, at int64) sdktest.Event {
	ev := sdktest.Event{ID: hexOf("rp" + author + id + person), PubKey: hexOf(author), Kind: 1984, CreatedAt: at}
	if id != "" {
		ev.Tags = append(ev.Tags, []string{"e", hexOf(id), "spam"})
	}
	ev.Tags = append(ev.Tags, []string{"p", hexOf(person), "spam"})
	return ev
}

func note(author string) sdktest.Event {
	return sdktest.Event{ID: hexOf("n" + author), PubKey: hexOf(author), Kind: 1, CreatedAt: 1700000001, Content: "hi"}
}

// graph: owner → alice → bob → carol → dave; owner → mod.
func graph() []sdktest.Event {
	return []sdktest.Event{
		follows("owner", "alice", "mod"),
		follows("alice", "bob"),
		follows("bob", "carol"),
		follows("carol", "dave"),
	}
}

func settings(config string) string {
	return "db_max_keys = 200000\n[config]\nowners = [\"" + hexOf("owner") + "\"]\nmax_reports = 100\n" + config
}

// verdicts runs a note by each name through the event hook.
func verdicts(h *sdktest.Host, names ...string) string {
	var out []string
	for _, n := range names {
		out = append(out, n+": "+h.Event(client, note(n)).String())
	}
	return strings.Join(out, "\n")
}

// TestWotHops checks the trust set hop by hop, and the bound on its size.
func TestWotHops(t *testing.T) {
	names := []string{"owner", "alice", "bob", "carol", "dave", "eve"}
	tests := []struct {
		name, config string
		trusted      []string
	}{
		{"default two hops", "", []string{"owner", "alice", "bob"}},
		{"one hop", "hops = 1\n", []string{"owner", "alice"}},
		{"zero hops", "hops = 0\n", []string{"owner"}},
		{"three hops", "hops = 3\n", []string{"owner", "alice", "bob", "carol"}},
		// owner, then alice and mod at one hop fill it.
		{"max keys", "hops = 4\nmax_keys = 3\n", []string{"owner", "alice"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Settings: settings(tc.config), Events: graph()})
			if err := h.Tick(); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, n := range names {
				v := "accept"
				if !contains(tc.trusted, n) {
					v = "reject blocked: not in this relay's web of trust"
				}
				want = append(want, n+": "+v)
			}
			if got := verdicts(h, names...); got != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestWotBeforeTick checks the gates before any tick (closed but to the
// owners and moderators), and after a restart: the durable state keeps
// the last computed set until the first tick recomputes it.
func TestWotBeforeTick(t *testing.T) {
	d := sdktest.NewDB(sdktest.DBLimits{})
	h := sdktest.New(sdktest.Options{Settings: settings(""), Events: graph(), DB: d})
	want := "owner: accept\nalice: reject blocked: not in this relay's web of trust"
	if got := verdicts(h, "owner", "alice"); got != want {
		t.Errorf("before the first tick: got\n%s\nwant\n%s", got, want)
	}
	if err := h.Tick(); err != nil {
		t.Fatal(err)
	}
	// A restart with an empty store: the set is the one last computed.
	h2 := sdktest.New(sdktest.Options{Settings: settings(""), Events: []sdktest.Event{}, DB: d})
	want = "alice: accept\nbob: accept\ncarol: reject blocked: not in this relay's web of trust"
	if got := verdicts(h2, "alice", "bob", "carol"); got != want {
		t.Errorf("after a restart: got\n%s\nwant\n%s", got, want)
	}
	// Its first tick recomputes from what the store now holds.
	if err := h2.Tick(); err != nil {
		t.Fatal(err)
	}
	if got, want := verdicts(h2, "alice"), "alice: reject blocked: not in this relay's web of trust"; got != want {
		t.Errorf("after the tick: got %s, want %s", got, want)
	}
}

// TestWotReports checks the moderators' reports: of an event, hidden from
// deliveries (live and stored); of a person, their writes refused and
// their events hidden; a report by someone else, ignored; a moderator's
// report acts as it arrives and the tick keeps it.
func TestWotReports(t *testing.T) {
	evs := append(graph(),
		report("owner", "spam1", "alice", 1700000100),
		report("mod", "", "bob", 1700000200),
		report("alice", "good1", "owner", 1700000300), // alice is no moderator
	)
	h := sdktest.New(sdktest.Options{Settings: settings("moderators = [\"" + hexOf("owner") + "\", \"" + hexOf("mod") + "\"]\n"), Events: evs})
	if err := h.Tick(); err != nil {
		t.Fatal(err)
	}
	deliver := func(id, author string) string {
		ev := note(author)
		ev.ID = hexOf(id)
		return h.Deliver(client, "sub", ev).String()
	}
	checks := []struct{ name, got, want string }{
		{"reported event", deliver("spam1", "alice"), "reject blocked: removed by this relay's moderators"},
		{"other event of its author", deliver("fine1", "alice"), "accept"},
		{"event of a removed author", deliver("any1", "bob"), "reject blocked: removed by this relay's moderators"},
		{"report by a non-moderator", deliver("good1", "owner"), "accept"},
		{"removed author writes", h.Event(client, note("bob")).String(), "reject blocked: removed by this relay's moderators"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, c.got, c.want)
		}
	}
	// A report arriving from a moderator acts before the next tick.
	live := report("owner", "", "alice", 1700000400)
	if got := h.Event(client, live).String(); got != "accept" {
		t.Fatalf("the report: got %s, want accept", got)
	}
	if got, want := h.Event(client, note("alice")).String(), "reject blocked: removed by this relay's moderators"; got != want {
		t.Errorf("alice after the live report: got %s, want %s", got, want)
	}
	h.AddEvents(live)
	if err := h.Tick(); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Event(client, note("alice")).String(), "reject blocked: removed by this relay's moderators"; got != want {
		t.Errorf("alice after the tick: got %s, want %s", got, want)
	}
}

// TestWotReads checks read gating: off by default; on, only trusted
// authenticated sessions read.
func TestWotReads(t *testing.T) {
	h := sdktest.New(sdktest.Options{Settings: settings("reads = true\n"), Events: graph()})
	if err := h.Tick(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    sdktest.Session
		want string
	}{
		{"anonymous", client, "reject auth-required: this relay serves its web of trust: authenticate first"},
		{"trusted", sdktest.Session{ID: 2, IP: "203.0.113.8", Authed: hexOf("bob")}, "accept"},
		{"outsider", sdktest.Session{ID: 3, IP: "203.0.113.9", Authed: hexOf("eve")}, "reject restricted: not in this relay's web of trust"},
	}
	for _, tc := range tests {
		if got := h.Req(tc.s, "s", `[{"kinds":[1]}]`).String(); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	lim, err := h.Limitation()
	if err != nil {
		t.Fatal(err)
	}
	if lim["restricted_writes"] != true || lim["auth_required"] != true {
		t.Errorf("limitation %v: want restricted_writes and auth_required", lim)
	}
	open := sdktest.New(sdktest.Options{Settings: settings(""), Events: graph()})
	if got := open.Req(client, "s", `[{"kinds":[1]}]`).String(); got != "accept" {
		t.Errorf("reads off: got %s, want accept", got)
	}
}

// TestWotConfig checks what the plugin refuses to start with.
func TestWotConfig(t *testing.T) {
	tests := []struct{ name, settings, want string }{
		{"no owners", "[config]\n", "owners: want at least one pubkey, the roots of the web of trust"},
		{"bad owner", "[config]\nowners = [\"abc\"]\n", `owners: pubkey "abc": want 64 hex characters or an npub`},
		{"hops", settings("hops = 5\n"), "hops 5: want 0 to 4"},
		{"typo", settings("hop = 1\n"), `config: json: unknown field "hop"`},
		{"db_max_keys", "[config]\nowners = [\"" + hexOf("owner") + "\"]\n",
			"db_max_keys 100000 is less than max_keys + 2 × max_reports + 16 = 120016: raise db_max_keys in wot.toml (or lower max_keys)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Settings: tc.settings})
			if err := h.Init(); err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %s", err, tc.want)
			}
		})
	}
}

// TestWotRemovedCutsTheWeb checks that a removed author's follows do not
// extend the web: with three hops, carol is trusted through bob until a
// moderator removes bob.
func TestWotRemovedCutsTheWeb(t *testing.T) {
	tests := []struct {
		name    string
		reports []sdktest.Event
		want    string
	}{
		{"no report", nil, "bob: accept\ncarol: accept"},
		{"bob removed", []sdktest.Event{report("owner", "", "bob", 1700000100)},
			"bob: reject blocked: removed by this relay's moderators\ncarol: reject blocked: not in this relay's web of trust"},
		{"bob's note reported", []sdktest.Event{report("owner", "x", "bob", 1700000100)}, "bob: accept\ncarol: accept"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Settings: settings("hops = 3\n"), Events: append(graph(), tc.reports...)})
			if err := h.Tick(); err != nil {
				t.Fatal(err)
			}
			if got := verdicts(h, "bob", "carol"); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

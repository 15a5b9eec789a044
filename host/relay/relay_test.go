package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/metrics"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// testRelay is a relay on 127.0.0.1:0 with a badger store in a temp dir
// (the same store relayd runs on), its metrics and the plugin metrics on
// its chain served at /metrics, as host/server wires them.
type testRelay struct {
	url   string
	r     *relay.Relay
	st    store.Store
	chain *policy.Holder
}

// metrics scrapes the relay's /metrics.
func (tr *testRelay) metrics(t testing.TB) scrape.Page {
	t.Helper()
	return scrape.Get(t, "http"+strings.TrimPrefix(tr.url, "ws")+"/metrics")
}

func start(t testing.TB, opts relay.Options, policies ...policy.Entry) *testRelay {
	t.Helper()
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	holder := &policy.Holder{}
	reg := prometheus.NewRegistry()
	pm, err := metrics.NewPlugins(reg)
	if err != nil {
		t.Fatal(err)
	}
	holder.Observe(pm)
	if opts.Registry == nil {
		opts.Registry = reg
		opts.Metrics = metrics.Handler(reg)
	}
	if len(policies) > 0 {
		holder.Store(policy.NewChain(testLogger(t), policies...))
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	r, err := relay.New(opts, st, holder)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go r.Serve(ln)
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Shutdown(ctx)
		st.Close()
	})
	return &testRelay{url: "ws://" + ln.Addr().String(), r: r, st: st, chain: holder}
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("RELAYD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func now() nostr.Timestamp { return nostr.Now() }

func TestRelayGreetsWithAuthChallenge(t *testing.T) {
	tr := start(t, relay.Options{})
	c := wsc.Dial(t, tr.url)
	if len(c.Challenge) < 16 {
		t.Fatalf("challenge %q too short", c.Challenge)
	}
	c2 := wsc.Dial(t, tr.url)
	if c2.Challenge == c.Challenge {
		t.Fatal("two sessions got the same challenge")
	}
}

func TestRelayPublishThenQuery(t *testing.T) {
	tr := start(t, relay.Options{})
	c := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	ev := k.Sign(t, 1, "hello \"world\"\n\t\u00e9\u2603 <&>", now(), nostr.Tag{"t", "x"}, nostr.Tag{"e", strings.Repeat("a", 64)})
	if ok := c.Publish(ev); !ok.Accepted || ok.Reason != "" {
		t.Fatalf("got %v, want accepted", ok)
	}
	got := c.Req("s", nostr.Filter{IDs: []string{ev.ID}})
	if len(got) != 1 {
		t.Fatalf("got %d events, want 1", len(got))
	}
	if got[0].String() != ev.String() || !got[0].CheckID() {
		t.Fatalf("stored copy differs:\n got %s\nwant %s", got[0], ev)
	}
	if ok := c.Publish(ev); !ok.Accepted || !strings.HasPrefix(ok.Reason, "duplicate:") {
		t.Fatalf("second publish: got %v, want accepted duplicate:", ok)
	}
}

func TestRelayRejectsBadEvents(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) {
		l.MaxContentBytes = 100
		l.MaxEventTags = 3
		l.CreatedAtLowerLimit = 3600
		l.CreatedAtUpperLimit = 60
	})})
	k := wsc.NewKey()
	badSig := k.Sign(t, 1, "x", now())
	badSig.Sig = strings.Repeat("0", 128)
	badID := k.Sign(t, 1, "x", now())
	badID.Content = "changed"
	tests := []struct {
		name   string
		ev     *nostr.Event
		prefix string
	}{
		{"bad signature", badSig, "invalid:"},
		{"bad id", badID, "invalid:"},
		{"content too long", k.Sign(t, 1, strings.Repeat("x", 101), now()), "invalid:"},
		{"too many tags", k.Sign(t, 1, "x", now(), nostr.Tag{"t", "1"}, nostr.Tag{"t", "2"}, nostr.Tag{"t", "3"}, nostr.Tag{"t", "4"}), "invalid:"},
		{"too old", k.Sign(t, 1, "x", now()-7200), "invalid:"},
		{"in the future", k.Sign(t, 1, "x", now()+600), "invalid:"},
		{"expired", k.Sign(t, 1, "x", now(), nostr.Tag{"expiration", fmt.Sprint(now() - 1)}), "invalid:"},
		{"auth event as EVENT", k.Sign(t, 22242, "", now()), "invalid:"},
		{"protected, not authed", k.Sign(t, 1, "x", now(), nostr.Tag{"-"}), "auth-required:"},
	}
	c := wsc.Dial(t, tr.url)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok := c.Publish(tc.ev)
			if ok.Accepted || !strings.HasPrefix(ok.Reason, tc.prefix) {
				t.Fatalf("got %v, want rejected with %s", ok, tc.prefix)
			}
		})
	}
	// The connection still works and nothing was stored.
	if got := c.Req("all", nostr.Filter{Authors: []string{k.PK}}); len(got) != 0 {
		t.Fatalf("rejected events were stored: %d", len(got))
	}
}

func TestRelayMalformedInputKeepsConnection(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxSubIDLength = 10; l.MaxFilters = 2 })})
	c := wsc.Dial(t, tr.url)
	validID := strings.Repeat("a", 64)
	tests := []struct {
		name  string
		msg   string
		label string
		check func(msg []json.RawMessage) error
	}{
		{"not json", `hello`, "NOTICE", nil},
		{"not an array", `{"a":1}`, "NOTICE", nil},
		{"unknown label", `["WHAT",1]`, "NOTICE", nil},
		{"empty array", `[]`, "NOTICE", nil},
		{"event with bad fields", `["EVENT",{"id":"` + validID + `","kind":"x"}]`, "OK", func(m []json.RawMessage) error {
			if wsc.Str(m, 1) != validID || !strings.HasPrefix(wsc.Str(m, 3), "invalid:") {
				return fmt.Errorf("got %s", m)
			}
			return nil
		}},
		{"req with bad filter", `["REQ","s1",{"kinds":"1"}]`, "CLOSED", func(m []json.RawMessage) error {
			if wsc.Str(m, 1) != "s1" || !strings.HasPrefix(wsc.Str(m, 2), "invalid:") {
				return fmt.Errorf("got %s", m)
			}
			return nil
		}},
		{"too many filters", `["REQ","s2",{},{},{}]`, "CLOSED", nil},
		{"sub id too long", `["REQ","12345678901",{}]`, "NOTICE", nil},
		{"truncated", `["REQ","s3",{"kinds":[1`, "CLOSED", nil},
		{"search is not supported", `["REQ","s4",{"search":"nostr"}]`, "CLOSED", func(m []json.RawMessage) error {
			if !strings.Contains(wsc.Str(m, 2), "NIP-50") {
				return fmt.Errorf("got %s", m)
			}
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.SendRaw([]byte(tc.msg))
			m := c.Expect(tc.label)
			if tc.check != nil {
				if err := tc.check(m); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	k := wsc.NewKey()
	if ok := c.Publish(k.Sign(t, 1, "still here", now())); !ok.Accepted {
		t.Fatalf("connection unusable after bad input: %v", ok)
	}
}

func TestRelayReqFiltersOrderAndLimit(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxLimit = 3; l.DefaultLimit = 2 })})
	c := wsc.Dial(t, tr.url)
	a, b := wsc.NewKey(), wsc.NewKey()
	base := now() - 100
	var evs []*nostr.Event
	for i := 0; i < 5; i++ {
		ev := a.Sign(t, 1, fmt.Sprint(i), base+nostr.Timestamp(i), nostr.Tag{"t", fmt.Sprint("tag", i%2)})
		evs = append(evs, ev)
		c.Publish(ev)
	}
	other := b.Sign(t, 7, "reaction", base+10)
	c.Publish(other)

	ids := func(evs []*nostr.Event) string {
		var s []string
		for _, e := range evs {
			s = append(s, e.Content)
		}
		return strings.Join(s, ",")
	}
	since, until := base+1, base+3
	tests := []struct {
		name    string
		filters []nostr.Filter
		want    string
	}{
		{"default limit newest first", []nostr.Filter{{Authors: []string{a.PK}}}, "4,3"},
		{"limit clamped to max", []nostr.Filter{{Authors: []string{a.PK}, Limit: 100}}, "4,3,2"},
		{"since/until inclusive", []nostr.Filter{{Authors: []string{a.PK}, Since: &since, Until: &until, Limit: 3}}, "3,2,1"},
		{"tag", []nostr.Filter{{Tags: nostr.TagMap{"t": {"tag1"}}, Limit: 3}}, "3,1"},
		{"kind", []nostr.Filter{{Kinds: []int{7}}}, "reaction"},
		{"limit 0 gives only EOSE", []nostr.Filter{{Authors: []string{a.PK}, LimitZero: true}}, ""},
		{"two filters ORed, each event once", []nostr.Filter{{Kinds: []int{7}}, {IDs: []string{evs[0].ID, other.ID}}}, "reaction,0"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Req(fmt.Sprint("q", i), tc.filters...)
			if ids(got) != tc.want {
				t.Fatalf("got %q, want %q", ids(got), tc.want)
			}
		})
	}
}

func TestRelayLiveAfterEOSEAndReplaceAndClose(t *testing.T) {
	tr := start(t, relay.Options{})
	sub, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	old := k.Sign(t, 1, "old", now()-10)
	pub.Publish(old)
	if got := sub.Req("s", nostr.Filter{Kinds: []int{1}}); len(got) != 1 || got[0].ID != old.ID {
		t.Fatalf("stored: got %v", got)
	}
	live := k.Sign(t, 1, "live", now())
	pub.Publish(live)
	m := sub.Expect("EVENT")
	if wsc.Str(m, 1) != "s" || wsc.Event(t, m).ID != live.ID {
		t.Fatalf("live: got %s", m)
	}
	// Same id replaces the subscription: kind 7 only now.
	if got := sub.Req("s", nostr.Filter{Kinds: []int{7}}); len(got) != 0 {
		t.Fatalf("replaced sub returned %d stored events", len(got))
	}
	pub.Publish(k.Sign(t, 1, "not for s anymore", now()))
	react := k.Sign(t, 7, "+", now())
	pub.Publish(react)
	if ev := wsc.Event(t, sub.Expect("EVENT")); ev.ID != react.ID {
		t.Fatalf("after replace: got %s, want the reaction", ev.Content)
	}
	sub.Send("CLOSE", "s")
	sub.Req("sync", nostr.Filter{IDs: []string{strings.Repeat("0", 64)}}) // the CLOSE was handled
	pub.Publish(k.Sign(t, 7, "after close", now()))
	// The next thing sub sees is the answer to a fresh REQ, not the event.
	if got := sub.Req("probe", nostr.Filter{IDs: []string{react.ID}}); len(got) != 1 {
		t.Fatalf("probe got %d", len(got))
	}
}

func TestRelayReplaceableAndAddressable(t *testing.T) {
	tr := start(t, relay.Options{})
	c := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	t0 := now() - 100
	first := k.Sign(t, 0, `{"name":"a"}`, t0)
	second := k.Sign(t, 0, `{"name":"b"}`, t0+1)
	c.Publish(first)
	if ok := c.Publish(second); !ok.Accepted {
		t.Fatalf("newer metadata: %v", ok)
	}
	if ok := c.Publish(k.Sign(t, 0, `{"name":"older"}`, t0-5)); ok.Accepted {
		t.Fatalf("older metadata accepted: %v", ok)
	}
	if got := c.Req("m", nostr.Filter{Kinds: []int{0}, Authors: []string{k.PK}}); len(got) != 1 || got[0].ID != second.ID {
		t.Fatalf("got %d metadata events", len(got))
	}
	a1 := k.Sign(t, 30023, "v1", t0, nostr.Tag{"d", "post"})
	a2 := k.Sign(t, 30023, "v2", t0+1, nostr.Tag{"d", "post"})
	other := k.Sign(t, 30023, "other", t0, nostr.Tag{"d", "other"})
	for _, ev := range []*nostr.Event{a1, a2, other} {
		c.Publish(ev)
	}
	got := c.Req("a", nostr.Filter{Kinds: []int{30023}})
	if len(got) != 2 || got[0].Content != "v2" || got[1].Content != "other" {
		t.Fatalf("addressable: got %d events", len(got))
	}
}

func TestRelayEphemeralIsBroadcastNotStored(t *testing.T) {
	tr := start(t, relay.Options{})
	sub, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	sub.Req("e", nostr.Filter{Kinds: []int{20001}})
	ev := wsc.NewKey().Sign(t, 20001, "typing", now())
	if ok := pub.Publish(ev); !ok.Accepted {
		t.Fatalf("ephemeral: %v", ok)
	}
	if got := wsc.Event(t, sub.Expect("EVENT")); got.ID != ev.ID {
		t.Fatal("ephemeral not delivered")
	}
	if got := pub.Req("q", nostr.Filter{IDs: []string{ev.ID}}); len(got) != 0 {
		t.Fatal("ephemeral event was stored")
	}
}

// TestRelayPipelinedOrder: 200 EVENTs sent back to back on one connection
// get 200 OKs in send order, and a live subscriber sees them in the same
// order.
func TestRelayPipelinedOrder(t *testing.T) {
	tr := start(t, relay.Options{})
	sub, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	sub.Req("all", nostr.Filter{Kinds: []int{1}})
	k := wsc.NewKey()
	const n = 200
	evs := make([]*nostr.Event, n)
	var batch []byte
	for i := range evs {
		evs[i] = k.Sign(t, 1, fmt.Sprint(i), now())
		b, _ := json.Marshal([]any{"EVENT", evs[i]})
		batch = append(batch, frame(b)...)
	}
	if _, err := pub.NC.Write(batch); err != nil { // one write: all in flight at once
		t.Fatal(err)
	}
	for i := range evs {
		if ok := pub.ReadOK(); ok.ID != evs[i].ID || !ok.Accepted {
			t.Fatalf("OK %d: got %v, want %s accepted", i, ok, evs[i].ID)
		}
	}
	for i := range evs {
		if got := wsc.Event(t, sub.Expect("EVENT")); got.ID != evs[i].ID {
			t.Fatalf("delivery %d: got %q, want %q", i, got.Content, evs[i].Content)
		}
	}
}

func TestRelayDeletion(t *testing.T) {
	tr := start(t, relay.Options{})
	c := wsc.Dial(t, tr.url)
	k, mallory := wsc.NewKey(), wsc.NewKey()
	note := k.Sign(t, 1, "regret", now()-10)
	c.Publish(note)
	if ok := c.Publish(mallory.Sign(t, 5, "", now(), nostr.Tag{"e", note.ID})); !ok.Accepted {
		t.Fatalf("mallory's deletion event: %v", ok)
	}
	if got := c.Req("q1", nostr.Filter{IDs: []string{note.ID}}); len(got) != 1 {
		t.Fatal("someone else's deletion removed the note")
	}
	c.Publish(k.Sign(t, 5, "", now(), nostr.Tag{"e", note.ID}))
	if got := c.Req("q2", nostr.Filter{IDs: []string{note.ID}}); len(got) != 0 {
		t.Fatal("author's deletion did not remove the note")
	}
	if ok := c.Publish(note); ok.Accepted {
		t.Fatalf("deleted note republished: %v", ok)
	}
}

func TestRelayCount(t *testing.T) {
	tr := start(t, relay.Options{})
	c := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	for i := 0; i < 7; i++ {
		c.Publish(k.Sign(t, 1, fmt.Sprint(i), now()))
	}
	c.Send("COUNT", "c", nostr.Filter{Authors: []string{k.PK}})
	m := c.Expect("COUNT")
	var body struct{ Count int64 }
	json.Unmarshal(m[2], &body)
	if wsc.Str(m, 1) != "c" || body.Count != 7 {
		t.Fatalf("got %s, want count 7", m)
	}
	// Overlapping filters are ORed: each event counts once.
	c.Send("COUNT", "or", nostr.Filter{Authors: []string{k.PK}}, nostr.Filter{Kinds: []int{1}, Authors: []string{k.PK}})
	m = c.Expect("COUNT")
	json.Unmarshal(m[2], &body)
	if body.Count != 7 {
		t.Fatalf("overlapping filters: got %s, want count 7", m)
	}
}

func TestRelayAuthAndProtectedEvents(t *testing.T) {
	tr := start(t, relay.Options{})
	k, other := wsc.NewKey(), wsc.NewKey()
	c := wsc.Dial(t, tr.url)
	// Wrong challenge, wrong relay.
	bad := &nostr.Event{Kind: 22242, CreatedAt: now(), Tags: nostr.Tags{{"relay", tr.url}, {"challenge", "nope"}}}
	bad.Sign(k.SK)
	c.Send("AUTH", bad)
	if ok := c.ReadOK(); ok.Accepted || !strings.HasPrefix(ok.Reason, "invalid:") {
		t.Fatalf("bad challenge: %v", ok)
	}
	if ok := c.Auth(k.SK, "wss://elsewhere.example"); ok.Accepted {
		t.Fatalf("other relay URL accepted: %v", ok)
	}
	if ok := c.Auth(k.SK, tr.url); !ok.Accepted {
		t.Fatalf("auth: %v", ok)
	}
	if ok := c.Publish(k.Sign(t, 1, "mine", now(), nostr.Tag{"-"})); !ok.Accepted {
		t.Fatalf("protected by its author: %v", ok)
	}
	if ok := c.Publish(other.Sign(t, 1, "not mine", now(), nostr.Tag{"-"})); ok.Accepted || !strings.HasPrefix(ok.Reason, "restricted:") {
		t.Fatalf("protected by someone else: %v", ok)
	}
}

func TestRelayAuthRequired(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.AuthRequired = true })})
	c := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	if ok := c.Publish(k.Sign(t, 1, "x", now())); ok.Accepted || !strings.HasPrefix(ok.Reason, "auth-required:") {
		t.Fatalf("unauthed publish: %v", ok)
	}
	c.Send("REQ", "s", nostr.Filter{})
	if m := c.Expect("CLOSED"); !strings.HasPrefix(wsc.Str(m, 2), "auth-required:") {
		t.Fatalf("unauthed REQ: %s", m)
	}
	c.Auth(k.SK, tr.url)
	if ok := c.Publish(k.Sign(t, 1, "x", now())); !ok.Accepted {
		t.Fatalf("authed publish: %v", ok)
	}
}

func TestRelayTooManySubscriptions(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxSubscriptions = 2 })})
	c := wsc.Dial(t, tr.url)
	c.Req("a", nostr.Filter{Kinds: []int{1}})
	c.Req("b", nostr.Filter{Kinds: []int{1}})
	c.Req("a", nostr.Filter{Kinds: []int{2}}) // replacing does not count
	c.Send("REQ", "c", nostr.Filter{})
	if m := c.Expect("CLOSED"); wsc.Str(m, 1) != "c" || !strings.HasPrefix(wsc.Str(m, 2), "blocked:") {
		t.Fatalf("got %s", m)
	}
	c.Send("CLOSE", "b")
	c.Req("c", nostr.Filter{Kinds: []int{1}})
}

func TestRelayNIP11AndCORS(t *testing.T) {
	tr := start(t, relay.Options{Name: "test relay", Limits: lim(func(l *limits.Limits) { l.MaxLimit, l.DefaultLimit = 123, 100 })})
	base := "http" + strings.TrimPrefix(tr.url, "ws")
	req, _ := http.NewRequest("GET", base, nil)
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info relay.Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Content-Type") != "application/nostr+json" {
		t.Fatalf("headers: %v", resp.Header)
	}
	if info.Name != "test relay" || info.Limitation["max_limit"] != float64(123) {
		t.Fatalf("info: %+v", info)
	}
	for _, nip := range []int{1, 9, 11, 40, 42, 45, 70} {
		found := false
		for _, n := range info.SupportedNIPs {
			found = found || n == nip
		}
		if !found {
			t.Errorf("NIP-%d not in supported_nips %v", nip, info.SupportedNIPs)
		}
	}
	for _, k := range []string{"max_message_length", "max_subscriptions", "max_filters", "max_subid_length",
		"max_event_tags", "max_content_length", "created_at_lower_limit", "created_at_upper_limit", "default_limit"} {
		if _, ok := info.Limitation[k]; !ok {
			t.Errorf("limitation lacks %s", k)
		}
	}
	pre, _ := http.NewRequest("OPTIONS", base, nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "GET")
	resp2, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNoContent || resp2.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("preflight: %d %v", resp2.StatusCode, resp2.Header)
	}
}

// TestRelayConcurrentClients: 100 connections each subscribe, then each
// publishes one event; every subscriber gets all 100.
func TestRelayConcurrentClients(t *testing.T) {
	tr := start(t, relay.Options{})
	const n = 100
	clients := make([]*wsc.Client, n)
	for i := range clients {
		clients[i] = wsc.Dial(t, tr.url)
		clients[i].Req("s", nostr.Filter{Kinds: []int{1}})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := wsc.NewKey()
			ev := &nostr.Event{Kind: 1, Content: fmt.Sprint(i), CreatedAt: now(), Tags: nostr.Tags{}}
			ev.Sign(k.SK)
			c.Send("EVENT", ev)
			seen := map[string]bool{}
			gotOK := false
			for len(seen) < n || !gotOK {
				f, err := c.Frame()
				if err != nil {
					errs <- fmt.Errorf("client %d after %d events: %v", i, len(seen), err)
					return
				}
				var m []json.RawMessage
				json.Unmarshal(f.Payload, &m)
				switch wsc.Label(m) {
				case "EVENT":
					var e nostr.Event
					json.Unmarshal(m[2], &e)
					seen[e.ID] = true
				case "OK":
					gotOK = true
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// frame builds a masked client text frame.
func frame(p []byte) []byte { return wsc.Frame(p) }

// TestRelayTooLargeMessageAnswered: a message over max_message_bytes gets
// OK false (EVENT), CLOSED (REQ) or NOTICE, and the connection goes on.
func TestRelayTooLargeMessageAnswered(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxMessageBytes = 2000; l.MaxContentBytes = 10000 })})
	c := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	big := k.Sign(t, 1, strings.Repeat("x", 5000), now())
	c.Send("EVENT", big)
	if ok := c.ReadOK(); ok.ID != big.ID || ok.Accepted || !strings.HasPrefix(ok.Reason, "invalid: message is") {
		t.Fatalf("got %v", ok)
	}
	c.Send("REQ", "bigreq", nostr.Filter{Authors: []string{strings.Repeat("a", 64)}, Search: strings.Repeat("y", 3000)})
	if m := c.Expect("CLOSED"); wsc.Str(m, 1) != "bigreq" {
		t.Fatalf("got %s", m)
	}
	c.SendRaw([]byte(`"` + strings.Repeat("z", 3000) + `"`))
	c.Expect("NOTICE")
	if ok := c.Publish(k.Sign(t, 1, "small", now())); !ok.Accepted {
		t.Fatalf("after too-large messages: %v", ok)
	}
}

// TestRelayLargeResultStreamsAtClientPace: a REQ whose stored events are
// several times the connection's queue cap is streamed as the client reads
// (the reader waits for the writer to bring the queue under half the cap)
// instead of cutting the client as a slow reader.
func TestRelayLargeResultStreamsAtClientPace(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.QueueBytes = 64 << 10; l.MaxMessageBytes = 64 << 10 })})
	pub := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	const n = 40 // ~8 KiB each: five times the cap
	for i := range n {
		if ok := pub.Publish(k.Sign(t, 1, fmt.Sprint(i, strings.Repeat("x", 8<<10)), now()-nostr.Timestamp(i))); !ok.Accepted {
			t.Fatalf("publish %d: %v", i, ok)
		}
	}
	c := wsc.Dial(t, tr.url)
	if got := c.Req("all", nostr.Filter{Authors: []string{k.PK}}); len(got) != n {
		t.Fatalf("got %d events, want %d", len(got), n)
	}
}

// lim returns limits.Default() as f changes it.
func lim(f func(l *limits.Limits)) limits.Limits {
	l := limits.Default()
	f(&l)
	return l
}

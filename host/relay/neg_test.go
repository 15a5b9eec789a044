package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy/storage/vector"

	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/memstore"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// seed stores n signed kind-kind events of k, one second apart from base,
// straight into st, and returns them.
func seed(t testing.TB, st store.Store, k wsc.Key, kind, n int, base nostr.Timestamp) []*nostr.Event {
	t.Helper()
	evs := make([]*nostr.Event, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range evs {
		evs[i] = k.Sign(t, kind, fmt.Sprint("event ", i), base+nostr.Timestamp(i))
		raw, _ := evs[i].MarshalJSON()
		wg.Add(1)
		st.Submit(evs[i], raw, func(err error) { errs[i] = err; wg.Done() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store event %d: %v", i, err)
		}
	}
	return evs
}

// localSet is a sealed reconcile.Set of evs.
func localSet(t testing.TB, evs ...[]*nostr.Event) *reconcile.Set {
	t.Helper()
	set := reconcile.NewSet(0)
	for _, l := range evs {
		for _, ev := range l {
			if err := set.Add(ev.CreatedAt, ev.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	set.Seal()
	return set
}

// ids returns the sorted ids of evs.
func ids(evs ...[]*nostr.Event) []string {
	var out []string
	for _, l := range evs {
		for _, ev := range l {
			out = append(out, ev.ID)
		}
	}
	slices.Sort(out)
	return out
}

// reconcileWith runs our client against the relay.
func reconcileWith(t testing.TB, url string, f nostr.Filter, local *reconcile.Set) (*reconcile.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := reconcile.Dial(ctx, url, reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.Reconcile(ctx, f, local)
}

// initial is go-nostr's engine's first message for evs (as a client).
func initial(evs ...*nostr.Event) string {
	v := vector.New()
	for _, ev := range evs {
		v.Insert(ev.CreatedAt, ev.ID)
	}
	v.Seal()
	return negentropy.New(v, 0).Start()
}

// wantNegErr reads the next message and fails unless it is a NEG-ERR for
// sub whose reason starts with prefix.
func wantNegErr(t testing.TB, c *wsc.Client, sub, prefix string) {
	t.Helper()
	m := c.Expect("NEG-ERR")
	if len(m) != 3 || wsc.Str(m, 1) != sub || !strings.HasPrefix(wsc.Str(m, 2), prefix) {
		t.Fatalf("got %s, want NEG-ERR %q %q...", m, sub, prefix)
	}
}

// wantNegMsg reads the next message and fails unless it is a NEG-MSG for
// sub; it returns the message.
func wantNegMsg(t testing.TB, c *wsc.Client, sub string) string {
	t.Helper()
	m := c.Expect("NEG-MSG")
	if len(m) != 3 || wsc.Str(m, 1) != sub {
		t.Fatalf("got %s, want NEG-MSG %q", m, sub)
	}
	return wsc.Str(m, 2)
}

// TestNegReconcile: our client against the relay on badger, differences
// both ways; NEG-CLOSE frees the session.
func TestNegReconcile(t *testing.T) {
	tr := start(t, relay.Options{})
	k, other := wsc.NewKey(), wsc.NewKey()
	base := now() - 10000
	shared := seed(t, tr.st, k, 1, 200, base)
	relayOnly := seed(t, tr.st, k, 1, 150, base+500)
	seed(t, tr.st, other, 1, 50, base) // outside the filter
	localOnly := []*nostr.Event{}
	for i := range 120 {
		localOnly = append(localOnly, k.Sign(t, 1, fmt.Sprint("local ", i), base+nostr.Timestamp(i)*3))
	}
	res, err := reconcileWith(t, tr.url, nostr.Filter{Authors: []string{k.PK}}, localSet(t, shared, localOnly))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Need, ids(relayOnly)) {
		t.Errorf("need %d ids, want the %d the relay alone has", len(res.Need), len(relayOnly))
	}
	if !slices.Equal(res.Have, ids(localOnly)) {
		t.Errorf("have %d ids, want the %d we alone have", len(res.Have), len(localOnly))
	}
	waitNegSessions(t, tr.r, 0)
}

// waitNegSessions waits until the relay holds n negentropy sessions (a
// NEG-CLOSE or a closed connection has no reply to wait for).
func waitNegSessions(t testing.TB, r *relay.Relay, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats().NegSessions.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d negentropy sessions open, want %d", r.Stats().NegSessions.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n == 0 && r.Stats().NegItems.Load() != 0 {
		t.Fatalf("%d items held with no session", r.Stats().NegItems.Load())
	}
}

// TestNegTooManyEvents: past max events a NEG-OPEN gets NEG-ERR blocked;
// at the maximum, or with a filter limit under it, it is answered.
func TestNegTooManyEvents(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxNegentropyEvents = 10 })})
	k := wsc.NewKey()
	evs := seed(t, tr.st, k, 1, 11, now()-100)
	c := wsc.Dial(t, tr.url)
	tests := []struct {
		name   string
		filter nostr.Filter
		err    string
	}{
		{"over", nostr.Filter{Kinds: []int{1}}, "blocked: too many events; narrow the filter"},
		{"limit over", nostr.Filter{Kinds: []int{1}, Limit: 11}, "blocked: too many events; narrow the filter"},
		{"at the maximum", nostr.Filter{Kinds: []int{1}, Since: &evs[1].CreatedAt}, ""},
		{"limit under", nostr.Filter{Kinds: []int{1}, Limit: 5}, ""},
		{"limit 0", nostr.Filter{Kinds: []int{1}, LimitZero: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.Send("NEG-OPEN", tc.name, tc.filter, initial())
			if tc.err != "" {
				wantNegErr(t, c, tc.name, tc.err)
				return
			}
			wantNegMsg(t, c, tc.name)
			c.Send("NEG-CLOSE", tc.name)
		})
	}
}

// TestNegSessionLimit: a connection holds at most MaxNegentropySessions;
// replacing one does not count, closing one frees a place.
func TestNegSessionLimit(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxNegentropySessions = 2 })})
	seed(t, tr.st, wsc.NewKey(), 1, 3, now()-10)
	c := wsc.Dial(t, tr.url)
	open := func(sub string) { c.Send("NEG-OPEN", sub, nostr.Filter{}, initial()) }
	open("a")
	wantNegMsg(t, c, "a")
	open("b")
	wantNegMsg(t, c, "b")
	open("c")
	wantNegErr(t, c, "c", "blocked: too many open negentropy sessions (max 2)")
	open("a") // replaces a
	wantNegMsg(t, c, "a")
	if n := tr.r.Stats().NegSessions.Load(); n != 2 {
		t.Fatalf("%d sessions after replacing one, want 2", n)
	}
	c.Send("NEG-CLOSE", "b")
	open("c")
	wantNegMsg(t, c, "c")
	c.Send("NEG-MSG", "b", initial())
	wantNegErr(t, c, "b", "closed:")
	// A second connection has its own allowance.
	c2 := wsc.Dial(t, tr.url)
	c2.Send("NEG-OPEN", "a", nostr.Filter{}, initial())
	wantNegMsg(t, c2, "a")
	waitNegSessions(t, tr.r, 3)
	c.Reset()
	waitNegSessions(t, tr.r, 1)
	c2.Reset()
	waitNegSessions(t, tr.r, 0)
}

// TestNegMalformedKeepsConnection: bad NEG-* frames get NEG-ERR (with a
// usable session id) or NOTICE, free the session, and the connection goes
// on.
func TestNegMalformedKeepsConnection(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxSubIDLength = 10 })})
	seed(t, tr.st, wsc.NewKey(), 1, 40, now()-100)
	c := wsc.Dial(t, tr.url)
	tests := []struct {
		name   string
		msg    string
		label  string
		reason string // prefix
	}{
		{"odd hex", `["NEG-OPEN","n",{},"6"]`, "NEG-ERR", "invalid: negentropy message must be"},
		{"uppercase hex", `["NEG-OPEN","n",{},"6A"]`, "NEG-ERR", "invalid: negentropy message must be"},
		{"bad filter", `["NEG-OPEN","n",{"ids":["x"]},"61"]`, "NEG-ERR", "invalid: ids must be"},
		{"two filters", `["NEG-OPEN","n",{},{},"61"]`, "NEG-ERR", "invalid:"},
		{"no message", `["NEG-OPEN","n",{}]`, "NEG-ERR", "invalid: NEG-OPEN must contain a negentropy message"},
		{"no sub id", `["NEG-OPEN"]`, "NOTICE", "invalid:"},
		{"sub id too long", `["NEG-OPEN","12345678901",{},"61"]`, "NOTICE", "blocked:"},
		{"varint too long", `["NEG-OPEN","n",{},"61ffffffffffffffffffff"]`, "NEG-ERR", "invalid: malformed negentropy message"},
		{"negative-looking varint", `["NEG-OPEN","n",{},"6100ffffffffffffffff7f00"]`, "NEG-ERR", "invalid: malformed negentropy message"},
		{"huge id list", `["NEG-OPEN","n",{},"610000028fffffff7f"]`, "NEG-ERR", "invalid: malformed negentropy message"},
		{"unknown mode", `["NEG-OPEN","n",{},"61000003"]`, "NEG-ERR", "invalid: malformed negentropy message"},
		{"long bound", `["NEG-OPEN","n",{},"610021` + strings.Repeat("00", 33) + `00"]`, "NEG-ERR", "invalid: malformed negentropy message"},
		{"truncated fingerprint", `["NEG-OPEN","n",{},"61000001abcd"]`, "NEG-ERR", "invalid: malformed negentropy message"},
		{"msg for no session", `["NEG-MSG","zz","61"]`, "NEG-ERR", "closed: no open negentropy session"},
		{"msg without message", `["NEG-MSG","n"]`, "NEG-ERR", "invalid:"},
		{"close with extra", `["NEG-CLOSE","n",1]`, "NOTICE", "invalid:"},
		{"close without id", `["NEG-CLOSE"]`, "NOTICE", "invalid:"},
		{"NEG-ERR from a client", `["NEG-ERR","n","x"]`, "NOTICE", "invalid: unknown message type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.SendRaw([]byte(tc.msg))
			m := c.Expect(tc.label)
			if got := wsc.Str(m, len(m)-1); !strings.HasPrefix(got, tc.reason) {
				t.Fatalf("got %s, want reason %q...", m, tc.reason)
			}
			if tc.label == "NEG-ERR" && wsc.Str(m, 1) == "" {
				t.Fatalf("NEG-ERR without the session id: %s", m)
			}
		})
	}
	// Another protocol version gets our version back, as the protocol asks.
	c.SendRaw([]byte(`["NEG-OPEN","v",{},"62"]`))
	if got := wantNegMsg(t, c, "v"); got != "61" {
		t.Fatalf("answer to version 0x62: %q, want 61", got)
	}
	// A bad message ends an open session (NIP-77: closed after NEG-ERR).
	c.Send("NEG-OPEN", "open", nostr.Filter{}, initial())
	wantNegMsg(t, c, "open")
	c.SendRaw([]byte(`["NEG-MSG","open","61ff"]`))
	wantNegErr(t, c, "open", "invalid: malformed negentropy message")
	c.Send("NEG-MSG", "open", initial())
	wantNegErr(t, c, "open", "closed:")
	// So does one the envelope parser refuses.
	c.Send("NEG-OPEN", "open", nostr.Filter{}, initial())
	wantNegMsg(t, c, "open")
	c.SendRaw([]byte(`["NEG-MSG","open","6"]`))
	wantNegErr(t, c, "open", "invalid: negentropy message must be")
	c.Send("NEG-MSG", "open", initial())
	wantNegErr(t, c, "open", "closed:")
	if got := c.Req("after", nostr.Filter{Limit: 1}); len(got) != 1 {
		t.Fatalf("REQ after bad NEG frames got %d events", len(got))
	}
	waitNegSessions(t, tr.r, 1) // "v"
}

// TestNegTooLargeMessage: a NEG-MSG over max_message_bytes gets NEG-ERR
// and ends its session.
func TestNegTooLargeMessage(t *testing.T) {
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxMessageBytes = 4096 })})
	c := wsc.Dial(t, tr.url)
	c.Send("NEG-OPEN", "n", nostr.Filter{}, initial())
	wantNegMsg(t, c, "n")
	c.Send("NEG-MSG", "n", "61"+strings.Repeat("00", 5000))
	wantNegErr(t, c, "n", "invalid: message is")
	c.Send("NEG-MSG", "n", initial())
	wantNegErr(t, c, "n", "closed:")
	waitNegSessions(t, tr.r, 0)
}

// TestNegIdleTimeout: a session that hears nothing for the idle timeout
// is closed with NEG-ERR "closed:" and freed.
func TestNegIdleTimeout(t *testing.T) {
	tr := start(t, relay.Options{NegentropyIdleTimeout: 50 * time.Millisecond})
	c := wsc.Dial(t, tr.url)
	c.Send("NEG-OPEN", "n", nostr.Filter{}, initial())
	wantNegMsg(t, c, "n")
	wantNegErr(t, c, "n", "closed: negentropy session idle for more than 50ms")
	waitNegSessions(t, tr.r, 0)
	c.Send("NEG-MSG", "n", initial())
	wantNegErr(t, c, "n", "closed: no open negentropy session")
}

// TestNegAdmission: a NEG-OPEN filter meets the same gate as a REQ: the
// auth rule, the NIP-50 refusal, and the REQ policy hook, which may
// refuse it or rewrite it (here: clamp to the newest event).
func TestNegAdmission(t *testing.T) {
	clamp := enforce(&fnPolicy{name: "reads", filter: func(in *policy.FilterInput) policy.Verdict {
		if in.SubID == "forbidden" {
			return policy.RejectWith(policy.PrefixRestricted, "not here")
		}
		out := slices.Clone(in.Filters)
		for i := range out {
			out[i].Limit = 1
		}
		return policy.Verdict{Action: policy.Rewrite, Filters: out}
	}})
	tr := start(t, relay.Options{}, clamp)
	k := wsc.NewKey()
	evs := seed(t, tr.st, k, 1, 5, now()-100)
	c := wsc.Dial(t, tr.url)
	c.Send("NEG-OPEN", "forbidden", nostr.Filter{}, initial())
	wantNegErr(t, c, "forbidden", "restricted: not here")
	c.Send("NEG-OPEN", "s", nostr.Filter{Search: "x"}, initial())
	wantNegErr(t, c, "s", "error: search (NIP-50) is not supported")
	res, err := reconcileWith(t, tr.url, nostr.Filter{Kinds: []int{1}}, localSet(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{evs[4].ID}; !slices.Equal(res.Need, want) {
		t.Fatalf("rewritten filter: relay offered %d ids, want only the newest", len(res.Need))
	}

	authed := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.AuthRequired = true })})
	c = wsc.Dial(t, authed.url)
	c.Send("NEG-OPEN", "n", nostr.Filter{}, initial())
	wantNegErr(t, c, "n", "auth-required:")
	if ok := c.Auth(k.SK, authed.url); !ok.Accepted {
		t.Fatal(ok)
	}
	c.Send("NEG-OPEN", "n", nostr.Filter{}, initial())
	wantNegMsg(t, c, "n")
}

// TestNegDeliverHook: events the deliver hook drops for a session are not
// in its negentropy set either: their ids are not its to learn.
func TestNegDeliverHook(t *testing.T) {
	tr := start(t, relay.Options{}, enforce(&fnPolicy{name: "dm", deliver: func(in *policy.DeliverInput) policy.Verdict {
		if in.Event.Kind == 4 && in.Session.Authed() == "" {
			return policy.RejectWith(policy.PrefixRestricted, "private")
		}
		return policy.Verdict{Payload: in.Raw}
	}}))
	k := wsc.NewKey()
	notes := seed(t, tr.st, k, 1, 3, now()-100)
	seed(t, tr.st, k, 4, 3, now()-100)
	res, err := reconcileWith(t, tr.url, nostr.Filter{Authors: []string{k.PK}}, localSet(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Need, ids(notes)) {
		t.Fatalf("relay offered %d ids, want the %d notes only", len(res.Need), len(notes))
	}
}

// TestNegDisabled: with negentropy off, NIP-11 leaves out 77 and NEG-OPEN
// gets NEG-ERR; on (the default) lists it.
func TestNegDisabled(t *testing.T) {
	tests := []struct {
		name    string
		disable bool
	}{{"default", false}, {"disabled", true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := start(t, relay.Options{DisableNegentropy: tc.disable})
			if got := slices.Contains(tr.r.Info().SupportedNIPs, 77); got == tc.disable {
				t.Fatalf("77 in supported_nips: %v, want %v", got, !tc.disable)
			}
			c := wsc.Dial(t, tr.url)
			c.Send("NEG-OPEN", "n", nostr.Filter{}, initial())
			if tc.disable {
				wantNegErr(t, c, "n", "blocked: negentropy (NIP-77) is disabled")
			} else {
				wantNegMsg(t, c, "n")
			}
		})
	}
}

// TestNegErrLabel: the relay writes NIP-77's NEG-ERR, never go-nostr's
// NEG-ERROR.
func TestNegErrLabel(t *testing.T) {
	tr := start(t, relay.Options{})
	c := wsc.Dial(t, tr.url)
	c.Send("NEG-MSG", "n", "61")
	f, err := c.Frame()
	if err != nil {
		t.Fatal(err)
	}
	var arr []any
	if err := json.Unmarshal(f.Payload, &arr); err != nil || len(arr) != 3 || arr[0] != "NEG-ERR" {
		t.Fatalf("got %s, want [\"NEG-ERR\",...]", f.Payload)
	}
}

// TestNegCloseFreesMemory: an open session over n events holds about 40·n
// bytes, and NEG-CLOSE frees them at once. (The idle timer's closure
// once pointed at the session: a stopped timer lingers in the runtime's
// timer heap, and kept the whole set alive after NEG-CLOSE.) The store is
// memstore, which allocates nothing in the background.
func TestNegCloseFreesMemory(t *testing.T) {
	const n = 50000
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	k := wsc.NewKey()
	var wg sync.WaitGroup
	for i := range n {
		ev := &nostr.Event{PubKey: k.PK, CreatedAt: now() - nostr.Timestamp(i), Kind: 1, Tags: nostr.Tags{},
			Content: fmt.Sprint(i), Sig: strings.Repeat("0", 128)}
		ev.ID = ev.GetID()
		raw, _ := ev.MarshalJSON()
		wg.Add(1)
		st.Submit(ev, raw, func(error) { wg.Done() })
	}
	wg.Wait()
	r, err := relay.New(relay.Options{Logger: testLogger(t)}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go r.Serve(ln)
	t.Cleanup(func() { ln.Close(); r.Shutdown(context.Background()) })
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	c := wsc.Dial(t, "ws://"+ln.Addr().String())
	c.Send("NEG-OPEN", "m", nostr.Filter{}, initial())
	wantNegMsg(t, c, "m")
	open := heap()
	c.Send("NEG-CLOSE", "m")
	c.Send("NEG-MSG", "m", initial()) // answered after the NEG-CLOSE
	wantNegErr(t, c, "m", "closed:")
	freed := open - heap()
	t.Logf("NEG-CLOSE of a session over %d events freed %d bytes (%.1f an event)", n, freed, float64(freed)/n)
	if freed < n*40*3/4 || freed > n*56 {
		t.Fatalf("NEG-CLOSE freed %d bytes, want about %d (40 an event)", freed, n*40)
	}
}
